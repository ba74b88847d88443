// approval.hpp: what an approval step asks and what a decision does to it,
// shared by the engine (a run that waits, a run that goes on) and by whoever
// takes decisions in (Host::decide, `agenthost approve`), so that a decision
// is checked the same way before it is stored and when it is applied.
#pragma once

#include <agenthost/host/run_store.hpp>
#include <agenthost/host/workflow_config.hpp>
#include <agenthost/registry/json_schema.hpp>
#include <agenthost/registry/result.hpp>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace agenthost {

//! A person's decision on a waiting run, as its "decision" event stores it.
struct ApprovalDecision {
    Decision decision = Decision::reject;
    std::string note;
    boost::json::value patch;  //!< edit: an RFC 6902 JSON Patch relative to the step's "edits" value
    std::string by;            //!< who decided, as given; free text
    bool timed_out = false;    //!< the step's default, taken when its timeout passed

    boost::json::object to_json() const;
    static Result<ApprovalDecision> from_json(const boost::json::value& json);
};

//! What a run waiting at `step` (named `name`) asks, as its "waiting" event
//! stores it: {"step", "question", "shows", "decisions", "edits", "value",
//! "timeout_at" (ms since the epoch), "default", "escalation", "step_number"}.
boost::json::object waiting_payload(const ApprovalStep& step, const std::string& name, const boost::json::object& state,
                                    uint32_t step_number, const std::optional<boost::json::object>& escalation,
                                    StoreTime now);

//! When a waiting payload's timeout passes, if it has one.
std::optional<StoreTime> timeout_at(const boost::json::object& waiting);

//! What the step writes to its state key for `decision`: {"decision", "note",
//! "value", "decided_at", "timed_out"} ("value" when the step has "edits").
//! Fails, saying why, when the step does not allow the decision, when an edit
//! has no patch or one that does not apply to the value at "edits", or when
//! the edited value breaks `schema`.
Result<boost::json::object> apply_decision(const ApprovalStep& step, const JsonSchema* schema,
                                           const boost::json::object& state, const ApprovalDecision& decision,
                                           StoreTime at);

//! "2026-11-21T11:08:24Z".
std::string iso_utc(StoreTime time);

}  // namespace agenthost
