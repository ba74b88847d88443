// engine_internal.hpp: the engine's moving parts, shared by engine.cpp (runs
// and step kinds) and agent_call.cpp (one agent call: attempts, timeouts,
// retries, fallbacks, error budgets).
#pragma once

#include <agenthost/host/approval.hpp>
#include <agenthost/host/call_context.hpp>
#include <agenthost/host/engine.hpp>
#include <agenthost/host/run_store.hpp>
#include <agenthost/host/scheduler.hpp>
#include <agenthost/host/tracer.hpp>

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/json/object.hpp>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace agenthost {

struct Run;

struct Engine::Impl {
    EngineOptions options;
    boost::asio::thread_pool pool;
    Scheduler scheduler;
    IdSource ids;
    std::mutex random_mutex;
    std::mt19937_64 random{std::random_device{}()};

    std::mutex runs_mutex;
    std::condition_variable runs_idle;
    std::size_t runs_in_flight = 0;
    std::set<std::string, std::less<>> resuming;  //!< ids of resumed runs in flight, guarded by runs_mutex

    explicit Impl(EngineOptions o);

    // Posts that have not returned yet. A post from another thread (the run
    // store's writer, the HTTP loop) may still be waking a worker after the
    // work it posted has run and the last run has ended: the engine waits for
    // it before the pool goes.
    std::atomic<std::size_t> posting{0};

    template <class F>
    void post(F&& work) {
        posting.fetch_add(1, std::memory_order_acq_rel);
        boost::asio::post(pool, std::forward<F>(work));
        posting.fetch_sub(1, std::memory_order_acq_rel);
    }
    double unit_random();
    //! A run of `workflow` starting now, counted in flight until it is delivered.
    std::shared_ptr<Run> new_run(std::shared_ptr<const Workflow> workflow, std::string id,
                                 std::function<void(RunResult)> done);
    void log(LogLevel level, std::string_view message, const LogTags& tags) const {
        if (options.logger != nullptr) options.logger->log(level, message, tags);
    }
    std::string span_id() { return options.tracer ? ids.span_id() : std::string(); }
    void emit(const Span& span) {
        if (options.tracer) options.tracer->emit(span);
    }
};

//! How one agent call (with its retries and fallbacks) ended.
struct CallOutcome {
    bool ok = false;
    boost::json::value output;
    std::string agent;   //!< the agent that produced the output, or the last one tried
    std::string plugin;
    uint32_t attempts = 0;
    bool fallback_used = false;
    std::string error_code = "agent_failed";  //!< when !ok
    std::string error;                        //!< when !ok: every agent's failure, in order
};

//! One logical call of an agent on behalf of a step: the agent, then its
//! fallbacks, each with its retries. Cancelled when the run ends early or a
//! first_success join no longer needs it.
struct AgentCall {
    std::shared_ptr<Run> run;
    std::size_t step;                 //!< the step making the call
    uint32_t step_number = 0;         //!< the step's place in the run (part of the idempotency key)
    std::string branch;               //!< parallel branch name, or ""
    //! What tells this call apart from the step's other calls in the
    //! idempotency key: the branch, or a review round and role ("r2/reviewer").
    std::string key_part;
    std::string span_parent;          //!< the step's span id
    std::vector<std::size_t> chain;   //!< the agent, then its fallbacks
    std::size_t position = 0;         //!< index into chain
    uint32_t attempt = 0;             //!< of the current agent
    boost::json::object input;
    std::string input_json;           //!< serialized once per agent tried
    std::function<void(CallOutcome)> done;
    CallOutcome outcome;

    std::mutex mutex;
    bool finished = false;
    bool cancelled = false;
    std::shared_ptr<PendingCall> pending;  //!< the attempt in flight
};

//! One attempt: what host services see of a call in flight (CallRequest::context).
struct Attempt final : CallContext {
    std::shared_ptr<AgentCall> call;
    std::size_t agent;
    uint32_t number;
    std::chrono::system_clock::time_point started;
    std::string span_id;
    std::shared_ptr<Scheduler::Ticket> timeout;
    std::atomic<bool> resolved{false};  //!< by its result or its timeout, whichever came first
    std::string owned_prefix;  //!< "/<key>" of the calling agent step, where ah.context/1 may write
    std::mutex writes_mutex;
    std::vector<std::pair<std::string, std::string>> writes;

    void add_usage(std::string_view model, uint64_t input_tokens, uint64_t output_tokens,
                   uint64_t cached_input_tokens) override;
    ah_status read_state(std::string_view pointer, std::string& json) override;
    ah_status write_state(std::string_view pointer, std::string_view json) override;
    std::string_view parent_span_id() const override { return span_id; }
    std::shared_ptr<ResponseCache> response_cache() const override;
};

struct Run : std::enable_shared_from_this<Run> {
    Engine::Impl* engine;
    std::shared_ptr<const Workflow> workflow;
    std::string id;
    std::string span_id;
    std::chrono::system_clock::time_point started_wall;
    std::chrono::steady_clock::time_point started;
    std::chrono::steady_clock::time_point deadline;
    std::function<void(RunResult)> done;

    std::mutex mutex;  // guards everything below
    boost::json::value state = boost::json::object();  //!< always an object
    std::vector<StepRecord> records;
    uint32_t steps_taken = 0;
    uint64_t tokens = 0;
    double cost_usd = 0.0;
    std::string budget_spent;  //!< "token_budget" / "cost_budget" once a usage report went over
    bool finished = false;
    std::vector<std::weak_ptr<AgentCall>> calls;  //!< to cancel when the run ends early
    // With a store (EngineOptions::store):
    bool stored = false;                    //!< the store holds the run: every step is appended to it
    std::vector<NewEvent> pending_events;   //!< for the final append (a failed step, the end step)
    uint64_t stored_tokens = 0;             //!< budgets spent as of the last append, for usage events
    double stored_cost_usd = 0.0;
    bool budget_waived = false;  //!< a person approved going on past a spent budget
    //! Why the run goes to an approval step next (a low confidence, a spent
    //! budget), and where it goes after approval: {"reason", "step", "then", ...}.
    std::optional<boost::json::object> escalation;
    //! Resumed with a decision: for the approval step the run resumes at.
    std::optional<ApprovalDecision> decision;

    const Workflow::Step& step(std::size_t i) const { return workflow->steps()[i]; }
    LogTags tags(std::string_view agent = {}, std::string_view step_name = {}) const {
        return LogTags{id, agent, step_name};
    }
};

// agent_call.cpp
//! Calls agent `agent` for `run`'s step with `input`, then its fallbacks;
//! `done` runs once with the outcome.
//! `key_part` tells the call apart from the step's other calls in the
//! idempotency key; "" for the branch name.
std::shared_ptr<AgentCall> call_agent(const std::shared_ptr<Run>& run, std::size_t step, std::size_t agent,
                                      boost::json::object input, std::string branch, std::string span_parent,
                                      std::function<void(CallOutcome)> done, std::string key_part = {});
//! Stops a call: its attempt in flight is cancelled and no retry or fallback starts.
void cancel_call(const std::shared_ptr<AgentCall>& call);

// engine.cpp
//! Sets `pointer` in `value` to `json`, creating objects on the way ("" replaces the whole value).
void set_at(boost::json::value& value, std::string_view pointer, boost::json::value json);
//! Ends the run with an error, unless it has already ended.
void fail_run(const std::shared_ptr<Run>& run, RunError error);

}  // namespace agenthost
