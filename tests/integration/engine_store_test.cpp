// engine_store_test.cpp: runs recorded in a SQLite run store (HostOptions::store):
// the run created with its workflow, config hash, pinned plugins and input;
// one output event per step in order, usage where tokens were spent, and a
// run_finished event; the final state, tokens, cost and status as the run's
// result has them; failed runs with their error; many runs at once.
#include "engine_support.hpp"

#include <agenthost/host/run_store.hpp>

#include <boost/test/unit_test.hpp>

#include "temp_dir.hpp"

#include <unistd.h>

namespace agenthost::engine_test {
namespace {

using agenthost::test::TempDir;

namespace fs = std::filesystem;


HostOptions stored_options(const fs::path& store) {
    HostOptions options = host_options();
    options.store = store;
    return options;
}

//! The run as the store holds it; fails the test when it is not there.
StoredRun stored_run(const fs::path& store, const std::string& id) {
    auto opened = open_sqlite_run_store(store);
    BOOST_REQUIRE_MESSAGE(opened, (opened ? "" : opened.error().to_string()));
    auto loaded = opened.value()->load_run(id);
    BOOST_REQUIRE_MESSAGE(loaded, "run " << id << " is not in the store: " << (loaded ? "" : loaded.error().to_string()));
    return std::move(loaded).value();
}

std::vector<std::string> events_of_kind(const StoredRun& run, std::string_view kind) {
    std::vector<std::string> steps;
    for (const RunEvent& e : run.events)
        if (e.kind == kind) steps.push_back(e.step);
    return steps;
}

const RunEvent& output_event(const StoredRun& run, std::string_view step) {
    auto it = std::find_if(run.events.begin(), run.events.end(),
                           [&](const RunEvent& e) { return e.kind == event_kind::output && e.step == step; });
    BOOST_REQUIRE_MESSAGE(it != run.events.end(), "no output event for step " << step);
    return *it;
}

BOOST_AUTO_TEST_SUITE(engine_store)

BOOST_AUTO_TEST_CASE(a_run_is_recorded_step_by_step_with_its_final_state) {
    TempDir dir("pipeline");
    const fs::path store = dir.path() / "runs.db";
    RunResult result;
    std::string sha256;
    {
        TestHost host(stored_options(store));
        auto workflow = host.load("pipeline.json");
        sha256 = workflow->config().sha256;
        result = host.run(workflow, parse(R"({"text": "hello", "n": 3})"));
    }
    ENGINE_REQUIRE_OK(result);

    const StoredRun run = stored_run(store, result.run_id);
    BOOST_TEST(to_string(run.run.status) == "succeeded");
    BOOST_TEST(run.run.workflow == "engine-pipeline");
    BOOST_TEST(run.run.config_sha256 == sha256);
    BOOST_TEST(run.run.input == parse(R"({"text": "hello", "n": 3})"));
    BOOST_TEST(run.run.error.is_null());
    // Plugin versions pinned at start, per agent.
    BOOST_REQUIRE(run.run.plugins.contains("echo"));
    BOOST_TEST(std::string(run.run.plugins.at("echo").as_string()).starts_with("fixture-echo@"));
    BOOST_TEST(std::string(run.run.plugins.at("strict").as_string()).starts_with("fixture-echo-strict@"));

    // Each step: step_started, its attempts, then its output, all in one commit.
    std::vector<std::string> kinds;
    for (const RunEvent& e : run.events) kinds.push_back(e.kind + ":" + e.step);
    const std::vector<std::string> expected_kinds{
        "step_started:first", "attempt:first", "output:first", "step_started:second", "attempt:second",
        "output:second", "step_started:done", "output:done", "run_finished:"};
    BOOST_TEST(kinds == expected_kinds, boost::test_tools::per_element());
    const RunEvent& attempt = run.events[1];
    BOOST_TEST(attempt.payload.at("agent") == "echo");
    BOOST_TEST(attempt.payload.at("attempt") == 1);
    BOOST_TEST(attempt.payload.at("ok") == true);
    BOOST_TEST(run.events[0].payload.at("step_number") == 1);

    // One output event per step, in the order the run took them, then run_finished.
    BOOST_TEST(events_of_kind(run, event_kind::output) == route(result), boost::test_tools::per_element());
    BOOST_TEST(route(result) == names({"first", "second", "done"}), boost::test_tools::per_element());
    BOOST_REQUIRE(!run.events.empty());
    BOOST_TEST(run.events.back().kind == event_kind::run_finished);
    BOOST_TEST(run.events.back().payload.at("output") == result.output);
    for (std::size_t i = 0; i < run.events.size(); ++i) BOOST_TEST(run.events[i].seq == i + 1);

    const RunEvent& second = output_event(run, "second");
    BOOST_TEST(second.payload.at("agent") == "strict");
    BOOST_TEST(second.payload.at("attempts") == 1);
    BOOST_TEST(second.payload.at("fallback_used") == false);
    BOOST_TEST(second.payload.at("output") == result.state.at("answer"));

    BOOST_TEST(run.state == result.state);
    BOOST_TEST(run.run.tokens == result.tokens);
    BOOST_TEST(run.run.cost_usd == result.cost_usd);
}

BOOST_AUTO_TEST_CASE(tokens_and_cost_are_recorded_with_usage_events) {
    TempDir dir("cost");
    const fs::path store = dir.path() / "runs.db";
    RunResult result;
    {
        TestHost host(stored_options(store));
        result = host.run(host.load("cost.json"), parse(R"({"case": "once"})"));
    }
    ENGINE_REQUIRE_OK(result);
    const StoredRun run = stored_run(store, result.run_id);
    BOOST_TEST(to_string(run.run.status) == "succeeded");
    BOOST_TEST(run.run.tokens == 110000u);
    BOOST_TEST(run.run.tokens == result.tokens);
    BOOST_TEST(run.run.cost_usd == result.cost_usd, boost::test_tools::tolerance(1e-9));
    BOOST_TEST(events_of_kind(run, event_kind::usage) == names({"once"}), boost::test_tools::per_element());
    for (const RunEvent& e : run.events) {
        if (e.kind != event_kind::usage) continue;
        BOOST_TEST(e.payload.at("tokens") == 110000);
        BOOST_TEST(e.payload.at("cost_usd").to_number<double>() == 0.85, boost::test_tools::tolerance(1e-9));
    }
    BOOST_TEST(run.state == result.state);
}

BOOST_AUTO_TEST_CASE(a_failed_run_is_recorded_failed_with_its_error) {
    TempDir dir("failed");
    const fs::path store = dir.path() / "runs.db";
    RunResult result;
    {
        TestHost host(stored_options(store));
        result = host.run(host.load("cost.json"), parse(R"({"case": "spend"})"));
    }
    BOOST_REQUIRE(!result.ok);
    BOOST_REQUIRE(result.error);
    const StoredRun run = stored_run(store, result.run_id);
    BOOST_TEST(to_string(run.run.status) == "failed");
    BOOST_REQUIRE(run.run.error.is_object());
    BOOST_TEST(run.run.error.at("code") == "cost_budget");
    BOOST_TEST(run.run.error == json::value(result.error->to_json()));
    // The steps that finished, then the end of the run, whose spending is recorded.
    BOOST_TEST(events_of_kind(run, event_kind::output) == names({"pick", "spend-1"}), boost::test_tools::per_element());
    BOOST_TEST(run.events.back().kind == event_kind::run_finished);
    BOOST_TEST(run.events.back().payload.at("ok") == false);
    BOOST_TEST(run.events.back().payload.at("error").at("code") == "cost_budget");
    BOOST_TEST(run.run.tokens == result.tokens);
    BOOST_TEST(run.run.cost_usd == result.cost_usd, boost::test_tools::tolerance(1e-9));
    BOOST_TEST(run.state == result.state);
}

BOOST_AUTO_TEST_CASE(a_step_that_fails_is_recorded_with_the_run) {
    TempDir dir("missing");
    const fs::path store = dir.path() / "runs.db";
    RunResult result;
    {
        TestHost host(stored_options(store));
        // fixture-echo-strict wants an integer n: the second step's input is refused.
        result = host.run(host.load("pipeline.json"), parse(R"({"text": "hello", "n": "three"})"));
    }
    BOOST_REQUIRE(!result.ok);
    const StoredRun run = stored_run(store, result.run_id);
    BOOST_TEST(to_string(run.run.status) == "failed");
    BOOST_TEST(run.run.error == json::value(result.error->to_json()));
    BOOST_TEST(run.events.back().kind == event_kind::run_finished);
    BOOST_TEST(run.state == result.state);
}

BOOST_AUTO_TEST_CASE(concurrent_runs_are_all_recorded) {
    TempDir dir("concurrent");
    const fs::path store = dir.path() / "runs.db";
    std::vector<RunResult> results;
    {
        TestHost host(stored_options(store));
        auto workflow = host.load("pipeline.json");
        std::vector<std::future<RunResult>> futures;
        for (int i = 0; i < 64; ++i) {
            futures.push_back(host.start(workflow, json::object{{"text", "t" + std::to_string(i)}, {"n", i}}));
        }
        for (auto& f : futures) results.push_back(host.wait(f));
    }
    auto opened = open_sqlite_run_store(store);
    BOOST_REQUIRE(opened);
    auto listed = opened.value()->list_runs(RunFilter{RunStatus::succeeded, 1000});
    BOOST_REQUIRE(listed);
    BOOST_TEST(listed->size() == results.size());
    for (const RunResult& result : results) {
        ENGINE_REQUIRE_OK(result);
        auto loaded = opened.value()->load_run(result.run_id);
        BOOST_REQUIRE(loaded);
        BOOST_TEST(loaded->state == result.state);
        BOOST_TEST(events_of_kind(loaded.value(), event_kind::output) == route(result), boost::test_tools::per_element());
    }
}

// Without a store file, runs are recorded in memory: the host's store has them.
// record_in_memory = false records nothing.
BOOST_AUTO_TEST_CASE(without_a_file_runs_are_recorded_in_memory_unless_told_not_to) {
    {
        TestHost host;
        const RunResult result = host.run(host.load("pipeline.json"), parse(R"({"text": "hello", "n": 3})"));
        ENGINE_REQUIRE_OK(result);
        auto loaded = host.host().store().load_run(result.run_id);
        BOOST_REQUIRE(loaded);
        BOOST_TEST(to_string(loaded->run.status) == "succeeded");
        BOOST_TEST(loaded->state == result.state);
        BOOST_TEST(events_of_kind(loaded.value(), event_kind::output) == route(result), boost::test_tools::per_element());
    }
    HostOptions options = host_options();
    options.record_in_memory = false;
    TestHost host(options);
    const RunResult result = host.run(host.load("pipeline.json"), parse(R"({"text": "hello", "n": 3})"));
    ENGINE_REQUIRE_OK(result);
    BOOST_TEST(!host.host().store().load_run(result.run_id));
}

BOOST_AUTO_TEST_CASE(a_store_that_cannot_be_opened_stops_the_host) {
    TempDir dir("unopenable");
    HostOptions options = stored_options(dir.path());  // a folder, not a file
    try {
        Host host(options);
        BOOST_FAIL("the host started on a store it cannot open");
    } catch (const std::runtime_error& e) {
        BOOST_TEST(contains(e.what(), "cannot open the run store"));
        BOOST_TEST(contains(e.what(), dir.path().string()));
    }
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace agenthost::engine_test
