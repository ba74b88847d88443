// engine_support.hpp: what the engine_* suites share: a Host over the fixture
// and first-party plugins, the workflow configs in tests/fixtures/configs/engine/,
// and readable views of a RunResult (the route taken, one step's record).
#pragma once

#include <agenthost/host.hpp>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <future>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace agenthost::engine_test {

namespace json = boost::json;

//! The fixture plugins (the engine's in engine/, fixture-throwing and
//! fixture-async beside them) and the first-party plugins.
inline HostOptions host_options() {
    HostOptions options;
    options.plugin_dirs = {AGENTHOST_FIXTURE_PLUGIN_DIR "/engine", AGENTHOST_FIXTURE_PLUGIN_DIR,
                           AGENTHOST_PLUGIN_BUILD_DIR};
    return options;
}

inline std::filesystem::path config_path(std::string_view name) {
    return std::filesystem::path(AGENTHOST_SOURCE_DIR) / "tests/fixtures/configs/engine" / name;
}

//! Loads tests/fixtures/configs/engine/<name>; a config that does not load
//! fails the test with every issue it has.
inline std::shared_ptr<const Workflow> load(const Host& host, std::string_view name) {
    LoadResult loaded = host.load(config_path(name));
    if (const auto* issues = std::get_if<ConfigIssues>(&loaded)) {
        std::string text;
        for (const ConfigIssue& issue : *issues) text += issue.to_string() + "\n";
        BOOST_FAIL("config " << name << " does not load:\n" << text);
    }
    return std::get<std::shared_ptr<const Workflow>>(std::move(loaded));
}

//! Far longer than any run here takes in a working engine: a run still going
//! after this is stuck, not slow. It bounds how long a broken engine can hold
//! the suite up; no test asserts on how long a run takes.
inline constexpr std::chrono::seconds stuck_after{60};

//! A Host for one test, whose runs fail the test rather than hang it. When a
//! run never ends, the Host is deliberately leaked: destroying it would wait
//! for that run forever.
class TestHost {
public:
    explicit TestHost(HostOptions options = host_options()) : host_(std::make_unique<Host>(std::move(options))) {}
    ~TestHost() {
        if (stuck_) (void)host_.release();
    }
    TestHost(const TestHost&) = delete;
    TestHost& operator=(const TestHost&) = delete;

    Host& host() { return *host_; }
    std::shared_ptr<const Workflow> load(std::string_view name) { return engine_test::load(*host_, name); }

    std::future<RunResult> start(const std::shared_ptr<const Workflow>& workflow, json::value input) {
        return host_->start(workflow, std::move(input));
    }
    //! The result of a started run; fails the test when it never comes.
    RunResult wait(std::future<RunResult>& future) {
        wait_for(future, "a run");
        try {
            return future.get();
        } catch (const std::future_error& e) {
            // The run's callback was destroyed without being called: the engine
            // dropped the run, which it still counts as in flight.
            stuck_ = true;
            BOOST_FAIL("the engine dropped a run without finishing it ("
                       << e.what() << "); the host is leaked so that the suite can go on");
        }
        return {};
    }
    RunResult run(const std::shared_ptr<const Workflow>& workflow, json::value input) {
        auto future = start(workflow, std::move(input));
        return wait(future);
    }
    //! Waits for anything the host's runs will make ready; fails the test when it never is.
    template <class Future>
    void wait_for(Future& future, std::string_view what) {
        if (future.wait_for(stuck_after) != std::future_status::ready) {
            stuck_ = true;
            BOOST_FAIL(what << " did not finish within " << stuck_after.count()
                            << " s: the engine lost it (the host is leaked so that the suite can go on)");
        }
    }

private:
    std::unique_ptr<Host> host_;
    bool stuck_ = false;
};

inline json::value parse(std::string_view text) { return json::parse(text); }

//! The steps the run took, in order.
inline std::vector<std::string> route(const RunResult& result) {
    std::vector<std::string> names;
    for (const StepRecord& r : result.steps) names.push_back(r.step);
    return names;
}

inline std::vector<std::string> names(std::initializer_list<const char*> list) {
    return std::vector<std::string>(list.begin(), list.end());
}

//! The record of step `name`; fails the test when the run has none.
inline const StepRecord& record(const RunResult& result, std::string_view name) {
    auto it = std::find_if(result.steps.begin(), result.steps.end(),
                           [&](const StepRecord& r) { return r.step == name; });
    BOOST_REQUIRE_MESSAGE(it != result.steps.end(),
                          "the run has no record of step " << name << ": " << json::serialize(result.to_json()));
    return *it;
}

//! The run as JSON, for assertion messages.
inline std::string dump(const RunResult& result) {
    json::object o = result.to_json();
    o["state"] = result.state;
    return json::serialize(o);
}

inline bool contains(std::string_view haystack, std::string_view needle) {
    return haystack.find(needle) != std::string_view::npos;
}

inline bool is_hex(std::string_view id, std::size_t digits) {
    return id.size() == digits &&
           std::all_of(id.begin(), id.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

//! A run that must succeed; fails the test with the whole result otherwise.
#define ENGINE_REQUIRE_OK(result) BOOST_REQUIRE_MESSAGE((result).ok, "the run failed: " << ::agenthost::engine_test::dump(result))

//! A run that must fail with `code` at `step_name` (agent `agent_name`).
inline void require_error(const RunResult& result, std::string_view code, std::string_view step_name,
                          std::string_view agent_name) {
    BOOST_REQUIRE_MESSAGE(!result.ok && result.error, "the run should have failed: " << dump(result));
    BOOST_CHECK_MESSAGE(result.error->code == code,
                        "code " << result.error->code << ", expected " << code << ": " << dump(result));
    BOOST_TEST(result.error->step == step_name);
    BOOST_TEST(result.error->agent == agent_name);
    BOOST_TEST(!result.error->message.empty());
}

}  // namespace agenthost::engine_test
