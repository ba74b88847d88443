// engine_approval_test.cpp: approval steps through the embedding API
// (agenthost::Host), with runs in a SQLite run store (HostOptions::store) and
// in the memory store (no store file): a run that reaches an approval step is
// stored as waiting with its question (a "shows" member that lists pointers
// shows the first present); Host::decide checks a decision against
// the step (allowed decisions, an edit's RFC 6902 patch and the step's schema)
// and stores it once; Host::resume goes on with it, after a host restart and
// under the config the run started with; a timeout's default applies once the
// timeout has passed; agent steps escalate to a person on a low (or missing)
// confidence, and a run that spent its cost budget escalates when
// limits.on_budget_spent is "escalate".
//
// The workflows are written into each test's TempDir. Their agents are the
// fixture plugins fixture-echo (returns its input) and fixture-usage (reports
// $0.85 of model usage per call at the configs' prices), and the first-party
// keyword-classifier, whose output carries a confidence: 1.0 for two keyword
// hits in one category and none elsewhere, 0.75 for a single hit.
#include "engine_support.hpp"

#include <agenthost/host/approval.hpp>
#include <agenthost/host/run_store.hpp>

#include <boost/test/unit_test.hpp>

#include "temp_dir.hpp"

#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <thread>

namespace agenthost::engine_test {
namespace {

using agenthost::test::TempDir;

namespace fs = std::filesystem;

// fixture-echo drafts tickets; a person signs them off (approve, reject, or
// edit the draft's tickets within the schema); fixture-echo "files" what the
// approval step wrote. A reject ends the run on "dropped".
constexpr const char* approval_config = R"json({
  "name": "engine-approval",
  "agents": {
    "draft": {"plugin": "fixture-echo"},
    "file": {"plugin": "fixture-echo"}
  },
  "start": "draft",
  "steps": {
    "draft": {"kind": "agent", "agent": "draft", "reads": {"summary": "/input/summary", "tickets": "/input/tickets"},
              "next": "sign-off"},
    "sign-off": {
      "kind": "approval",
      "question": "File these tickets?",
      "shows": {"summary": "/draft/summary", "count": "/input/count"},
      "edits": "/draft/tickets",
      "schema": {"type": "array", "minItems": 1,
                 "items": {"type": "object", "required": ["id", "priority"],
                           "properties": {"id": {"type": "string"}, "priority": {"enum": ["P1", "P2", "P3"]}}}},
      "writes": "approval",
      "next": "file",
      "on_reject": "dropped"
    },
    "file": {"kind": "agent", "agent": "file", "reads": {"tickets": "/approval/value", "decision": "/approval/decision"},
             "next": "done"},
    "done": {"kind": "end", "result": "/file"},
    "dropped": {"kind": "end", "result": "/approval"}
  }
})json";

const char* const approval_input =
    R"({"summary": "two tickets", "tickets": [{"id": "T-1", "priority": "P1"}, {"id": "T-2", "priority": "P2"}]})";

// An approval step with the default decisions (approve, reject: no "edits"),
// no on_reject, and a timeout of an hour.
constexpr const char* plain_config = R"json({
  "name": "engine-approval-plain",
  "agents": {"echo": {"plugin": "fixture-echo"}},
  "start": "draft",
  "steps": {
    "draft": {"kind": "agent", "agent": "echo", "reads": {"text": "/input/text"}, "next": "check"},
    "check": {"kind": "approval", "question": "Send it?", "shows": {"text": "/draft/text"},
              "timeout_ms": 3600000, "default": "reject", "next": "done"},
    "done": {"kind": "end", "result": "/check"}
  }
})json";

// TIMEOUT is replaced by the timeout in ms, DEFAULT by the default decision.
constexpr const char* timeout_config = R"json({
  "name": "engine-approval-timeout",
  "agents": {"echo": {"plugin": "fixture-echo"}},
  "start": "draft",
  "steps": {
    "draft": {"kind": "agent", "agent": "echo", "reads": {"text": "/input/text"}, "next": "check"},
    "check": {"kind": "approval", "question": "Send it?", "edits": "/draft",
              "timeout_ms": TIMEOUT, "default": "DEFAULT", "next": "send", "on_reject": "dropped"},
    "send": {"kind": "agent", "agent": "echo", "reads": {"text": "/check/value/text"}, "next": "done"},
    "done": {"kind": "end", "result": "/send"},
    "dropped": {"kind": "end", "result": "/check"}
  }
})json";

// keyword-classifier triages; below a confidence of 0.8 the run escalates to
// "review" (the workflow's escalate_to). The approval step's own "next"
// (reviewed) is where it goes when reached without an escalation, which
// never happens here: after an escalation the run goes on at the escalating
// step's next (respond).
constexpr const char* escalation_config = R"json({
  "name": "engine-escalation",
  "escalate_to": "review",
  "agents": {
    "triage": {"plugin": "keyword-classifier", "config": {"categories": [
      {"name": "billing", "keywords": ["refund", "invoice"]},
      {"name": "outage", "keywords": ["down", "error"]}]}},
    "answer": {"plugin": "fixture-echo"}
  },
  "start": "classify",
  "steps": {
    "classify": {"kind": "agent", "agent": "triage", "reads": {"text": "/input/text"}, "escalate_below": 0.8,
                 "next": "respond"},
    "review": {"kind": "approval", "question": "Is this triage right?", "shows": {"triage": "/classify"},
               "writes": "review", "next": "reviewed", "on_reject": "handoff"},
    "respond": {"kind": "agent", "agent": "answer", "reads": {"category": "/classify/category"}, "next": "done"},
    "done": {"kind": "end", "result": "/respond"},
    "reviewed": {"kind": "end", "result": "/review"},
    "handoff": {"kind": "end", "result": "/review"}
  }
})json";

// fixture-echo has no confidence in its output: a step with escalate_below
// always escalates, here to its own escalate_to (there is no workflow-level one).
constexpr const char* no_confidence_config = R"json({
  "name": "engine-escalation-no-confidence",
  "agents": {"echo": {"plugin": "fixture-echo"}},
  "start": "guess",
  "steps": {
    "guess": {"kind": "agent", "agent": "echo", "reads": {"text": "/input/text"}, "escalate_below": 0.5,
              "escalate_to": "confirm", "next": "done"},
    "confirm": {"kind": "approval", "question": "Is the guess right?", "next": "done"},
    "done": {"kind": "end", "result": "/guess"}
  }
})json";

// Every call of "pricey" costs $0.85 (see tests/fixtures/configs/engine/cost.json):
// spend-2 takes the run to $1.70, over its $1 budget, and the run escalates
// to over-budget, which either lets it go on to spend-3 or stops it.
constexpr const char* budget_config = R"json({
  "name": "engine-budget-escalation",
  "escalate_to": "over-budget",
  "limits": {"max_cost_usd": 1.0, "on_budget_spent": "escalate"},
  "prices": {"m-pricey": {"input_per_mtok": 10, "output_per_mtok": 30, "cached_input_per_mtok": 1}},
  "agents": {
    "pricey": {"plugin": "fixture-usage",
               "config": {"model": "m-pricey", "input_tokens": 100000, "output_tokens": 10000, "cached_tokens": 50000}}
  },
  "start": "spend-1",
  "steps": {
    "spend-1": {"kind": "agent", "agent": "pricey", "next": "spend-2"},
    "spend-2": {"kind": "agent", "agent": "pricey", "next": "spend-3"},
    "spend-3": {"kind": "agent", "agent": "pricey", "next": "done"},
    "over-budget": {"kind": "approval", "question": "The run spent its budget. Go on?", "writes": "budget",
                    "next": "done", "on_reject": "stopped"},
    "done": {"kind": "end", "result": "/spend-3"},
    "stopped": {"kind": "end", "result": "/budget"}
  }
})json";

// Two approval steps, one after the other.
constexpr const char* two_approvals_config = R"json({
  "name": "engine-two-approvals",
  "agents": {"echo": {"plugin": "fixture-echo"}},
  "start": "draft",
  "steps": {
    "draft": {"kind": "agent", "agent": "echo", "reads": {"text": "/input/text"}, "next": "legal"},
    "legal": {"kind": "approval", "question": "Legal: send it?", "next": "manager"},
    "manager": {"kind": "approval", "question": "Manager: send it?", "next": "done"},
    "done": {"kind": "end", "result": "/manager"}
  }
})json";

// A person checks the draft only when the input asks for it (/input/check is
// true); sign-off shows the text as checked when there was a check, else as
// drafted: a "shows" member that lists pointers shows the first present.
constexpr const char* optional_check_config = R"json({
  "name": "engine-optional-check",
  "agents": {"echo": {"plugin": "fixture-echo"}},
  "start": "draft",
  "steps": {
    "draft": {"kind": "agent", "agent": "echo", "reads": {"text": "/input/text"}, "next": "which"},
    "which": {"kind": "switch", "on": "/input/check", "cases": [{"equals": true, "next": "check"}],
              "default": "sign-off"},
    "check": {"kind": "approval", "question": "Is the draft right?", "edits": "/draft", "writes": "checked",
              "next": "sign-off"},
    "sign-off": {"kind": "approval", "question": "Send it?",
                 "shows": {"text": ["/checked/value/text", "/draft/text"], "nothing": ["/input/none", "/checked/none"]},
                 "next": "done"},
    "done": {"kind": "end", "result": "/sign-off"}
  }
})json";

HostOptions stored_options(const fs::path& store) {
    HostOptions options = host_options();
    options.store = store;
    return options;
}

std::string replaced(std::string text, std::string_view from, std::string_view to) {
    const auto at = text.find(from);
    BOOST_REQUIRE_MESSAGE(at != std::string::npos, "no " << from << " to replace");
    return text.replace(at, from.size(), to);
}

//! Loads a config file; one that does not load fails the test with its issues.
std::shared_ptr<const Workflow> load_file(TestHost& host, const fs::path& file) {
    LoadResult loaded = host.host().load(file);
    if (const auto* issues = std::get_if<ConfigIssues>(&loaded)) {
        std::string text;
        for (const ConfigIssue& issue : *issues) text += issue.to_string() + "\n";
        BOOST_FAIL("config " << file << " does not load:\n" << text);
    }
    return std::get<std::shared_ptr<const Workflow>>(std::move(loaded));
}

std::shared_ptr<const Workflow> load_text(TestHost& host, const TempDir& dir, std::string_view name, std::string_view text) {
    return load_file(host, dir.write(name, text));
}

//! A run that must wait at approval step `step`; fails the test with the whole result otherwise.
void require_waiting(const RunResult& result, std::string_view step) {
    BOOST_REQUIRE_MESSAGE(result.waiting && !result.ok && !result.error, "the run should wait: " << dump(result));
    BOOST_TEST(result.status() == "waiting");
    BOOST_REQUIRE(result.approval.contains("step"));
    BOOST_TEST(result.approval.at("step") == json::value(std::string(step)));
}

//! Host::resume, then the run's result; a resume that is refused fails the test.
RunResult resume(TestHost& host, const std::string& id) {
    auto promise = std::make_shared<std::promise<RunResult>>();
    auto future = promise->get_future();
    auto resumed = host.host().resume(id, [promise](RunResult r) { promise->set_value(std::move(r)); });
    BOOST_REQUIRE_MESSAGE(resumed, "resume " << id << " was refused: " << (resumed ? "" : resumed.error().to_string()));
    return host.wait(future);
}

ApprovalDecision decision(Decision d, std::string note = {}, json::value patch = nullptr) {
    ApprovalDecision out;
    out.decision = d;
    out.note = std::move(note);
    out.patch = std::move(patch);
    out.by = "tester";
    return out;
}

//! Host::decide, which must succeed.
void decide(TestHost& host, const std::string& id, const ApprovalDecision& d) {
    auto decided = host.host().decide(id, d);
    BOOST_REQUIRE_MESSAGE(decided, "decide " << id << ": " << (decided ? "" : decided.error().to_string()));
}

//! Host::decide, which must be refused with a message containing `why`.
void refused(TestHost& host, const std::string& id, const ApprovalDecision& d, std::string_view why) {
    auto decided = host.host().decide(id, d);
    BOOST_REQUIRE_MESSAGE(!decided, "the decision " << to_string(d.decision) << " should have been refused");
    BOOST_TEST(contains(decided.error().to_string(), why), decided.error().to_string());
}

StoredRun stored_run(TestHost& host, const std::string& id) {
    auto loaded = host.host().store().load_run(id);
    BOOST_REQUIRE_MESSAGE(loaded, "run " << id << " is not in the store: " << (loaded ? "" : loaded.error().to_string()));
    return std::move(loaded).value();
}

std::size_t count_events(const StoredRun& run, std::string_view kind) {
    return static_cast<std::size_t>(
        std::count_if(run.events.begin(), run.events.end(), [&](const RunEvent& e) { return e.kind == kind; }));
}

const RunEvent& event_of(const StoredRun& run, std::string_view kind, std::string_view step) {
    auto it = std::find_if(run.events.begin(), run.events.end(),
                           [&](const RunEvent& e) { return e.kind == kind && e.step == step; });
    BOOST_REQUIRE_MESSAGE(it != run.events.end(), "no " << kind << " event for step " << step);
    return *it;
}

//! Waits, on the wall clock, for the timeout of a waiting run's question to pass.
void let_timeout_pass(const RunResult& waiting) {
    const auto at = timeout_at(waiting.approval);
    BOOST_REQUIRE_MESSAGE(at, "the question has no timeout: " << json::serialize(waiting.approval));
    while (StoreClock::now() <= *at) std::this_thread::yield();
}

//! The fields every decision writes to the approval step's key.
void check_written(const json::value& written, std::string_view decided, std::string_view note, bool timed_out) {
    BOOST_REQUIRE_MESSAGE(written.is_object(), json::serialize(written));
    BOOST_TEST(written.at("decision") == json::value(std::string(decided)));
    BOOST_TEST(written.at("note") == json::value(std::string(note)));
    BOOST_TEST(written.at("timed_out") == timed_out);
    const json::string& at = written.at("decided_at").as_string();
    BOOST_TEST((at.size() == 20 && at[4] == '-' && at[10] == 'T' && at[19] == 'Z'), at.c_str());
}

BOOST_AUTO_TEST_SUITE(engine_approval)

BOOST_AUTO_TEST_CASE(a_run_at_an_approval_step_is_stored_as_waiting_with_its_question) {
    TempDir dir("approval-wait");
    TestHost host(stored_options(dir.file("runs.db")));
    auto workflow = load_text(host, dir, "approval.json", approval_config);
    const RunResult result = host.run(workflow, parse(approval_input));
    require_waiting(result, "sign-off");

    const json::object& asked = result.approval;
    BOOST_TEST(asked.at("question") == "File these tickets?");
    // What "shows" selects from state; a pointer that names nothing shows null.
    BOOST_TEST(asked.at("shows") == parse(R"({"summary": "two tickets", "count": null})"));
    BOOST_TEST(asked.at("decisions") == parse(R"(["approve", "reject", "edit"])"));
    BOOST_TEST(asked.at("edits") == "/draft/tickets");
    BOOST_TEST(asked.at("value") == parse(approval_input).at("tickets"));
    BOOST_TEST(asked.at("step_number") == 2);
    BOOST_TEST(!asked.contains("timeout_at"));
    BOOST_TEST(!asked.contains("default"));
    BOOST_TEST(!asked.contains("escalation"));
    BOOST_TEST(route(result) == names({"draft"}), boost::test_tools::per_element());
    BOOST_TEST(result.state.at("draft") == parse(approval_input));
    BOOST_TEST(!result.state.contains("approval"));

    // Stored as waiting, with the question as its newest event and the state so far.
    const StoredRun run = stored_run(host, result.run_id);
    BOOST_TEST(to_string(run.run.status) == "waiting");
    BOOST_TEST(run.run.error.is_null());
    BOOST_REQUIRE(!run.events.empty());
    BOOST_TEST(run.events.back().kind == "waiting");
    BOOST_TEST(run.events.back().step == "sign-off");
    BOOST_TEST(run.events.back().payload == json::value(result.approval));
    BOOST_TEST(run.state == result.state);
    BOOST_TEST(count_events(run, event_kind::run_finished) == 0u);

    RunFilter waiting;
    waiting.status = RunStatus::waiting;
    auto listed = host.host().store().list_runs(waiting);
    BOOST_REQUIRE(listed);
    BOOST_REQUIRE(listed->size() == 1u);
    BOOST_TEST(listed->front().id == result.run_id);
    auto unfinished = host.host().store().unfinished_runs();
    BOOST_REQUIRE(unfinished);
    BOOST_REQUIRE(unfinished->size() == 1u);
    BOOST_TEST(unfinished->front().id == result.run_id);
}

BOOST_AUTO_TEST_CASE(approve_after_a_host_restart_goes_on_at_next_with_the_step_numbers_it_had) {
    TempDir dir("approval-approve");
    const fs::path store = dir.file("runs.db");
    const fs::path config = dir.write("approval.json", approval_config);
    std::string id;
    {
        TestHost first(stored_options(store));
        const RunResult waiting = first.run(load_file(first, config), parse(approval_input));
        require_waiting(waiting, "sign-off");
        id = waiting.run_id;
    }
    TestHost host(stored_options(store));
    decide(host, id, decision(Decision::approve, "looks right"));
    {
        const StoredRun decided = stored_run(host, id);
        BOOST_TEST(to_string(decided.run.status) == "waiting");  // a decision alone does not move the run
        BOOST_TEST(decided.events.back().kind == event_kind::decision);
        BOOST_TEST(decided.events.back().step == "sign-off");
        BOOST_TEST(decided.events.back().payload.at("decision") == "approve");
        BOOST_TEST(decided.events.back().payload.at("note") == "looks right");
        BOOST_TEST(decided.events.back().payload.at("by") == "tester");
    }

    const RunResult result = resume(host, id);
    ENGINE_REQUIRE_OK(result);
    BOOST_TEST(result.run_id == id);
    BOOST_TEST(route(result) == names({"draft", "sign-off", "file", "done"}), boost::test_tools::per_element());
    BOOST_TEST(record(result, "sign-off").kind == "approval");
    BOOST_TEST(record(result, "sign-off").next == "file");

    const json::value& written = result.state.at("approval");
    check_written(written, "approve", "looks right", false);
    BOOST_TEST(written.at("by") == "tester");
    BOOST_TEST(written.at("value") == parse(approval_input).at("tickets"));  // approve: the value as it was
    BOOST_TEST(!written.as_object().contains("escalation"));
    BOOST_TEST(result.output == json::value(json::object{{"tickets", written.at("value")}, {"decision", "approve"}}));

    const StoredRun run = stored_run(host, id);
    BOOST_TEST(to_string(run.run.status) == "succeeded");
    BOOST_TEST(run.state == result.state);
    BOOST_TEST(run.events.back().kind == event_kind::run_finished);
    BOOST_TEST(run.events.back().payload.at("output") == result.output);
    BOOST_TEST(count_events(run, "waiting") == 1u);
    BOOST_TEST(count_events(run, event_kind::decision) == 1u);
    BOOST_TEST(count_events(run, "resumed") == 1u);
    // The run counts its steps on across the wait: an agent's idempotency key
    // is <run>/<step>/<step number>, so the numbers a resumed run gives its
    // steps are the ones it would have given them without the wait.
    const RunEvent& resumed = event_of(run, "resumed", "");
    BOOST_TEST(resumed.payload.at("at_step") == "sign-off");
    BOOST_TEST(resumed.payload.at("step_number") == 2);
    BOOST_TEST(event_of(run, event_kind::output, "draft").payload.at("step_number") == 1);
    BOOST_TEST(event_of(run, event_kind::output, "sign-off").payload.at("step_number") == 2);
    BOOST_TEST(event_of(run, event_kind::output, "file").payload.at("step_number") == 3);
    BOOST_TEST(event_of(run, event_kind::output, "done").payload.at("step_number") == 4);

    // A finished run takes neither a decision nor a resume.
    refused(host, id, decision(Decision::approve), "not waiting");
    auto again = host.host().resume(id, [](RunResult) { BOOST_ERROR("a finished run was resumed"); });
    BOOST_REQUIRE(!again);
    BOOST_TEST(contains(again.error().message, "has finished"), again.error().to_string());
}

BOOST_AUTO_TEST_CASE(reject_goes_to_on_reject) {
    TempDir dir("approval-reject");
    TestHost host(stored_options(dir.file("runs.db")));
    const RunResult waiting = host.run(load_text(host, dir, "approval.json", approval_config), parse(approval_input));
    require_waiting(waiting, "sign-off");
    decide(host, waiting.run_id, decision(Decision::reject, "not now"));

    const RunResult result = resume(host, waiting.run_id);
    ENGINE_REQUIRE_OK(result);
    BOOST_TEST(route(result) == names({"draft", "sign-off", "dropped"}), boost::test_tools::per_element());
    BOOST_TEST(record(result, "sign-off").next == "dropped");
    check_written(result.state.at("approval"), "reject", "not now", false);
    BOOST_TEST(result.output == result.state.at("approval"));
    BOOST_TEST(!result.state.contains("file"));
    BOOST_TEST(to_string(stored_run(host, waiting.run_id).run.status) == "succeeded");
}

BOOST_AUTO_TEST_CASE(reject_without_on_reject_fails_the_run_as_rejected) {
    TempDir dir("approval-rejected");
    TestHost host(stored_options(dir.file("runs.db")));
    const RunResult waiting = host.run(load_text(host, dir, "plain.json", plain_config), parse(R"({"text": "hi"})"));
    require_waiting(waiting, "check");
    decide(host, waiting.run_id, decision(Decision::reject, "wrong customer"));

    const RunResult result = resume(host, waiting.run_id);
    require_error(result, "rejected", "check", "");
    BOOST_TEST(contains(result.error->message, "wrong customer"), result.error->message);
    BOOST_TEST(route(result) == names({"draft", "check"}), boost::test_tools::per_element());

    const StoredRun run = stored_run(host, waiting.run_id);
    BOOST_TEST(to_string(run.run.status) == "failed");
    BOOST_REQUIRE(run.run.error.is_object());
    BOOST_TEST(run.run.error.at("code") == "rejected");
    BOOST_TEST(run.run.error.at("step") == "check");
}

BOOST_AUTO_TEST_CASE(an_edit_puts_the_patched_value_in_state_for_the_next_steps) {
    TempDir dir("approval-edit");
    TestHost host(stored_options(dir.file("runs.db")));
    const RunResult waiting = host.run(load_text(host, dir, "approval.json", approval_config), parse(approval_input));
    require_waiting(waiting, "sign-off");
    const json::value patch = parse(R"([{"op": "replace", "path": "/1/priority", "value": "P3"},
                                        {"op": "add", "path": "/-", "value": {"id": "T-3", "priority": "P1"}}])");
    decide(host, waiting.run_id, decision(Decision::edit, "lower T-2, add T-3", patch));
    const StoredRun decided = stored_run(host, waiting.run_id);
    BOOST_TEST(decided.events.back().payload.at("patch") == patch);

    const RunResult result = resume(host, waiting.run_id);
    ENGINE_REQUIRE_OK(result);
    BOOST_TEST(route(result) == names({"draft", "sign-off", "file", "done"}), boost::test_tools::per_element());
    const json::value edited = parse(R"([{"id": "T-1", "priority": "P1"}, {"id": "T-2", "priority": "P3"},
                                         {"id": "T-3", "priority": "P1"}])");
    check_written(result.state.at("approval"), "edit", "lower T-2, add T-3", false);
    BOOST_TEST(result.state.at("approval").at("value") == edited);
    // The next step read the edited value; the draft it came from is as the agent wrote it.
    BOOST_TEST(result.output == json::value(json::object{{"tickets", edited}, {"decision", "edit"}}));
    BOOST_TEST(result.state.at("draft") == parse(approval_input));
}

// An approval whose "edits" names a value no step has written yet offers
// nothing to edit: an edit is refused, approve still works.
BOOST_AUTO_TEST_CASE(an_edit_of_a_value_not_in_state_yet_is_refused) {
    TempDir dir("approval-nothing-to-edit");
    TestHost host(stored_options(dir.file("runs.db")));
    const RunResult waiting = host.run(load_text(host, dir, "later.json", R"json({
      "name": "engine-approval-later",
      "agents": {"echo": {"plugin": "fixture-echo"}},
      "start": "draft",
      "steps": {
        "draft": {"kind": "agent", "agent": "echo", "reads": {"text": "/input/text"}, "next": "check"},
        "check": {"kind": "approval", "question": "Go on?", "edits": "/later", "next": "later"},
        "later": {"kind": "agent", "agent": "echo", "reads": {"text": "/draft/text"}, "next": "done"},
        "done": {"kind": "end", "result": "/later"}
      }
    })json"), parse(R"({"text": "hi"})"));
    require_waiting(waiting, "check");
    BOOST_TEST(waiting.approval.at("value").is_null());
    const uint64_t seq = stored_run(host, waiting.run_id).run.last_seq;
    refused(host, waiting.run_id, decision(Decision::edit, "", parse(R"([{"op": "add", "path": "", "value": {"text": "x"}}])")),
            "there is nothing at /later to edit");
    BOOST_TEST(stored_run(host, waiting.run_id).run.last_seq == seq);
    decide(host, waiting.run_id, decision(Decision::approve, "fine"));
    const RunResult result = resume(host, waiting.run_id);
    ENGINE_REQUIRE_OK(result);
    BOOST_TEST(result.output == parse(R"({"text": "hi"})"));
}

BOOST_AUTO_TEST_CASE(an_edit_that_breaks_the_schema_or_does_not_apply_is_refused_and_nothing_is_stored) {
    TempDir dir("approval-bad-edit");
    TestHost host(stored_options(dir.file("runs.db")));
    const RunResult waiting = host.run(load_text(host, dir, "approval.json", approval_config), parse(approval_input));
    require_waiting(waiting, "sign-off");
    const std::string& id = waiting.run_id;
    const uint64_t seq = stored_run(host, id).run.last_seq;

    // "P9" is not a priority the schema allows.
    refused(host, id, decision(Decision::edit, "", parse(R"([{"op": "replace", "path": "/0/priority", "value": "P9"}])")),
            "breaks the step's schema");
    // The schema wants at least one ticket.
    refused(host, id,
            decision(Decision::edit, "", parse(R"([{"op": "remove", "path": "/1"}, {"op": "remove", "path": "/0"}])")),
            "breaks the step's schema");
    // No ticket 7 to change.
    refused(host, id, decision(Decision::edit, "", parse(R"([{"op": "replace", "path": "/7/priority", "value": "P3"}])")),
            "does not apply to /draft/tickets");
    // Not a patch at all, and no patch.
    refused(host, id, decision(Decision::edit, "", parse(R"({"priority": "P3"})")), "patch");
    refused(host, id, decision(Decision::edit), "an edit needs a patch");

    const StoredRun run = stored_run(host, id);
    BOOST_TEST(run.run.last_seq == seq);
    BOOST_TEST(count_events(run, event_kind::decision) == 0u);
    BOOST_TEST(to_string(run.run.status) == "waiting");

    // The question is still open: a decision that fits is taken.
    decide(host, id, decision(Decision::approve));
    const RunResult result = resume(host, id);
    ENGINE_REQUIRE_OK(result);
    BOOST_TEST(route(result) == names({"draft", "sign-off", "file", "done"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_decision_the_step_does_not_allow_is_refused) {
    TempDir dir("approval-not-allowed");
    TestHost host(stored_options(dir.file("runs.db")));
    const RunResult waiting = host.run(load_text(host, dir, "plain.json", plain_config), parse(R"({"text": "hi"})"));
    require_waiting(waiting, "check");
    BOOST_TEST(waiting.approval.at("decisions") == parse(R"(["approve", "reject"])"));
    BOOST_TEST(!waiting.approval.contains("edits"));
    const std::string& id = waiting.run_id;
    const uint64_t seq = stored_run(host, id).run.last_seq;

    refused(host, id, decision(Decision::edit, "", parse(R"([{"op": "replace", "path": "/text", "value": "x"}])")),
            "does not allow edit");
    // A patch goes with an edit only.
    refused(host, id, decision(Decision::approve, "", parse(R"([{"op": "replace", "path": "/text", "value": "x"}])")),
            "a patch goes with the decision edit");

    const StoredRun run = stored_run(host, id);
    BOOST_TEST(run.run.last_seq == seq);
    BOOST_TEST(count_events(run, event_kind::decision) == 0u);
}

BOOST_AUTO_TEST_CASE(a_second_decision_is_refused_and_the_first_one_applies) {
    TempDir dir("approval-second");
    TestHost host(stored_options(dir.file("runs.db")));
    const RunResult waiting = host.run(load_text(host, dir, "approval.json", approval_config), parse(approval_input));
    require_waiting(waiting, "sign-off");
    const std::string& id = waiting.run_id;
    decide(host, id, decision(Decision::approve, "first"));
    const uint64_t seq = stored_run(host, id).run.last_seq;

    refused(host, id, decision(Decision::reject, "second"), "has a decision already");
    const StoredRun run = stored_run(host, id);
    BOOST_TEST(run.run.last_seq == seq);
    BOOST_TEST(count_events(run, event_kind::decision) == 1u);

    const RunResult result = resume(host, id);
    ENGINE_REQUIRE_OK(result);
    check_written(result.state.at("approval"), "approve", "first", false);
    BOOST_TEST(route(result) == names({"draft", "sign-off", "file", "done"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_waiting_run_without_a_decision_is_not_resumed) {
    TempDir dir("approval-no-decision");
    TestHost host(stored_options(dir.file("runs.db")));
    const RunResult waiting = host.run(load_text(host, dir, "plain.json", plain_config), parse(R"({"text": "hi"})"));
    require_waiting(waiting, "check");
    const std::string& id = waiting.run_id;
    // An hour from now, then reject.
    BOOST_TEST(waiting.approval.at("default") == "reject");
    const auto at = timeout_at(waiting.approval);
    BOOST_REQUIRE(at.has_value());
    BOOST_TEST((*at > StoreClock::now() + std::chrono::minutes(59)));
    const uint64_t seq = stored_run(host, id).run.last_seq;

    auto resumed = host.host().resume(id, [](RunResult) { BOOST_ERROR("a run without a decision was resumed"); });
    BOOST_REQUIRE(!resumed);
    BOOST_TEST(contains(resumed.error().message, "waits for a decision at approval step check"), resumed.error().to_string());
    BOOST_TEST(contains(resumed.error().message, "until " + iso_utc(*at)), resumed.error().to_string());

    // resume_unfinished leaves it waiting, too.
    const ResumeReport report = host.host().resume_unfinished([](RunResult) { BOOST_ERROR("a waiting run was resumed"); });
    BOOST_TEST(report.resumed.empty());
    BOOST_TEST(report.failed.empty());
    BOOST_TEST(report.waiting == names({id.c_str()}), boost::test_tools::per_element());

    const StoredRun run = stored_run(host, id);
    BOOST_TEST(to_string(run.run.status) == "waiting");
    BOOST_TEST(run.run.last_seq == seq);
    BOOST_TEST(count_events(run, "resumed") == 0u);
}

BOOST_AUTO_TEST_CASE(resume_unfinished_takes_up_the_decided_run_and_leaves_the_undecided_one_waiting) {
    TempDir dir("approval-unfinished");
    TestHost host(stored_options(dir.file("runs.db")));
    auto workflow = load_text(host, dir, "approval.json", approval_config);
    const RunResult decided = host.run(workflow, parse(approval_input));
    const RunResult undecided = host.run(workflow, parse(approval_input));
    require_waiting(decided, "sign-off");
    require_waiting(undecided, "sign-off");
    decide(host, decided.run_id, decision(Decision::approve));

    std::promise<RunResult> promise;
    auto future = promise.get_future();
    const ResumeReport report = host.host().resume_unfinished([&promise](RunResult r) { promise.set_value(std::move(r)); });
    BOOST_TEST(report.resumed == names({decided.run_id.c_str()}), boost::test_tools::per_element());
    BOOST_TEST(report.waiting == names({undecided.run_id.c_str()}), boost::test_tools::per_element());
    BOOST_TEST(report.failed.empty());
    const RunResult result = host.wait(future);
    ENGINE_REQUIRE_OK(result);
    BOOST_TEST(result.run_id == decided.run_id);
    BOOST_TEST(to_string(stored_run(host, undecided.run_id).run.status) == "waiting");
}

std::string timeout_workflow(std::string_view timeout_ms, std::string_view default_decision) {
    return replaced(replaced(timeout_config, "TIMEOUT", timeout_ms), "DEFAULT", default_decision);
}

BOOST_AUTO_TEST_CASE(after_the_timeout_the_default_approve_applies_when_a_later_host_resumes) {
    TempDir dir("approval-timeout-approve");
    const fs::path store = dir.file("runs.db");
    // Long enough for the first host to be gone before it passes: it has no say in the run then.
    const fs::path config = dir.write("timeout.json", timeout_workflow("300", "approve"));
    RunResult waiting;
    {
        TestHost first(stored_options(store));
        waiting = first.run(load_file(first, config), parse(R"({"text": "hi"})"));
    }
    require_waiting(waiting, "check");
    BOOST_TEST(waiting.approval.at("default") == "approve");
    let_timeout_pass(waiting);

    // A host started after the timeout takes the run up with the default.
    TestHost host(stored_options(store));
    std::promise<RunResult> promise;
    auto future = promise.get_future();
    const ResumeReport report = host.host().resume_unfinished([&promise](RunResult r) { promise.set_value(std::move(r)); });
    BOOST_TEST(report.resumed == names({waiting.run_id.c_str()}), boost::test_tools::per_element());
    BOOST_TEST(report.waiting.empty());
    const RunResult result = host.wait(future);
    ENGINE_REQUIRE_OK(result);
    BOOST_TEST(route(result) == names({"draft", "check", "send", "done"}), boost::test_tools::per_element());
    check_written(result.state.at("check"), "approve", "no decision before the timeout", true);
    BOOST_TEST(result.state.at("check").at("value") == parse(R"({"text": "hi"})"));
    BOOST_TEST(result.output == parse(R"({"text": "hi"})"));
    const StoredRun run = stored_run(host, waiting.run_id);
    BOOST_TEST(to_string(run.run.status) == "succeeded");
    // The default is on record as a decision, taken by the timeout.
    const RunEvent& decided = event_of(run, "decision", "check");
    BOOST_TEST(decided.payload.at("by") == "timeout");
    BOOST_TEST(decided.payload.at("timed_out") == true);
}

BOOST_AUTO_TEST_CASE(a_host_that_stays_up_applies_the_timeouts_default_reject_itself) {
    TempDir dir("approval-timeout-reject");
    std::promise<RunResult> promise;
    auto future = promise.get_future();
    HostOptions options = stored_options(dir.file("runs.db"));
    options.on_resumed_result = [&promise](RunResult r) { promise.set_value(std::move(r)); };
    TestHost host(std::move(options));
    const RunResult waiting = host.run(load_text(host, dir, "timeout.json", timeout_workflow("1", "reject")),
                                       parse(R"({"text": "hi"})"));
    require_waiting(waiting, "check");
    BOOST_TEST(waiting.approval.at("default") == "reject");

    // Nobody resumes it: the host does, when the timeout passes.
    const RunResult result = host.wait(future);
    ENGINE_REQUIRE_OK(result);
    BOOST_TEST(result.run_id == waiting.run_id);
    BOOST_TEST(route(result) == names({"draft", "check", "dropped"}), boost::test_tools::per_element());
    check_written(result.state.at("check"), "reject", "no decision before the timeout", true);
    BOOST_TEST(!result.state.contains("send"));
    BOOST_TEST(result.output == result.state.at("check"));
}

BOOST_AUTO_TEST_CASE(a_decision_given_before_the_timeout_wins_over_the_default) {
    TempDir dir("approval-timeout-decided");
    std::promise<RunResult> promise;
    auto future = promise.get_future();
    HostOptions options = stored_options(dir.file("runs.db"));
    options.on_resumed_result = [&promise](RunResult r) { promise.set_value(std::move(r)); };
    TestHost host(std::move(options));
    const RunResult waiting = host.run(load_text(host, dir, "timeout.json", timeout_workflow("300", "reject")),
                                       parse(R"({"text": "hi"})"));
    require_waiting(waiting, "check");
    decide(host, waiting.run_id, decision(Decision::approve, "in time"));

    // The host takes the run up when the timeout passes, with the decision it found.
    const RunResult result = host.wait(future);
    ENGINE_REQUIRE_OK(result);
    BOOST_TEST(route(result) == names({"draft", "check", "send", "done"}), boost::test_tools::per_element());
    check_written(result.state.at("check"), "approve", "in time", false);
}

BOOST_AUTO_TEST_CASE(a_low_confidence_escalates_and_approve_goes_on_at_the_escalating_steps_next) {
    TempDir dir("escalation-low");
    TestHost host(stored_options(dir.file("runs.db")));
    auto workflow = load_text(host, dir, "escalation.json", escalation_config);
    // One keyword hit: confidence 0.75, below 0.8.
    const RunResult waiting = host.run(workflow, parse(R"({"text": "I want a refund"})"));
    require_waiting(waiting, "review");
    BOOST_TEST(route(waiting) == names({"classify"}), boost::test_tools::per_element());
    BOOST_TEST(record(waiting, "classify").next == "review");
    const json::object& asked = waiting.approval;
    BOOST_TEST(asked.at("question") == "Is this triage right?");
    BOOST_TEST(asked.at("shows").at("triage") == waiting.state.at("classify"));
    BOOST_REQUIRE(asked.contains("escalation"));
    const json::value& escalation = asked.at("escalation");
    BOOST_TEST(escalation.at("reason") == "low_confidence");
    BOOST_TEST(escalation.at("step") == "classify");
    BOOST_TEST(escalation.at("then") == "respond");
    BOOST_TEST(escalation.at("threshold").to_number<double>() == 0.8);
    BOOST_TEST(escalation.at("confidence").to_number<double>() == 0.75);
    BOOST_TEST(contains(escalation.at("why").as_string(), "below"), escalation.at("why").as_string().c_str());
    BOOST_TEST(waiting.state.at("classify").at("category") == "billing");

    decide(host, waiting.run_id, decision(Decision::approve, "billing is right"));
    const RunResult result = resume(host, waiting.run_id);
    ENGINE_REQUIRE_OK(result);
    // On at classify's next, not at the approval step's own next (reviewed).
    BOOST_TEST(route(result) == names({"classify", "review", "respond", "done"}), boost::test_tools::per_element());
    check_written(result.state.at("review"), "approve", "billing is right", false);
    BOOST_TEST(result.state.at("review").at("escalation") == escalation);
    BOOST_TEST(result.output == parse(R"({"category": "billing"})"));
}

BOOST_AUTO_TEST_CASE(a_confidence_at_or_above_the_threshold_does_not_escalate) {
    TempDir dir("escalation-none");
    TestHost host(stored_options(dir.file("runs.db")));
    auto workflow = load_text(host, dir, "escalation.json", escalation_config);
    // Two keyword hits in one category: confidence 1.0.
    const RunResult result = host.run(workflow, parse(R"({"text": "refund my invoice"})"));
    ENGINE_REQUIRE_OK(result);
    BOOST_TEST(result.state.at("classify").at("confidence").to_number<double>() == 1.0);
    BOOST_TEST(route(result) == names({"classify", "respond", "done"}), boost::test_tools::per_element());
    BOOST_TEST(!result.state.contains("review"));
    const StoredRun run = stored_run(host, result.run_id);
    BOOST_TEST(count_events(run, "waiting") == 0u);
    BOOST_TEST(!event_of(run, event_kind::output, "classify").payload.as_object().contains("escalation"));
}

BOOST_AUTO_TEST_CASE(a_rejected_escalation_goes_to_on_reject) {
    TempDir dir("escalation-reject");
    TestHost host(stored_options(dir.file("runs.db")));
    const RunResult waiting =
        host.run(load_text(host, dir, "escalation.json", escalation_config), parse(R"({"text": "the site is down"})"));
    require_waiting(waiting, "review");
    BOOST_TEST(waiting.approval.at("escalation").at("confidence").to_number<double>() == 0.75);
    decide(host, waiting.run_id, decision(Decision::reject, "a person takes it"));

    const RunResult result = resume(host, waiting.run_id);
    ENGINE_REQUIRE_OK(result);
    BOOST_TEST(route(result) == names({"classify", "review", "handoff"}), boost::test_tools::per_element());
    check_written(result.state.at("review"), "reject", "a person takes it", false);
    BOOST_TEST(!result.state.contains("respond"));
}

BOOST_AUTO_TEST_CASE(a_missing_confidence_escalates_to_the_steps_own_escalate_to) {
    TempDir dir("escalation-missing");
    TestHost host(stored_options(dir.file("runs.db")));
    auto workflow = load_text(host, dir, "no_confidence.json", no_confidence_config);
    const RunResult waiting = host.run(workflow, parse(R"({"text": "maybe"})"));
    require_waiting(waiting, "confirm");
    const json::value& escalation = waiting.approval.at("escalation");
    BOOST_TEST(escalation.at("reason") == "low_confidence");
    BOOST_TEST(escalation.at("step") == "guess");
    BOOST_TEST(escalation.at("confidence").is_null());
    BOOST_TEST(escalation.at("then") == "done");
    BOOST_TEST(contains(escalation.at("why").as_string(), "no numeric confidence"), escalation.at("why").as_string().c_str());

    decide(host, waiting.run_id, decision(Decision::approve));
    const RunResult result = resume(host, waiting.run_id);
    ENGINE_REQUIRE_OK(result);
    BOOST_TEST(route(result) == names({"guess", "confirm", "done"}), boost::test_tools::per_element());
    BOOST_TEST(result.output == parse(R"({"text": "maybe"})"));
}

BOOST_AUTO_TEST_CASE(a_spent_cost_budget_escalates_and_approve_lifts_the_budget) {
    TempDir dir("budget-approve");
    const fs::path store = dir.file("runs.db");
    const fs::path config = dir.write("budget.json", budget_config);
    RunResult waiting;
    {
        TestHost first(stored_options(store));
        waiting = first.run(load_file(first, config), parse("{}"));
    }
    require_waiting(waiting, "over-budget");
    // spend-2 went over $1 and finished; the run escalated instead of failing.
    BOOST_TEST(route(waiting) == names({"spend-1", "spend-2"}), boost::test_tools::per_element());
    BOOST_TEST(waiting.cost_usd == 1.70, boost::test_tools::tolerance(1e-9));
    const json::value& escalation = waiting.approval.at("escalation");
    BOOST_TEST(escalation.at("reason") == "cost_budget");
    BOOST_TEST(escalation.at("step") == "spend-2");
    BOOST_TEST(escalation.at("then") == "spend-3");
    BOOST_TEST(escalation.at("cost_usd").to_number<double>() == 1.70, boost::test_tools::tolerance(1e-9));
    BOOST_TEST(escalation.at("max_cost_usd").to_number<double>() == 1.0);

    TestHost host(stored_options(store));
    decide(host, waiting.run_id, decision(Decision::approve, "worth it"));
    const RunResult result = resume(host, waiting.run_id);
    ENGINE_REQUIRE_OK(result);
    // spend-3 took the run further over its budget, and nothing stopped it again.
    BOOST_TEST(route(result) == names({"spend-1", "spend-2", "over-budget", "spend-3", "done"}),
               boost::test_tools::per_element());
    BOOST_TEST(result.cost_usd == 2.55, boost::test_tools::tolerance(1e-9));
    check_written(result.state.at("budget"), "approve", "worth it", false);
    BOOST_TEST(result.state.at("budget").at("escalation") == escalation);
    const StoredRun run = stored_run(host, waiting.run_id);
    BOOST_TEST(to_string(run.run.status) == "succeeded");
    BOOST_TEST(run.run.cost_usd == 2.55, boost::test_tools::tolerance(1e-9));
    BOOST_TEST(count_events(run, "waiting") == 1u);
}

BOOST_AUTO_TEST_CASE(a_rejected_budget_escalation_goes_to_on_reject) {
    TempDir dir("budget-reject");
    TestHost host(stored_options(dir.file("runs.db")));
    const RunResult waiting = host.run(load_text(host, dir, "budget.json", budget_config), parse("{}"));
    require_waiting(waiting, "over-budget");
    decide(host, waiting.run_id, decision(Decision::reject, "too expensive"));

    const RunResult result = resume(host, waiting.run_id);
    ENGINE_REQUIRE_OK(result);
    BOOST_TEST(route(result) == names({"spend-1", "spend-2", "over-budget", "stopped"}), boost::test_tools::per_element());
    BOOST_TEST(result.cost_usd == 1.70, boost::test_tools::tolerance(1e-9));
    check_written(result.state.at("budget"), "reject", "too expensive", false);
    BOOST_TEST(result.output == result.state.at("budget"));
    BOOST_TEST(!result.state.contains("spend-3"));
}

BOOST_AUTO_TEST_CASE(a_run_resumes_under_the_config_it_started_with_after_the_file_changed) {
    TempDir dir("approval-config-changed");
    const fs::path store = dir.file("runs.db");
    const fs::path config = dir.write("approval.json", approval_config);
    RunResult waiting;
    std::string first_sha;
    {
        TestHost first(stored_options(store));
        auto workflow = load_file(first, config);
        first_sha = workflow->config().sha256;
        waiting = first.run(workflow, parse(approval_input));
    }
    require_waiting(waiting, "sign-off");

    // The file now asks another question, and its end step returns the draft instead of what was filed.
    std::string changed = replaced(approval_config, "File these tickets?", "Really file these tickets?");
    changed = replaced(changed, R"("done": {"kind": "end", "result": "/file"})", R"("done": {"kind": "end", "result": "/draft"})");
    dir.write("approval.json", changed);

    TestHost host(stored_options(store));
    auto now = load_file(host, config);
    BOOST_TEST(now->config().sha256 != first_sha);
    // A new run goes by the file as it is now ...
    const RunResult fresh = host.run(now, parse(approval_input));
    require_waiting(fresh, "sign-off");
    BOOST_TEST(fresh.approval.at("question") == "Really file these tickets?");

    // ... and the old one by the config it started under.
    BOOST_TEST(stored_run(host, waiting.run_id).run.config_sha256 == first_sha);
    decide(host, waiting.run_id, decision(Decision::approve));
    const RunResult result = resume(host, waiting.run_id);
    ENGINE_REQUIRE_OK(result);
    BOOST_TEST(result.output == json::value(json::object{{"tickets", parse(approval_input).at("tickets")}, {"decision", "approve"}}));

    decide(host, fresh.run_id, decision(Decision::approve));
    const RunResult fresh_result = resume(host, fresh.run_id);
    ENGINE_REQUIRE_OK(fresh_result);
    BOOST_TEST(fresh_result.output == parse(approval_input));
}

BOOST_AUTO_TEST_CASE(without_a_store_file_runs_wait_and_resume_in_memory) {
    TempDir dir("approval-memory");
    TestHost host;  // HostOptions::store empty: the memory store
    const RunResult waiting = host.run(load_text(host, dir, "approval.json", approval_config), parse(approval_input));
    require_waiting(waiting, "sign-off");
    {
        const StoredRun run = stored_run(host, waiting.run_id);
        BOOST_TEST(to_string(run.run.status) == "waiting");
        BOOST_TEST(run.events.back().kind == "waiting");
    }
    auto early = host.host().resume(waiting.run_id, [](RunResult) { BOOST_ERROR("a run without a decision was resumed"); });
    BOOST_REQUIRE(!early);
    BOOST_TEST(contains(early.error().message, "waits for a decision"), early.error().to_string());

    refused(host, waiting.run_id,
            decision(Decision::edit, "", parse(R"([{"op": "replace", "path": "/0/priority", "value": "P9"}])")),
            "breaks the step's schema");
    decide(host, waiting.run_id,
           decision(Decision::edit, "raise T-2", parse(R"([{"op": "replace", "path": "/1/priority", "value": "P1"}])")));
    refused(host, waiting.run_id, decision(Decision::approve), "has a decision already");

    const RunResult result = resume(host, waiting.run_id);
    ENGINE_REQUIRE_OK(result);
    BOOST_TEST(route(result) == names({"draft", "sign-off", "file", "done"}), boost::test_tools::per_element());
    const json::value edited = parse(R"([{"id": "T-1", "priority": "P1"}, {"id": "T-2", "priority": "P1"}])");
    BOOST_TEST(result.state.at("approval").at("value") == edited);
    BOOST_TEST(result.output == json::value(json::object{{"tickets", edited}, {"decision", "edit"}}));
    const StoredRun run = stored_run(host, waiting.run_id);
    BOOST_TEST(to_string(run.run.status) == "succeeded");
    BOOST_TEST(run.state == result.state);
}

// A run that waits a second time (a second approval step, or the same step
// again after a loop) takes a decision for its new question.
BOOST_AUTO_TEST_CASE(a_second_approval_step_takes_its_own_decision) {
    TempDir dir("approval-two");
    TestHost host(stored_options(dir.file("runs.db")));
    const RunResult first = host.run(load_text(host, dir, "two.json", two_approvals_config), parse(R"({"text": "hi"})"));
    require_waiting(first, "legal");
    decide(host, first.run_id, decision(Decision::approve, "legal ok"));
    const RunResult second = resume(host, first.run_id);
    require_waiting(second, "manager");

    decide(host, first.run_id, decision(Decision::approve, "manager ok"));
    const RunResult result = resume(host, first.run_id);
    ENGINE_REQUIRE_OK(result);
    BOOST_TEST(route(result) == names({"draft", "legal", "manager", "done"}), boost::test_tools::per_element());
    check_written(result.state.at("legal"), "approve", "legal ok", false);
    check_written(result.state.at("manager"), "approve", "manager ok", false);
}

BOOST_AUTO_TEST_CASE(a_shows_member_that_lists_pointers_shows_the_first_present) {
    TempDir dir("approval-shows-first");
    TestHost host(stored_options(dir.file("runs.db")));
    auto workflow = load_text(host, dir, "optional-check.json", optional_check_config);

    // No check: /checked/value/text names nothing, the draft's text is shown;
    // a member none of whose pointers names anything shows null.
    const RunResult unchecked = host.run(workflow, parse(R"({"text": "as drafted"})"));
    require_waiting(unchecked, "sign-off");
    BOOST_TEST(unchecked.approval.at("shows") == parse(R"({"text": "as drafted", "nothing": null})"));

    // Checked and edited: the checked text, not the draft's.
    const RunResult first = host.run(workflow, parse(R"({"text": "as drafted", "check": true})"));
    require_waiting(first, "check");
    decide(host, first.run_id,
           decision(Decision::edit, "reworded", parse(R"([{"op": "replace", "path": "/text", "value": "as checked"}])")));
    const RunResult checked = resume(host, first.run_id);
    require_waiting(checked, "sign-off");
    BOOST_TEST(checked.state.at("draft").at("text") == "as drafted");
    BOOST_TEST(checked.approval.at("shows") == parse(R"({"text": "as checked", "nothing": null})"));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace agenthost::engine_test
