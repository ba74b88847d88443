// agent_instance.cpp: the host side of the C boundary: the host table, calls and completion.
#include <agenthost/registry/agent_instance.hpp>
#include <agenthost/registry/service_directory.hpp>

#include <atomic>
#include <future>
#include <mutex>

// The host's definition of the opaque call handle declared in sdk.h.
struct ah_call {
    std::shared_ptr<agenthost::AgentInstance> instance;  // the instance outlives its calls
    agenthost::AgentInstance::State* state = nullptr;   // the instance's, for the C callbacks
    agenthost::CallRequest request;
    std::function<void(agenthost::CallResult)> done;
    // Held by cancel while the plugin's cancel runs, so that `complete` never
    // races it; recursive because the plugin may complete from inside cancel.
    std::recursive_mutex mutex;
    bool completed = false;
    std::atomic<bool> cancel_requested{false};
    std::shared_ptr<ah_call> self;  // keeps the call alive until it completes
};

namespace agenthost {

namespace {

constexpr uint64_t host_table_tag = 0x61676e74686f7374ULL;  // "agnthost"

}  // namespace

struct AgentInstance::State {
    // `table` must stay the first member: the plugin hands back its address.
    struct HostTable {
        ah_host table;
        uint64_t tag;
        State* state;
    } host{};
    std::string name;
    std::shared_ptr<const PluginLibrary> plugin;
    Permissions permissions;
    const ServiceDirectory* services = nullptr;
    void* instance = nullptr;
    std::mutex invoke_mutex;  // serialises invoke for plugins without AH_PLUGIN_CONCURRENT_INVOKE
    std::atomic<std::size_t> in_flight{0};
    const AgentInstance* owner = nullptr;
};

namespace {

using State = AgentInstance::State;

State* state_of(const ah_host* host) noexcept {
    if (host == nullptr) return nullptr;
    const auto* table = reinterpret_cast<const State::HostTable*>(host);
    return table->tag == host_table_tag ? table->state : nullptr;
}

const void* get_extension(const ah_host* host, const char* id) noexcept {
    State* state = state_of(host);
    if (state == nullptr || id == nullptr || state->services == nullptr) return nullptr;
    // Deny by default: an id the instance was not granted is indistinguishable from an unknown one.
    if (!state->permissions.allows_service(id)) return nullptr;
    return state->services->find(id);
}

// The one place a call ends, whoever ends it: the plugin through
// ah_host.complete, or the host when invoke refused or broke the contract.
void finish_call(ah_call* call, ah_status status, const char* output, std::size_t output_size,
                 const char* message) noexcept {
    if (call == nullptr) return;
    std::shared_ptr<ah_call> keep;
    CallResult result;
    try {
        std::lock_guard lock(call->mutex);
        if (call->completed) return;  // a second completion is a plugin bug; the first one stands
        call->completed = true;
        keep = std::move(call->self);
        result.status = status == AH_PENDING ? AH_ERR_INTERNAL : status;
        if (result.status == AH_OK) {
            result.output_json.assign(output ? output : "", output ? output_size : 0);
        } else {
            result.error = message ? message : "";
            if (status == AH_PENDING) result.error = "the plugin completed a call with AH_PENDING";
        }
    } catch (...) {
        result = CallResult{AH_ERR_INTERNAL, {}, "out of memory while completing the call"};
    }
    if (keep) {
        keep->state->in_flight.fetch_sub(1);
        try {
            keep->done(std::move(result));
        } catch (...) {
            // The caller's callback must not throw into the plugin's thread.
        }
    }
}

void complete(ah_call* call, ah_status status, const char* output, std::size_t output_size,
              const char* message) noexcept {
    finish_call(call, status, output, output_size, message);
}

int32_t is_cancelled(const ah_call* call) noexcept {
    return call != nullptr && call->cancel_requested.load() ? 1 : 0;
}

class CallHandle final : public PendingCall {
public:
    explicit CallHandle(std::weak_ptr<ah_call> call) : call_(std::move(call)) {}

    void cancel() override {
        std::shared_ptr<ah_call> call = call_.lock();
        if (!call) return;
        std::lock_guard lock(call->mutex);
        if (call->completed) return;
        call->cancel_requested.store(true);
        const State& state = *call->state;
        if (state.plugin->entry().cancel != nullptr) state.plugin->entry().cancel(state.instance, call.get());
    }

private:
    std::weak_ptr<ah_call> call_;
};

}  // namespace

std::string status_name(ah_status status) {
    switch (status) {
        case AH_OK: return "AH_OK";
        case AH_PENDING: return "AH_PENDING";
        case AH_ERR_FAILED: return "AH_ERR_FAILED";
        case AH_ERR_INVALID_ARGUMENT: return "AH_ERR_INVALID_ARGUMENT";
        case AH_ERR_CANCELLED: return "AH_ERR_CANCELLED";
        case AH_ERR_TIMEOUT: return "AH_ERR_TIMEOUT";
        case AH_ERR_PERMISSION_DENIED: return "AH_ERR_PERMISSION_DENIED";
        case AH_ERR_UNAVAILABLE: return "AH_ERR_UNAVAILABLE";
        case AH_ERR_INTERNAL: return "AH_ERR_INTERNAL";
        case AH_ERR_UNSUPPORTED: return "AH_ERR_UNSUPPORTED";
        default: return "status " + std::to_string(status);
    }
}

AgentInstance::AgentInstance(std::unique_ptr<State> state) : state_(std::move(state)) {}

AgentInstance::~AgentInstance() {
    // Every call holds the instance, so none is in flight by now.
    if (state_ && state_->instance != nullptr) state_->plugin->entry().destroy(state_->instance);
}

Result<std::shared_ptr<AgentInstance>> AgentInstance::create(std::string agent_name,
                                                             std::shared_ptr<const PluginLibrary> plugin,
                                                             const std::string& config_json,
                                                             Permissions permissions,
                                                             const ServiceDirectory* services) {
    auto state = std::make_unique<State>();
    state->host.table = ah_host{sizeof(ah_host), AH_ABI_MAJOR, AH_ABI_MINOR, 0u, &get_extension, &complete,
                                &is_cancelled};
    state->host.tag = host_table_tag;
    state->host.state = state.get();
    state->name = std::move(agent_name);
    state->plugin = std::move(plugin);
    state->permissions = std::move(permissions);
    state->services = services;
    State& s = *state;
    // The instance exists before the plugin's create runs, so that create may already log.
    auto agent = std::make_shared<AgentInstance>(std::move(state));
    s.owner = agent.get();

    char message[1024] = {0};
    ah_error error{message, sizeof message};
    void* instance = nullptr;
    ah_status status =
        s.plugin->entry().create(&s.host.table, config_json.data(), config_json.size(), &instance, &error);
    if (status != AH_OK || instance == nullptr) {
        std::string reason = message[0] != '\0' ? std::string(message) : std::string("no message");
        if (status == AH_OK) reason = "create returned AH_OK without an instance";
        return Error{"agent " + s.name + " (" + s.plugin->id() + ")",
                     "the plugin refused its config: " + status_name(status) + ": " + reason,
                     "check the agent's config against `agenthost plugins inspect " + s.plugin->manifest().name +
                         "`"};
    }
    s.instance = instance;
    return agent;
}

std::shared_ptr<PendingCall> AgentInstance::invoke(CallRequest request, std::function<void(CallResult)> done) {
    auto call = std::make_shared<ah_call>();
    call->instance = shared_from_this();
    call->state = state_.get();
    call->request = std::move(request);
    call->done = std::move(done);
    call->self = call;
    auto handle = std::make_shared<CallHandle>(call);

    const CallRequest& r = call->request;
    const ah_invoke_args args{sizeof(ah_invoke_args), r.attempt,         r.input_json.c_str(), r.input_json.size(),
                              r.run_id.c_str(),        r.step.c_str(),    r.idempotency_key.c_str()};
    const ah_plugin_entry& entry = state_->plugin->entry();
    ah_call* raw = call.get();
    state_->in_flight.fetch_add(1);
    ah_status status;
    if ((entry.flags & AH_PLUGIN_CONCURRENT_INVOKE) != 0) {
        status = entry.invoke(state_->instance, raw, &args);
    } else {
        std::lock_guard lock(state_->invoke_mutex);
        status = entry.invoke(state_->instance, raw, &args);
    }
    // `call` still holds the object, so `raw` is valid even if the plugin completed it.
    if (status < 0) {
        finish_call(raw, status, nullptr, 0, ("invoke refused the call: " + status_name(status)).c_str());
    } else if (status != AH_PENDING) {
        finish_call(raw, AH_ERR_INTERNAL, nullptr, 0, "invoke returned AH_OK without completing the call");
    }
    return handle;
}

CallResult AgentInstance::invoke_sync(CallRequest request) {
    std::promise<CallResult> promise;
    auto future = promise.get_future();
    invoke(std::move(request), [&promise](CallResult result) { promise.set_value(std::move(result)); });
    return future.get();
}

const std::string& AgentInstance::name() const noexcept { return state_->name; }
const PluginLibrary& AgentInstance::plugin() const noexcept { return *state_->plugin; }
const Permissions& AgentInstance::permissions() const noexcept { return state_->permissions; }
const ServiceDirectory* AgentInstance::services() const noexcept { return state_->services; }
std::size_t AgentInstance::calls_in_flight() const noexcept { return state_->in_flight.load(); }

const AgentInstance* AgentInstance::from_host(const ah_host* host) noexcept {
    const State* state = state_of(host);
    return state != nullptr ? state->owner : nullptr;
}

const CallRequest* AgentInstance::request_of(const ah_call* call) noexcept {
    return call != nullptr ? &call->request : nullptr;
}

}  // namespace agenthost
