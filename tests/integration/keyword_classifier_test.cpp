// The first-party keyword-classifier plugin, loaded from the build's plugin directory.
#include "fixture_paths.hpp"

#include <agenthost/registry/registry.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

using namespace agenthost;
using agenthost::testing::why;

namespace {

constexpr const char* config = R"({
  "categories": [
    {"name": "billing", "keywords": ["refund", "invoice", "charged"]},
    {"name": "outage", "keywords": ["down", "error 500", "cannot log in"]}
  ],
  "urgent_keywords": ["asap", "production"],
  "default_category": "general"
})";

std::shared_ptr<AgentInstance> classifier(const Registry& registry) {
    AgentSpec spec;
    spec.name = "triage";
    spec.plugin = "keyword-classifier@^1";
    spec.config = boost::json::parse(config);
    auto agent = registry.create_agent(spec);
    BOOST_TEST_REQUIRE(agent.ok(), why(agent));
    return agent.value();
}

struct Case {
    const char* text;
    const char* category;
    const char* urgency;
    double confidence;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(keyword_classifier)

BOOST_AUTO_TEST_CASE(rules_from_config_pick_category_urgency_and_confidence) {
    Registry registry({{AGENTHOST_PLUGIN_BUILD_DIR}, nullptr});
    registry.scan();
    auto agent = classifier(registry);
    const Case cases[] = {
        {"I was charged twice, please refund the invoice", "billing", "normal", 1.0},
        {"Refund please", "billing", "normal", 0.75},                      // one hit: less support
        {"The site is DOWN in production and I cannot log in, ASAP", "outage", "high", 1.0},
        {"Site down, and I want a refund", "billing", "normal", 0.5 * 0.75},  // a tie goes to the first listed
        {"How do I change my avatar?", "general", "normal", 0.0},
    };
    for (const Case& c : cases) {
        BOOST_TEST_CONTEXT(c.text) {
            CallResult result = agent->invoke_sync({boost::json::serialize(boost::json::object{{"text", c.text}}), "",
                                                    "triage", "", 1});
            BOOST_TEST_REQUIRE(result.ok(), result.error);
            auto out = boost::json::parse(result.output_json).as_object();
            BOOST_TEST(out.at("category").as_string() == c.category);
            BOOST_TEST(out.at("urgency").as_string() == c.urgency);
            BOOST_TEST(out.at("confidence").to_number<double>() == c.confidence, boost::test_tools::tolerance(1e-9));
            auto violations = agent->plugin().manifest().output_schema->validate(out);
            BOOST_TEST(violations.empty(), describe(violations));
        }
    }
}

BOOST_AUTO_TEST_CASE(a_config_without_categories_is_refused_before_create) {
    Registry registry({{AGENTHOST_PLUGIN_BUILD_DIR}, nullptr});
    registry.scan();
    AgentSpec spec;
    spec.name = "triage";
    spec.plugin = "keyword-classifier";
    spec.config = boost::json::parse(R"({"urgent_keywords": ["asap"]})");
    auto agent = registry.create_agent(spec);
    BOOST_TEST_REQUIRE(!agent.ok());
    BOOST_TEST(agent.error().message.find("categories") != std::string::npos, agent.error().message);
}

BOOST_AUTO_TEST_SUITE_END()
