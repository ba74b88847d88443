// Version constraints from config pick among the installed versions of a plugin.
#include "fixture_paths.hpp"

#include <agenthost/registry/registry.hpp>

#include <boost/test/unit_test.hpp>

using namespace agenthost;
using agenthost::testing::fixture_dir;
using agenthost::testing::why;

namespace {

Registry versioned_registry() {
    Registry registry({{fixture_dir() / "versioned"}, nullptr});
    registry.scan();
    return registry;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(version_resolution)

BOOST_AUTO_TEST_CASE(all_versions_are_installed) {
    Registry registry = versioned_registry();
    BOOST_TEST(registry.plugins().size() == 6u);
    BOOST_TEST(registry.refusals().empty());
}

struct ResolutionCase {
    const char* ref;
    const char* expected_version;
};

BOOST_AUTO_TEST_CASE(the_highest_matching_version_wins) {
    Registry registry = versioned_registry();
    const ResolutionCase cases[] = {
        {"fixture-versioned", "2.0.0"},        {"fixture-versioned@*", "2.0.0"},
        {"fixture-versioned@^1", "1.3.0"},     {"fixture-versioned@^1.2", "1.3.0"},
        {"fixture-versioned@~1.2", "1.2.7"},   {"fixture-versioned@~1.2.3", "1.2.7"},
        {"fixture-versioned@1.2.0", "1.2.0"},  {"fixture-versioned@=1.0.0", "1.0.0"},
        {"fixture-versioned@>=1.2.7", "2.0.0"}, {"fixture-versioned@^2.1.0-beta.1", "2.1.0-beta.1"},
    };
    for (const ResolutionCase& c : cases) {
        BOOST_TEST_CONTEXT(c.ref) {
            auto ref = PluginRef::parse(c.ref);
            BOOST_TEST_REQUIRE(ref.ok(), why(ref));
            auto plugin = registry.resolve(ref.value());
            BOOST_TEST_REQUIRE(plugin.ok(), why(plugin));
            BOOST_TEST(plugin.value()->manifest().version.to_string() == c.expected_version);
        }
    }
}

BOOST_AUTO_TEST_CASE(no_matching_version_lists_what_is_installed) {
    Registry registry = versioned_registry();
    auto plugin = registry.resolve(PluginRef::parse("fixture-versioned@^3").value());
    BOOST_TEST_REQUIRE(!plugin.ok());
    BOOST_TEST(plugin.error().message.find("^3") != std::string::npos, plugin.error().message);
    BOOST_TEST(plugin.error().message.find("installed: 1.0.0, 1.2.0, 1.2.7, 1.3.0, 2.0.0, 2.1.0-beta.1") !=
               std::string::npos,
               plugin.error().message);
}

BOOST_AUTO_TEST_CASE(a_misspelt_name_gets_a_suggestion) {
    Registry registry = versioned_registry();
    auto plugin = registry.resolve(PluginRef::parse("fixture-versoined@^1").value());
    BOOST_TEST_REQUIRE(!plugin.ok());
    BOOST_TEST(plugin.error().hint.find("did you mean \"fixture-versioned\"") != std::string::npos,
               plugin.error().hint);
}

BOOST_AUTO_TEST_CASE(the_chosen_version_is_the_one_that_runs) {
    Registry registry = versioned_registry();
    AgentSpec spec;
    spec.name = "pinned";
    spec.plugin = "fixture-versioned@~1.2";
    auto agent = registry.create_agent(spec);
    BOOST_TEST_REQUIRE(agent.ok(), why(agent));
    CallResult result = agent.value()->invoke_sync({R"({})", "", "step", "", 1});
    BOOST_TEST_REQUIRE(result.ok(), result.error);
    BOOST_TEST(result.output_json.find("1.2.7") != std::string::npos, result.output_json);
}

BOOST_AUTO_TEST_SUITE_END()
