// The first-party template-responder plugin: template selection, JSON pointer
// placeholders and their fallbacks, no placeholder left behind, templates
// refused at create, and the revision that answers a checklist review.
#include "plugin_agents.hpp"

#include <agenthost/registry/registry.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <string>

using namespace agenthost;
using agenthost::testing::why;
namespace json = boost::json;

namespace {

Registry scanned() { return agenthost::testing::first_party_registry(); }

Result<std::shared_ptr<AgentInstance>> create(const Registry& registry, const char* config) {
    return agenthost::testing::try_agent(registry, "template-responder@^1", config);
}

std::shared_ptr<AgentInstance> responder(const Registry& registry, const char* config) {
    return agenthost::testing::require_agent(registry, "template-responder@^1", config);
}

//! Calls the agent and checks its output against the manifest.
json::object render(AgentInstance& agent, const char* input) {
    CallResult result = agent.invoke_sync({json::serialize(json::parse(input)), "", "respond", "", 1});
    BOOST_TEST_REQUIRE(result.ok(), result.error);
    json::object out = json::parse(result.output_json).as_object();
    auto violations = agent.plugin().manifest().output_schema->validate(out);
    BOOST_TEST(violations.empty(), describe(violations));
    return out;
}

constexpr const char* support_config = R"({
  "select": "/triage/category",
  "templates": {
    "billing": "Hi {{/ticket/customer|there}}, about \"{{/ticket/subject}}\": {{/research/best}}",
    "outage": "Hi {{ /ticket/customer }}, we are on it ({{/triage/urgency|normal}} priority).",
    "default": "Hi {{/ticket/customer|there}}, thanks for writing. Ticket {{/ticket/id}}."
  }
})";

struct RenderCase {
    const char* input;
    const char* text;
    const char* template_key;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(template_responder)

BOOST_AUTO_TEST_CASE(select_picks_the_template_and_placeholders_fill_from_the_input) {
    Registry registry = scanned();
    auto agent = responder(registry, support_config);
    const RenderCase cases[] = {
        {R"({"ticket": {"customer": "Ada", "subject": "Charged twice"}, "triage": {"category": "billing"},
             "research": {"best": "Refunds take 5 days."}})",
         "Hi Ada, about \"Charged twice\": Refunds take 5 days.", "billing"},
        // Missing values render as "", or as the fallback when there is one.
        {R"({"triage": {"category": "billing"}})", "Hi there, about \"\": ", "billing"},
        // An empty string takes the fallback too.
        {R"({"ticket": {"customer": ""}, "triage": {"category": "billing"}})", "Hi there, about \"\": ", "billing"},
        {R"({"ticket": {"customer": "Grace"}, "triage": {"category": "outage", "urgency": "high"}})",
         "Hi Grace, we are on it (high priority).", "outage"},
        {R"({"ticket": {"customer": "Grace"}, "triage": {"category": "outage", "urgency": null}})",
         "Hi Grace, we are on it (normal priority).", "outage"},
        // A category without a template, a non-string one, or none at all: "default".
        {R"({"ticket": {"customer": "Alan", "id": "T-1005"}, "triage": {"category": "general"}})",
         "Hi Alan, thanks for writing. Ticket T-1005.", "default"},
        {R"({"ticket": {"id": 1005}, "triage": {"category": 7}})", "Hi there, thanks for writing. Ticket 1005.",
         "default"},
        {R"({"ticket": {"id": true}})", "Hi there, thanks for writing. Ticket true.", "default"},
        // A pointer into a string, or past the end of an array, finds nothing.
        {R"({"ticket": "T-1", "triage": {"category": ["billing"]}})", "Hi there, thanks for writing. Ticket .",
         "default"},
    };
    for (const RenderCase& c : cases) {
        BOOST_TEST_CONTEXT(c.input) {
            const json::object out = render(*agent, c.input);
            BOOST_TEST(out.at("text").as_string() == c.text);
            BOOST_TEST(out.at("template").as_string() == c.template_key);
            BOOST_TEST(out.at("text").as_string().find("{{") == json::string::npos);
        }
    }
}

BOOST_AUTO_TEST_CASE(values_render_as_text_lists_or_json) {
    Registry registry = scanned();
    auto agent = responder(registry, R"({"templates": {"default":
        "[{{/s}}] [{{/n}}] [{{/f}}] [{{/list}}] [{{/objects}}] [{{/obj}}] [{{/a~1b}}] [{{/t~0x}}] [{{/list/1}}]"}})");
    const json::object out = render(*agent, R"({"s": "text", "n": 42, "f": 2.5, "list": ["a", 1, null, "b"],
        "objects": [{"k": 1}], "obj": {"k": "v"}, "a/b": "slash", "t~x": "tilde"})");
    BOOST_TEST(out.at("text").as_string() ==
               R"([text] [42] [2.5] [a, 1, b] [[{"k":1}]] [{"k":"v"}] [slash] [tilde] [1])");
    BOOST_TEST(out.at("template").as_string() == "default");
}

BOOST_AUTO_TEST_CASE(values_are_inserted_once_and_never_expanded) {
    Registry registry = scanned();
    auto agent = responder(registry, R"({"templates": {"default": "You wrote: {{/body}}"}})");
    const json::object out = render(*agent, R"({"body": "see {{/secret}}", "secret": "leaked"})");
    BOOST_TEST(out.at("text").as_string() == "You wrote: see {{/secret}}");
}

BOOST_AUTO_TEST_CASE(templates_that_could_leave_a_placeholder_are_refused_at_create) {
    Registry registry = scanned();
    const std::pair<const char*, const char*> cases[] = {
        {R"({"templates": {"default": "Hi {{/customer"}})", "\"{{\" is never closed"},
        {R"({"templates": {"default": "ok", "billing": "Hi {{customer}}"}})", "is not a JSON pointer"},
        {R"({"templates": {"default": "Hi {{}}"}})", "is not a JSON pointer"},
        {R"({"templates": {"default": "Hi {{/a~2}}"}})", "is not a JSON pointer"},
        {R"({"templates": {"default": "Hi {{/a|{{/b}}"}})", "a fallback cannot hold a placeholder"},
        {R"({"templates": {"billing": "no default"}})", "config_schema"},
        {R"({"templates": {"default": "x"}, "select": "category"})", "config_schema"},
        {R"({"templates": {"default": "x"}, "revise": "yes"})", "config_schema"},
        {R"({"templates": {"default": 3}})", "config_schema"},
    };
    for (const auto& [config, message] : cases) {
        BOOST_TEST_CONTEXT(config) {
            auto agent = create(registry, config);
            BOOST_TEST_REQUIRE(!agent.ok());
            BOOST_TEST(agent.error().to_string().find(message) != std::string::npos, agent.error().to_string());
        }
    }
}

BOOST_AUTO_TEST_CASE(revision_appends_the_missing_phrases_as_a_closing_paragraph) {
    Registry registry = scanned();
    auto revising = responder(registry, R"({"revise": true, "templates": {"default": "Hi {{/customer}}.\n"}})");
    const RenderCase cases[] = {
        {R"({"customer": "Ada", "feedback": {"approved": false, "missing": ["reference T-1006", "Kind regards!"]}})",
         "Hi Ada.\n\nReference T-1006. Kind regards!", "default"},
        // Phrases the text already holds (in any case) are not repeated.
        {R"({"customer": "Ada", "feedback": {"missing": ["hi ADA", "thank you"]}})", "Hi Ada.\n\nThank you.",
         "default"},
        {R"({"customer": "Ada", "feedback": {"missing": ["hi ada"]}})", "Hi Ada.\n", "default"},
        {R"({"customer": "Ada", "feedback": {"approved": true, "missing": []}})", "Hi Ada.\n", "default"},
        {R"({"customer": "Ada", "feedback": null})", "Hi Ada.\n", "default"},
        {R"({"customer": "Ada"})", "Hi Ada.\n", "default"},
    };
    for (const RenderCase& c : cases) {
        BOOST_TEST_CONTEXT(c.input) {
            const json::object out = render(*revising, c.input);
            BOOST_TEST(out.at("text").as_string() == c.text);
        }
    }
    // Without "revise" the feedback is ignored.
    auto plain = responder(registry, R"({"templates": {"default": "Hi {{/customer}}.\n"}})");
    BOOST_TEST(render(*plain, R"({"customer": "Ada", "feedback": {"missing": ["Kind regards"]}})").at("text") ==
               "Hi Ada.\n");
    // Feedback of the wrong shape is refused by the input schema before the plugin sees it.
    const auto& input_schema = *plain->plugin().manifest().input_schema;
    BOOST_TEST(!input_schema.validate(json::parse(R"({"feedback": {"missing": [1]}})")).empty());
    BOOST_TEST(!input_schema.validate(json::parse(R"({"feedback": "fix it"})")).empty());
    BOOST_TEST(!input_schema.validate(json::parse(R"("text")")).empty());
}

BOOST_AUTO_TEST_CASE(a_revision_template_writes_the_missing_phrase_in_context) {
    Registry registry = scanned();
    auto revising = responder(registry, R"({"revise": true, "templates": {"default": "Hi {{/customer}}."},
                                           "revisions": {"Ticket Number": "Your ticket number is {{/ticket}}."}})");
    const json::object out = render(*revising, R"({"customer": "Ada", "ticket": "T-7",
                                                  "feedback": {"missing": ["ticket number", "kind regards"]}})");
    // The phrase with a revision template gets its sentence (matched in any case); the other is appended as is.
    BOOST_TEST(out.at("text").as_string() == "Hi Ada.\n\nYour ticket number is T-7. Kind regards.");
}

BOOST_AUTO_TEST_SUITE_END()
