// engine_steps_test.cpp: each step kind run by the engine over real plugins:
// agent (typed handoffs; a read that lists several pointers takes the first
// present), switch (every operator and the default), parallel
// (every join policy, including both vote tie rules), review (approved at
// once, after a revision, and exhausted both ways) and end.
#include "engine_support.hpp"

#include <boost/test/unit_test.hpp>

namespace {

using namespace agenthost;
using namespace agenthost::engine_test;

}  // namespace

BOOST_AUTO_TEST_SUITE(engine_steps)

// ------------------------------------------------------------------ agent and end

BOOST_AUTO_TEST_CASE(agent_steps_hand_typed_output_downstream) {
    TestHost host;
    auto workflow = host.load("pipeline.json");
    RunResult result = host.run(workflow, parse(R"({"text": "hello", "n": 3, "ignored": "not read"})"));
    ENGINE_REQUIRE_OK(result);
    BOOST_TEST(route(result) == names({"first", "second", "done"}), boost::test_tools::per_element());
    // Each agent gets only what its step reads: "ignored" never travels.
    BOOST_TEST(result.output == parse(R"({"text": "hello", "n": 3})"));
    BOOST_TEST(result.state.at("first") == parse(R"({"text": "hello", "n": 3})"));
    BOOST_TEST(result.state.at("answer") == parse(R"({"text": "hello", "n": 3})"));
    const StepRecord& first = record(result, "first");
    BOOST_TEST(first.kind == "agent");
    BOOST_TEST(first.agent == "echo");
    BOOST_TEST(first.plugin == "fixture-echo@1.0.0");
    BOOST_TEST(first.attempts == 1u);
    BOOST_TEST(first.next == "second");
    BOOST_TEST(record(result, "second").plugin == "fixture-echo-strict@1.0.0");
    BOOST_TEST(record(result, "done").kind == "end");
    BOOST_TEST(is_hex(result.run_id, 32), result.run_id);
    BOOST_TEST(result.workflow == "engine-pipeline");
}

BOOST_AUTO_TEST_CASE(input_breaking_the_next_agents_schema_stops_the_handoff) {
    TestHost host;
    auto workflow = host.load("pipeline.json");
    // fixture-echo passes "n" on as a string; fixture-echo-strict's input_schema wants an integer.
    RunResult result = host.run(workflow, parse(R"({"text": "hello", "n": "three"})"));
    require_error(result, "agent_failed", "second", "strict");
    BOOST_TEST(contains(result.error->message, "input_schema"), result.error->message);
    BOOST_TEST(!result.state.contains("answer"));
}

BOOST_AUTO_TEST_CASE(reading_state_that_is_not_there_fails_with_missing_state) {
    TestHost host;
    auto workflow = host.load("pipeline.json");
    RunResult result = host.run(workflow, parse(R"({"text": "hello"})"));
    require_error(result, "missing_state", "first", "");
    BOOST_TEST(contains(result.error->message, "/input/n"), result.error->message);
}

// ------------------------------------------------------------------ a read that lists several pointers

BOOST_AUTO_TEST_CASE(a_read_that_lists_pointers_takes_the_first_present) {
    TestHost host;
    auto workflow = host.load("first_present.json");
    RunResult result =
        host.run(workflow, parse(R"({"check": true, "checked_text": "as checked", "text": "as given", "fallback": "x"})"));
    ENGINE_REQUIRE_OK(result);
    BOOST_TEST(route(result) == names({"which", "check", "use", "done"}), boost::test_tools::per_element());
    BOOST_TEST(result.state.at("checked") == parse(R"({"text": "as checked"})"));
    BOOST_TEST(result.output == parse(R"({"text": "as checked"})"));
}

BOOST_AUTO_TEST_CASE(a_read_that_lists_pointers_skips_those_that_name_nothing) {
    TestHost host;
    auto workflow = host.load("first_present.json");
    // No check: /checked/text names nothing, /input/text is read.
    RunResult second = host.run(workflow, parse(R"({"text": "as given", "fallback": "x"})"));
    ENGINE_REQUIRE_OK(second);
    BOOST_TEST(route(second) == names({"which", "use", "done"}), boost::test_tools::per_element());
    BOOST_TEST(!second.state.contains("checked"));
    BOOST_TEST(second.output == parse(R"({"text": "as given"})"));

    // Neither of the first two: the third.
    RunResult third = host.run(workflow, parse(R"({"fallback": "x"})"));
    ENGINE_REQUIRE_OK(third);
    BOOST_TEST(third.output == parse(R"({"text": "x"})"));

    // null is a value: it is read, not skipped.
    RunResult null_text = host.run(workflow, parse(R"({"text": null, "fallback": "x"})"));
    ENGINE_REQUIRE_OK(null_text);
    BOOST_TEST(null_text.output == parse(R"({"text": null})"));
}

BOOST_AUTO_TEST_CASE(a_read_whose_pointers_all_name_nothing_fails_with_missing_state_naming_each) {
    TestHost host;
    auto workflow = host.load("first_present.json");
    RunResult result = host.run(workflow, parse(R"({"check": false})"));
    require_error(result, "missing_state", "use", "");
    BOOST_TEST(record(result, "which").next == "use");
    for (const char* pointer : {"/checked/text", "/input/text", "/input/fallback"})
        BOOST_TEST(contains(result.error->message, pointer), result.error->message);
    BOOST_TEST(!result.state.contains("answer"));
}

BOOST_AUTO_TEST_CASE(end_step_returns_its_result_from_state) {
    TestHost host;
    auto workflow = host.load("end_only.json");
    RunResult result = host.run(workflow, parse(R"({"payload": {"a": [1, 2, 3]}})"));
    ENGINE_REQUIRE_OK(result);
    BOOST_TEST(route(result) == names({"done"}), boost::test_tools::per_element());
    BOOST_TEST(result.output == parse(R"({"a": [1, 2, 3]})"));

    RunResult missing = host.run(workflow, parse(R"({"other": 1})"));
    require_error(missing, "missing_state", "done", "");
}

// ------------------------------------------------------------------ switch

struct SwitchCaseData {
    const char* input;  // the run's input, whose "v" the switch reads
    const char* end;    // the end step the route must reach
};

BOOST_AUTO_TEST_CASE(switch_routes_by_every_operator) {
    const SwitchCaseData table[] = {
        {R"({"v": "exact"})", "is-equals"},
        {R"({"v": "q"})", "is-one-of"},
        {R"({"v": 7.0})", "is-one-of"},  // 7.0 equals the 7 in config
        {R"({"v": "regex"})", "is-matches"},
        {R"({"v": "xregex"})", "is-default"},  // ^ anchors
        {R"({"v": 101})", "is-above"},
        {R"({"v": 100.5})", "is-above"},
        {R"({"v": 100})", "is-at-least"},  // not above 100, but at least
        {R"({"v": -1})", "is-below"},
        {R"({"v": 0})", "is-at-most"},  // not below 0, but at most
        {R"({"v": 50})", "is-default"},
        {R"({"v": "100"})", "is-default"},  // a string is not a number
        {R"({"v": true})", "is-default"},
        {R"({"v": null})", "is-default"},
        {R"({"w": "exact"})", "is-default"},  // nothing at /input/v
    };
    TestHost host;
    auto workflow = host.load("switch.json");
    for (const SwitchCaseData& c : table) {
        BOOST_TEST_CONTEXT("input " << c.input) {
            RunResult result = host.run(workflow, parse(c.input));
            ENGINE_REQUIRE_OK(result);
            BOOST_TEST(route(result) == names({"route", c.end}), boost::test_tools::per_element());
            const StepRecord& r = record(result, "route");
            BOOST_TEST(r.kind == "switch");
            BOOST_TEST(r.next == c.end);
            BOOST_TEST(r.detail == (std::string_view(c.end) == "is-default" ? "default" : "matched a case"));
        }
    }
}

// ------------------------------------------------------------------ parallel

BOOST_AUTO_TEST_CASE(join_all_collects_every_branch_by_name) {
    TestHost host;
    auto workflow = host.load("parallel.json");
    RunResult result = host.run(workflow, parse(R"({"case": "all"})"));
    ENGINE_REQUIRE_OK(result);
    BOOST_TEST(result.state.at("all") == parse(R"({"a": {"label": "a", "vote": "x"},
                                                  "b": {"label": "b", "vote": "y"},
                                                  "c": {"label": "c", "vote": "y"}})"));
    const StepRecord& step = record(result, "all");
    BOOST_TEST(step.kind == "parallel");
    BOOST_REQUIRE(step.branches.size() == 3u);
    BOOST_TEST(step.branches[0].step == "a");
    BOOST_TEST(step.branches[2].agent == "c");
    BOOST_TEST(step.attempts == 3u);
}

BOOST_AUTO_TEST_CASE(join_all_fails_when_a_branch_fails) {
    TestHost host;
    auto workflow = host.load("parallel.json");
    RunResult result = host.run(workflow, parse(R"({"case": "all-fails"})"));
    require_error(result, "join_failed", "all-fails", "");
    BOOST_TEST(contains(result.error->message, "broken"), result.error->message);
    BOOST_TEST(!result.state.contains("all-fails"));
}

BOOST_AUTO_TEST_CASE(join_first_success_takes_the_first_to_succeed) {
    TestHost host;
    auto workflow = host.load("parallel.json");
    // Branch "forever" never answers (its timeout is ten minutes): the step
    // can only end because branch "a" runs at the same time and wins.
    RunResult result = host.run(workflow, parse(R"({"case": "first"})"));
    ENGINE_REQUIRE_OK(result);
    BOOST_TEST(result.state.at("first") == parse(R"({"label": "a", "vote": "x"})"));
    BOOST_TEST(record(result, "first").detail == "chosen branch a");
}

BOOST_AUTO_TEST_CASE(join_first_success_fails_when_every_branch_fails) {
    TestHost host;
    auto workflow = host.load("parallel.json");
    RunResult result = host.run(workflow, parse(R"({"case": "first-none"})"));
    require_error(result, "join_failed", "first-none", "");
    BOOST_TEST(contains(result.error->message, "one"), result.error->message);
    BOOST_TEST(contains(result.error->message, "two"), result.error->message);
}

BOOST_AUTO_TEST_CASE(join_vote_takes_the_majority) {
    TestHost host;
    auto workflow = host.load("parallel.json");
    RunResult result = host.run(workflow, parse(R"({"case": "vote"})"));
    ENGINE_REQUIRE_OK(result);
    // "y" has two votes (b, c); the earliest branch that cast it is b.
    BOOST_TEST(result.state.at("vote") == parse(R"({"label": "b", "vote": "y"})"));
    BOOST_TEST(record(result, "vote").detail == "chosen branch b");
}

BOOST_AUTO_TEST_CASE(join_vote_tie_first_takes_the_earliest_tied_branch) {
    TestHost host;
    auto workflow = host.load("parallel.json");
    RunResult result = host.run(workflow, parse(R"({"case": "vote-tie-first"})"));
    ENGINE_REQUIRE_OK(result);
    BOOST_TEST(result.state.at("vote-tie-first") == parse(R"({"label": "a", "vote": "x"})"));
}

BOOST_AUTO_TEST_CASE(join_vote_tie_fail_fails_the_step) {
    TestHost host;
    auto workflow = host.load("parallel.json");
    RunResult result = host.run(workflow, parse(R"({"case": "vote-tie-fail"})"));
    require_error(result, "join_failed", "vote-tie-fail", "");
    BOOST_TEST(contains(result.error->message, "tied"), result.error->message);
    BOOST_TEST(!result.state.contains("vote-tie-fail"));
}

BOOST_AUTO_TEST_CASE(join_priority_takes_the_earliest_branch_in_config_order) {
    TestHost host;
    auto workflow = host.load("parallel.json");
    // "slow" answers on its own thread after 30 ms; "a" answers at once. Config order wins, not speed.
    RunResult result = host.run(workflow, parse(R"({"case": "priority", "delay_ms": 30, "text": "slow one"})"));
    ENGINE_REQUIRE_OK(result);
    BOOST_TEST(result.state.at("priority") == parse(R"({"text": "slow one"})"));
    BOOST_TEST(record(result, "priority").detail == "chosen branch slow");
}

BOOST_AUTO_TEST_CASE(join_priority_skips_failed_branches) {
    TestHost host;
    auto workflow = host.load("parallel.json");
    RunResult result = host.run(workflow, parse(R"({"case": "priority-skip"})"));
    ENGINE_REQUIRE_OK(result);
    BOOST_TEST(result.state.at("priority-skip") == parse(R"({"label": "b", "vote": "y"})"));
    const StepRecord& step = record(result, "priority-skip");
    BOOST_REQUIRE(step.branches.size() == 3u);
    BOOST_TEST(!step.branches[0].ok);
    BOOST_TEST(contains(step.branches[0].error, "fixture-flaky"), step.branches[0].error);
}

// ------------------------------------------------------------------ review

BOOST_AUTO_TEST_CASE(review_approved_in_round_one) {
    TestHost host;
    auto workflow = host.load("review.json");
    RunResult result = host.run(workflow, parse(R"({"case": "round-one", "name": "Ada", "ticket": "T-1"})"));
    ENGINE_REQUIRE_OK(result);
    const StepRecord& step = record(result, "round-one");
    BOOST_TEST(step.kind == "review");
    BOOST_TEST(step.rounds == 1u);
    BOOST_TEST(step.attempts == 2u);  // one draft, one review
    BOOST_TEST(step.agent == "writer-good");  // the step's output is the worker's
    BOOST_TEST(step.detail == "approved in round 1");
    BOOST_TEST(result.state.at("round-one").at("text") == "Hello Ada, your ticket number is T-1.");
}

BOOST_AUTO_TEST_CASE(review_approved_after_a_revision) {
    TestHost host;
    auto workflow = host.load("review.json");
    RunResult result = host.run(workflow, parse(R"({"case": "revised", "name": "Ada", "ticket": "T-1"})"));
    ENGINE_REQUIRE_OK(result);
    const StepRecord& step = record(result, "revised");
    BOOST_TEST(step.rounds == 2u);
    BOOST_TEST(step.attempts == 4u);
    BOOST_TEST(step.detail == "approved in round 2");
    // The worker saw the reviewer's feedback and added the phrase it was missing.
    const std::string text(result.state.at("revised").at("text").as_string());
    BOOST_TEST(contains(text, "Hello Ada"), text);
    BOOST_TEST((contains(text, "ticket number") || contains(text, "Ticket number")), text);
}

BOOST_AUTO_TEST_CASE(review_exhausted_keeps_the_last_draft) {
    TestHost host;
    auto workflow = host.load("review.json");
    RunResult result = host.run(workflow, parse(R"({"case": "accept-last", "name": "Ada"})"));
    ENGINE_REQUIRE_OK(result);
    const StepRecord& step = record(result, "accept-last");
    BOOST_TEST(step.rounds == 2u);
    BOOST_TEST(step.attempts == 4u);
    BOOST_TEST(step.detail == "not approved after 2 rounds");
    BOOST_TEST(result.state.at("accept-last").at("text") == "Hello Ada, thanks for writing.");
}

BOOST_AUTO_TEST_CASE(review_exhausted_fails_when_told_to) {
    TestHost host;
    auto workflow = host.load("review.json");
    RunResult result = host.run(workflow, parse(R"({"case": "must-pass", "name": "Ada"})"));
    require_error(result, "review_rejected", "must-pass", "checker");
    BOOST_TEST(contains(result.error->message, "ticket number"), result.error->message);  // the reviewer's reasons
    BOOST_TEST(!result.state.contains("must-pass"));
}

BOOST_AUTO_TEST_SUITE_END()
