// agent_call.cpp: one agent call on behalf of a step: input and output
// validation, timeouts, retries with backoff, the fallback chain and the
// agents' error budgets.
#include "engine_internal.hpp"

#include <agenthost/host/backoff.hpp>
#include <agenthost/registry/json_schema.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace agenthost {

namespace {

using SteadyClock = std::chrono::steady_clock;

void start_attempt(const std::shared_ptr<AgentCall>& call);

const Workflow::Agent& agent_of(const AgentCall& call) {
    return call.run->workflow->agents()[call.chain[call.position]];
}

// A retry can help with these; not with a refusal of the input or of a permission.
bool retryable(ah_status status) {
    return status != AH_ERR_INVALID_ARGUMENT && status != AH_ERR_PERMISSION_DENIED &&
           status != AH_ERR_UNSUPPORTED && status != AH_ERR_CANCELLED;
}

void finish(const std::shared_ptr<AgentCall>& call) {
    std::function<void(CallOutcome)> done;
    {
        std::lock_guard lock(call->mutex);
        if (call->finished) return;
        call->finished = true;
        done = std::move(call->done);
    }
    done(std::move(call->outcome));
}

void note_failure(AgentCall& call, const std::string& agent, const std::string& why) {
    if (!call.outcome.error.empty()) call.outcome.error += "; ";
    call.outcome.error += agent + ": " + why;
}

// The current agent is done with: try the next one in the chain, or give up.
void next_agent(const std::shared_ptr<AgentCall>& call) {
    Run& run = *call->run;
    const std::string& from = agent_of(*call).config->name;
    bool cancelled;
    {
        std::lock_guard lock(call->mutex);
        cancelled = call->cancelled;
        ++call->position;
        call->attempt = 0;
    }
    if (cancelled) return finish(call);
    if (call->position >= call->chain.size()) return finish(call);
    call->outcome.fallback_used = true;
    const std::string& to = agent_of(*call).config->name;
    run.engine->log(LogLevel::info, "agent " + from + " failed; falling back to " + to,
                    run.tags(from, run.step(call->step).config->name));
    start_attempt(call);
}

// After a failed attempt: retry the same agent after a backoff, or move on.
// `retry_after`: the plugin's own word on how long to wait (a provider's Retry-After).
void after_failure(const std::shared_ptr<Attempt>& attempt, ah_status status, const std::string& why,
                   std::optional<Milliseconds> retry_after = std::nullopt) {
    const std::shared_ptr<AgentCall>& call = attempt->call;
    Run& run = *call->run;
    const Workflow::Agent& agent = run.workflow->agents()[attempt->agent];
    const auto now = SteadyClock::now();
    if (agent.budget) {
        const CircuitState before = agent.budget->state(now);
        const CircuitState after = agent.budget->record(false, now);
        if (after == CircuitState::open && before != CircuitState::open) {
            run.engine->log(LogLevel::warning,
                            "error budget of agent " + agent.config->name + " spent (failure rate " +
                                std::to_string(agent.budget->failure_rate()) + "): circuit open for " +
                                std::to_string(agent.config->error_budget->cooldown.count()) +
                                " ms; calls go to its fallback",
                            run.tags(agent.config->name, run.step(call->step).config->name));
        }
    }
    note_failure(*call, agent.config->name,
                 "attempt " + std::to_string(attempt->number) + ": " + status_name(status) + ": " + why);
    // A timeout that the run's deadline imposed is the deadline's doing, not the agent's.
    call->outcome.error_code = status != AH_ERR_TIMEOUT ? "agent_failed"
                               : now >= run.deadline    ? "deadline"
                                                        : "agent_timeout";

    const RetryPolicy& retry = agent.config->retry;
    // A provider that wants a longer pause than max_backoff allows is not retried
    // early (that only earns another refusal): the fallback gets the call.
    const bool again = retryable(status) && attempt->number < retry.max_attempts &&
                       (!retry_after || *retry_after <= retry.max_backoff);
    if (again) {
        const Milliseconds wait = retry_delay(retry, attempt->number + 1, run.engine->unit_random(), retry_after);
        if (now + wait < run.deadline) {
            // The scheduler holds the call while it waits: nothing else does.
            Engine::Impl* engine = run.engine;
            run.engine->scheduler.after(wait, [call, engine] { engine->post([call] { start_attempt(call); }); });
            return;
        }
    }
    next_agent(call);
}

// An attempt's outcome: an "attempt" event for the run store (appended with
// the step's end), and its span for the tracer.
void end_attempt_span(const Attempt& attempt, bool ok, const std::string& error) {
    Run& run = *attempt.call->run;
    {
        std::lock_guard lock(run.mutex);
        if (run.stored && !run.finished) {
            const Workflow::Agent& agent = run.workflow->agents()[attempt.agent];
            boost::json::object payload{{"agent", agent.config->name}, {"attempt", attempt.number}, {"ok", ok}};
            if (agent.instance) payload["plugin"] = agent.instance->plugin().id();
            if (attempt.call->position > 0) payload["fallback"] = true;
            if (!attempt.call->branch.empty()) payload["branch"] = attempt.call->branch;
            if (!ok) payload["error"] = error;
            run.pending_events.push_back({std::string(event_kind::attempt), run.step(attempt.call->step).config->name,
                                          std::move(payload)});
        }
    }
    if (attempt.span_id.empty()) return;
    const Workflow::Agent& agent = run.workflow->agents()[attempt.agent];
    Span span{run.id, attempt.span_id, attempt.call->span_parent,
              "attempt " + agent.config->name + "#" + std::to_string(attempt.number), "attempt",
              attempt.started, std::chrono::system_clock::now(), ok, {}};
    span.attributes["agent"] = agent.config->name;
    if (agent.instance) span.attributes["plugin"] = agent.instance->plugin().id();
    span.attributes["attempt"] = attempt.number;
    span.attributes["fallback_used"] = attempt.call->position > 0;
    if (!attempt.call->branch.empty()) span.attributes["branch"] = attempt.call->branch;
    if (!ok) span.attributes["error"] = error;
    run.engine->emit(span);
}

void on_result(const std::shared_ptr<Attempt>& attempt, CallResult result) {
    if (attempt->resolved.exchange(true)) return;  // the timeout got there first
    if (attempt->timeout) attempt->timeout->cancel();
    const std::shared_ptr<AgentCall>& call = attempt->call;
    Run& run = *call->run;
    const Workflow::Agent& agent = run.workflow->agents()[attempt->agent];

    std::string why;
    ah_status status = result.status;
    boost::json::value output;
    if (result.ok()) {
        if (result.output_json.size() > run.engine->options.max_output_bytes) {
            status = AH_ERR_FAILED;
            why = "output of " + std::to_string(result.output_json.size()) + " bytes is over the limit of " +
                  std::to_string(run.engine->options.max_output_bytes) + " bytes";
        } else {
            boost::system::error_code ec;
            output = boost::json::parse(result.output_json, ec);
            if (!ec) {
                // ah.context/1 writes land inside the step's own key, that is inside
                // this output: merged first, so that the schema judges the result.
                std::lock_guard lock(attempt->writes_mutex);
                for (auto& [pointer, json] : attempt->writes) {
                    set_at(output, std::string_view(pointer).substr(attempt->owned_prefix.size()),
                           boost::json::parse(json));
                }
            }
            if (ec) {
                status = AH_ERR_FAILED;
                why = "output is not JSON: " + ec.message();
            } else if (auto violations = agent.instance->output_schema().validate(output);
                       !violations.empty()) {
                // Garbage never travels downstream: the output is dropped here.
                status = AH_ERR_FAILED;
                why = "output does not match the output_schema of " + agent.instance->plugin().id() + ":\n" +
                      describe(violations);
            }
        }
    } else {
        why = result.error.empty() ? "no message" : result.error;
    }
    end_attempt_span(*attempt, status == AH_OK, why);

    std::string budget_spent;
    {
        std::lock_guard lock(run.mutex);
        // Spent budgets that escalate do so once the step is done; a waived one no longer counts.
        if (!run.budget_waived && !run.workflow->budget_escalation()) budget_spent = run.budget_spent;
    }
    if (!budget_spent.empty()) {
        // This call's usage (or an earlier one's) went over a run budget: the run ends here.
        return fail_run(call->run, RunError{budget_spent, run.step(call->step).config->name, agent.config->name,
                                            std::string("the run spent its ") +
                                                (budget_spent == "token_budget" ? "token" : "cost") +
                                                " budget in a call of agent " + agent.config->name});
    }
    if (status != AH_OK) return after_failure(attempt, status, why, result.retry_after);

    if (agent.budget) agent.budget->record(true, SteadyClock::now());
    call->outcome.ok = true;
    call->outcome.output = std::move(output);
    call->outcome.agent = agent.config->name;
    call->outcome.plugin = agent.instance->plugin().id();
    finish(call);
}

void on_timeout(const std::shared_ptr<Attempt>& attempt, Milliseconds limit) {
    if (attempt->resolved.exchange(true)) return;
    const std::shared_ptr<AgentCall>& call = attempt->call;
    std::shared_ptr<PendingCall> pending;
    {
        std::lock_guard lock(call->mutex);
        pending = call->pending;
    }
    if (pending) pending->cancel();  // cooperative; its late result is ignored
    const std::string why = "no result within " + std::to_string(limit.count()) + " ms; the call was cancelled";
    end_attempt_span(*attempt, false, why);
    call->run->engine->post([attempt, why] { after_failure(attempt, AH_ERR_TIMEOUT, why); });
}

void start_attempt(const std::shared_ptr<AgentCall>& call) {
    Run& run = *call->run;
    {
        std::lock_guard lock(run.mutex);
        if (run.finished) return;  // nothing would read the outcome
    }
    bool cancelled;
    {
        std::lock_guard lock(call->mutex);
        cancelled = call->cancelled;
    }
    if (cancelled) return finish(call);
    const std::size_t index = call->chain[call->position];
    const Workflow::Agent& agent = run.workflow->agents()[index];
    const std::string& step_name = run.step(call->step).config->name;
    const auto now = SteadyClock::now();

    if (now >= run.deadline) {
        note_failure(*call, agent.config->name, "the run's deadline passed");
        call->outcome.error_code = "deadline";
        return finish(call);
    }
    if (call->attempt == 0) {
        // First attempt of this agent: the circuit and the input decide whether it gets one.
        if (agent.budget && !agent.budget->allow(now)) {
            run.engine->log(LogLevel::warning, "circuit of agent " + agent.config->name + " is open; skipping it",
                            run.tags(agent.config->name, step_name));
            note_failure(*call, agent.config->name, "circuit open (error budget spent)");
            return next_agent(call);
        }
        auto violations = agent.instance->plugin().manifest().input_schema->validate(call->input);
        if (!violations.empty()) {
            note_failure(*call, agent.config->name,
                         "input does not match the input_schema of " + agent.instance->plugin().id() + ":\n" +
                             describe(violations));
            return next_agent(call);
        }
        call->input_json = boost::json::serialize(call->input);
    }
    ++call->attempt;
    ++call->outcome.attempts;
    call->outcome.agent = agent.config->name;
    call->outcome.plugin = agent.instance->plugin().id();

    auto attempt = std::make_shared<Attempt>();
    attempt->call = call;
    attempt->agent = index;
    attempt->number = call->attempt;
    if (const auto* owner = std::get_if<AgentStep>(&run.step(call->step).config->body)) {
        attempt->owned_prefix = "/" + owner->writes;
    }
    attempt->span_id = run.engine->span_id();
    if (!attempt->span_id.empty()) attempt->started = std::chrono::system_clock::now();

    const Milliseconds limit = std::min(
        agent.config->timeout, std::chrono::duration_cast<Milliseconds>(run.deadline - now) + Milliseconds(1));
    // The same for every attempt, and for the step run again after a crash: the
    // step's number in the run is restored with the run.
    CallRequest request{call->input_json, run.id, step_name,
                        run.id + "/" + step_name + "/" + std::to_string(call->step_number) +
                            (call->key_part.empty() ? "" : "/" + call->key_part),
                        attempt->number, attempt.get()};
    agent.instance->invoke(
        std::move(request), [attempt](CallResult result) { on_result(attempt, std::move(result)); },
        [&call, &attempt, &run, limit](std::shared_ptr<PendingCall> pending) {
            // Before the plugin runs: a timeout must be able to cancel a synchronous call mid-way.
            bool cancelled_meanwhile;
            {
                std::lock_guard lock(call->mutex);
                call->pending = pending;
                cancelled_meanwhile = call->cancelled;
            }
            if (cancelled_meanwhile) pending->cancel();  // cancelled between the check above and now
            attempt->timeout = run.engine->scheduler.after(limit, [weak = std::weak_ptr<Attempt>(attempt), limit] {
                if (auto a = weak.lock()) on_timeout(a, limit);
            });
        });
}

}  // namespace

std::shared_ptr<AgentCall> call_agent(const std::shared_ptr<Run>& run, std::size_t step, std::size_t agent,
                                      boost::json::object input, std::string branch, std::string span_parent,
                                      std::function<void(CallOutcome)> done, std::string key_part) {
    auto call = std::make_shared<AgentCall>();
    call->run = run;
    call->step = step;
    call->key_part = key_part.empty() ? branch : std::move(key_part);
    call->branch = std::move(branch);
    {
        std::lock_guard lock(run->mutex);
        call->step_number = run->steps_taken;
    }
    call->span_parent = std::move(span_parent);
    call->chain.push_back(agent);
    const auto& fallback = run->workflow->agents()[agent].fallback;
    call->chain.insert(call->chain.end(), fallback.begin(), fallback.end());
    call->input = std::move(input);
    call->done = std::move(done);
    {
        std::lock_guard lock(run->mutex);
        run->calls.push_back(call);
    }
    start_attempt(call);
    return call;
}

void cancel_call(const std::shared_ptr<AgentCall>& call) {
    std::shared_ptr<PendingCall> pending;
    {
        std::lock_guard lock(call->mutex);
        if (call->finished || call->cancelled) return;
        call->cancelled = true;
        pending = call->pending;
    }
    if (pending) pending->cancel();
}

// ----------------------------------------------------------------- Attempt

void Attempt::add_usage(std::string_view model, uint64_t input_tokens, uint64_t output_tokens,
                        uint64_t cached_input_tokens) {
    Run& run = *call->run;
    const ModelPrice* price = run.workflow->price(model);
    const double cost =
        price == nullptr ? 0.0
                         : (static_cast<double>(input_tokens - std::min(input_tokens, cached_input_tokens)) *
                                price->input_per_mtok +
                            static_cast<double>(cached_input_tokens) * price->cached_input_per_mtok +
                            static_cast<double>(output_tokens) * price->output_per_mtok) /
                               1e6;
    const RunLimits& limits = run.workflow->config().limits;
    std::lock_guard lock(run.mutex);
    run.tokens += input_tokens + output_tokens;
    run.cost_usd += cost;
    if (run.budget_spent.empty()) {
        if (limits.max_tokens && run.tokens > *limits.max_tokens) run.budget_spent = "token_budget";
        else if (limits.max_cost_usd && run.cost_usd > *limits.max_cost_usd) run.budget_spent = "cost_budget";
    }
}

ah_status Attempt::read_state(std::string_view pointer, std::string& json) {
    Run& run = *call->run;
    std::lock_guard lock(run.mutex);
    boost::system::error_code ec;
    const boost::json::value* v = run.state.find_pointer(pointer, ec);
    if (v == nullptr) return AH_ERR_INVALID_ARGUMENT;
    json = boost::json::serialize(*v);
    return AH_OK;
}

std::shared_ptr<ResponseCache> Attempt::response_cache() const { return call->run->workflow->response_cache(); }

ah_status Attempt::write_state(std::string_view pointer, std::string_view json) {
    // A step owns exactly one state key; everything else belongs to other steps.
    if (owned_prefix.empty() || (pointer != owned_prefix && pointer.rfind(owned_prefix + "/", 0) != 0)) {
        return AH_ERR_PERMISSION_DENIED;
    }
    boost::system::error_code ec;
    boost::json::parse(json, ec);
    if (ec) return AH_ERR_INVALID_ARGUMENT;
    std::lock_guard lock(writes_mutex);
    writes.emplace_back(std::string(pointer), std::string(json));
    return AH_OK;
}

}  // namespace agenthost
