// agent_instance.cpp: the host side of the C boundary: the host table, calls and completion.
//
// Three rules keep plugin threads safe:
//  - no host lock is held while plugin code runs (invoke excepted: its lock
//    serialises non-concurrent plugins, and no result is delivered under it);
//  - a result that arrives inside invoke is delivered after invoke returns;
//  - an instance whose last reference would drop on a plugin's completing
//    thread is released on the host's release thread instead.
#include <agenthost/registry/agent_instance.hpp>
#include <agenthost/registry/service_directory.hpp>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

// The host's definition of the opaque call handle declared in sdk.h.
struct ah_call {
    agenthost::AgentInstance::State* state = nullptr;  // valid while `instance` is held
    agenthost::CallRequest request;
    std::atomic<bool> cancel_requested{false};

    std::mutex mutex;  // guards the fields below; never held while plugin code runs
    std::shared_ptr<agenthost::AgentInstance> instance;  // the instance outlives its calls
    std::function<void(agenthost::CallResult)> done;
    bool completed = false;
    bool inside_invoke = true;                      // results wait until invoke has returned
    std::optional<agenthost::CallResult> deferred;  // a result that arrived inside invoke
    std::shared_ptr<ah_call> self;                  // keeps the call alive until it is delivered
    std::optional<uint64_t> retry_after_ms;         // the plugin's hint for a retry (ah_host.retry_after)
    std::vector<std::function<void()>> cancel_hooks;  // host services' work to stop with the call
};

namespace agenthost {

// Drops instance references on a thread of the host's, so that a plugin's
// destroy (and dlclose) never runs on the plugin's own completing thread.
// The thread starts on first use and stops when the last instance using it is gone.
class InstanceReleaser {
public:
    InstanceReleaser() : queue_(std::make_shared<Queue>()) {}
    ~InstanceReleaser() {
        {
            std::lock_guard lock(queue_->mutex);
            queue_->stopping = true;
        }
        queue_->wake.notify_one();
        if (!worker_.joinable()) return;
        // The last instance may be released by the worker itself; it cannot join itself.
        if (worker_.get_id() == std::this_thread::get_id()) worker_.detach();
        else worker_.join();
    }

    void release(std::shared_ptr<AgentInstance> instance) {
        std::lock_guard lock(queue_->mutex);
        if (!worker_.joinable()) worker_ = std::thread(&InstanceReleaser::run, queue_);
        queue_->items.push_back(std::move(instance));
        queue_->wake.notify_one();
    }

private:
    struct Queue {
        std::mutex mutex;
        std::condition_variable wake;
        std::deque<std::shared_ptr<AgentInstance>> items;
        bool stopping = false;
    };

    // Holds its own reference to the queue: the InstanceReleaser may be destroyed while it runs.
    static void run(std::shared_ptr<Queue> queue) {
        std::unique_lock lock(queue->mutex);
        for (;;) {
            queue->wake.wait(lock, [&] { return queue->stopping || !queue->items.empty(); });
            if (queue->items.empty()) return;
            std::shared_ptr<AgentInstance> item = std::move(queue->items.front());
            queue->items.pop_front();
            lock.unlock();
            item.reset();
            lock.lock();
        }
    }

    std::shared_ptr<Queue> queue_;
    std::thread worker_;
};

std::shared_ptr<InstanceReleaser> make_instance_releaser() { return std::make_shared<InstanceReleaser>(); }

struct AgentInstance::State {
    // The plugin hands back the table's address; `table` stays first so that
    // the address leads back here.
    struct HostTable {
        ah_host table;
        State* state;
    } host{};
    std::string name;
    std::shared_ptr<const PluginLibrary> plugin;
    Permissions permissions;
    std::shared_ptr<const JsonSchema> output_schema;
    const ServiceDirectory* services = nullptr;
    void* instance = nullptr;
    std::mutex invoke_mutex;  // serialises invoke for plugins without AH_PLUGIN_CONCURRENT_INVOKE
    std::atomic<std::size_t> in_flight{0};
    const AgentInstance* owner = nullptr;
    std::shared_ptr<InstanceReleaser> releaser;
};

namespace {

using State = AgentInstance::State;

const void* get_extension(const ah_host* host, const char* id) noexcept;
void complete(ah_call* call, ah_status status, const char* output, std::size_t output_size,
              const char* message) noexcept;
int32_t is_cancelled(const ah_call* call) noexcept;
void retry_after(ah_call* call, uint64_t delay_ms) noexcept;

// Our tables are told apart from foreign pointers by their function
// pointers, which lie inside ah_host itself.
State* state_of(const ah_host* host) noexcept {
    if (host == nullptr || host->get_extension != &get_extension) return nullptr;
    return reinterpret_cast<const State::HostTable*>(host)->state;
}

const void* get_extension(const ah_host* host, const char* id) noexcept {
    State* state = state_of(host);
    if (state == nullptr || id == nullptr || state->services == nullptr) return nullptr;
    // Deny by default: an id the instance was not granted is indistinguishable from an unknown one.
    if (!state->permissions.allows_service(id)) return nullptr;
    return state->services->find(id);
}

CallResult make_result(ah_status status, const char* output, std::size_t output_size, const char* message) noexcept {
    try {
        if (status == AH_OK) return CallResult{AH_OK, std::string(output ? output : "", output ? output_size : 0), {}, std::nullopt};
        if (status > 0) {
            return CallResult{AH_ERR_INTERNAL, {}, "the plugin completed a call with " + status_name(status), std::nullopt};
        }
        return CallResult{status, {}, message ? message : "", std::nullopt};
    } catch (...) {
        return CallResult{AH_ERR_INTERNAL, {}, {}, std::nullopt};  // out of memory copying the result
    }
}

// Runs the caller's callback, then lets go of the call and its instance.
void deliver(std::shared_ptr<ah_call> call, CallResult result, bool on_plugin_thread) noexcept {
    std::function<void(CallResult)> done;
    std::shared_ptr<AgentInstance> instance;
    {
        std::lock_guard lock(call->mutex);
        done = std::move(call->done);
        instance = std::move(call->instance);
    }
    call->state->in_flight.fetch_sub(1);
    try {
        done(std::move(result));
    } catch (...) {
        // The caller's callback must not throw into a plugin's thread.
    }
    done = nullptr;  // it may hold references of its own; drop them before deciding who releases
    if (on_plugin_thread) {
        std::shared_ptr<InstanceReleaser> releaser = call->state->releaser;
        try {
            releaser->release(std::move(instance));
        } catch (...) {
            // No thread could be started: release here rather than leak.
        }
    }
}

void finish_call(ah_call* call, ah_status status, const char* output, std::size_t output_size,
                 const char* message, bool on_plugin_thread) noexcept {
    if (call == nullptr) return;
    CallResult result = make_result(status, output, output_size, message);
    std::shared_ptr<ah_call> keep;
    std::vector<std::function<void()>> hooks;  // dropped outside the lock: they may hold anything
    {
        std::lock_guard lock(call->mutex);
        if (call->completed) return;  // a second completion is a plugin bug; the first one stands
        call->completed = true;
        hooks.swap(call->cancel_hooks);
        if (!result.ok() && call->retry_after_ms) {
            result.retry_after = std::chrono::milliseconds(
                std::min<uint64_t>(*call->retry_after_ms, static_cast<uint64_t>(INT64_MAX)));
        }
        if (call->inside_invoke) {
            call->deferred = std::move(result);
            return;
        }
        keep = std::move(call->self);
    }
    deliver(std::move(keep), std::move(result), on_plugin_thread);
}

void complete(ah_call* call, ah_status status, const char* output, std::size_t output_size,
              const char* message) noexcept {
    finish_call(call, status, output, output_size, message, true);
}

int32_t is_cancelled(const ah_call* call) noexcept {
    return call != nullptr && call->cancel_requested.load() ? 1 : 0;
}

void retry_after(ah_call* call, uint64_t delay_ms) noexcept {
    if (call == nullptr) return;
    std::lock_guard lock(call->mutex);
    if (!call->completed) call->retry_after_ms = delay_ms;
}

class CallHandle final : public PendingCall {
public:
    explicit CallHandle(std::weak_ptr<ah_call> call) : call_(std::move(call)) {}

    void cancel() override {
        std::shared_ptr<ah_call> call = call_.lock();
        if (!call) return;
        std::shared_ptr<AgentInstance> instance;  // keeps the plugin loaded while its cancel runs
        {
            std::lock_guard lock(call->mutex);
            if (call->completed) return;
            instance = call->instance;
        }
        call->cancel_requested.store(true);
        std::vector<std::function<void()>> hooks;
        {
            std::lock_guard lock(call->mutex);
            hooks.swap(call->cancel_hooks);
        }
        for (auto& hook : hooks) {
            try {
                hook();
            } catch (...) {
                // A service that cannot stop its work leaves it to finish; the plugin is still told.
            }
        }
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
                                                             const ServiceDirectory* services,
                                                             std::shared_ptr<const JsonSchema> output_schema,
                                                             std::shared_ptr<InstanceReleaser> releaser) {
    auto state = std::make_unique<State>();
    state->host.table = ah_host{sizeof(ah_host), AH_ABI_MAJOR, AH_ABI_MINOR, 0u, &get_extension, &complete,
                                &is_cancelled, &retry_after};
    state->host.state = state.get();
    state->name = std::move(agent_name);
    state->plugin = std::move(plugin);
    state->permissions = std::move(permissions);
    state->output_schema = output_schema ? std::move(output_schema) : state->plugin->manifest().output_schema;
    state->releaser = releaser ? std::move(releaser) : make_instance_releaser();
    state->services = services;
    State& s = *state;
    // The instance exists before the plugin's create runs, so that create may already log.
    auto agent = std::make_shared<AgentInstance>(std::move(state));
    s.owner = agent.get();

    char message[1024] = {0};
    ah_error error{message, sizeof message};
    void* instance = nullptr;
    ah_status status = s.plugin->entry().create(&s.host.table, config_json.data(), config_json.size(), &instance, &error);
    message[sizeof message - 1] = '\0';  // a plugin that ignored the capacity must not make us read past it
    if (status != AH_OK || instance == nullptr) {
        std::string reason = message[0] != '\0' ? std::string(message) : std::string("no message");
        if (status == AH_OK) reason = "create returned AH_OK without an instance";
        return Error{"agent " + s.name + " (" + s.plugin->id() + ")",
                     "the plugin refused its config: " + status_name(status) + ": " + reason,
                     "check the agent's config against `agenthost plugins inspect " + s.plugin->manifest().name + "`"};
    }
    s.instance = instance;
    return agent;
}

std::shared_ptr<PendingCall> AgentInstance::invoke(CallRequest request, std::function<void(CallResult)> done,
                                                   const std::function<void(std::shared_ptr<PendingCall>)>& started) {
    auto call = std::make_shared<ah_call>();
    call->state = state_.get();
    call->instance = shared_from_this();
    call->request = std::move(request);
    call->done = std::move(done);
    call->self = call;
    auto handle = std::make_shared<CallHandle>(call);
    if (started) started(handle);

    const CallRequest& r = call->request;
    const ah_invoke_args args{sizeof(ah_invoke_args), r.attempt,      r.input_json.c_str(), r.input_json.size(),
                              r.run_id.c_str(),        r.step.c_str(), r.idempotency_key.c_str()};
    const ah_plugin_entry& entry = state_->plugin->entry();
    state_->in_flight.fetch_add(1);
    ah_status status;
    if ((entry.flags & AH_PLUGIN_CONCURRENT_INVOKE) != 0) {
        status = entry.invoke(state_->instance, call.get(), &args);
    } else {
        std::lock_guard lock(state_->invoke_mutex);
        status = entry.invoke(state_->instance, call.get(), &args);
    }

    // Outside the plugin now: deliver a result that arrived inside invoke, or
    // settle a call the plugin neither completed nor kept.
    if (status != AH_OK && status != AH_PENDING) {
        finish_call(call.get(), AH_ERR_INTERNAL, nullptr, 0,
                    ("invoke returned " + status_name(status) + " without completing the call").c_str(), false);
    }
    std::optional<CallResult> deferred;
    std::shared_ptr<ah_call> keep;
    bool completed;
    {
        std::lock_guard lock(call->mutex);
        call->inside_invoke = false;
        completed = call->completed;
        if (call->deferred) {
            deferred = std::move(call->deferred);
            keep = std::move(call->self);
        }
    }
    if (deferred) {
        deliver(std::move(keep), std::move(*deferred), false);
    } else if (!completed && status == AH_OK) {
        finish_call(call.get(), AH_ERR_INTERNAL, nullptr, 0, "invoke returned AH_OK without completing the call",
                    false);
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
const JsonSchema& AgentInstance::output_schema() const noexcept { return *state_->output_schema; }
const ServiceDirectory* AgentInstance::services() const noexcept { return state_->services; }
std::size_t AgentInstance::calls_in_flight() const noexcept { return state_->in_flight.load(); }

const AgentInstance* AgentInstance::from_host(const ah_host* host) noexcept {
    const State* state = state_of(host);
    return state != nullptr ? state->owner : nullptr;
}

const CallRequest* AgentInstance::request_of(const ah_call* call) noexcept {
    return call != nullptr ? &call->request : nullptr;
}

bool AgentInstance::on_cancel(const ah_call* call, std::function<void()> hook) {
    if (call == nullptr) return false;
    // The host owns every ah_call; plugins only ever see it as a handle.
    auto* mutable_call = const_cast<ah_call*>(call);
    {
        std::lock_guard lock(mutable_call->mutex);
        if (mutable_call->completed) return false;
        if (!mutable_call->cancel_requested.load()) {
            mutable_call->cancel_hooks.push_back(std::move(hook));
            return true;
        }
    }
    hook();  // already cancelled: stop the work at once
    return true;
}

}  // namespace agenthost
