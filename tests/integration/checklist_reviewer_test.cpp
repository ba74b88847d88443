// The first-party checklist-reviewer plugin: each rule on its own, the
// approve path, the draft as a string or an object, and outputs that match
// the manifest's output_schema.
#include "plugin_agents.hpp"

#include <agenthost/registry/registry.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

using namespace agenthost;
using agenthost::testing::why;
namespace json = boost::json;

namespace {

Registry scanned() { return agenthost::testing::first_party_registry(); }

Result<std::shared_ptr<AgentInstance>> create(const Registry& registry, const char* config) {
    return agenthost::testing::try_agent(registry, "checklist-reviewer@^1", config);
}

std::shared_ptr<AgentInstance> reviewer(const Registry& registry, const char* config) {
    return agenthost::testing::require_agent(registry, "checklist-reviewer@^1", config);
}

//! Calls the agent with {"draft": draft} and checks its output against the manifest.
json::object review(AgentInstance& agent, const json::value& draft) {
    CallResult result = agent.invoke_sync({json::serialize(json::object{{"draft", draft}}), "", "review", "", 1});
    BOOST_TEST_REQUIRE(result.ok(), result.error);
    json::object out = json::parse(result.output_json).as_object();
    auto violations = agent.plugin().manifest().output_schema->validate(out);
    BOOST_TEST(violations.empty(), describe(violations));
    return out;
}

std::vector<std::string> strings(const json::value& array) {
    std::vector<std::string> out;
    for (const json::value& v : array.as_array()) out.emplace_back(v.as_string());
    return out;
}

constexpr const char* config = R"({
  "required_phrases": ["Kind regards", "ticket number"],
  "banned_phrases": ["guarantee", "lawsuit"],
  "min_length": 40,
  "max_length": 120,
  "placeholder_pattern": "{{"
})";

const std::string good = "Hi Ada, your ticket number is T-1001.\nKind regards, Support";

struct Case {
    std::string draft;
    std::vector<std::string> reasons;
    std::vector<std::string> missing;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(checklist_reviewer)

BOOST_AUTO_TEST_CASE(each_rule_rejects_with_its_reason) {
    Registry registry = scanned();
    auto agent = reviewer(registry, config);
    const Case cases[] = {
        {good, {}, {}},
        // Case and whitespace do not matter to phrases.
        {"Hi Ada, your TICKET\n  Number is T-1001.\n\nkind REGARDS, Support", {}, {}},
        {"Hi Ada, your ticket number is T-1001. Thanks, the Support team",
         {R"(missing required phrase "Kind regards")"}, {"Kind regards"}},
        {"Hi Ada, we looked into it for you. Kind regards, Support",
         {R"(missing required phrase "ticket number")"}, {"ticket number"}},
        {good + " We GUARANTEE it.", {R"(contains banned phrase "guarantee")"}, {}},
        {"Kind regards, your ticket number is 1234", {}, {}},  // exactly min_length
        {"ticket number. Kind regards", {"too short: 27 characters, at least 40 required"}, {}},
        {"  \n" + good + "\n\n\n", {}, {}},  // surrounding whitespace is not length
        {good + std::string(61, '!'), {}, {}},  // exactly max_length
        {good + std::string(62, '!'), {"too long: 121 characters, at most 120 allowed"}, {}},
        {"Hi {{/customer}}, your ticket number is T-1001. Kind regards",
         {R"(unfilled placeholder: the draft still contains "{{")"}, {}},
        {"lawsuit", {R"(missing required phrase "Kind regards")", R"(missing required phrase "ticket number")",
                     R"(contains banned phrase "lawsuit")", "too short: 7 characters, at least 40 required"},
         {"Kind regards", "ticket number"}},
        {"", {R"(missing required phrase "Kind regards")", R"(missing required phrase "ticket number")",
              "too short: 0 characters, at least 40 required"},
         {"Kind regards", "ticket number"}},
    };
    for (const Case& c : cases) {
        BOOST_TEST_CONTEXT(c.draft) {
            const json::object out = review(*agent, json::string(c.draft));
            const bool approved = c.reasons.empty();
            BOOST_TEST(out.at("approved").as_bool() == approved);
            BOOST_TEST(strings(out.at("reasons")) == c.reasons, boost::test_tools::per_element());
            BOOST_TEST(strings(out.at("missing")) == c.missing, boost::test_tools::per_element());
            BOOST_TEST(out.at("confidence").to_number<double>() == (approved ? 1.0 : 0.9));
        }
    }
}

BOOST_AUTO_TEST_CASE(length_counts_characters_not_bytes) {
    Registry registry = scanned();
    auto agent = reviewer(registry, R"({"min_length": 5, "max_length": 5})");
    BOOST_TEST(review(*agent, "h\xC3\xA9llo").at("approved").as_bool());  // 6 bytes, 5 characters
    BOOST_TEST(strings(review(*agent, "h\xC3\xA9llo!").at("reasons")) ==
                   std::vector<std::string>{"too long: 6 characters, at most 5 allowed"},
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_draft_is_a_string_or_an_object_with_text) {
    Registry registry = scanned();
    auto agent = reviewer(registry, config);
    // The template-responder's whole output is a draft.
    BOOST_TEST(review(*agent, json::object{{"text", good}, {"template", "billing"}}).at("approved").as_bool());
    BOOST_TEST(!review(*agent, json::object{{"text", "too short"}}).at("approved").as_bool());
    const auto& input_schema = *agent->plugin().manifest().input_schema;
    for (const char* input : {R"({})", R"({"draft": 3})", R"({"draft": {"body": "x"}})",
                              R"({"draft": "x", "extra": 1})"}) {
        BOOST_TEST_CONTEXT(input) { BOOST_TEST(!input_schema.validate(json::parse(input)).empty()); }
    }
}

BOOST_AUTO_TEST_CASE(defaults_check_only_placeholders_and_an_empty_pattern_turns_that_off) {
    Registry registry = scanned();
    auto defaults = reviewer(registry, "{}");
    BOOST_TEST(review(*defaults, "").at("approved").as_bool());
    BOOST_TEST(!review(*defaults, "Hi {{/name}}").at("approved").as_bool());
    auto custom = reviewer(registry, R"({"placeholder_pattern": "[TODO"})");
    BOOST_TEST(review(*custom, "Hi {{/name}}").at("approved").as_bool());
    BOOST_TEST(!review(*custom, "Hi [TODO: name]").at("approved").as_bool());
    auto off = reviewer(registry, R"({"placeholder_pattern": ""})");
    BOOST_TEST(review(*off, "Hi {{/name}}").at("approved").as_bool());
}

BOOST_AUTO_TEST_CASE(inconsistent_configs_are_refused_at_create) {
    Registry registry = scanned();
    const std::pair<const char*, const char*> cases[] = {
        {R"({"min_length": 50, "max_length": 10})", "min_length 50 exceeds max_length 10"},
        {R"({"required_phrases": [""]})", "config_schema"},
        {R"({"banned_phrases": ["a", "a"]})", "config_schema"},
        {R"({"min_length": -1})", "config_schema"},
        {R"({"required": ["x"]})", "config_schema"},
    };
    for (const auto& [config, message] : cases) {
        BOOST_TEST_CONTEXT(config) {
            auto agent = create(registry, config);
            BOOST_TEST_REQUIRE(!agent.ok());
            BOOST_TEST(agent.error().to_string().find(message) != std::string::npos, agent.error().to_string());
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()
