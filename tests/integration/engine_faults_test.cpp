// engine_faults_test.cpp: the engine against fixture plugins that misbehave:
// fail N times, hang until cancelled, return output that breaks their schema
// (or is not JSON), throw, return 100 MiB, and write a state key they do not
// own. In every case the run finishes through its fallback or fails with the
// right structured error, and the host goes on serving runs.
#include "engine_support.hpp"

#include <boost/test/unit_test.hpp>

namespace {

using namespace agenthost;
using namespace agenthost::engine_test;

//! The host still works: a healthy run on it succeeds.
void host_survives(TestHost& host) {
    auto pipeline = host.load("pipeline.json");
    RunResult result = host.run(pipeline, parse(R"({"text": "still here", "n": 1})"));
    ENGINE_REQUIRE_OK(result);
    BOOST_TEST(result.output == parse(R"({"text": "still here", "n": 1})"));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(engine_faults)

// ------------------------------------------------------------------ fail N times

BOOST_AUTO_TEST_CASE(retries_recover_a_flaky_agent) {
    TestHost host;
    auto workflow = host.load("flaky.json");
    RunResult result = host.run(workflow, parse(R"({"case": "recover"})"));
    ENGINE_REQUIRE_OK(result);
    BOOST_TEST(route(result) == names({"pick", "recover", "done"}), boost::test_tools::per_element());
    const StepRecord& step = record(result, "recover");
    BOOST_TEST(step.attempts == 3u);  // two failures, then the third attempt succeeds
    BOOST_TEST(!step.fallback_used);
    BOOST_TEST(step.agent == "recovers");
    BOOST_TEST(step.plugin == "fixture-flaky@1.0.0");
    BOOST_TEST(result.state.at("recover") == parse(R"({"from": "recovers"})"));
}

BOOST_AUTO_TEST_CASE(retries_exhausted_fall_back) {
    TestHost host;
    auto workflow = host.load("flaky.json");
    RunResult result = host.run(workflow, parse(R"({"case": "exhaust"})"));
    ENGINE_REQUIRE_OK(result);
    const StepRecord& step = record(result, "exhaust");
    BOOST_TEST(step.attempts == 4u);  // three of the primary, one of the fallback
    BOOST_TEST(step.fallback_used);
    BOOST_TEST(step.agent == "stand-in");
    BOOST_TEST(result.state.at("exhaust") == parse(R"({"from": "stand-in"})"));
}

BOOST_AUTO_TEST_CASE(fallback_chain_is_tried_in_order) {
    TestHost host;
    auto workflow = host.load("flaky.json");
    RunResult result = host.run(workflow, parse(R"({"case": "chain"})"));
    ENGINE_REQUIRE_OK(result);
    const StepRecord& step = record(result, "chain");
    BOOST_TEST(step.attempts == 3u);  // chained, broken, stand-in: one attempt each
    BOOST_TEST(step.fallback_used);
    BOOST_TEST(step.agent == "stand-in");
    BOOST_TEST(result.state.at("chain") == parse(R"({"from": "stand-in"})"));
}

BOOST_AUTO_TEST_CASE(no_fallback_fails_the_run_naming_step_and_agent) {
    TestHost host;
    auto workflow = host.load("flaky.json");
    RunResult result = host.run(workflow, parse(R"({"case": "alone"})"));
    require_error(result, "agent_failed", "alone", "alone");
    // Both attempts are in the cause, each with the plugin's own message.
    BOOST_TEST(contains(result.error->message, "attempt 1 of 1000 fails"), result.error->message);
    BOOST_TEST(contains(result.error->message, "attempt 2 of 1000 fails"), result.error->message);
    BOOST_TEST(contains(result.error->message, "AH_ERR_UNAVAILABLE"), result.error->message);
    BOOST_TEST(!result.state.contains("alone"));
    // The failed step is on the path too, with what it tried.
    BOOST_TEST(route(result) == names({"pick", "alone"}), boost::test_tools::per_element());
    BOOST_TEST(!record(result, "alone").ok);
    BOOST_TEST(record(result, "alone").attempts == 2u);
    host_survives(host);
}

// ------------------------------------------------------------------ hang until cancelled

BOOST_AUTO_TEST_CASE(hang_times_out_is_cancelled_and_falls_back) {
    TestHost host;
    auto workflow = host.load("hang.json");
    RunResult result = host.run(workflow, parse(R"({"case": "async"})"));
    // The deadline (5 s) is far beyond the two 50 ms timeouts: reaching the
    // fallback at all means both hung attempts were cut short.
    ENGINE_REQUIRE_OK(result);
    const StepRecord& step = record(result, "wait");
    BOOST_TEST(step.attempts == 3u);  // two hung attempts, then the fallback
    BOOST_TEST(step.fallback_used);
    BOOST_TEST(step.agent == "stand-in");
    BOOST_TEST(result.state.at("wait") == parse(R"({"from": "stand-in"})"));
    host_survives(host);
}

BOOST_AUTO_TEST_CASE(hang_without_fallback_fails_with_a_timeout) {
    TestHost host;
    auto workflow = host.load("hang.json");
    RunResult result = host.run(workflow, parse(R"({"case": "alone"})"));
    require_error(result, "agent_timeout", "wait-alone", "hangs-alone");
    BOOST_TEST(contains(result.error->message, "AH_ERR_TIMEOUT"), result.error->message);
    BOOST_TEST(!result.state.contains("wait-alone"));
    host_survives(host);
}

// A synchronous plugin blocks its pool thread inside invoke until it sees a
// cancel. With one worker thread nothing else can run meanwhile, so unless
// the timeout really cancels the call in flight, the run waits out the
// plugin's give_up_ms (10 s), past the run's deadline (5 s), and fails with
// "deadline" instead of finishing through its fallback.
BOOST_AUTO_TEST_CASE(sync_hang_is_cancelled_by_its_timeout) {
    HostOptions options = host_options();
    options.worker_threads = 1;
    TestHost host(options);
    auto workflow = host.load("hang.json");
    RunResult result = host.run(workflow, parse(R"({"case": "sync"})"));
    ENGINE_REQUIRE_OK(result);
    const StepRecord& step = record(result, "wait-sync");
    BOOST_TEST(step.fallback_used);
    BOOST_TEST(step.agent == "stand-in");
}

// ------------------------------------------------------------------ schema-violating output

BOOST_AUTO_TEST_CASE(output_breaking_the_schema_never_reaches_state) {
    TestHost host;
    auto workflow = host.load("bad_output.json");
    RunResult result = host.run(workflow, parse(R"({"case": "wrong-shape"})"));
    ENGINE_REQUIRE_OK(result);
    BOOST_TEST(route(result) == names({"pick", "answer", "use", "done"}), boost::test_tools::per_element());
    const StepRecord& step = record(result, "answer");
    BOOST_TEST(step.fallback_used);
    BOOST_TEST(step.agent == "good-answer");
    BOOST_TEST(step.attempts == 2u);
    // The step's key holds the fallback's output; the garbage is nowhere in state.
    BOOST_TEST(result.state.at("answer") == parse(R"({"answer": "from the fallback"})"));
    BOOST_TEST(!contains(json::serialize(result.state), "garbage"));
    // Downstream saw only the valid output.
    BOOST_TEST(result.state.at("use") == parse(R"({"answer": "from the fallback"})"));
}

BOOST_AUTO_TEST_CASE(output_that_is_not_json_falls_back) {
    TestHost host;
    auto workflow = host.load("bad_output.json");
    RunResult result = host.run(workflow, parse(R"({"case": "not-json"})"));
    ENGINE_REQUIRE_OK(result);
    const StepRecord& step = record(result, "garbled");
    BOOST_TEST(step.fallback_used);
    BOOST_TEST(result.state.at("garbled") == parse(R"({"answer": "from the fallback"})"));
    BOOST_TEST(result.state.at("use-garbled") == parse(R"({"answer": "from the fallback"})"));
}

BOOST_AUTO_TEST_CASE(output_breaking_the_schema_without_fallback_fails_the_run) {
    TestHost host;
    auto workflow = host.load("bad_output.json");
    RunResult result = host.run(workflow, parse(R"({"case": "alone"})"));
    require_error(result, "agent_failed", "alone", "wrong-alone");
    BOOST_TEST(contains(result.error->message, "output_schema"), result.error->message);
    BOOST_TEST(!result.state.contains("alone"));
    BOOST_TEST(!result.state.contains("use-alone"));  // nothing downstream ran
    host_survives(host);
}

// ------------------------------------------------------------------ throw

BOOST_AUTO_TEST_CASE(exceptions_become_failures_and_fall_back) {
    TestHost host;
    auto workflow = host.load("throwing.json");
    for (const char* what : {"runtime_error", "failure", "non_std"}) {
        BOOST_TEST_CONTEXT("throw " << what) {
            json::object input{{"case", "throw"}, {"throw", what}};
            RunResult result = host.run(workflow, input);
            ENGINE_REQUIRE_OK(result);
            const StepRecord& step = record(result, "throw");
            BOOST_TEST(step.attempts == 3u);  // two throwing attempts (all three are retryable), then the fallback
            BOOST_TEST(step.fallback_used);
            BOOST_TEST(step.agent == "stand-in");
            BOOST_TEST(result.state.at("throw") == parse(R"({"ok": true})"));
        }
    }
    host_survives(host);
}

BOOST_AUTO_TEST_CASE(exception_from_cancel_is_contained) {
    TestHost host;
    auto workflow = host.load("throwing.json");
    RunResult result = host.run(workflow, parse(R"({"case": "in-cancel", "throw": "in_cancel"})"));
    ENGINE_REQUIRE_OK(result);
    const StepRecord& step = record(result, "cancel");
    BOOST_TEST(step.fallback_used);
    BOOST_TEST(step.agent == "stand-in");
    host_survives(host);
}

BOOST_AUTO_TEST_CASE(exception_without_fallback_fails_naming_the_plugin_message) {
    TestHost host;
    auto workflow = host.load("throwing.json");
    RunResult result = host.run(workflow, parse(R"({"case": "alone", "throw": "runtime_error"})"));
    require_error(result, "agent_failed", "alone", "thrower-alone");
    BOOST_TEST(contains(result.error->message, "fixture-throwing: runtime_error thrown in invoke"),
               result.error->message);
    BOOST_TEST(contains(result.error->message, "AH_ERR_INTERNAL"), result.error->message);
    host_survives(host);
}

BOOST_AUTO_TEST_CASE(exception_from_create_is_a_config_issue) {
    TestHost host;
    LoadResult loaded = host.host().load(config_path("throwing_create.json"));
    const auto* issues = std::get_if<ConfigIssues>(&loaded);
    BOOST_REQUIRE(issues != nullptr);
    BOOST_REQUIRE(!issues->empty());
    const std::string text = issues->front().to_string();
    BOOST_TEST(contains(text, "explodes"), text);
    BOOST_TEST(contains(text, "fixture-throwing"), text);
    BOOST_TEST(issues->front().line > 0);
    host_survives(host);
}

// ------------------------------------------------------------------ 100 MiB of output

BOOST_AUTO_TEST_CASE(huge_output_fails_the_size_limit_and_falls_back) {
    TestHost host;
    auto workflow = host.load("huge_output.json");
    RunResult result = host.run(workflow, parse(R"({"case": "huge"})"));
    ENGINE_REQUIRE_OK(result);
    const StepRecord& step = record(result, "answer");
    BOOST_TEST(step.fallback_used);
    BOOST_TEST(step.agent == "small");
    BOOST_TEST(step.attempts == 2u);
    BOOST_TEST(result.state.at("answer").at("blob").as_string().size() == 16u);
    host_survives(host);
}

BOOST_AUTO_TEST_CASE(huge_output_without_fallback_fails_the_run) {
    TestHost host;
    auto workflow = host.load("huge_output.json");
    RunResult result = host.run(workflow, parse(R"({"case": "alone"})"));
    require_error(result, "agent_failed", "alone", "huge-alone");
    BOOST_TEST(contains(result.error->message, "over the limit"), result.error->message);
    BOOST_TEST(!result.state.contains("alone"));
    host_survives(host);
}

// ------------------------------------------------------------------ writing a key it does not own

BOOST_AUTO_TEST_CASE(write_outside_the_steps_key_is_refused_and_falls_back) {
    TestHost host;
    auto workflow = host.load("context_writer.json");
    // Granted by the operator, but "triage" is the triage step's key.
    RunResult result = host.run(workflow, parse(R"({"case": "outside", "pointer": "/triage/category", "value": "hacked"})"));
    ENGINE_REQUIRE_OK(result);
    const StepRecord& step = record(result, "notes");
    BOOST_TEST(step.fallback_used);
    BOOST_TEST(step.agent == "stand-in");
    BOOST_TEST(step.attempts == 2u);  // a refused permission is not retried
    BOOST_TEST(result.state.at("triage") == parse(R"({"category": "billing"})"));
    BOOST_TEST(result.state.at("notes") == parse(R"({"written": "by the stand-in"})"));
}

BOOST_AUTO_TEST_CASE(write_outside_the_grant_is_refused_and_falls_back) {
    TestHost host;
    auto workflow = host.load("context_writer.json");
    RunResult result = host.run(workflow, parse(R"({"case": "ungranted", "pointer": "/input/case", "value": "rewritten"})"));
    ENGINE_REQUIRE_OK(result);
    BOOST_TEST(record(result, "notes").fallback_used);
    BOOST_TEST(result.state.at("input").at("case") == "ungranted");
}

BOOST_AUTO_TEST_CASE(write_inside_the_steps_key_is_applied) {
    TestHost host;
    auto workflow = host.load("context_writer.json");
    RunResult result = host.run(workflow, parse(R"({"case": "inside", "pointer": "/notes/extra", "value": {"k": [1, 2]}})"));
    ENGINE_REQUIRE_OK(result);
    const StepRecord& step = record(result, "notes");
    BOOST_TEST(!step.fallback_used);
    BOOST_TEST(step.agent == "writer");
    BOOST_TEST(result.state.at("notes") == parse(R"({"written": "/notes/extra", "extra": {"k": [1, 2]}})"));
}

// A write inside the step's own key is applied on top of the agent's output,
// after that output passed the output_schema. It must not be a way around the
// schema: whatever ends up at the key still has to be valid output.
BOOST_AUTO_TEST_CASE(write_inside_the_steps_key_cannot_bypass_the_output_schema) {
    TestHost host;
    auto workflow = host.load("context_writer.json");
    for (const char* input : {R"({"case": "whole-key", "pointer": "/notes", "value": "not an object"})",
                              R"({"case": "wrong-type", "pointer": "/notes/written", "value": 42})"}) {
        BOOST_TEST_CONTEXT("input " << input) {
            RunResult result = host.run(workflow, parse(input));
            ENGINE_REQUIRE_OK(result);  // through the fallback, or with the write refused
            const json::value& notes = result.state.at("notes");
            // fixture-context-writer's output_schema: an object; "written", when there, a string.
            const json::value* written = notes.is_object() ? notes.as_object().if_contains("written") : nullptr;
            BOOST_TEST((notes.is_object() && (written == nullptr || written->is_string())),
                       "state.notes = " << json::serialize(notes));
        }
    }
}

BOOST_AUTO_TEST_CASE(refused_write_without_fallback_fails_with_permission_denied) {
    TestHost host;
    auto workflow = host.load("context_writer.json");
    RunResult result = host.run(workflow, parse(R"({"case": "alone", "pointer": "/notes/x", "value": 1})"));
    require_error(result, "agent_failed", "notes-alone", "writer-alone");
    BOOST_TEST(contains(result.error->message, "AH_ERR_PERMISSION_DENIED"), result.error->message);
    BOOST_TEST(!result.state.contains("notes"));
    BOOST_TEST(!result.state.contains("notes-alone"));
    host_survives(host);
}

BOOST_AUTO_TEST_SUITE_END()
