// structured_output.cpp: JSON extraction and validation with valijson's Boost.JSON adapter.
#include "structured_output.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <valijson/adapters/boost_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

#include <exception>
#include <stdexcept>

namespace agenthost::llm {

namespace json = boost::json;

namespace {

std::optional<json::value> parse_whole(std::string_view text) {
    const auto first = text.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos) return std::nullopt;
    text = text.substr(first, text.find_last_not_of(" \t\r\n") - first + 1);
    boost::system::error_code ec;
    json::value v = json::parse(text, ec);
    if (ec) return std::nullopt;
    return v;
}

// valijson names a location as {"<root>", "[name]", "[0]", ...}; readers want JSON pointers.
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
    return pointer.empty() ? "(root)" : pointer;
}

}  // namespace

std::optional<json::value> extract_json(std::string_view reply) {
    if (auto whole = parse_whole(reply)) return whole;
    for (std::size_t open = reply.find("```"); open != std::string_view::npos;) {
        const std::size_t line_end = reply.find('\n', open + 3);  // past the language tag
        if (line_end == std::string_view::npos) break;
        const std::size_t close = reply.find("```", line_end + 1);
        if (close == std::string_view::npos) break;
        if (auto fenced = parse_whole(reply.substr(line_end + 1, close - line_end - 1))) return fenced;
        open = reply.find("```", close + 3);
    }
    const std::size_t begin = reply.find_first_of("{[");
    const std::size_t end = reply.find_last_of("}]");
    if (begin != std::string_view::npos && end != std::string_view::npos && end > begin) {
        if (auto span = parse_whole(reply.substr(begin, end - begin + 1))) return span;
    }
    return std::nullopt;
}

struct OutputSchema::Compiled {
    json::value source;
    valijson::Schema schema;
};

OutputSchema::OutputSchema(const json::value& schema) : compiled_(std::make_unique<Compiled>()) {
    compiled_->source = schema;
    try {
        valijson::SchemaParser parser(valijson::SchemaParser::kDraft7);
        valijson::adapters::BoostJsonAdapter adapter(compiled_->source);
        parser.populateSchema(adapter, compiled_->schema);
    } catch (const std::exception& e) {
        throw std::invalid_argument(std::string("output_schema is not a usable JSON Schema: ") + e.what());
    }
}

OutputSchema::~OutputSchema() = default;
OutputSchema::OutputSchema(OutputSchema&&) noexcept = default;
OutputSchema& OutputSchema::operator=(OutputSchema&&) noexcept = default;

const json::value& OutputSchema::source() const noexcept { return compiled_->source; }

std::vector<std::string> OutputSchema::validate(const json::value& document) const {
    // A Validator caches compiled regexes and is not thread-safe; one per call keeps the schema shareable.
    valijson::Validator validator;
    valijson::ValidationResults results;
    valijson::adapters::BoostJsonAdapter adapter(document);
    std::vector<std::string> violations;
    try {
        if (validator.validate(compiled_->schema, adapter, &results)) return violations;
    } catch (const std::exception& e) {
        return {std::string("(root): the schema could not be applied: ") + e.what()};
    }
    valijson::ValidationResults::Error error;
    std::vector<std::string> wrappers;
    while (results.popError(error)) {
        // valijson adds a "Failed to validate ..." line for each parent of a
        // failing value; the specific lines already say everything.
        const bool wrapper = error.description.rfind("Failed to validate", 0) == 0;
        (wrapper ? wrappers : violations).push_back("at " + to_pointer(error.context) + ": " + error.description);
    }
    if (violations.empty() && wrappers.empty()) return {"at (root): the value does not match the schema"};
    return violations.empty() ? wrappers : violations;
}

Checked OutputSchema::check(std::string_view reply) const {
    Checked checked;
    std::optional<json::value> value = extract_json(reply);
    if (!value) {
        checked.violations.push_back("the reply holds no JSON value (it must be only JSON, or JSON in a ```json block)");
        return checked;
    }
    checked.violations = validate(*value);
    if (checked.violations.empty()) checked.value = std::move(value);
    return checked;
}

std::string repair_message(const std::vector<std::string>& violations, const json::value& schema) {
    std::string text = "Your reply cannot be used:\n";
    for (const std::string& v : violations) text += "- " + v + "\n";
    text += "Reply again with only a JSON value that matches this JSON Schema, with no other text: ";
    text += json::serialize(schema);
    return text;
}

std::string join_violations(const std::vector<std::string>& violations) {
    std::string text;
    for (const std::string& v : violations) text += (text.empty() ? "" : "; ") + v;
    return text;
}

}  // namespace agenthost::llm
