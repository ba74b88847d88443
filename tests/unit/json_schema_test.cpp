// json_schema_test.cpp: schemas valijson would abort on or recurse forever on are refused at compile().
#include <agenthost/registry/json_schema.hpp>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <string>

using agenthost::JsonSchema;

namespace {

// Boost.Test evaluates a message argument even when the check passes, so only ask a failed Result.
template <class T>
std::string why(const agenthost::Result<T>& r) {
    return r.ok() ? std::string() : r.error().to_string();
}

agenthost::Result<JsonSchema> compile(const char* schema) { return JsonSchema::compile(boost::json::parse(schema)); }

struct Refused {
    const char* schema;
    const char* where;  // the JSON pointer inside the schema
    const char* message_part;
};

void check_refused(const Refused& c) {
    BOOST_TEST_CONTEXT(c.schema) {
        const auto schema = compile(c.schema);
        BOOST_TEST_REQUIRE(!schema.ok());
        BOOST_TEST(schema.error().where == c.where);
        BOOST_TEST(schema.error().message.find(c.message_part) != std::string::npos, schema.error().message);
    }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(json_schema)

BOOST_AUTO_TEST_CASE(an_invalid_pattern_is_refused_with_its_pointer) {
    const Refused cases[] = {
        {R"({"type": "string", "pattern": "(unclosed"})", "/pattern", "\"(unclosed\" is not a valid regular expression"},
        {R"({"properties": {"code": {"type": "string", "pattern": "[a-"}}})", "/properties/code/pattern",
         "not a valid regular expression (ECMAScript)"},
        {R"({"items": [{"pattern": "ok"}, {"pattern": "*bad"}]})", "/items/1/pattern", "\"*bad\""},
        {R"({"propertyNames": {"pattern": "a{2,1}"}})", "/propertyNames/pattern", "a{2,1}"},
        {R"({"properties": {"a/b": {"pattern": "("}}})", "/properties/a~1b/pattern", "pattern"},
        {R"({"patternProperties": {"^x-(": {"type": "string"}}})", "/patternProperties/^x-(",
         "property name pattern \"^x-(\" is not a valid regular expression"},
        {R"({"definitions": {"d": {"patternProperties": {"ok": {"pattern": "\\"}}}}})",
         "/definitions/d/patternProperties/ok/pattern", "not a valid regular expression"},
    };
    for (const auto& c : cases) check_refused(c);
}

BOOST_AUTO_TEST_CASE(a_ref_outside_the_schema_is_refused) {
    const Refused cases[] = {
        {R"({"$ref": "http://example.com/schema.json"})", "/$ref", "not a reference within this schema"},
        {R"({"properties": {"a": {"$ref": "other.json#/definitions/x"}}})", "/properties/a/$ref",
         "\"other.json#/definitions/x\" is not a reference within this schema"},
        {R"({"items": {"$ref": ""}})", "/items/$ref", "only \"#...\" references are supported"},
    };
    for (const auto& c : cases) check_refused(c);
}

BOOST_AUTO_TEST_CASE(a_ref_chain_that_loops_is_refused) {
    const Refused cases[] = {
        {R"({"definitions": {"a": {"$ref": "#/definitions/a"}}, "properties": {"x": {"$ref": "#/definitions/a"}}})",
         "/definitions/a/$ref", "\"$ref\" chain loops without ever reaching a schema"},
        {R"({"definitions": {"a": {"$ref": "#/definitions/b"}, "b": {"$ref": "#/definitions/a"}}})",
         "/definitions/a/$ref", "#/definitions/b -> #/definitions/a"},
        {R"({"$ref": "#"})", "/$ref", "loops"},
        // The same loop, spelled so that only a reader that decodes as valijson does sees it.
        {R"({"definitions": {"a": {"$ref": "#/definitions/%61/"}}})", "/definitions/a/$ref", "loops"},
        {R"({"allOf": [{"$ref": "#/allOf/0"}]})", "/allOf/0/$ref", "loops"},
    };
    for (const auto& c : cases) check_refused(c);
}

BOOST_AUTO_TEST_CASE(a_recursive_schema_still_compiles_and_validates) {
    // A tree: each node's children are trees again, through a "$ref" to the root.
    const auto tree = compile(R"({
        "type": "object",
        "required": ["value"],
        "properties": {
            "value": {"type": "integer"},
            "children": {"type": "array", "items": {"$ref": "#"}}
        },
        "additionalProperties": false
    })");
    BOOST_TEST_REQUIRE(tree.ok(), why(tree));
    BOOST_TEST(tree->validate(boost::json::parse(
                   R"({"value": 1, "children": [{"value": 2}, {"value": 3, "children": [{"value": 4}]}]})"))
                   .empty());
    const auto violations =
        tree->validate(boost::json::parse(R"({"value": 1, "children": [{"value": 2, "children": [{"value": "x"}]}]})"));
    BOOST_TEST_REQUIRE(!violations.empty());
    BOOST_TEST(violations.front().pointer == "/children/0/children/0/value", agenthost::describe(violations));

    // Chains that end in a schema, and "$ref"-looking text in data, are fine.
    for (const char* ok : {
             R"({"definitions": {"a": {"$ref": "#/definitions/b"}, "b": {"type": "string"}}, "$ref": "#/definitions/a"})",
             R"({"definitions": {"node": {"type": "array", "items": {"$ref": "#/definitions/node"}}}, "$ref": "#/definitions/node"})",
             R"({"enum": [{"$ref": "http://example.com/"}], "default": {"pattern": "("}, "examples": [{"$ref": "#"}]})",
             R"({"properties": {"pattern": {"type": "string"}, "$ref": {"type": "string"}}})",
         }) {
        const auto schema = compile(ok);
        BOOST_TEST(schema.ok(), ok << ": " << why(schema));
    }
}

BOOST_AUTO_TEST_CASE(what_valijson_itself_refuses_is_an_error_not_an_abort) {
    // Without VALIJSON_USE_EXCEPTIONS each of these ends the process.
    for (const char* bad : {
             R"({"$ref": "#/definitions/missing"})",
             R"({"$ref": 42})",
             R"({"type": "strnig"})",
             R"({"required": "name"})",
         }) {
        const auto schema = compile(bad);
        BOOST_TEST_CONTEXT(bad) {
            BOOST_TEST_REQUIRE(!schema.ok());
            BOOST_TEST(schema.error().message.find("not a usable JSON Schema") != std::string::npos,
                       schema.error().message);
        }
    }
}

BOOST_AUTO_TEST_CASE(a_constraint_that_fails_silently_is_still_a_violation) {
    // valijson 1.0 records no message for propertyNames; the document must still be invalid.
    auto schema = JsonSchema::compile(boost::json::parse(R"({"type": "object", "propertyNames": {"maxLength": 3}})"));
    BOOST_TEST_REQUIRE(schema.ok());
    BOOST_TEST(schema->validate(boost::json::parse(R"({"abc": 1})")).empty());
    BOOST_TEST(!schema->validate(boost::json::parse(R"({"abcdef": 1})")).empty());
}

BOOST_AUTO_TEST_SUITE_END()
