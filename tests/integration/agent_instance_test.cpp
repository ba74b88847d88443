// Creating and calling agents across the C boundary: config checks, results,
// every exception turned into a status, cancellation, and library lifetime.
#include "fixture_paths.hpp"

#include <agenthost/registry/registry.hpp>

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <future>
#include <thread>
#include <vector>

using namespace agenthost;
using agenthost::testing::fixture_dir;
using agenthost::testing::fixture_file;
using agenthost::testing::library_is_mapped;
using agenthost::testing::why;

namespace {

std::shared_ptr<AgentInstance> make_agent(const Registry& registry, const char* plugin, const char* config = "{}") {
    AgentSpec spec;
    spec.name = "subject";
    spec.plugin = plugin;
    spec.config = boost::json::parse(config);
    auto agent = registry.create_agent(spec);
    BOOST_TEST_REQUIRE(agent.ok(), why(agent));
    return agent.value();
}

Registry scanned() {
    Registry registry({{fixture_dir()}, nullptr});
    registry.scan();
    return registry;
}

CallRequest request(std::string input) { return {std::move(input), "", "step", "key", 1}; }


}  // namespace

BOOST_AUTO_TEST_SUITE(agent_instance)

BOOST_AUTO_TEST_CASE(a_call_returns_the_plugins_output) {
    Registry registry = scanned();
    auto agent = make_agent(registry, "fixture-good", R"({"suffix": "!"})");
    CallResult result = agent->invoke_sync(request(R"({"text": "hello \"you\""})"));
    BOOST_TEST_REQUIRE(result.ok(), result.error);
    BOOST_TEST(result.output_json == R"({"text":"HELLO \"YOU\"!"})");
    BOOST_TEST(agent->calls_in_flight() == 0u);
}

BOOST_AUTO_TEST_CASE(config_is_checked_against_the_config_schema_before_create) {
    Registry registry = scanned();
    AgentSpec spec;
    spec.name = "shouter";
    spec.plugin = "fixture-good";
    spec.config = boost::json::parse(R"({"suffix": 7, "colour": "red"})");
    auto agent = registry.create_agent(spec);
    BOOST_TEST_REQUIRE(!agent.ok());
    const std::string text = agent.error().to_string();
    BOOST_TEST(text.find("agent shouter") != std::string::npos, text);
    BOOST_TEST(text.find("config_schema") != std::string::npos, text);
    BOOST_TEST(text.find("/suffix") != std::string::npos, text);
}

struct CreateCase {
    const char* config;
    ah_status status;
};

BOOST_AUTO_TEST_CASE(exceptions_in_create_become_statuses) {
    Registry registry = scanned();
    const CreateCase cases[] = {
        {R"({"throw_in_create": "runtime_error"})", AH_ERR_INVALID_ARGUMENT},
        {R"({"throw_in_create": "failure"})", AH_ERR_UNAVAILABLE},
        {R"({"throw_in_create": "non_std"})", AH_ERR_INTERNAL},
    };
    for (const CreateCase& c : cases) {
        BOOST_TEST_CONTEXT(c.config) {
            AgentSpec spec;
            spec.name = "thrower";
            spec.plugin = "fixture-throwing";
            spec.config = boost::json::parse(c.config);
            auto agent = registry.create_agent(spec);
            BOOST_TEST_REQUIRE(!agent.ok());
            BOOST_TEST(agent.error().message.find(status_name(c.status)) != std::string::npos,
                       agent.error().message);
        }
    }
}

struct InvokeCase {
    const char* input;
    ah_status status;
    const char* message_contains;
};

BOOST_AUTO_TEST_CASE(exceptions_in_invoke_become_statuses) {
    Registry registry = scanned();
    auto agent = make_agent(registry, "fixture-throwing");
    const InvokeCase cases[] = {
        {R"({"throw": "none"})", AH_OK, ""},
        {R"({"throw": "runtime_error"})", AH_ERR_INTERNAL, "runtime_error thrown in invoke"},
        {R"({"throw": "failure"})", AH_ERR_UNAVAILABLE, "failure thrown in invoke"},
        {R"({"throw": "non_std"})", AH_ERR_INTERNAL, "non-standard exception"},
    };
    for (const InvokeCase& c : cases) {
        BOOST_TEST_CONTEXT(c.input) {
            CallResult result = agent->invoke_sync(request(c.input));
            BOOST_TEST(result.status == c.status, status_name(result.status) << ": " << result.error);
            BOOST_TEST(result.error.find(c.message_contains) != std::string::npos, result.error);
        }
    }
}

BOOST_AUTO_TEST_CASE(cancel_reaches_a_pending_call_and_it_completes_once) {
    Registry registry = scanned();
    auto agent = make_agent(registry, "fixture-throwing");
    std::promise<CallResult> promise;
    int completions = 0;
    auto call = agent->invoke(request(R"({"throw": "in_cancel"})"), [&](CallResult result) {
        ++completions;
        promise.set_value(std::move(result));
    });
    BOOST_TEST(agent->calls_in_flight() == 1u);
    call->cancel();
    CallResult result = promise.get_future().get();
    BOOST_TEST(result.status == AH_ERR_CANCELLED);
    call->cancel();  // the call has completed: a second cancel is ignored
    BOOST_TEST(completions == 1);
    BOOST_TEST(agent->calls_in_flight() == 0u);
}

BOOST_AUTO_TEST_CASE(concurrent_calls_each_get_their_own_result) {
    Registry registry = scanned();
    auto agent = make_agent(registry, "fixture-good");
    std::vector<std::future<CallResult>> results;
    for (int i = 0; i < 8; ++i) {
        results.push_back(std::async(std::launch::async, [agent, i] {
            return agent->invoke_sync(request(R"({"text": "call)" + std::to_string(i) + R"("})"));
        }));
    }
    for (int i = 0; i < 8; ++i) {
        CallResult result = results[static_cast<std::size_t>(i)].get();
        BOOST_TEST(result.output_json == R"({"text":"CALL)" + std::to_string(i) + R"("})");
    }
}

BOOST_AUTO_TEST_CASE(an_instance_keeps_its_library_loaded) {
    const std::filesystem::path file = fixture_file("fixture-good");
    std::shared_ptr<AgentInstance> agent;
    {
        Registry registry({{}, nullptr});
        BOOST_TEST_REQUIRE(registry.load(file).ok());
        registry = Registry({{fixture_dir()}, nullptr});
        registry.scan();
        agent = make_agent(registry, "fixture-good");
    }
    // The registry is gone; the instance still works because it holds the library.
    BOOST_TEST(library_is_mapped(file));
    BOOST_TEST(agent->invoke_sync(request(R"({"text": "still here"})")).ok());
    agent.reset();
    BOOST_TEST(!library_is_mapped(file));
}

BOOST_AUTO_TEST_CASE(a_libcxx_plugin_works_in_a_libstdcxx_host) {
    Registry registry = scanned();
    auto agent = make_agent(registry, "fixture-libcxx");
    CallResult result = agent->invoke_sync(request(R"({"text": "7 apples and 35 pears"})"));
    BOOST_TEST_REQUIRE(result.ok(), result.error);
    auto output = boost::json::parse(result.output_json).as_object();
    BOOST_TEST(output.at("words").as_int64() == 5);
    BOOST_TEST(output.at("sum").as_int64() == 42);  // libc++ threw and caught for the three non-numbers
    BOOST_TEST(output.at("stdlib").as_string() == "libc++");
    // An exception that leaves the libc++ plugin still becomes a status in the libstdc++ host.
    CallResult failed = agent->invoke_sync(request(R"({"text": "x", "fail": true})"));
    BOOST_TEST(failed.status == AH_ERR_INTERNAL);
    BOOST_TEST(failed.error.find("fixture-libcxx: failing on request") != std::string::npos, failed.error);
}

BOOST_AUTO_TEST_SUITE_END()
