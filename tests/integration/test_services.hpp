// test_services.hpp: a ServiceDirectory for registry tests that offers every
// service id the tests ask about and records what plugins log through it.
#pragma once

#include <agenthost/registry/agent_instance.hpp>
#include <agenthost/registry/service_directory.hpp>
#include <agenthost/sdk.h>

#include <mutex>
#include <string>
#include <vector>

namespace agenthost::testing {

struct LoggedLine {
    std::string agent;
    std::string run_id;
    int32_t level;
    std::string message;
};

class RecordingServices final : public ServiceDirectory {
public:
    const void* find(std::string_view id) const noexcept override {
        if (id == AH_EXT_LOG_V1) return &log_table;
        // Stand-ins: the tests only check whether the registry hands them out.
        if (id == "ah.http/1" || id == "ah.secrets/1") return &opaque_table;
        return nullptr;
    }

    std::vector<LoggedLine> lines() const {
        std::lock_guard lock(mutex_);
        return lines_;
    }

private:
    static void write(const ah_host* host, const ah_call* call, int32_t level, const char* message,
                      std::size_t size) noexcept {
        const AgentInstance* instance = AgentInstance::from_host(host);
        if (instance == nullptr) return;
        auto* self = dynamic_cast<const RecordingServices*>(instance->services());
        if (self == nullptr) return;
        const CallRequest* request = AgentInstance::request_of(call);
        std::lock_guard lock(self->mutex_);
        self->lines_.push_back({instance->name(), request ? request->run_id : "", level, std::string(message, size)});
    }

    static constexpr ah_log_v1 log_table{sizeof(ah_log_v1), 0u, &write};
    static constexpr int opaque_table = 0;
    mutable std::mutex mutex_;
    mutable std::vector<LoggedLine> lines_;
};

}  // namespace agenthost::testing
