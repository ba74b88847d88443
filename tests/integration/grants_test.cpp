// Effective permissions are requested ∩ granted, enforced at get_extension,
// observed from inside a real plugin.
#include "fixture_paths.hpp"
#include "test_services.hpp"

#include <agenthost/registry/registry.hpp>

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

using namespace agenthost;
using agenthost::testing::fixture_dir;
using agenthost::testing::RecordingServices;
using agenthost::testing::why;

namespace {

AgentSpec good_agent(const char* grants_json) {
    AgentSpec spec;
    spec.name = "probe";
    spec.plugin = "fixture-good";
    auto grants = Permissions::from_json(boost::json::parse(grants_json), "grants");
    BOOST_TEST_REQUIRE(grants.ok(), why(grants));
    spec.grants = grants.value();
    return spec;
}

bool probe(AgentInstance& agent, const std::string& id) {
    CallResult result = agent.invoke_sync({R"({"probe_extension":")" + id + R"("})", "", "probe", "", 1});
    BOOST_TEST_REQUIRE(result.ok(), result.error);
    return result.output_json == R"({"found":true})";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(grants)

BOOST_AUTO_TEST_CASE(an_ungranted_extension_is_null_inside_the_plugin) {
    RecordingServices services;
    Registry registry({{fixture_dir()}, &services});
    registry.scan();
    // The manifest requests ah.http/1; the operator grants nothing.
    auto agent = registry.create_agent(good_agent("{}"));
    BOOST_TEST_REQUIRE(agent.ok(), why(agent));
    BOOST_TEST(!probe(*agent.value(), "ah.http/1"));     // offered by the host, requested, not granted
    BOOST_TEST(!probe(*agent.value(), "ah.secrets/1"));  // offered by the host, never requested
    BOOST_TEST(!probe(*agent.value(), "ah.unknown/1"));  // unknown to everyone
    BOOST_TEST(probe(*agent.value(), "ah.log/1"));       // baseline: needs no grant
}

BOOST_AUTO_TEST_CASE(a_granted_extension_is_found) {
    RecordingServices services;
    Registry registry({{fixture_dir()}, &services});
    registry.scan();
    auto agent = registry.create_agent(good_agent(R"({"services": ["ah.http/1"]})"));
    BOOST_TEST_REQUIRE(agent.ok(), why(agent));
    BOOST_TEST(probe(*agent.value(), "ah.http/1"));
    BOOST_TEST(!probe(*agent.value(), "ah.secrets/1"));
}

BOOST_AUTO_TEST_CASE(effective_permissions_are_the_granted_subset) {
    Registry registry({{fixture_dir()}, nullptr});
    registry.scan();
    auto agent = registry.create_agent(good_agent(
        R"({"network": ["https://api.example.com/v1/*"], "context": {"read": ["/ticket/body"]}})"));
    BOOST_TEST_REQUIRE(agent.ok(), why(agent));
    const Permissions& p = agent.value()->permissions();
    BOOST_TEST(p.allows_url("https://api.example.com/v1/chat"));
    BOOST_TEST(!p.allows_url("https://api.example.com/v2/chat"));  // requested, but narrowed by the grant
    BOOST_TEST(p.allows_read("/ticket/body"));
    BOOST_TEST(!p.allows_read("/ticket/id"));
    BOOST_TEST(!p.allows_secret("EXAMPLE_KEY"));  // requested, not granted
    BOOST_TEST(!p.allows_write("/answer"));
}

BOOST_AUTO_TEST_CASE(a_grant_the_manifest_never_requested_is_an_error) {
    Registry registry({{fixture_dir()}, nullptr});
    registry.scan();
    auto agent = registry.create_agent(good_agent(
        R"({"network": ["https://evil.example/*"], "secrets": ["EXAMPLE_KEY", "ROOT_PASSWORD"]})"));
    BOOST_TEST_REQUIRE(!agent.ok());
    const std::string text = agent.error().to_string();
    BOOST_TEST(text.find("agent probe") != std::string::npos, text);
    BOOST_TEST(text.find("https://evil.example/*") != std::string::npos, text);
    BOOST_TEST(text.find("ROOT_PASSWORD") != std::string::npos, text);
    BOOST_TEST(text.find("\"EXAMPLE_KEY\" is not requested") == std::string::npos, text);  // that one was requested
}

BOOST_AUTO_TEST_CASE(plugin_logs_are_tagged_with_agent_and_run) {
    RecordingServices services;
    Registry registry({{fixture_dir()}, &services});
    registry.scan();
    auto agent = registry.create_agent(good_agent("{}"));
    BOOST_TEST_REQUIRE(agent.ok(), why(agent));
    const std::string run_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    BOOST_TEST_REQUIRE(agent.value()->invoke_sync({R"({"text":"hi"})", run_id, "shout", "k", 1}).ok());
    auto lines = services.lines();
    BOOST_TEST_REQUIRE(lines.size() == 2u);  // one from create, one from the call
    BOOST_TEST(lines[0].agent == "probe");
    BOOST_TEST(lines[0].run_id.empty());
    BOOST_TEST(lines[1].run_id == run_id);
    BOOST_TEST(lines[1].level == AH_LOG_INFO);
}

BOOST_AUTO_TEST_SUITE_END()
