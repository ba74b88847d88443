// run_result.hpp: what a run returns: its output or a structured error, and
// the record of every step it took.
#pragma once

#include <boost/json/value.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace agenthost {

//! Why a run failed: a stable code for programs, and the step, agent and cause for people.
struct RunError {
    //! step_limit, deadline, token_budget, cost_budget, agent_failed, agent_timeout, join_failed,
    //! review_rejected, missing_state, no_route, cancelled, rejected (an approval step's reject
    //! with no on_reject), store_failed, no_store (an approval step without a run store)
    std::string code;
    std::string step;
    std::string agent;  //!< empty when no agent was involved
    std::string message;

    boost::json::object to_json() const;
};

//! One step as the run took it (for --explain, the embedding API and tests).
struct StepRecord {
    std::string step;
    std::string kind;       //!< agent, switch, parallel, review, approval, end
    std::string agent;      //!< the agent whose output was used (after any fallback)
    std::string plugin;     //!< name@version of that agent's plugin
    bool ok = true;
    uint32_t attempts = 0;  //!< plugin calls made, retries and fallbacks included
    bool fallback_used = false;
    uint32_t rounds = 0;    //!< review rounds
    std::string next;       //!< the step chosen next ("" at the end)
    std::string detail;     //!< e.g. "chosen branch kb-a", "case 0 matched"
    std::chrono::microseconds latency{0};
    std::string error;      //!< what went wrong in this step, when anything did
    std::vector<StepRecord> branches;  //!< parallel: one record per branch

    boost::json::object to_json() const;
    //! The record as to_json() wrote it (as the run store keeps it); what is missing stays default.
    static StepRecord from_json(const boost::json::object& json);
};

struct RunResult {
    std::string run_id;  //!< W3C trace id: the run's correlation id in logs and traces
    std::string workflow;
    bool ok = false;
    //! The run stopped at an approval step and waits in the run store for a
    //! decision (ok is false, error unset); `approval` says what is asked.
    bool waiting = false;
    //! When waiting: {"step", "question", "shows", "decisions", "edits", "value",
    //! "timeout_at", "default", "escalation"}, as stored in the run's waiting event.
    boost::json::object approval;
    boost::json::value output;      //!< set when ok
    std::optional<RunError> error;  //!< set when not ok
    std::vector<StepRecord> steps;
    boost::json::object state;  //!< the run's state document at the end
    std::chrono::microseconds duration{0};
    uint64_t tokens = 0;
    double cost_usd = 0.0;

    //! "succeeded", "failed" or "waiting".
    std::string_view status() const noexcept { return ok ? "succeeded" : waiting ? "waiting" : "failed"; }
    boost::json::object to_json() const;
};

}  // namespace agenthost
