// host_services.cpp: the C entry points of the host services, and the lookup by id.
#include <agenthost/host/call_context.hpp>
#include <agenthost/host/host_services.hpp>
#include <agenthost/host/http_service.hpp>

#include <agenthost/registry/agent_instance.hpp>
#include <agenthost/sdk.h>

#include <algorithm>
#include <optional>
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

// The engine's view of the call, when the call came from the engine.
CallContext* context_of(const ah_call* call) noexcept {
    const CallRequest* request = AgentInstance::request_of(call);
    return request != nullptr ? static_cast<CallContext*>(request->context) : nullptr;
}

void usage_report(const ah_host* host, const ah_call* call, const char* model, uint64_t input_tokens,
                  uint64_t output_tokens, uint64_t cached_input_tokens) noexcept {
    try {
        if (AgentInstance::from_host(host) == nullptr) return;
        if (CallContext* context = context_of(call)) {
            context->add_usage(model != nullptr ? model : "", input_tokens, output_tokens, cached_input_tokens);
        }
    } catch (...) {
        // Usage that cannot be recorded is lost, not thrown into the plugin.
    }
}

ah_status context_read(const ah_host* host, const ah_call* call, const char* pointer, ah_json_sink sink,
                       void* user) noexcept {
    try {
        const AgentInstance* instance = AgentInstance::from_host(host);
        CallContext* context = context_of(call);
        if (instance == nullptr || context == nullptr || pointer == nullptr || sink == nullptr) {
            return AH_ERR_INVALID_ARGUMENT;
        }
        if (!instance->permissions().allows_read(pointer)) return AH_ERR_PERMISSION_DENIED;
        std::string json;
        const ah_status status = context->read_state(pointer, json);
        if (status == AH_OK) sink(user, json.data(), json.size());
        return status;
    } catch (...) {
        return AH_ERR_INTERNAL;
    }
}

ah_status context_write(const ah_host* host, const ah_call* call, const char* pointer, const char* json,
                        std::size_t size) noexcept {
    try {
        const AgentInstance* instance = AgentInstance::from_host(host);
        CallContext* context = context_of(call);
        if (instance == nullptr || context == nullptr || pointer == nullptr || json == nullptr) {
            return AH_ERR_INVALID_ARGUMENT;
        }
        if (!instance->permissions().allows_write(pointer)) return AH_ERR_PERMISSION_DENIED;
        return context->write_state(pointer, std::string_view(json, size));
    } catch (...) {
        return AH_ERR_INTERNAL;
    }
}

// ah.http/1: the HttpService does the work; these only find it and keep
// exceptions on this side of the boundary.
HttpService* http_of(const AgentInstance* instance) noexcept {
    if (instance == nullptr) return nullptr;
    const auto* services = dynamic_cast<const HostServices*>(instance->services());
    return services != nullptr ? services->http() : nullptr;
}

ah_status http_send(const ah_host* host, const ah_call* call, const ah_http_request* request,
                    ah_http_callback callback, void* user, uint64_t* out_id) noexcept {
    try {
        const AgentInstance* instance = AgentInstance::from_host(host);
        HttpService* http = http_of(instance);
        if (http == nullptr) return AH_ERR_INVALID_ARGUMENT;
        return http->send(*instance, call, request, callback, user, out_id);
    } catch (...) {
        return AH_ERR_INTERNAL;
    }
}

void http_cancel(const ah_host* host, uint64_t id) noexcept {
    try {
        const AgentInstance* instance = AgentInstance::from_host(host);
        if (HttpService* http = http_of(instance)) http->cancel(id, instance);
    } catch (...) {
        // A cancel that cannot be queued leaves the request to finish or time out.
    }
}

constexpr ah_http_v1 http_v1 = {sizeof(ah_http_v1), 0u, &http_send, &http_cancel};

// ah.secrets/1. A refusal is logged with the agent and the name, never a value.
ah_status secrets_read(const ah_host* host, const char* name, ah_bytes_sink sink, void* user) noexcept {
    try {
        const AgentInstance* instance = AgentInstance::from_host(host);
        if (instance == nullptr || name == nullptr || sink == nullptr) return AH_ERR_INVALID_ARGUMENT;
        const auto* services = dynamic_cast<const HostServices*>(instance->services());
        if (services == nullptr || services->secrets() == nullptr) return AH_ERR_INVALID_ARGUMENT;
        if (!instance->permissions().allows_secret(name)) {
            services->logger().log(LogLevel::warning,
                                   "agent " + std::string(instance->name()) + " asked for secret \"" + name +
                                       "\", which it may not read (it needs a grant in agents." + std::string(instance->name()) +
                                       ".grants.secrets, and its manifest must request it)",
                                   LogTags{{}, instance->name(), {}});
            return AH_ERR_PERMISSION_DENIED;
        }
        const std::optional<std::string> value = services->secrets()->value(name);
        if (!value) return AH_ERR_UNAVAILABLE;
        sink(user, value->data(), value->size());
        return AH_OK;
    } catch (...) {
        return AH_ERR_INTERNAL;
    }
}

constexpr ah_secrets_v1 secrets_v1 = {sizeof(ah_secrets_v1), 0u, &secrets_read};

constexpr ah_usage_v1 usage_v1 = {sizeof(ah_usage_v1), 0u, &usage_report};
constexpr ah_context_v1 context_v1 = {sizeof(ah_context_v1), 0u, &context_read, &context_write};

}  // namespace

const void* HostServices::find(std::string_view id) const noexcept {
    if (id == AH_EXT_LOG_V1) return &log_v1;
    if (id == AH_EXT_USAGE_V1) return &usage_v1;
    if (id == AH_EXT_CONTEXT_V1) return &context_v1;
    if (id == AH_EXT_SECRETS_V1) return secrets_ != nullptr ? &secrets_v1 : nullptr;
    if (id == AH_EXT_HTTP_V1) return http_ != nullptr ? &http_v1 : nullptr;
    return nullptr;
}

}  // namespace agenthost
