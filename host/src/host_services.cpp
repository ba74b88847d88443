// host_services.cpp: the C entry points of the host services, and the lookup by id.
#include <agenthost/host/host_services.hpp>

#include <agenthost/registry/agent_instance.hpp>
#include <agenthost/sdk.h>

#include <algorithm>
#include <string>

namespace agenthost {
namespace {

// Plugins pass any int32_t; anything out of range is the nearest real level,
// so a message is never lost for having a bad level.
LogLevel clamp_level(int32_t level) noexcept {
    return static_cast<LogLevel>(std::clamp<int32_t>(level, AH_LOG_TRACE, AH_LOG_ERROR));
}

// [any-thread] Called by plugins: must not throw, and must tolerate a host
// pointer that is not ours (it is then ignored).
void log_write(const ah_host* host, const ah_call* call, int32_t level, const char* message,
               std::size_t size) noexcept {
    try {
        const AgentInstance* instance = AgentInstance::from_host(host);
        if (instance == nullptr) return;
        const auto* services = dynamic_cast<const HostServices*>(instance->services());
        if (services == nullptr) return;

        const CallRequest* request = AgentInstance::request_of(call);
        const LogTags tags{
            request != nullptr ? std::string_view(request->run_id) : std::string_view(),
            instance->name(),
            request != nullptr ? std::string_view(request->step) : std::string_view(),
        };
        const std::string_view text = message != nullptr ? std::string_view(message, size) : std::string_view();
        if (text.size() <= HostServices::max_log_message) {
            services->logger().log(clamp_level(level), text, tags);
        } else {
            std::string cut(text.substr(0, HostServices::max_log_message));
            cut += " [truncated: " + std::to_string(text.size()) + " bytes]";
            services->logger().log(clamp_level(level), cut, tags);
        }
    } catch (...) {
        // Nothing may cross the C boundary; a log line is not worth a crash.
    }
}

constexpr ah_log_v1 log_v1 = {
    sizeof(ah_log_v1),
    0u,
    &log_write,
};

}  // namespace

const void* HostServices::find(std::string_view id) const noexcept {
    if (id == AH_EXT_LOG_V1) return &log_v1;
    return nullptr;
}

}  // namespace agenthost
