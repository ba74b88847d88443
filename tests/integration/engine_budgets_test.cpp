// engine_budgets_test.cpp: the bounds on a run (max_steps catching a hand-off
// loop, the deadline, the token and cost ceilings fed by ah.usage/1 and the
// config's "prices") and an agent's error budget opening its circuit so that
// calls go straight to the fallback.
#include "engine_support.hpp"

#include <agenthost/host/logging.hpp>

#include <boost/test/unit_test.hpp>

#include <sstream>

namespace {

using namespace agenthost;
using namespace agenthost::engine_test;

}  // namespace

BOOST_AUTO_TEST_SUITE(engine_budgets)

BOOST_AUTO_TEST_CASE(max_steps_ends_a_hand_off_loop) {
    TestHost host;
    auto workflow = host.load("loop.json");
    RunResult result = host.run(workflow, parse(R"({"hello": "loop"})"));
    // ping, pong, ping, pong, ping: five steps; the sixth (pong) is one too many.
    require_error(result, "step_limit", "pong", "");
    BOOST_TEST(route(result) == names({"ping", "pong", "ping", "pong", "ping"}), boost::test_tools::per_element());
    BOOST_TEST(contains(result.error->message, "max_steps"), result.error->message);
}

BOOST_AUTO_TEST_CASE(deadline_ends_a_run_that_waits_too_long) {
    TestHost host;
    auto workflow = host.load("deadline.json");
    // The agent never answers and its own timeout is ten minutes: only the
    // run's 200 ms deadline can end this run.
    RunResult result = host.run(workflow, parse(R"({"case": "plain"})"));
    require_error(result, "deadline", "wait", "forever");
    BOOST_TEST(!result.state.contains("wait"));
}

BOOST_AUTO_TEST_CASE(deadline_is_not_extended_by_a_fallback) {
    TestHost host;
    auto workflow = host.load("deadline.json");
    RunResult result = host.run(workflow, parse(R"({"case": "fallback"})"));
    require_error(result, "deadline", "wait-fallback", "forever-with-fallback");
    BOOST_TEST(!result.state.contains("wait-fallback"));
}

BOOST_AUTO_TEST_CASE(token_ceiling_ends_the_run_naming_step_and_agent) {
    TestHost host;
    auto workflow = host.load("tokens.json");
    RunResult result = host.run(workflow, parse(R"({"case": "spend"})"));
    // 700 tokens in spend-1 fit under 1000; spend-2 brings the run to 1400.
    require_error(result, "token_budget", "spend-2", "spender");
    BOOST_TEST(result.tokens == 1400u);
    BOOST_TEST(route(result) == names({"pick", "spend-1"}), boost::test_tools::per_element());
    BOOST_TEST(!result.state.contains("spend-2"));
}

BOOST_AUTO_TEST_CASE(tokens_under_the_ceiling_are_counted) {
    TestHost host;
    auto workflow = host.load("tokens.json");
    RunResult result = host.run(workflow, parse(R"({"case": "cheap"})"));
    ENGINE_REQUIRE_OK(result);
    BOOST_TEST(result.tokens == 20u);
    BOOST_TEST(result.cost_usd == 0.0);  // model m1 has no price
}

BOOST_AUTO_TEST_CASE(cost_ceiling_ends_the_run_naming_step_and_agent) {
    TestHost host;
    auto workflow = host.load("cost.json");
    RunResult result = host.run(workflow, parse(R"({"case": "spend"})"));
    // $0.85 in spend-1 fits under $1; spend-2 brings the run to $1.70.
    require_error(result, "cost_budget", "spend-2", "pricey");
    BOOST_TEST(result.cost_usd == 1.70, boost::test_tools::tolerance(1e-9));
    BOOST_TEST(route(result) == names({"pick", "spend-1"}), boost::test_tools::per_element());
    BOOST_TEST(!result.state.contains("spend-2"));
}

BOOST_AUTO_TEST_CASE(cost_is_priced_per_model_from_the_config) {
    TestHost host;
    auto workflow = host.load("cost.json");
    RunResult once = host.run(workflow, parse(R"({"case": "once"})"));
    ENGINE_REQUIRE_OK(once);
    // Cached input at its own price, the rest of the input and the output at theirs.
    BOOST_TEST(once.cost_usd == 0.85, boost::test_tools::tolerance(1e-9));
    BOOST_TEST(once.tokens == 110000u);

    RunResult free = host.run(workflow, parse(R"({"case": "free"})"));
    ENGINE_REQUIRE_OK(free);  // a model without a price costs nothing, however many tokens
    BOOST_TEST(free.cost_usd == 0.0);
    BOOST_TEST(free.tokens == 220000u);
}

BOOST_AUTO_TEST_CASE(error_budget_opens_the_circuit_and_calls_go_to_the_fallback) {
    std::ostringstream log;
    Logging logging({LogLevel::info, LogFormat::json, &log});
    TestHost host;
    auto workflow = host.load("error_budget.json");

    // window 4, min_calls 2, max_failure_rate 0.5: the second failure opens the circuit.
    for (int run = 1; run <= 2; ++run) {
        BOOST_TEST_CONTEXT("run " << run) {
            RunResult result = host.run(workflow, json::object{});
            ENGINE_REQUIRE_OK(result);
            const StepRecord& step = record(result, "call");
            BOOST_TEST(step.attempts == 2u);  // the agent failed, then the fallback answered
            BOOST_TEST(step.fallback_used);
            BOOST_TEST(step.agent == "stand-in");
        }
    }
    // The circuit is open for ten minutes: later calls never reach the agent.
    for (int run = 3; run <= 5; ++run) {
        BOOST_TEST_CONTEXT("run " << run) {
            RunResult result = host.run(workflow, json::object{});
            ENGINE_REQUIRE_OK(result);
            const StepRecord& step = record(result, "call");
            BOOST_TEST(step.attempts == 1u);  // the fallback only
            BOOST_TEST(step.fallback_used);
            BOOST_TEST(step.agent == "stand-in");
            BOOST_TEST(result.output == parse(R"({"from": "stand-in"})"));
        }
    }
    const std::string text = log.str();
    BOOST_TEST(contains(text, "error budget of agent unreliable spent"), text);
    BOOST_TEST(contains(text, "circuit of agent unreliable is open"), text);
}

BOOST_AUTO_TEST_SUITE_END()
