// engine_runtime_test.cpp: the engine as a runtime: many runs at once through
// the asynchronous Host::start, parallel branches that really overlap, and
// the correlation id that ties each run's spans (run -> step -> attempt) in
// the trace file, for runs that succeed and runs that fail.
#include "engine_support.hpp"

#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <set>
#include <unistd.h>

namespace {

using namespace agenthost;
using namespace agenthost::engine_test;

//! A trace file of its own, removed at the end of the test.
struct TempTrace {
    std::filesystem::path path;
    explicit TempTrace(std::string_view name)
        : path(std::filesystem::temp_directory_path() /
               ("agenthost-" + std::string(name) + "-" + std::to_string(::getpid()) + ".jsonl")) {
        std::filesystem::remove(path);
    }
    ~TempTrace() {
        std::error_code ignored;
        std::filesystem::remove(path, ignored);
    }
};

std::vector<json::object> read_spans(const std::filesystem::path& file) {
    std::vector<json::object> spans;
    std::ifstream in(file);
    std::string line;
    while (std::getline(in, line)) {
        if (!line.empty()) spans.push_back(json::parse(line).as_object());
    }
    return spans;
}

std::string text(const json::object& o, std::string_view key) { return std::string(o.at(key).as_string()); }

//! Checks that the spans of run `run_id` form one tree: one run span, every
//! step span a child of it, every attempt span a child of one of those steps.
//! Returns the number of attempt spans.
std::size_t check_span_tree(const std::vector<json::object>& all, const std::string& run_id) {
    std::vector<const json::object*> runs, steps, attempts;
    for (const json::object& span : all) {
        if (text(span, "trace_id") != run_id) continue;
        const std::string kind = text(span, "kind");
        if (kind == "run") runs.push_back(&span);
        else if (kind == "step") steps.push_back(&span);
        else if (kind == "attempt") attempts.push_back(&span);
        else BOOST_ERROR("a span of unknown kind " << kind);
        BOOST_TEST(is_hex(text(span, "span_id"), 16), text(span, "span_id"));
    }
    BOOST_REQUIRE_EQUAL(runs.size(), 1u);
    const std::string run_span = text(*runs.front(), "span_id");
    BOOST_TEST(text(*runs.front(), "parent_span_id").empty());
    std::set<std::string> step_ids;
    for (const json::object* step : steps) {
        BOOST_TEST(text(*step, "parent_span_id") == run_span, json::serialize(*step));
        step_ids.insert(text(*step, "span_id"));
    }
    for (const json::object* attempt : attempts) {
        BOOST_TEST(step_ids.count(text(*attempt, "parent_span_id")) == 1u,
                   "an attempt whose parent step span is not in the trace: " << json::serialize(*attempt));
    }
    return attempts.size();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(engine_runtime)

BOOST_AUTO_TEST_CASE(many_runs_at_once_through_start) {
    TestHost host;
    auto workflow = host.load("fanout.json");
    constexpr int runs = 200;
    std::vector<std::future<RunResult>> futures;
    futures.reserve(runs);
    for (int i = 0; i < runs; ++i) {
        json::object input{{"delay_ms", i % 5}, {"text", "run " + std::to_string(i)}, {"n", i}};
        futures.push_back(host.start(workflow, input));
    }
    std::set<std::string> ids;
    for (int i = 0; i < runs; ++i) {
        RunResult result = host.wait(futures[i]);
        BOOST_TEST_CONTEXT("run " << i) {
            ENGINE_REQUIRE_OK(result);
            // Each run got its own input through both branches and the join: no cross-talk.
            BOOST_TEST(result.output == (json::object{{"text", "run " + std::to_string(i)}, {"n", i}}));
            BOOST_TEST(route(result) == names({"fan", "combine", "done"}), boost::test_tools::per_element());
            BOOST_TEST(is_hex(result.run_id, 32), result.run_id);
            ids.insert(result.run_id);
        }
    }
    BOOST_TEST(ids.size() == static_cast<std::size_t>(runs));  // one correlation id per run
}

BOOST_AUTO_TEST_CASE(start_with_a_callback_reports_each_run_once) {
    TestHost host;
    auto workflow = host.load("flaky.json");
    constexpr int runs = 50;
    // Shared with the callbacks, which run on the host's threads.
    struct Collected {
        std::mutex mutex;
        std::map<std::string, RunResult> results;
        int calls = 0;
        std::promise<void> all_done;
    };
    auto collected = std::make_shared<Collected>();
    std::vector<std::string> started;
    for (int i = 0; i < runs; ++i) {
        // Half recover after retries, half fall back: retries and fallbacks of many runs interleave.
        json::object input{{"case", i % 2 == 0 ? "recover" : "exhaust"}};
        started.push_back(host.host().start(workflow, input, [collected](RunResult result) {
            std::lock_guard lock(collected->mutex);
            const std::string id = result.run_id;
            collected->results.emplace(id, std::move(result));
            if (++collected->calls == runs) collected->all_done.set_value();
        }));
    }
    auto all_done = collected->all_done.get_future();
    host.wait_for(all_done, "50 runs started with a callback");
    std::lock_guard lock(collected->mutex);
    BOOST_TEST(collected->calls == runs);
    BOOST_REQUIRE_EQUAL(collected->results.size(), static_cast<std::size_t>(runs));  // each id once
    for (int i = 0; i < runs; ++i) {
        BOOST_TEST_CONTEXT("run " << i) {
            auto it = collected->results.find(started[i]);  // start's id is the run's id
            BOOST_REQUIRE(it != collected->results.end());
            const RunResult& result = it->second;
            ENGINE_REQUIRE_OK(result);
            if (i % 2 == 0) {
                BOOST_TEST(result.state.at("recover") == parse(R"({"from": "recovers"})"));
            } else {
                BOOST_TEST(result.state.at("exhaust") == parse(R"({"from": "stand-in"})"));
            }
        }
    }
}

// One branch never answers on its own; the other answers at once. A
// first_success join can only finish if the branches run side by side and
// the loser is cancelled, many runs at a time.
BOOST_AUTO_TEST_CASE(parallel_branches_really_run_concurrently) {
    HostOptions options = host_options();
    options.worker_threads = 2;
    TestHost host(options);
    auto workflow = host.load("parallel.json");
    std::vector<std::future<RunResult>> futures;
    for (int i = 0; i < 64; ++i) futures.push_back(host.start(workflow, parse(R"({"case": "first"})")));
    for (auto& f : futures) {
        RunResult result = host.wait(f);
        ENGINE_REQUIRE_OK(result);
        BOOST_TEST(result.state.at("first") == parse(R"({"label": "a", "vote": "x"})"));
    }
    // Every losing branch was cancelled, not left hanging until its ten-minute timeout.
    for (const Workflow::Agent& agent : workflow->agents()) {
        if (agent.config->name == "forever") BOOST_TEST(agent.instance->calls_in_flight() == 0u);
    }
}

BOOST_AUTO_TEST_CASE(spans_carry_the_run_id_with_parent_links) {
    TempTrace trace("engine-trace");
    std::string ok_id, retried_id, parallel_id;
    {
        HostOptions options = host_options();
        options.trace_file = trace.path;
        TestHost host(options);
        RunResult ok = host.run(host.load("pipeline.json"), parse(R"({"text": "t", "n": 1})"));
        ENGINE_REQUIRE_OK(ok);
        RunResult retried = host.run(host.load("flaky.json"), parse(R"({"case": "exhaust"})"));
        ENGINE_REQUIRE_OK(retried);
        RunResult parallel = host.run(host.load("parallel.json"), parse(R"({"case": "all"})"));
        ENGINE_REQUIRE_OK(parallel);
        ok_id = ok.run_id;
        retried_id = retried.run_id;
        parallel_id = parallel.run_id;
    }  // the host is gone: every span is written
    const auto spans = read_spans(trace.path);
    BOOST_REQUIRE(!spans.empty());
    const std::set<std::string> ids{ok_id, retried_id, parallel_id};
    for (const json::object& span : spans) {
        BOOST_TEST(ids.count(text(span, "trace_id")) == 1u, "a span of no run of ours: " << json::serialize(span));
    }
    BOOST_TEST(check_span_tree(spans, ok_id) == 2u);       // one attempt per agent step
    BOOST_TEST(check_span_tree(spans, retried_id) == 4u);  // three attempts of the agent, one of its fallback
    BOOST_TEST(check_span_tree(spans, parallel_id) == 3u);  // one per branch

    // The attempt spans of the retried run say which agent they called and whether it was the fallback.
    std::vector<std::pair<std::string, bool>> attempts;
    for (const json::object& span : spans) {
        if (text(span, "trace_id") != retried_id || text(span, "kind") != "attempt") continue;
        const json::object& a = span.at("attributes").as_object();
        attempts.emplace_back(text(a, "agent"), a.at("fallback_used").as_bool());
    }
    const std::vector<std::pair<std::string, bool>> expected{
        {"exhausts", false}, {"exhausts", false}, {"exhausts", false}, {"stand-in", true}};
    BOOST_TEST(attempts == expected);
}

// A failed run's spans must form the same tree: the attempts of the step
// that failed need that step's span as their parent.
BOOST_AUTO_TEST_CASE(spans_of_a_failed_run_keep_their_parent_links) {
    TempTrace trace("engine-trace-failed");
    std::string failed_id;
    {
        HostOptions options = host_options();
        options.trace_file = trace.path;
        TestHost host(options);
        RunResult failed = host.run(host.load("flaky.json"), parse(R"({"case": "alone"})"));
        BOOST_REQUIRE(!failed.ok);
        failed_id = failed.run_id;
    }
    const auto spans = read_spans(trace.path);
    BOOST_TEST(check_span_tree(spans, failed_id) == 2u);
}

// The per-step record of a failed run includes the step that failed, with its error.
BOOST_AUTO_TEST_CASE(failed_run_records_the_step_that_failed) {
    TestHost host;
    RunResult result = host.run(host.load("flaky.json"), parse(R"({"case": "alone"})"));
    require_error(result, "agent_failed", "alone", "alone");
    BOOST_REQUIRE_MESSAGE(!result.steps.empty(), dump(result));
    const StepRecord& last = result.steps.back();
    BOOST_TEST(last.step == "alone", dump(result));
    BOOST_TEST(!last.ok);
    BOOST_TEST(last.attempts == 2u);
    BOOST_TEST(contains(last.error, "attempt 2 of 1000 fails"), last.error);
}

BOOST_AUTO_TEST_SUITE_END()
