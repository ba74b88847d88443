// workflow_config.hpp: a workflow config as the loader hands it to the engine:
// parsed, checked against config/schema/workflow.schema.json and for meaning,
// with ${ENV} expanded, and with every part's location for error messages.
#pragma once

#include <agenthost/host/config_issue.hpp>
#include <agenthost/registry/permissions.hpp>

#include <boost/json/value.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace agenthost {

class SourceMap;
using Milliseconds = std::chrono::milliseconds;

//! Retries of one agent call: exponential backoff with jitter. Retry-After
//! from a provider, when a plugin reports one, takes precedence.
struct RetryPolicy {
    uint32_t max_attempts = 1;  //!< 1 = no retry
    Milliseconds initial_backoff{100};
    Milliseconds max_backoff{5000};
    double multiplier = 2.0;
    double jitter = 0.2;  //!< ± this fraction of each backoff, at random
};

//! An agent's allowed failure rate over a sliding window of its last calls.
struct ErrorBudgetPolicy {
    uint32_t window = 20;           //!< calls remembered
    uint32_t min_calls = 5;         //!< no verdict on fewer calls than this
    double max_failure_rate = 0.5;  //!< the circuit opens above this
    Milliseconds cooldown{30000};   //!< open for this long, then one half-open probe
};

struct AgentConfig {
    std::string name;
    std::string plugin;                 //!< "name@constraint"
    std::optional<std::string> sha256;  //!< pin of the plugin file
    boost::json::value config = boost::json::object();
    Permissions grants;
    Milliseconds timeout{30000};
    RetryPolicy retry;
    std::vector<std::string> fallback;  //!< agent names, tried in order when this one fails
    std::optional<ErrorBudgetPolicy> error_budget;
    std::string pointer;  //!< "/agents/<name>", for error messages
};

//! One field of an agent's input, taken from run state by JSON pointer.
//! The input is the object {field: state[pointer], ...}. Every pointer starts
//! with '/' (the loader refuses "" and anything else): run state is an object
//! whose top-level keys are the keys steps write, and the run's input lives at
//! "/input", so "/input" reads the whole of it.
struct InputBinding {
    std::string field;
    std::string pointer;  //!< into run state, e.g. "/input/body" or "/triage/category"
    //! Read, in order, when `pointer` names nothing: "reads": {"items":
    //! ["/checked/value", "/extract/action_items"]} takes the first that exists.
    std::vector<std::string> otherwise;
};

struct AgentStep {
    std::string agent;
    std::vector<InputBinding> reads;
    std::string writes;  //!< the top-level state key this step owns
    std::string next;
    //! Escalate to a person when the output's "/confidence" is below this (or missing).
    std::optional<double> escalate_below;
    std::string escalate_to;  //!< the approval step; "" for the workflow's escalate_to
};

enum class SwitchOp { equals, one_of, above, at_least, below, at_most, matches };

struct SwitchCase {
    SwitchOp op = SwitchOp::equals;
    boost::json::value value;  //!< the operand: a value, an array (one_of), a number, or a regex string
    std::string next;
};

struct SwitchStep {
    std::string on;  //!< JSON pointer into run state
    std::vector<SwitchCase> cases;  //!< the first case that holds wins
    std::string default_next;
};

enum class JoinPolicy { all, first_success, vote, priority };
enum class TieRule { first, fail };  //!< vote ties: the earliest branch among the tied, or fail the step

struct ParallelBranch {
    std::string name;  //!< unique within the step; defaults to the agent's name
    std::string agent;
    std::vector<InputBinding> reads;
};

//! Branches run concurrently. The joined output written to `writes`:
//!  all           {branch: output, ...}, every branch must succeed
//!  first_success the first branch to succeed (the others are cancelled)
//!  vote          the output of the earliest branch whose `vote_field` value has the most votes
//!  priority      the output of the earliest branch (in config order) that succeeded
struct ParallelStep {
    std::vector<ParallelBranch> branches;
    JoinPolicy join = JoinPolicy::all;
    std::string vote_field;  //!< JSON pointer into each branch's output (vote only)
    TieRule tie = TieRule::first;
    std::string writes;
    std::string next;
};

//! A worker and a reviewer loop until the reviewer approves or max_rounds.
//! The worker receives `reads` (+ the reviewer's last output at `feedback_field`
//! from round 2 on); the reviewer receives `reviewer_reads` + the draft at
//! `draft_field`. The reviewer approves when its output at `approved` is true.
struct ReviewStep {
    std::string worker;
    std::string reviewer;
    std::vector<InputBinding> reads;
    std::vector<InputBinding> reviewer_reads;
    std::string draft_field = "draft";
    std::string feedback_field = "feedback";
    std::string approved = "/approved";
    uint32_t max_rounds = 3;
    bool accept_last = true;  //!< after max_rounds: keep the last draft (true) or fail the step
    std::string writes;  //!< the final draft
    std::string next;
};

struct EndStep {
    std::string result;  //!< JSON pointer into run state; the run's output
};

enum class Decision { approve, reject, edit };
std::string_view to_string(Decision decision) noexcept;
std::optional<Decision> parse_decision(std::string_view text) noexcept;

//! A person decides; the run waits in the run store meanwhile. The step
//! writes {"decision", "note", "value", "decided_at", "timed_out"} to its key,
//! "value" being the value at `edits` (patched, for an edit).
struct ApprovalStep {
    std::string question;
    std::vector<InputBinding> shows;  //!< what the person sees; a pointer naming nothing shows null
    std::string edits;                //!< pointer into state that an edit patches; "" when edits are not offered
    std::optional<boost::json::value> schema;  //!< an edited value must satisfy it
    std::vector<Decision> decisions;  //!< allowed
    std::optional<Milliseconds> timeout;
    Decision default_decision = Decision::reject;  //!< taken when the timeout passes
    std::string writes;
    std::string next;       //!< after approve or edit
    std::string on_reject;  //!< after reject; "" ends the run with the error "rejected"

    bool allows(Decision d) const noexcept;
};

using StepBody = std::variant<AgentStep, SwitchStep, ParallelStep, ReviewStep, EndStep, ApprovalStep>;

struct StepConfig {
    std::string name;
    StepBody body;
    std::string pointer;  //!< "/steps/<name>", for error messages
};

struct RunLimits {
    uint32_t max_steps = 50;  //!< step executions per run; also ends hand-off loops
    Milliseconds deadline{60000};
    std::optional<uint64_t> max_tokens;
    std::optional<double> max_cost_usd;
    //! A spent budget escalates the run to the workflow's escalate_to instead of failing it.
    bool escalate_on_budget = false;
};

//! Prices in US dollars per million tokens, for ah.usage/1 reports of `model`.
//! Cached input tokens are priced at cached_input_per_mtok (0 unless set), the
//! rest of the input at input_per_mtok. A model with no price costs nothing.
struct ModelPrice {
    std::string model;
    double input_per_mtok = 0.0;
    double output_per_mtok = 0.0;
    double cached_input_per_mtok = 0.0;
};

//! "secrets": {"NAME": {"env": "VAR"} | {"file": "path"}}. The value is read
//! when the workflow is loaded, never stored in the config, and redacted from
//! every log and trace line.
struct SecretSource {
    std::string name;
    std::string env;             //!< the environment variable, when from the environment
    std::filesystem::path file;  //!< the file, when from a file (resolved against the config's folder)
    std::string pointer;         //!< "/secrets/<name>", for error messages
};

//! "response_cache": the host's cache of HTTP answers to requests that plugins
//! mark cacheable (AH_HTTP_CACHEABLE), keyed by the canonical request. Off
//! unless the config has this section.
struct ResponseCacheConfig {
    std::size_t max_entries = 1024;
    std::size_t max_bytes = 64 * 1024 * 1024;  //!< of cached bodies and headers together
    //! always: a hit answers at once and saves the call; on_failure: the cache
    //! answers only when the live request fails (a "cached answer" fallback).
    enum class Serve { always, on_failure } serve = Serve::always;
};

struct WorkflowConfig {
    std::filesystem::path file;
    std::string name;
    std::string description;
    std::string start;  //!< the first step
    std::string escalate_to;  //!< the approval step runs are escalated to; "" for none
    std::vector<std::filesystem::path> plugin_dirs;  //!< resolved against the config file's folder
    RunLimits limits;
    std::vector<ModelPrice> prices;   //!< "prices": {"model": {"input_per_mtok": …, …}}, in config order
    std::vector<SecretSource> secrets;  //!< in config order
    std::optional<ResponseCacheConfig> response_cache;  //!< none: no cache
    std::vector<AgentConfig> agents;  //!< in config order
    std::vector<StepConfig> steps;    //!< in config order
    std::string text;                 //!< the file as written, before ${ENV} expansion: safe to show
    std::string sha256;               //!< of `text`

    const AgentConfig* agent(std::string_view name) const noexcept;
    const StepConfig* step(std::string_view name) const noexcept;
    //! Where a JSON pointer into the file is, for messages: the nearest enclosing value that exists.
    ConfigIssue issue_at(std::string_view pointer, std::string message, std::string hint = {}) const;

    //! Shared with the loader: positions of values in `text`.
    std::shared_ptr<const SourceMap> source;
};

}  // namespace agenthost
