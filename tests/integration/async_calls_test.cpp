// Calls that complete later, from a plugin's own thread: delivery, cancel
// racing completion, re-entrant calls from a callback, and dropping an
// instance while its calls are in flight. Also run under AddressSanitizer.
#include "fixture_paths.hpp"

#include <agenthost/registry/registry.hpp>

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

using namespace agenthost;
using agenthost::testing::fixture_file;
using agenthost::testing::why;

namespace {

std::shared_ptr<AgentInstance> make_agent(const char* plugin) {
    Registry registry({{}, nullptr});
    auto library = registry.load(fixture_file(plugin));
    BOOST_TEST_REQUIRE(library.ok(), why(library));
    auto agent = AgentInstance::create("subject", library.value(), "{}", {}, nullptr);
    BOOST_TEST_REQUIRE(agent.ok(), why(agent));
    return agent.value();
}

CallRequest request(int delay_ms, const std::string& text) {
    return {R"({"delay_ms":)" + std::to_string(delay_ms) + R"(,"text":")" + text + R"("})", "", "step", "", 1};
}

// Counts completions and lets a test wait for a number of them.
class Completions {
public:
    std::function<void(CallResult)> callback() {
        return [this](CallResult result) {
            std::lock_guard lock(mutex_);
            results_.push_back(std::move(result));
            changed_.notify_all();
        };
    }
    std::vector<CallResult> wait_for(std::size_t count) {
        std::unique_lock lock(mutex_);
        changed_.wait(lock, [&] { return results_.size() >= count; });
        return results_;
    }

private:
    std::mutex mutex_;
    std::condition_variable changed_;
    std::vector<CallResult> results_;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(async_calls)

BOOST_AUTO_TEST_CASE(results_arrive_from_the_plugins_thread) {
    auto agent = make_agent("fixture-async");
    std::promise<std::thread::id> delivered_on;
    std::promise<CallResult> result;
    agent->invoke(request(5, "later"), [&](CallResult r) {
        delivered_on.set_value(std::this_thread::get_id());
        result.set_value(std::move(r));
    });
    CallResult r = result.get_future().get();
    BOOST_TEST(r.ok());
    BOOST_TEST(r.output_json == R"({"text":"later"})");
    BOOST_TEST(delivered_on.get_future().get() != std::this_thread::get_id());
}

BOOST_AUTO_TEST_CASE(cancel_racing_completion_completes_each_call_once) {
    auto agent = make_agent("fixture-async");
    constexpr std::size_t calls = 500;
    Completions completions;
    std::vector<std::shared_ptr<PendingCall>> pending;
    for (std::size_t i = 0; i < calls; ++i) {
        pending.push_back(agent->invoke(request(static_cast<int>(i % 3), "x"), completions.callback()));
    }
    // Cancel from another thread while the plugin's worker completes the same calls.
    std::thread canceller([&] {
        for (auto& call : pending) call->cancel();
    });
    canceller.join();
    auto results = completions.wait_for(calls);
    BOOST_TEST(results.size() == calls);
    std::size_t cancelled = 0;
    for (const CallResult& r : results) {
        BOOST_TEST((r.status == AH_OK || r.status == AH_ERR_CANCELLED), status_name(r.status));
        cancelled += r.status == AH_ERR_CANCELLED ? 1 : 0;
    }
    BOOST_TEST_MESSAGE(cancelled << " of " << calls << " calls were cancelled before they completed");
    for (auto& call : pending) call->cancel();  // every call has completed: these are ignored
    BOOST_TEST(agent->calls_in_flight() == 0u);
}

BOOST_AUTO_TEST_CASE(a_callback_may_call_the_same_agent_again) {
    // fixture-throwing completes inline and is not concurrent: the host holds
    // its invoke lock during invoke, so the result must wait until the lock is free.
    Registry registry({{}, nullptr});
    auto library = registry.load(fixture_file("fixture-throwing"));
    BOOST_TEST_REQUIRE(library.ok(), why(library));
    auto agent = AgentInstance::create("subject", library.value(), "{}", {}, nullptr).value();
    std::promise<CallResult> second;
    agent->invoke({R"({"throw":"none"})", "", "s", "", 1}, [&](CallResult first) {
        BOOST_TEST(first.ok());
        second.set_value(agent->invoke_sync({R"({"throw":"none"})", "", "s", "", 2}));
    });
    BOOST_TEST(second.get_future().get().ok());
}

BOOST_AUTO_TEST_CASE(dropping_an_instance_with_calls_in_flight_is_safe) {
    Completions completions;
    constexpr std::size_t calls = 50;
    {
        auto agent = make_agent("fixture-async");
        for (std::size_t i = 0; i < calls; ++i) agent->invoke(request(2, "y"), completions.callback());
    }  // the host lets go; the calls keep the instance alive
    auto results = completions.wait_for(calls);
    for (const CallResult& r : results) BOOST_TEST(r.ok(), r.error);
    // The last completion handed the instance to the host's release thread:
    // destroying it on the plugin's worker would have made the worker join
    // itself (std::terminate) or return into unmapped code (a crash).
}

BOOST_AUTO_TEST_SUITE_END()
