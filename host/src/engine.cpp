// engine.cpp: runs and their steps: the state machine that config describes.
#include "engine_internal.hpp"

#include <agenthost/host.hpp>
#include <agenthost/host/join.hpp>
#include <agenthost/host/secret_store.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <future>
#include <sstream>
#include <thread>

namespace agenthost {

namespace {

using SteadyClock = std::chrono::steady_clock;
using Micros = std::chrono::microseconds;

void run_step(const std::shared_ptr<Run>& run, std::size_t index);

std::size_t pool_size(std::size_t requested) {
    if (requested != 0) return requested;
    return std::max<std::size_t>(2, std::thread::hardware_concurrency());
}

const std::string& step_name(const Run& run, std::size_t index) { return run.step(index).config->name; }

Micros since(SteadyClock::time_point start) {
    return std::chrono::duration_cast<Micros>(SteadyClock::now() - start);
}

void redact_record(const SecretStore& secrets, StepRecord& record) {
    secrets.redact_in_place(record.error);
    secrets.redact_in_place(record.detail);
    for (StepRecord& branch : record.branches) redact_record(secrets, branch);
}

void redact_result(const SecretStore& secrets, RunResult& result) {
    if (!secrets.redacts()) return;
    secrets.redact_in_place(result.output);
    boost::json::value state = std::move(result.state);
    secrets.redact_in_place(state);
    result.state = std::move(state.as_object());
    if (result.error) secrets.redact_in_place(result.error->message);
    for (StepRecord& record : result.steps) redact_record(secrets, record);
    if (!result.approval.empty()) {
        boost::json::value approval = std::move(result.approval);
        secrets.redact_in_place(approval);
        result.approval = std::move(approval.as_object());
    }
}

// What a run that is over, or waiting, hands back: with the run's mutex held,
// and taking its records and state, which nothing reads again.
RunResult take_result(Run& run) {
    RunResult result;
    result.run_id = run.id;
    result.workflow = run.workflow->name();
    result.steps = std::move(run.records);
    result.state = std::move(run.state.as_object());
    result.duration = since(run.started);
    result.tokens = run.tokens;
    result.cost_usd = run.cost_usd;
    return result;
}

// Durable runs (EngineOptions::store) ------------------------------------

RunError store_error(std::string step, const Error& error) {
    return RunError{"store_failed", std::move(step), "",
                    "the run could not be recorded in the run store: " + error.to_string()};
}

// What the store keeps of a finished step: its record, and the output it wrote.
boost::json::object step_payload(const StepRecord& record, const boost::json::value* output, uint32_t step_number) {
    boost::json::object payload = record.to_json();
    payload.erase("latency_us");  // not part of what happened, and differs on every run
    payload["fallback_used"] = record.fallback_used;
    payload["step_number"] = step_number;  // what a resumed run counts on from
    if (output != nullptr) payload["output"] = *output;
    return payload;
}

// The state key a step writes its output to, if it has one.
const std::string* written_key(const Workflow::Step& step) {
    return std::visit(
        [](const auto& body) -> const std::string* {
            using T = std::decay_t<decltype(body)>;
            if constexpr (std::is_same_v<T, AgentStep> || std::is_same_v<T, ParallelStep> ||
                          std::is_same_v<T, ReviewStep> || std::is_same_v<T, ApprovalStep>)
                return &body.writes;
            else
                return nullptr;
        },
        step.config->body);
}

// A usage event for the budgets spent since the last append; with the run's mutex held.
void note_usage(Run& run, const std::string& step, std::vector<NewEvent>& events) {
    if (run.tokens == run.stored_tokens && run.cost_usd == run.stored_cost_usd) return;
    events.push_back({std::string(event_kind::usage), step,
                      boost::json::object{{"tokens", run.tokens - run.stored_tokens},
                                          {"cost_usd", run.cost_usd - run.stored_cost_usd},
                                          {"total_tokens", run.tokens},
                                          {"total_cost_usd", run.cost_usd}}});
    run.stored_tokens = run.tokens;
    run.stored_cost_usd = run.cost_usd;
}

// Plugins may return secrets: what the store keeps is redacted like the result.
void redact_update(const Engine::Impl& engine, RunUpdate& update) {
    const SecretStore* secrets = engine.options.secrets;
    if (secrets == nullptr || !secrets->redacts()) return;
    for (NewEvent& event : update.events) secrets->redact_in_place(event.payload);
    for (auto& [key, value] : update.state_set) secrets->redact_in_place(value);
    if (update.state) {
        boost::json::value state = std::move(*update.state);
        secrets->redact_in_place(state);
        update.state = std::move(state.as_object());
    }
}

// The end of finish_run, once the run is recorded (or needs not be).
void deliver(const std::shared_ptr<Run>& run, RunResult result) {
    Engine::Impl& engine = *run->engine;
    if (result.error) {
        engine.log(LogLevel::warning,
                   "run failed: " + result.error->code + " at step " + result.error->step +
                       (result.error->agent.empty() ? "" : " (agent " + result.error->agent + ")") + ": " +
                       result.error->message,
                   run->tags(result.error->agent, result.error->step));
    }
    if (!run->span_id.empty()) {
        Span span{run->id, run->span_id, "", "run " + result.workflow, "run", run->started_wall,
                  std::chrono::system_clock::now(), result.ok, {}};
        span.attributes["workflow"] = result.workflow;
        span.attributes["steps"] = result.steps.size();
        span.attributes["tokens"] = result.tokens;
        span.attributes["cost_usd"] = result.cost_usd;
        if (result.error) span.attributes["error"] = result.error->to_json();
        engine.emit(span);
    }
    auto done = std::move(run->done);
    try {
        done(std::move(result));
    } catch (...) {
        // The embedder's callback must not take the worker down.
    }
    std::lock_guard lock(engine.runs_mutex);
    if (--engine.runs_in_flight == 0) engine.runs_idle.notify_all();
}

// The run's last append: its final state, budgets, status and error, with a
// run_finished event. The result goes out once that is durable; when it
// cannot be, the run fails with store_failed.
void record_finish(const std::shared_ptr<Run>& run, std::vector<NewEvent> events, RunResult result) {
    RunUpdate update;
    update.run_id = run->id;
    update.events = std::move(events);
    boost::json::object finished{{"ok", result.ok}};
    if (result.ok) finished["output"] = result.output;
    if (result.error) finished["error"] = result.error->to_json();
    update.events.push_back({std::string(event_kind::run_finished), "", std::move(finished)});
    // The state is stored already: every step's append carried the key it changed.
    update.status = result.ok ? RunStatus::succeeded : RunStatus::failed;
    update.tokens = result.tokens;
    update.cost_usd = result.cost_usd;
    if (result.error) update.error = boost::json::value(result.error->to_json());
    redact_update(*run->engine, update);  // the result's own fields are redacted already
    run->engine->options.store->append_async(
        std::move(update), [run, result = std::move(result)](Result<uint64_t> appended) mutable {
            if (!appended) {
                if (!result.error || result.error->code != "store_failed") {
                    result.error = store_error(result.error ? result.error->step : std::string(), appended.error());
                }
                result.ok = false;
                result.output = nullptr;
            }
            // Possibly on the store's thread: the rest runs on the pool, and the
            // run is moved there, so that nothing of it is released on the store's thread.
            Engine::Impl& engine = *run->engine;
            engine.post([run = std::move(run), result = std::move(result)]() mutable { deliver(run, std::move(result)); });
        });
}

void finish_run(const std::shared_ptr<Run>& run, bool ok, boost::json::value output, std::optional<RunError> error) {
    RunResult result;
    std::vector<std::shared_ptr<AgentCall>> to_cancel;
    std::vector<NewEvent> events;
    {
        std::lock_guard lock(run->mutex);
        if (run->finished) return;
        run->finished = true;
        for (auto& weak : run->calls)
            if (auto call = weak.lock()) to_cancel.push_back(std::move(call));
        run->calls.clear();
        result = take_result(*run);
        result.ok = ok;
        result.output = std::move(output);
        result.error = std::move(error);
        if (run->stored) {
            events = std::move(run->pending_events);
            note_usage(*run, result.error ? result.error->step : std::string(), events);
        }
    }
    for (auto& call : to_cancel) cancel_call(call);  // e.g. parallel branches still running

    // The one place every result passes: errors quote plugins' failure
    // messages, and output and state hold whatever plugins returned.
    if (const SecretStore* secrets = run->engine->options.secrets) redact_result(*secrets, result);
    if (run->stored) return record_finish(run, std::move(events), std::move(result));
    deliver(run, std::move(result));
}

// Escalations -------------------------------------------------------------

// Whether `step`, just done, sends the run to a person instead of on: its
// output's confidence is below its escalate_below (or missing), or the run
// spent a budget that escalates. {"reason", "why", "step", ...}; "then" is
// added by the caller.
std::optional<boost::json::object> escalation_after(Run& run, const Workflow::Step& step) {
    const bool spends = std::holds_alternative<AgentStep>(step.config->body) ||
                        std::holds_alternative<ParallelStep>(step.config->body) ||
                        std::holds_alternative<ReviewStep>(step.config->body);
    if (!spends) return std::nullopt;
    std::lock_guard lock(run.mutex);
    if (run.workflow->budget_escalation() && !run.budget_spent.empty() && !run.budget_waived) {
        const bool tokens = run.budget_spent == "token_budget";
        const RunLimits& limits = run.workflow->config().limits;
        boost::json::object e{{"reason", run.budget_spent}, {"step", step.config->name}};
        if (tokens) {
            e["tokens"] = run.tokens;
            e["max_tokens"] = limits.max_tokens.value_or(0);
            e["why"] = "the run spent its token budget (" + std::to_string(run.tokens) + " of " +
                       std::to_string(limits.max_tokens.value_or(0)) + " tokens)";
        } else {
            e["cost_usd"] = run.cost_usd;
            e["max_cost_usd"] = limits.max_cost_usd.value_or(0.0);
            std::ostringstream why;
            why << "the run spent its cost budget ($" << run.cost_usd << " of $" << limits.max_cost_usd.value_or(0.0) << ")";
            e["why"] = why.str();
        }
        return e;
    }
    const auto* agent = std::get_if<AgentStep>(&step.config->body);
    if (agent == nullptr || !agent->escalate_below || !step.escalate_to) return std::nullopt;
    const boost::json::value* output = run.state.as_object().if_contains(agent->writes);
    boost::system::error_code ec;
    const boost::json::value* confidence = output ? output->find_pointer("/confidence", ec) : nullptr;
    const bool numeric = confidence != nullptr && confidence->is_number();
    const double value = numeric ? confidence->to_number<double>() : 0.0;
    if (numeric && value >= *agent->escalate_below) return std::nullopt;
    std::ostringstream why;
    if (numeric) why << "confidence " << value << " is below " << *agent->escalate_below;
    else why << "the output has no numeric confidence; the step escalates below " << *agent->escalate_below;
    boost::json::object e{{"reason", "low_confidence"}, {"step", step.config->name}, {"threshold", *agent->escalate_below},
                          {"why", why.str()}};
    e["confidence"] = numeric ? boost::json::value(value) : boost::json::value();
    return e;
}

// The approval step an escalation goes to.
std::optional<std::size_t> escalation_target(const Run& run, const Workflow::Step& step, const boost::json::object& e) {
    if (e.at("reason").as_string() == "low_confidence") return step.escalate_to;
    return run.workflow->budget_escalation();
}

void emit_step_span(const std::shared_ptr<Run>& run, const StepRecord& record,
                    std::chrono::system_clock::time_point started_wall, const std::string& span_id) {
    if (span_id.empty()) return;
    Span span{run->id, span_id, run->span_id, "step " + record.step, "step", started_wall,
              std::chrono::system_clock::now(), record.ok, {}};
    span.attributes["kind"] = record.kind;
    if (!record.agent.empty()) span.attributes["agent"] = record.agent;
    if (!record.plugin.empty()) span.attributes["plugin"] = record.plugin;
    span.attributes["attempts"] = record.attempts;
    span.attributes["fallback_used"] = record.fallback_used;
    if (!record.next.empty()) span.attributes["next"] = record.next;
    if (!record.error.empty()) span.attributes["error"] = record.error;
    run->engine->emit(span);
}

// A step that failed: its record and span are kept, then the run ends with `error`.
void step_failed(const std::shared_ptr<Run>& run, StepRecord record, std::chrono::system_clock::time_point started_wall,
                 const std::string& span_id, RunError error) {
    record.ok = false;
    if (record.error.empty()) record.error = error.message;
    emit_step_span(run, record, started_wall, span_id);
    {
        std::lock_guard lock(run->mutex);
        if (run->finished) return;
        if (run->stored)
            run->pending_events.push_back({"step_failed", record.step, step_payload(record, nullptr, run->steps_taken)});
        run->records.push_back(std::move(record));
    }
    fail_run(run, std::move(error));
}

// Records a finished step, emits its span, and moves on to `next` (or ends the run).
void step_done(const std::shared_ptr<Run>& run, std::size_t index, StepRecord record,
               std::chrono::system_clock::time_point started_wall, const std::string& span_id) {
    const Workflow::Step& step = run->step(index);
    std::optional<boost::json::object> escalation = escalation_after(*run, step);
    if (escalation) {
        escalation->emplace("then", record.next);
        record.next = run->step(*escalation_target(*run, step, *escalation)).config->name;
        record.detail = "escalated to " + record.next + ": " + std::string(escalation->at("why").as_string());
    }
    emit_step_span(run, record, started_wall, span_id);
    const bool routed = step.router || escalation || std::holds_alternative<ApprovalStep>(step.config->body);
    std::optional<std::size_t> next = routed ? run->workflow->step_index(record.next) : step.next;
    if (!next) {
        return fail_run(run, RunError{"no_route", record.step, "", "no step named " + record.next});
    }
    {
        std::lock_guard lock(run->mutex);
        run->escalation = escalation;  // the approval step that runs next reads it; any other step clears it
    }
    if (!run->stored) {
        {
            std::lock_guard lock(run->mutex);
            if (run->finished) return;
            run->records.push_back(std::move(record));
        }
        return run_step(run, *next);
    }
    // Durable: the step's events and the state it left commit together, and
    // the next step starts only once they have.
    RunUpdate update;
    update.run_id = run->id;
    {
        std::lock_guard lock(run->mutex);
        if (run->finished) return;
        update.events = std::move(run->pending_events);  // step_started and the step's attempts
        run->pending_events.clear();
        const boost::json::value* output = nullptr;
        const std::string* key = written_key(step);
        if (key != nullptr) output = run->state.as_object().if_contains(*key);
        if (record.fallback_used) {
            update.events.push_back({std::string(event_kind::fallback), record.step,
                                     boost::json::object{{"agent", record.agent}, {"plugin", record.plugin}}});
        }
        note_usage(*run, record.step, update.events);
        boost::json::object payload = step_payload(record, output, run->steps_taken);
        if (escalation) payload["escalation"] = *escalation;
        if (run->budget_waived && std::holds_alternative<ApprovalStep>(step.config->body)) payload["budget_waived"] = true;
        update.events.push_back({std::string(event_kind::output), record.step, std::move(payload)});
        if (output != nullptr) update.state_set.emplace_back(*key, *output);  // the one key a step changes
        update.tokens = run->tokens;
        update.cost_usd = run->cost_usd;
        run->records.push_back(std::move(record));
    }
    redact_update(*run->engine, update);
    RunStore& store = *run->engine->options.store;
    const bool inline_store = store.answers_inline();
    store.append_async(
        std::move(update), [run, index, next = *next, inline_store](Result<uint64_t> appended) mutable {
            // On the store's own thread, the run goes on on the pool (moved there,
            // so that nothing of it is released on the store's thread); a store
            // that answers on this thread lets it go on here, as without a store.
            Engine::Impl& engine = *run->engine;
            if (appended && inline_store) return run_step(run, next);
            if (appended) return engine.post([run = std::move(run), next] { run_step(run, next); });
            RunError error = store_error(step_name(*run, index), appended.error());
            engine.post([run = std::move(run), error = std::move(error)]() mutable { fail_run(run, std::move(error)); });
        });
}

// The input an agent receives: {field: state[pointer]} for each of the step's
// reads (the first of a read's pointers that names a value). When none does,
// the run fails and nullopt comes back.
std::optional<boost::json::object> build_input(const std::shared_ptr<Run>& run, std::size_t index,
                                               const std::vector<InputBinding>& reads) {
    boost::json::object input;
    std::string missing;
    {
        std::lock_guard lock(run->mutex);
        for (const InputBinding& read : reads) {
            boost::system::error_code ec;
            const boost::json::value* v = run->state.find_pointer(read.pointer, ec);
            for (std::size_t i = 0; v == nullptr && i < read.otherwise.size(); ++i)
                v = run->state.find_pointer(read.otherwise[i], ec);
            if (v == nullptr) {
                missing = read.pointer;
                for (const std::string& other : read.otherwise) missing += " (or " + other + ")";
                break;
            }
            input[read.field] = *v;
        }
    }
    if (missing.empty()) return input;
    fail_run(run, RunError{"missing_state", step_name(*run, index), "",
                           "the step reads " + missing + ", but the run's state has nothing there"});
    return std::nullopt;
}

StepRecord record_of(const Run& run, std::size_t index, std::string_view kind) {
    StepRecord r;
    r.step = step_name(run, index);
    r.kind = kind;
    return r;
}

void fill(StepRecord& r, const CallOutcome& o) {
    r.agent = o.agent;
    r.plugin = o.plugin;
    r.attempts += o.attempts;
    r.fallback_used = r.fallback_used || o.fallback_used;
    r.ok = o.ok;
    if (!o.ok) r.error = o.error;
}

// Writes an agent's output (and its ah.context/1 writes) to the key the step owns.
void write_output(const std::shared_ptr<Run>& run, const std::string& key, CallOutcome& outcome) {
    std::lock_guard lock(run->mutex);
    run->state.as_object()[key] = std::move(outcome.output);  // ah.context/1 writes are already merged into it
}

struct StepContext {
    std::size_t index;
    SteadyClock::time_point started{};
    std::chrono::system_clock::time_point started_wall{};  //!< only read with a tracer
    std::string span_id;
};

void run_agent_step(const std::shared_ptr<Run>& run, const AgentStep& step, StepContext ctx) {
    auto input = build_input(run, ctx.index, step.reads);
    if (!input) return;
    const std::size_t agent = *run->step(ctx.index).agent;
    call_agent(run, ctx.index, agent, std::move(*input), "", ctx.span_id, [run, &step, ctx](CallOutcome outcome) {
        StepRecord record = record_of(*run, ctx.index, "agent");
        fill(record, outcome);
        record.latency = since(ctx.started);
        if (!outcome.ok) {
            RunError error{outcome.error_code, record.step, step.agent, outcome.error};
            return step_failed(run, std::move(record), ctx.started_wall, ctx.span_id, std::move(error));
        }
        write_output(run, step.writes, outcome);
        record.next = step.next;
        step_done(run, ctx.index, std::move(record), ctx.started_wall, ctx.span_id);
    });
}

void run_switch_step(const std::shared_ptr<Run>& run, const Workflow::Step& step, const SwitchStep& s,
                     StepContext ctx) {
    std::string next;
    {
        std::lock_guard lock(run->mutex);
        boost::system::error_code ec;
        next = step.router->route(run->state.find_pointer(s.on, ec));
    }
    StepRecord record = record_of(*run, ctx.index, "switch");
    record.next = next;
    record.detail = next == s.default_next ? "default" : "matched a case";
    record.latency = since(ctx.started);
    step_done(run, ctx.index, std::move(record), ctx.started_wall, ctx.span_id);
}

// Collects the branches of one parallel step.
struct Join {
    std::mutex mutex;
    std::vector<BranchOutcome> outcomes;
    std::vector<StepRecord> records;
    std::vector<std::shared_ptr<AgentCall>> calls;
    std::size_t remaining;
    bool resolved = false;
};

void run_parallel_step(const std::shared_ptr<Run>& run, const ParallelStep& step, StepContext ctx) {
    auto join = std::make_shared<Join>();
    join->outcomes.resize(step.branches.size());
    join->records.resize(step.branches.size());
    join->calls.resize(step.branches.size());
    join->remaining = step.branches.size();

    auto resolve = [run, &step, ctx, join](std::optional<std::size_t> winner) {
        std::vector<std::shared_ptr<AgentCall>> losers;
        StepRecord record = record_of(*run, ctx.index, "parallel");
        JoinResult joined;
        {
            std::lock_guard lock(join->mutex);
            if (join->resolved) return;
            join->resolved = true;
            if (winner) {
                joined = {join->outcomes[*winner].output, step.branches[*winner].name, ""};
                for (std::size_t i = 0; i < join->calls.size(); ++i)
                    if (i != *winner && join->calls[i]) losers.push_back(join->calls[i]);
            } else {
                joined = join_outcomes(step, join->outcomes);
            }
            record.branches = join->records;
        }
        for (auto& loser : losers) cancel_call(loser);  // first_success needs nothing more from them
        for (const StepRecord& b : record.branches) record.attempts += b.attempts;
        record.latency = since(ctx.started);
        if (!joined.chosen.empty()) record.detail = "chosen branch " + joined.chosen;
        if (!joined.output) {
            record.ok = false;
            record.error = joined.error;
            RunError error{"join_failed", record.step, "", joined.error};
            return step_failed(run, std::move(record), ctx.started_wall, ctx.span_id, std::move(error));
        }
        {
            std::lock_guard lock(run->mutex);
            run->state.as_object()[step.writes] = std::move(*joined.output);
        }
        record.next = step.next;
        step_done(run, ctx.index, std::move(record), ctx.started_wall, ctx.span_id);
    };

    for (std::size_t i = 0; i < step.branches.size(); ++i) {
        const ParallelBranch& branch = step.branches[i];
        auto input = build_input(run, ctx.index, branch.reads);
        if (!input) return;
        const std::size_t agent = *run->workflow->agent_index(branch.agent);
        // Each branch starts on its own pool thread, so that synchronous agents overlap.
        run->engine->post([run, &step, ctx, join, resolve, i, agent, input = std::move(*input), &branch]() mutable {
            auto call = call_agent(run, ctx.index, agent, std::move(input), branch.name, ctx.span_id,
                                   [run, &step, ctx, join, resolve, i, &branch](CallOutcome outcome) {
                std::optional<std::size_t> winner;
                bool last;
                {
                    std::lock_guard lock(join->mutex);
                    StepRecord& r = join->records[i];
                    r.step = branch.name;
                    r.kind = "branch";
                    fill(r, outcome);
                    r.latency = since(ctx.started);
                    if (outcome.ok) join->outcomes[i].output = std::move(outcome.output);
                    else join->outcomes[i].error = outcome.error;
                    if (outcome.ok && step.join == JoinPolicy::first_success) winner = i;
                    last = --join->remaining == 0;
                }
                if (winner || last) resolve(winner);
            });
            bool resolved;
            {
                std::lock_guard lock(join->mutex);
                resolved = join->resolved;
                join->calls[i] = call;
            }
            if (resolved) cancel_call(call);  // the join no longer needs this branch
        });
    }
}

// One review round: the worker drafts, the reviewer judges. Each call has an
// idempotency key of its own (<run>/<step>/<n>/r<round>/worker|reviewer): a
// provider that honours the key must not answer round 2 with round 1's draft.
void review_round(const std::shared_ptr<Run>& run, const ReviewStep& step, StepContext ctx, uint32_t round,
                  std::shared_ptr<StepRecord> record, std::optional<boost::json::value> feedback) {
    auto input = build_input(run, ctx.index, step.reads);
    if (!input) return;
    if (feedback) (*input)[step.feedback_field] = std::move(*feedback);
    const std::size_t worker = *run->workflow->agent_index(step.worker);
    record->rounds = round;
    call_agent(run, ctx.index, worker, std::move(*input), "", ctx.span_id,
               [run, &step, ctx, round, record](CallOutcome drafted) {
        fill(*record, drafted);
        if (!drafted.ok) {
            return step_failed(run, *record, ctx.started_wall, ctx.span_id,
                               RunError{drafted.error_code, record->step, step.worker, drafted.error});
        }
        auto review_input = build_input(run, ctx.index, step.reviewer_reads);
        if (!review_input) return;
        (*review_input)[step.draft_field] = drafted.output;
        const std::size_t reviewer = *run->workflow->agent_index(step.reviewer);
        call_agent(run, ctx.index, reviewer, std::move(*review_input), "", ctx.span_id,
                   [run, &step, ctx, round, record, drafted = std::move(drafted)](CallOutcome verdict) mutable {
            const std::string worker_agent = record->agent, worker_plugin = record->plugin;
            fill(*record, verdict);
            record->agent = worker_agent;  // the step's output is the worker's draft
            record->plugin = worker_plugin;
            if (!verdict.ok) {
                return step_failed(run, *record, ctx.started_wall, ctx.span_id,
                                   RunError{verdict.error_code, record->step, step.reviewer, verdict.error});
            }
            boost::system::error_code ec;
            const boost::json::value* approved = verdict.output.find_pointer(step.approved, ec);
            const bool yes = approved != nullptr && approved->is_bool() && approved->get_bool();
            if (!yes && round < step.max_rounds) {
                return review_round(run, step, ctx, round + 1, record, std::move(verdict.output));
            }
            record->latency = since(ctx.started);
            record->detail = yes ? "approved in round " + std::to_string(round)
                                 : "not approved after " + std::to_string(round) + " rounds";
            if (!yes && !step.accept_last) {
                record->ok = false;
                return step_failed(run, *record, ctx.started_wall, ctx.span_id,
                                   RunError{"review_rejected", record->step, step.reviewer,
                                              "the reviewer did not approve within " +
                                                  std::to_string(step.max_rounds) + " rounds: " +
                                                  boost::json::serialize(verdict.output)});
            }
            write_output(run, step.writes, drafted);
            record->next = step.next;
            step_done(run, ctx.index, std::move(*record), ctx.started_wall, ctx.span_id);
        }, "r" + std::to_string(round) + "/reviewer");
    }, "r" + std::to_string(round) + "/worker");
}

void run_end_step(const std::shared_ptr<Run>& run, const EndStep& step, StepContext ctx) {
    boost::json::value output;
    bool found;
    {
        std::lock_guard lock(run->mutex);
        boost::system::error_code ec;
        const boost::json::value* v = run->state.find_pointer(step.result, ec);
        found = v != nullptr;
        if (found) output = *v;
    }
    StepRecord record = record_of(*run, ctx.index, "end");
    record.latency = since(ctx.started);
    if (!found) {
        return fail_run(run, RunError{"missing_state", record.step, "",
                                      "the result " + step.result + " is not in the run's state"});
    }
    {
        std::lock_guard lock(run->mutex);
        if (run->stored) {
            run->pending_events.push_back(
                {std::string(event_kind::output), record.step, step_payload(record, &output, run->steps_taken)});
        }
        run->records.push_back(record);
    }
    if (!ctx.span_id.empty()) {
        run->engine->emit(Span{run->id, ctx.span_id, run->span_id, "step " + record.step, "step", ctx.started_wall,
                               std::chrono::system_clock::now(), true, {{"kind", "end"}}});
    }
    finish_run(run, true, std::move(output), std::nullopt);
}

// A run that reached an approval step without a decision: stored as waiting,
// with what the step asks, and handed back to its caller as waiting. It goes
// on when it is resumed with a decision (Engine::resume).
void park_run(const std::shared_ptr<Run>& run, const ApprovalStep& step, StepContext ctx) {
    RunUpdate update;
    update.run_id = run->id;
    boost::json::object asked;
    {
        std::lock_guard lock(run->mutex);
        if (run->finished) return;
        asked = waiting_payload(step, step_name(*run, ctx.index), run->state.as_object(), run->steps_taken,
                                run->escalation, StoreClock::now());
        update.events = std::move(run->pending_events);
        run->pending_events.clear();
        note_usage(*run, step_name(*run, ctx.index), update.events);
        update.events.push_back({"waiting", step_name(*run, ctx.index), asked});
        update.tokens = run->tokens;
        update.cost_usd = run->cost_usd;
    }
    update.status = RunStatus::waiting;
    redact_update(*run->engine, update);
    run->engine->options.store->append_async(std::move(update), [run, &step, ctx, asked = std::move(asked)](Result<uint64_t> appended) mutable {
        Engine::Impl& engine = *run->engine;
        engine.post([&engine, &step, run = std::move(run), ctx, asked = std::move(asked), appended = std::move(appended)]() mutable {
            if (!appended) return fail_run(run, store_error(step_name(*run, ctx.index), appended.error()));
            RunResult result;
            {
                std::lock_guard lock(run->mutex);
                if (run->finished) return;
                run->finished = true;
                result = take_result(*run);
            }
            result.waiting = true;
            result.approval = std::move(asked);
            if (const SecretStore* secrets = engine.options.secrets) redact_result(*secrets, result);
            if (!ctx.span_id.empty()) {
                engine.emit(Span{run->id, ctx.span_id, run->span_id, "step " + step_name(*run, ctx.index), "step",
                                 ctx.started_wall, std::chrono::system_clock::now(), true,
                                 {{"kind", "approval"}, {"waiting", true}}});
            }
            engine.log(LogLevel::info, "run waits for a decision at approval step " + step_name(*run, ctx.index),
                       run->tags({}, step_name(*run, ctx.index)));
            if (step.timeout && engine.options.on_approval_due) {
                engine.scheduler.after(*step.timeout, [hook = engine.options.on_approval_due, id = run->id] { hook(id); });
            }
            deliver(run, std::move(result));
        });
    });
}

// An approval step: the run waits, or, resumed with a decision, the decision
// goes into state and the run goes on where the decision says.
void run_approval_step(const std::shared_ptr<Run>& run, const Workflow::Step& step, const ApprovalStep& body,
                       StepContext ctx) {
    std::optional<ApprovalDecision> decision;
    std::optional<boost::json::object> escalation;
    {
        std::lock_guard lock(run->mutex);
        decision = std::move(run->decision);
        run->decision.reset();
        escalation = run->escalation;
    }
    if (!decision) {
        if (!run->stored) {
            return fail_run(run, RunError{"no_store", step.config->name, "",
                                          "an approval step waits in a run store, and this run is not recorded in one"});
        }
        return park_run(run, body, ctx);
    }
    StepRecord record = record_of(*run, ctx.index, "approval");
    Result<boost::json::object> written = Error{};
    {
        std::lock_guard lock(run->mutex);
        written = apply_decision(body, step.edit_schema.get(), run->state.as_object(), *decision, StoreClock::now());
    }
    if (!written) {
        // Checked when the decision was taken in; only a changed schema or state gets here.
        record.ok = false;
        return step_failed(run, std::move(record), ctx.started_wall, ctx.span_id,
                           RunError{"invalid_decision", record.step, "", written.error().to_string()});
    }
    if (escalation) written->emplace("escalation", *escalation);
    const Decision d = decision->decision;
    record.detail = std::string(to_string(d)) + (decision->timed_out ? " (the timeout's default)" : "") +
                    (decision->note.empty() ? "" : ": " + decision->note);
    {
        std::lock_guard lock(run->mutex);
        run->state.as_object()[body.writes] = std::move(written).value();
        if (escalation && d != Decision::reject && escalation->at("reason").as_string() != "low_confidence")
            run->budget_waived = true;  // a person said the run may go on past its budget
    }
    if (d == Decision::reject) {
        if (body.on_reject.empty()) {
            record.ok = false;
            return step_failed(run, std::move(record), ctx.started_wall, ctx.span_id,
                               RunError{"rejected", record.step, "",
                                        "rejected at approval step " + record.step +
                                            (decision->note.empty() ? "" : ": " + decision->note)});
        }
        record.next = body.on_reject;
    } else {
        record.next = escalation ? std::string(escalation->at("then").as_string()) : body.next;
    }
    record.latency = since(ctx.started);
    step_done(run, ctx.index, std::move(record), ctx.started_wall, ctx.span_id);
}

void run_step(const std::shared_ptr<Run>& run, std::size_t index) {
    const Workflow::Step& step = run->step(index);
    const RunLimits& limits = run->workflow->config().limits;
    {
        std::lock_guard lock(run->mutex);
        if (run->finished) return;
        ++run->steps_taken;
        if (run->stored) {
            // Stored with the step's end, in the same commit: when it started, and its attempts.
            const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                    std::chrono::system_clock::now().time_since_epoch()).count();
            run->pending_events.push_back({std::string(event_kind::step_started), step.config->name,
                                           boost::json::object{{"step_number", run->steps_taken}, {"started_ms", now_ms}}});
        }
    }
    if (run->steps_taken > limits.max_steps) {
        return fail_run(run, RunError{"step_limit", step.config->name, "",
                                      "the run took " + std::to_string(limits.max_steps) +
                                          " steps (limits.max_steps) without reaching an end; a hand-off loop?"});
    }
    if (SteadyClock::now() >= run->deadline) {
        return fail_run(run, RunError{"deadline", step.config->name, "",
                                      "the run's deadline of " + std::to_string(limits.deadline.count()) +
                                          " ms passed before this step"});
    }
    StepContext ctx{index, SteadyClock::now(), {}, run->engine->span_id()};
    if (!ctx.span_id.empty()) ctx.started_wall = std::chrono::system_clock::now();
    std::visit(
        [&](const auto& body) {
            using T = std::decay_t<decltype(body)>;
            if constexpr (std::is_same_v<T, AgentStep>) run_agent_step(run, body, ctx);
            else if constexpr (std::is_same_v<T, SwitchStep>) run_switch_step(run, step, body, ctx);
            else if constexpr (std::is_same_v<T, ParallelStep>) run_parallel_step(run, body, ctx);
            else if constexpr (std::is_same_v<T, ReviewStep>)
                review_round(run, body, ctx, 1, std::make_shared<StepRecord>(record_of(*run, index, "review")),
                             std::nullopt);
            else if constexpr (std::is_same_v<T, EndStep>) run_end_step(run, body, ctx);
            else if constexpr (std::is_same_v<T, ApprovalStep>) run_approval_step(run, step, body, ctx);
        },
        step.config->body);
}

}  // namespace

// Sets `pointer` in `state`, creating objects on the way.
void set_at(boost::json::value& state, std::string_view pointer, boost::json::value value) {
    boost::json::value* at = &state;
    std::size_t pos = 1;
    while (pos <= pointer.size()) {
        std::size_t slash = pointer.find('/', pos);
        if (slash == std::string_view::npos) slash = pointer.size();
        std::string key(pointer.substr(pos, slash - pos));
        for (std::size_t i = 0; (i = key.find('~', i)) != std::string::npos; ++i)
            key.replace(i, 2, key.compare(i, 2, "~1") == 0 ? "/" : "~");
        if (!at->is_object()) *at = boost::json::object();
        at = &at->as_object()[key];
        pos = slash + 1;
    }
    *at = std::move(value);
}

void fail_run(const std::shared_ptr<Run>& run, RunError error) {
    finish_run(run, false, nullptr, std::move(error));
}

Engine::Impl::Impl(EngineOptions o) : options(o), pool(pool_size(o.worker_threads)) {}

std::shared_ptr<Run> Engine::Impl::new_run(std::shared_ptr<const Workflow> workflow, std::string id,
                                           std::function<void(RunResult)> done) {
    auto run = std::make_shared<Run>();
    run->engine = this;
    run->id = std::move(id);
    run->span_id = span_id();
    run->started_wall = std::chrono::system_clock::now();
    run->started = SteadyClock::now();
    run->deadline = run->started + workflow->config().limits.deadline;
    run->done = std::move(done);
    run->workflow = std::move(workflow);
    std::lock_guard lock(runs_mutex);
    ++runs_in_flight;
    return run;
}

double Engine::Impl::unit_random() {
    std::lock_guard lock(random_mutex);
    return std::uniform_real_distribution<double>(0.0, 1.0)(random);
}

Engine::Engine(EngineOptions options) : impl_(std::make_unique<Impl>(options)) {}

Engine::~Engine() {
    drain();
    // A post whose work already ran may still be signalling the pool: a few instructions.
    while (impl_->posting.load(std::memory_order_acquire) != 0) std::this_thread::yield();
    impl_->pool.join();
}

void Engine::drain() {
    std::unique_lock lock(impl_->runs_mutex);
    impl_->runs_idle.wait(lock, [&] { return impl_->runs_in_flight == 0; });
}

void Engine::post(std::function<void()> work) { impl_->post(std::move(work)); }

std::string Engine::start(std::shared_ptr<const Workflow> workflow, boost::json::value input,
                          std::function<void(RunResult)> done, std::string run_id) {
    auto run = impl_->new_run(std::move(workflow), run_id.empty() ? impl_->ids.trace_id() : std::move(run_id),
                              std::move(done));
    run->state.as_object()["input"] = std::move(input);
    const std::string id = run->id;
    if (RunStore* store = impl_->options.store) {
        // Recorded before its first step, with what it will run with.
        NewRun record;
        record.id = run->id;
        record.workflow = run->workflow->name();
        record.config_sha256 = run->workflow->config().sha256;
        record.config_file = run->workflow->config().file.string();
        record.config_text = run->workflow->config().text;
        record.plugins = run->workflow->plugin_pins();
        record.input = run->state.as_object()["input"];
        record.state = run->state.as_object();
        record.created = run->started_wall;
        run->stored = true;
        // The first step starts once the run is stored (with the creates of other runs, in one commit).
        store->create_run_async(std::move(record), [run](Result<std::monostate> created) mutable {
            Engine::Impl& engine = *run->engine;
            if (created) return engine.post([run = std::move(run)] { run_step(run, run->workflow->start()); });
            engine.post([run = std::move(run), error = created.error()]() mutable {
                {
                    std::lock_guard lock(run->mutex);
                    run->stored = false;  // nothing of it is in the store to finish
                }
                fail_run(run, store_error(step_name(*run, run->workflow->start()), error));
            });
        });
        return id;
    }
    impl_->post([run] { run_step(run, run->workflow->start()); });
    return id;
}

namespace {

// Where a stored run stands, read from its event log.
struct ResumePoint {
    std::size_t next = 0;       //!< the step to run
    uint32_t steps_taken = 0;   //!< steps done before it
    std::vector<StepRecord> records;
    std::optional<boost::json::object> escalation;
    bool budget_waived = false;
    std::optional<boost::json::object> waiting;  //!< the open question, when the run waits
    std::optional<ApprovalDecision> decision;    //!< given after it
};

uint32_t step_number_of(const boost::json::object& payload) {
    const boost::json::value* n = payload.if_contains("step_number");
    if (n == nullptr || !n->is_number()) return 0;
    return n->to_number<uint32_t>();
}

Result<ResumePoint> replay(const Workflow& workflow, const StoredRun& stored) {
    ResumePoint at;
    at.next = workflow.start();
    const auto where = [&](const RunEvent& e) { return "run " + stored.run.id + " event " + std::to_string(e.seq); };
    for (const RunEvent& event : stored.events) {
        const boost::json::object* payload = event.payload.if_object();
        if (payload == nullptr) continue;
        if (event.kind == event_kind::output) {
            at.records.push_back(StepRecord::from_json(*payload));
            at.steps_taken = step_number_of(*payload);
            at.waiting.reset();
            at.decision.reset();
            at.escalation.reset();
            if (const auto* e = payload->if_contains("escalation"); e && e->is_object()) at.escalation = e->get_object();
            if (const auto* w = payload->if_contains("budget_waived"); w && w->is_bool() && w->get_bool()) at.budget_waived = true;
            const std::string& next = at.records.back().next;
            if (next.empty()) continue;  // the end step: run_finished follows
            auto index = workflow.step_index(next);
            if (!index)
                return Error{where(event), "the run was going on to step \"" + next + "\", which its workflow lacks",
                             "resume it under the config it started with", {}};
            at.next = *index;
        } else if (event.kind == "waiting") {
            auto index = workflow.step_index(event.step);
            if (!index) return Error{where(event), "the run waits at step \"" + event.step + "\", which its workflow lacks", {}, {}};
            at.next = *index;
            at.steps_taken = step_number_of(*payload) > 0 ? step_number_of(*payload) - 1 : 0;
            at.waiting = *payload;
            at.decision.reset();
            at.escalation.reset();  // what the question was escalated for, if it was
            if (const auto* e = payload->if_contains("escalation"); e && e->is_object()) at.escalation = e->get_object();
        } else if (event.kind == event_kind::decision && at.waiting && !at.decision) {
            auto decision = ApprovalDecision::from_json(event.payload);
            if (!decision) return Error{where(event), decision.error().message, {}, {}};
            at.decision = std::move(decision).value();
        }
    }
    return at;
}

}  // namespace

Result<std::monostate> Engine::resume(std::shared_ptr<const Workflow> workflow, const StoredRun& stored,
                                      std::function<void(RunResult)> done) {
    RunStore* store = impl_->options.store;
    const std::string& id = stored.run.id;
    if (store == nullptr) return Error{"run " + id, "this engine has no run store to resume from", {}, {}};
    if (is_finished(stored.run.status))
        return Error{"run " + id, "the run has finished (" + std::string(to_string(stored.run.status)) + ")", {}, {}};
    if (stored.run.workflow != workflow->name())
        return Error{"run " + id, "the run is of workflow \"" + stored.run.workflow + "\", not \"" + workflow->name() + "\"", {}, {}};
    for (const Workflow::Agent& agent : workflow->agents()) {
        const boost::json::value* pinned = stored.run.plugins.if_contains(agent.config->name);
        const std::string have = agent.instance ? agent.instance->plugin().id() : std::string();
        if (pinned != nullptr && pinned->is_string() && pinned->get_string() != have)
            return Error{"run " + id,
                         "agent " + agent.config->name + " started on " + std::string(pinned->get_string()) +
                             ", and this workflow has " + have,
                         "install " + std::string(pinned->get_string()) + " where the host finds plugins", {}};
    }
    if (stored.run.status == RunStatus::running && store->held_elsewhere(stored.run))
        return Error{"run " + id, "the run is in flight in another host that has this store open",
                     "it goes on there; resume it only if that host stops without finishing it", {}};
    auto point = replay(*workflow, stored);
    if (!point) return point.error();
    bool timed_out = false;
    if (point->waiting && !point->decision) {
        const auto timeout = timeout_at(*point->waiting);
        if (!timeout || StoreClock::now() < *timeout) {
            const boost::json::value* step = point->waiting->if_contains("step");
            return Error{"run " + id,
                         "the run waits for a decision at approval step " +
                             (step && step->is_string() ? std::string(step->get_string()) : std::string("?")) +
                             (timeout ? ", until " + iso_utc(*timeout) : std::string()),
                         "decide with 'agenthost approve " + id + " --decision approve|reject|edit'", {}};
        }
        const auto* d = point->waiting->if_contains("default");
        ApprovalDecision fallback;
        fallback.decision = d && d->is_string() ? parse_decision(d->get_string()).value_or(Decision::reject) : Decision::reject;
        fallback.note = "no decision before the timeout";
        fallback.by = "timeout";
        fallback.timed_out = true;
        point->decision = std::move(fallback);
        timed_out = true;
    }
    {
        std::lock_guard lock(impl_->runs_mutex);
        if (!impl_->resuming.insert(id).second)
            return Error{"run " + id, "the run is already in flight in this host", {}, {}};
    }
    const auto release = [&] {
        std::lock_guard lock(impl_->runs_mutex);
        impl_->resuming.erase(id);
    };
    // Taken up by this engine, unless someone else took it (or decided) since it was read.
    RunUpdate claim;
    claim.run_id = id;
    // The timeout's decision is logged like a person's, so that it is on record and taken again after a crash.
    if (timed_out)
        claim.events.push_back({std::string(event_kind::decision), workflow->steps()[point->next].config->name,
                                point->decision->to_json()});
    claim.events.push_back({"resumed", "", boost::json::object{{"at_step", workflow->steps()[point->next].config->name},
                                                                {"step_number", point->steps_taken + 1}}});
    claim.status = RunStatus::running;
    claim.expect_last_seq = stored.run.last_seq;
    claim.take_ownership = true;
    if (auto claimed = store->append(std::move(claim)); !claimed) {
        release();
        return claimed.error();
    }

    // Waiting and crashes do not count against its deadline: it starts again.
    auto run = impl_->new_run(std::move(workflow), id, [engine = impl_.get(), id, done = std::move(done)](RunResult result) {
        {
            std::lock_guard lock(engine->runs_mutex);
            engine->resuming.erase(id);
        }
        done(std::move(result));
    });
    run->state = stored.state;
    run->records = std::move(point->records);
    run->steps_taken = point->steps_taken;
    run->tokens = run->stored_tokens = stored.run.tokens;
    run->cost_usd = run->stored_cost_usd = stored.run.cost_usd;
    run->budget_waived = point->budget_waived;
    run->escalation = point->escalation;
    run->decision = std::move(point->decision);
    run->stored = true;
    impl_->log(LogLevel::info, "run resumed at step " + step_name(*run, point->next) + " (step " +
                                   std::to_string(point->steps_taken + 1) + " of the run)",
               run->tags({}, step_name(*run, point->next)));
    impl_->post([run, next = point->next] { run_step(run, next); });
    return std::monostate{};
}

RunResult stored_result(const StoredRun& stored) {
    RunResult result;
    result.run_id = stored.run.id;
    result.workflow = stored.run.workflow;
    result.tokens = stored.run.tokens;
    result.cost_usd = stored.run.cost_usd;
    result.state = stored.state;
    for (const RunEvent& event : stored.events) {
        const boost::json::object* payload = event.payload.if_object();
        if (payload == nullptr) continue;
        if (event.kind == event_kind::output || event.kind == "step_failed") {
            result.steps.push_back(StepRecord::from_json(*payload));
        } else if (event.kind == event_kind::run_finished) {
            const boost::json::value* ok = payload->if_contains("ok");
            result.ok = ok != nullptr && ok->is_bool() && ok->get_bool();
            if (const boost::json::value* out = payload->if_contains("output")) result.output = *out;
        }
    }
    if (!result.ok) {
        const boost::json::object* e = stored.run.error.if_object();
        const auto text = [&](std::string_view key) {
            const boost::json::value* v = e ? e->if_contains(key) : nullptr;
            return v && v->is_string() ? std::string(v->get_string()) : std::string();
        };
        result.error = RunError{text("code").empty() ? std::string(to_string(stored.run.status)) : text("code"),
                                text("step"), text("agent"), text("message")};
    }
    return result;
}

RunResult Engine::run(std::shared_ptr<const Workflow> workflow, boost::json::value input) {
    std::promise<RunResult> promise;
    auto future = promise.get_future();
    start(std::move(workflow), std::move(input), [&promise](RunResult r) { promise.set_value(std::move(r)); });
    return future.get();
}

std::size_t Engine::active_runs() const noexcept {
    std::lock_guard lock(impl_->runs_mutex);
    return impl_->runs_in_flight;
}

}  // namespace agenthost
