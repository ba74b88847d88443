// output_schema_in_config_test.cpp: a manifest whose output_schema is
// {"$config": POINTER, "otherwise": SCHEMA} gives each agent the output schema
// its own config states, and refuses what cannot be used.
#include <agenthost/registry/plugin_manifest.hpp>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <string>

using agenthost::PluginManifest;

namespace {

std::string manifest_with_output(const char* output_schema) {
    return std::string(R"({"name": "general", "version": "1.0.0", "description": "d", "sdk_abi": "1.2",
        "config_schema": {"type": "object"}, "input_schema": {"type": "object"}, "output_schema": )") +
           output_schema + "}";
}

template <class T>
std::string why(const agenthost::Result<T>& r) {
    return r.ok() ? std::string() : r.error().to_string();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(output_schema_in_config)

BOOST_AUTO_TEST_CASE(each_agent_gets_the_schema_its_config_states) {
    auto manifest = PluginManifest::parse(manifest_with_output(
        R"({"$config": "/output_schema", "otherwise": {"type": "object", "required": ["text"]}})"));
    BOOST_TEST_REQUIRE(manifest.ok(), why(manifest));
    BOOST_TEST(manifest.value().output_schema_in_config.value_or("") == "/output_schema");

    const auto triage = boost::json::parse(
        R"({"output_schema": {"type": "object", "required": ["category"], "properties": {"category": {"type": "string"}}}})");
    auto schema = manifest.value().output_schema_for(triage);
    BOOST_TEST_REQUIRE(schema.ok(), why(schema));
    BOOST_TEST(schema.value()->validate(boost::json::parse(R"({"category": "billing"})")).empty());
    BOOST_TEST(!schema.value()->validate(boost::json::parse(R"({"text": "hello"})")).empty());

    // No schema in the config: the manifest's `otherwise`.
    auto fallback = manifest.value().output_schema_for(boost::json::parse("{}"));
    BOOST_TEST_REQUIRE(fallback.ok(), why(fallback));
    BOOST_TEST(fallback.value()->validate(boost::json::parse(R"({"text": "hello"})")).empty());
    BOOST_TEST(!fallback.value()->validate(boost::json::parse(R"({"category": "billing"})")).empty());
}

BOOST_AUTO_TEST_CASE(a_config_schema_that_cannot_compile_is_refused_with_its_pointer) {
    auto manifest = PluginManifest::parse(manifest_with_output(R"({"$config": "/output_schema"})"));
    BOOST_TEST_REQUIRE(manifest.ok(), why(manifest));
    auto schema = manifest.value().output_schema_for(
        boost::json::parse(R"({"output_schema": {"type": "object", "properties": {"a": {"pattern": "(["}}}})"));
    BOOST_TEST_REQUIRE(!schema.ok());
    BOOST_TEST(schema.error().pointer.rfind("/output_schema", 0) == 0u, schema.error().pointer);
    BOOST_TEST(schema.error().message.find("not a usable JSON Schema") != std::string::npos, schema.error().message);
}

BOOST_AUTO_TEST_CASE(a_plain_output_schema_is_the_same_for_every_agent) {
    auto manifest = PluginManifest::parse(manifest_with_output(R"({"type": "object", "required": ["x"]})"));
    BOOST_TEST_REQUIRE(manifest.ok(), why(manifest));
    BOOST_TEST(!manifest.value().output_schema_in_config.has_value());
    auto schema = manifest.value().output_schema_for(
        boost::json::parse(R"({"output_schema": {"type": "object", "required": ["y"]}})"));
    BOOST_TEST_REQUIRE(schema.ok(), why(schema));
    BOOST_TEST(schema.value()->validate(boost::json::parse(R"({"x": 1})")).empty());
}

BOOST_AUTO_TEST_CASE(a_config_reference_that_is_not_a_pointer_is_refused) {
    auto manifest = PluginManifest::parse(manifest_with_output(R"({"$config": "output_schema"})"));
    BOOST_TEST_REQUIRE(!manifest.ok());
    BOOST_TEST(manifest.error().message.find("/output_schema/$config") != std::string::npos, manifest.error().message);
}

BOOST_AUTO_TEST_SUITE_END()
