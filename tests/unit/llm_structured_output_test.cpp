// llm_structured_output_test.cpp: how the llm plugin reads JSON out of a model's
// reply (bare, in ```json fences, inside prose), validates it against the
// configured output schema, words the violations and the repair request, and
// fills its prompt template from the step input.
#include "llm/prompt_template.hpp"
#include "llm/structured_output.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <stdexcept>

using namespace agenthost::llm;
namespace json = boost::json;

namespace {

const json::value triage_schema = json::parse(R"({
  "type": "object", "required": ["category", "urgent"],
  "properties": {
    "category": {"enum": ["billing", "shipping", "outage", "general"]},
    "urgent": {"type": "boolean"}
  }
})");

bool mentions(const std::vector<std::string>& violations, std::string_view text) {
    for (const std::string& v : violations)
        if (v.find(text) != std::string::npos) return true;
    return false;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(llm_structured_output)

BOOST_AUTO_TEST_CASE(bare_json_is_taken_as_it_is) {
    const auto v = extract_json("  {\"a\": 1}\n");
    BOOST_TEST_REQUIRE(v.has_value());
    BOOST_TEST(*v == json::parse(R"({"a": 1})"));
    BOOST_TEST(extract_json("[1, 2]").value() == json::parse("[1,2]"));
}

BOOST_AUTO_TEST_CASE(json_in_a_fence_is_found) {
    const auto v = extract_json("Here is the triage:\n```json\n{\"category\": \"billing\"}\n```\nAnything else?");
    BOOST_TEST_REQUIRE(v.has_value());
    BOOST_TEST(*v == json::parse(R"({"category": "billing"})"));
    // An untagged fence, after a fence that holds no JSON.
    const auto second = extract_json("```text\nnot json\n```\nand\n```\n{\"b\": true}\n```");
    BOOST_TEST_REQUIRE(second.has_value());
    BOOST_TEST(*second == json::parse(R"({"b": true})"));
}

BOOST_AUTO_TEST_CASE(json_inside_prose_is_found) {
    const auto v = extract_json("Sure! {\"category\": \"shipping\", \"urgent\": false} Hope that helps.");
    BOOST_TEST_REQUIRE(v.has_value());
    BOOST_TEST(v->at("category") == "shipping");
}

BOOST_AUTO_TEST_CASE(no_json_at_all) {
    BOOST_TEST(!extract_json("I think it is about billing."));
    BOOST_TEST(!extract_json(""));
    BOOST_TEST(!extract_json("{not: json}"));
}

BOOST_AUTO_TEST_CASE(a_valid_reply_passes) {
    const OutputSchema schema(triage_schema);
    const Checked checked = schema.check("```json\n{\"category\": \"billing\", \"urgent\": true}\n```");
    BOOST_TEST_REQUIRE(checked.value.has_value());
    BOOST_TEST(checked.violations.empty());
    BOOST_TEST(*checked.value == json::parse(R"({"category": "billing", "urgent": true})"));
}

BOOST_AUTO_TEST_CASE(violations_name_where_and_what) {
    const OutputSchema schema(triage_schema);
    const Checked checked = schema.check(R"({"category": "weather", "urgent": "yes"})");
    BOOST_TEST(!checked.value);
    BOOST_TEST_REQUIRE(!checked.violations.empty());
    BOOST_TEST(mentions(checked.violations, "at /category"), join_violations(checked.violations));
    BOOST_TEST(mentions(checked.violations, "at /urgent"), join_violations(checked.violations));
}

BOOST_AUTO_TEST_CASE(missing_required_property_is_at_the_root) {
    const OutputSchema schema(triage_schema);
    const Checked checked = schema.check(R"({"unexpected": true})");
    BOOST_TEST(!checked.value);
    BOOST_TEST(mentions(checked.violations, "at (root)"), join_violations(checked.violations));
    BOOST_TEST(mentions(checked.violations, "category"), join_violations(checked.violations));
}

BOOST_AUTO_TEST_CASE(a_reply_without_json_is_one_violation) {
    const OutputSchema schema(triage_schema);
    const Checked checked = schema.check("It is a billing question.");
    BOOST_TEST(!checked.value);
    BOOST_TEST_REQUIRE(checked.violations.size() == 1u);
    BOOST_TEST(mentions(checked.violations, "no JSON value"));
}

BOOST_AUTO_TEST_CASE(the_repair_message_lists_violations_and_repeats_the_schema) {
    const std::string message = repair_message({"at /category: not one of the allowed values"}, triage_schema);
    BOOST_TEST(message.find("- at /category: not one of the allowed values\n") != std::string::npos, message);
    BOOST_TEST(message.find("only a JSON value that matches this JSON Schema") != std::string::npos, message);
    BOOST_TEST(message.find(json::serialize(triage_schema)) != std::string::npos, message);
}

BOOST_AUTO_TEST_CASE(an_unusable_schema_is_refused) {
    BOOST_CHECK_THROW(OutputSchema(json::parse(R"({"type": 5})")), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(template_fills_strings_raw_and_the_rest_as_json) {
    const PromptTemplate prompt("Ticket {{/id}} from {{ /customer }}: {{/body}}\nTags: {{/tags}} Score: {{/score}} "
                                "Meta: {{/meta}} Ok: {{/ok}}");
    const json::value input = json::parse(R"({"id": "T-1", "customer": "Ada", "body": "Charged \"twice\"",
      "tags": ["a", "b"], "score": 2.5, "meta": {"k": 1}, "ok": true})");
    BOOST_TEST(prompt.render(input) ==
               "Ticket T-1 from Ada: Charged \"twice\"\nTags: [\"a\",\"b\"] Score: 2.5 Meta: {\"k\":1} Ok: true");
}

BOOST_AUTO_TEST_CASE(template_defaults_stand_in_for_missing_and_null) {
    const PromptTemplate prompt("Research: {{/research/best|no article found}}. Category: {{/category|general}}. "
                                "Note: {{/note}}.");
    BOOST_TEST(prompt.render(json::parse(R"({"research": null})")) ==
               "Research: no article found. Category: general. Note: .");
    BOOST_TEST(prompt.render(json::parse(R"({"research": {"best": "See billing.md"}, "category": "billing"})")) ==
               "Research: See billing.md. Category: billing. Note: .");
}

BOOST_AUTO_TEST_CASE(template_pointers_with_escapes_and_literal_text) {
    const PromptTemplate prompt("{{/a~1b}} and {{/c~0d}} with no braces left");
    BOOST_TEST(prompt.render(json::parse(R"({"a/b": "x", "c~d": "y"})")) == "x and y with no braces left");
    BOOST_TEST(PromptTemplate("just text").render(json::object()) == "just text");
}

BOOST_AUTO_TEST_CASE(malformed_templates_are_refused) {
    BOOST_CHECK_THROW(PromptTemplate("Hello {{/name"), std::invalid_argument);
    BOOST_CHECK_THROW(PromptTemplate("Hello {{name}}"), std::invalid_argument);
    BOOST_CHECK_THROW(PromptTemplate("Hello {{/a~2}}"), std::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()
