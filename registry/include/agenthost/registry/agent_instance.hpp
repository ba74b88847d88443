// agent_instance.hpp: one configured agent, a live plugin instance, and its calls.
#pragma once

#include <agenthost/registry/permissions.hpp>
#include <agenthost/registry/plugin_library.hpp>
#include <agenthost/sdk.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <functional>
#include <memory>
#include <string>

namespace agenthost {

class ServiceDirectory;

//! Releases instances whose last reference would drop on a plugin's completing
//! thread, on a thread of the host's instead (so that a plugin's destroy never
//! runs on its own thread). One thread, started on first use, for every
//! instance given the same releaser: a Registry gives one to all it creates.
class InstanceReleaser;
std::shared_ptr<InstanceReleaser> make_instance_releaser();

//! "AH_ERR_TIMEOUT" for AH_ERR_TIMEOUT, and so on; "status N" for unknown codes.
std::string status_name(ah_status status);

//! What one call sends to the agent.
struct CallRequest {
    std::string input_json;
    std::string run_id;  //!< W3C trace id, 32 hex digits
    std::string step;
    std::string idempotency_key;
    uint32_t attempt = 1;
    //! The host's own per-call data (its run and step), for host services to
    //! find through request_of(); the registry never looks at it.
    void* context = nullptr;
};

//! How a call ended: AH_OK and the output, or a status < 0 and a message.
struct CallResult {
    ah_status status = AH_ERR_INTERNAL;
    std::string output_json;
    std::string error;
    //! How long the plugin asked the host to wait before a retry (ah_host.retry_after), on failure.
    std::optional<std::chrono::milliseconds> retry_after;
    bool ok() const noexcept { return status == AH_OK; }
};

//! A call that has started. Cancel it, or drop the handle: the call still
//! completes and its callback still runs exactly once.
class PendingCall {
public:
    virtual ~PendingCall() = default;
    //! Ask the plugin to stop (cooperative); a completed call ignores it.
    virtual void cancel() = 0;
};

class AgentInstance : public std::enable_shared_from_this<AgentInstance> {
public:
    //! Creates the plugin instance with `config_json` (checked by the caller
    //! against the config schema) and the effective permissions. The Error
    //! names the agent, the plugin and what its create said.
    static Result<std::shared_ptr<AgentInstance>> create(std::string agent_name,
                                                         std::shared_ptr<const PluginLibrary> plugin,
                                                         const std::string& config_json, Permissions permissions,
                                                         const ServiceDirectory* services,
                                                         std::shared_ptr<const JsonSchema> output_schema = nullptr,
                                                         std::shared_ptr<InstanceReleaser> releaser = nullptr);

    //! Starts a call. `done` runs exactly once: on this thread after the
    //! plugin's invoke has returned when the plugin completed inline, else on
    //! the thread the plugin completes on. The instance stays alive until
    //! every call of it has completed, and is never destroyed on a plugin's
    //! completing thread.
    //! `started`, when given, receives the handle before the plugin's invoke
    //! runs, so that a synchronous call can be cancelled while it works.
    std::shared_ptr<PendingCall> invoke(CallRequest request, std::function<void(CallResult)> done,
                                        const std::function<void(std::shared_ptr<PendingCall>)>& started = {});

    //! invoke, then wait for the result on this thread.
    CallResult invoke_sync(CallRequest request);

    const std::string& name() const noexcept;
    const PluginLibrary& plugin() const noexcept;
    const Permissions& permissions() const noexcept;
    //! What this agent's outputs must match: the manifest's output_schema, or
    //! the schema the agent's config gives (PluginManifest::output_schema_for).
    const JsonSchema& output_schema() const noexcept;
    //! The host services this instance reaches through get_extension.
    const ServiceDirectory* services() const noexcept;
    //! Calls started and not yet completed.
    std::size_t calls_in_flight() const noexcept;

    //! The instance a host table belongs to; nullptr for a foreign pointer.
    static const AgentInstance* from_host(const ah_host* host) noexcept;
    //! The request of a call in flight; nullptr when `call` is null.
    static const CallRequest* request_of(const ah_call* call) noexcept;
    //! Runs `hook` when `call` is cancelled (a timeout, the run ending), before
    //! the plugin's cancel; at once when it already is. Host services use it to
    //! stop work they do for the call. Dropped unrun when the call completes;
    //! false, and `hook` dropped, when it already has.
    static bool on_cancel(const ah_call* call, std::function<void()> hook);

    ~AgentInstance();
    AgentInstance(const AgentInstance&) = delete;
    AgentInstance& operator=(const AgentInstance&) = delete;

    struct State;
    explicit AgentInstance(std::unique_ptr<State> state);

private:
    std::unique_ptr<State> state_;
};

}  // namespace agenthost
