// json_schema.cpp: JSON Schema compilation and validation with valijson's Boost.JSON adapter.
#include <agenthost/registry/json_schema.hpp>

#include <valijson/adapters/boost_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

#include <exception>

namespace agenthost {

struct JsonSchema::Compiled {
    boost::json::value source;
    valijson::Schema schema;
};

namespace {

// valijson names a location as {"<root>", "[name]", "[0]", ...}; operators read JSON pointers.
std::string to_pointer(const std::vector<std::string>& context) {
    std::string pointer;
    for (const std::string& part : context) {
        if (part.size() < 2 || part.front() != '[' || part.back() != ']') continue;
        pointer += '/';
        for (char c : std::string_view(part).substr(1, part.size() - 2)) {
            if (c == '~') pointer += "~0";
            else if (c == '/') pointer += "~1";
            else pointer += c;
        }
    }
    return pointer;
}

}  // namespace

JsonSchema::JsonSchema(std::unique_ptr<Compiled> compiled) : compiled_(std::move(compiled)) {}
JsonSchema::JsonSchema(JsonSchema&&) noexcept = default;
JsonSchema& JsonSchema::operator=(JsonSchema&&) noexcept = default;
JsonSchema::~JsonSchema() = default;

Result<JsonSchema> JsonSchema::compile(const boost::json::value& schema) {
    if (!schema.is_object() && !schema.is_bool()) {
        return Error{"", "a JSON Schema must be an object or a boolean", ""};
    }
    auto compiled = std::make_unique<Compiled>();
    compiled->source = schema;
    try {
        valijson::SchemaParser parser(valijson::SchemaParser::kDraft7);
        valijson::adapters::BoostJsonAdapter adapter(compiled->source);
        parser.populateSchema(adapter, compiled->schema);
    } catch (const std::exception& e) {
        return Error{"", std::string("not a usable JSON Schema: ") + e.what(), ""};
    }
    return JsonSchema(std::move(compiled));
}

std::vector<SchemaViolation> JsonSchema::validate(const boost::json::value& document) const {
    // A Validator caches compiled regexes and is not thread-safe; one per call keeps the schema shareable.
    valijson::Validator validator;
    valijson::ValidationResults results;
    valijson::adapters::BoostJsonAdapter adapter(document);
    std::vector<SchemaViolation> violations;
    if (validator.validate(compiled_->schema, adapter, &results)) return violations;
    valijson::ValidationResults::Error error;
    std::vector<SchemaViolation> wrappers;
    while (results.popError(error)) {
        // valijson adds a "Failed to validate ..." line for each parent of a
        // failing value; the specific lines below it already say everything.
        const bool wrapper = error.description.rfind("Failed to validate", 0) == 0;
        (wrapper ? wrappers : violations).push_back({to_pointer(error.context), error.description});
    }
    return violations.empty() ? wrappers : violations;
}

const boost::json::value& JsonSchema::source() const noexcept { return compiled_->source; }

std::string describe(const std::vector<SchemaViolation>& violations) {
    std::string text;
    for (const SchemaViolation& v : violations) {
        if (!text.empty()) text += '\n';
        text += "  at " + (v.pointer.empty() ? std::string("(root)") : v.pointer) + ": " + v.message;
    }
    return text;
}

}  // namespace agenthost
