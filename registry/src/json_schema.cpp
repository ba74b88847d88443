// json_schema.cpp: JSON Schema compilation and validation with valijson's Boost.JSON adapter.
#include <agenthost/registry/json_schema.hpp>

#include <valijson/adapters/boost_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

#include <charconv>
#include <cctype>
#include <exception>
#include <optional>
#include <regex>
#include <set>

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

std::string escape_token(std::string_view key) {
    std::string out;
    for (char c : key) out += c == '~' ? "~0" : c == '/' ? "~1" : std::string(1, c);
    return out;
}

// What valijson does with a token of a "$ref" pointer: "~1", then "~0", then %XX decoded.
std::optional<std::string> decode_token(std::string_view raw) {
    std::string token(raw);
    for (auto [from, to] : {std::pair{"~1", "/"}, std::pair{"~0", "~"}})
        for (std::size_t at = token.find(from); at != std::string::npos; at = token.find(from, at + 1))
            token.replace(at, 2, to);
    for (std::size_t at = token.find('%'); at != std::string::npos; at = token.find('%', at + 1)) {
        unsigned value = 0;
        if (token.size() - at < 3 || std::from_chars(token.data() + at + 1, token.data() + at + 3, value, 16).ptr !=
                                         token.data() + at + 3)
            return std::nullopt;
        token.replace(at, 3, 1, static_cast<char>(value));
    }
    return token;
}

// The node a local "$ref" names, read as valijson reads it (empty tokens are skipped,
// an array token is a number as std::stoul reads it); nullptr when it names nothing.
const boost::json::value* resolve_local_ref(const boost::json::value& root, std::string_view ref) {
    std::string_view pointer = ref.substr(1);  // after '#'
    const boost::json::value* node = &root;
    while (!pointer.empty()) {
        if (pointer.front() != '/') return nullptr;
        pointer.remove_prefix(1);
        const std::size_t end = std::min(pointer.find('/'), pointer.size());
        const auto token = decode_token(pointer.substr(0, end));
        pointer.remove_prefix(end);
        if (!token) return nullptr;
        if (token->empty()) continue;
        if (const auto* array = node->if_array()) {
            std::string_view digits = *token;
            while (!digits.empty() && std::isspace(static_cast<unsigned char>(digits.front()))) digits.remove_prefix(1);
            if (!digits.empty() && digits.front() == '+') digits.remove_prefix(1);
            std::size_t index = 0;
            if (std::from_chars(digits.data(), digits.data() + digits.size(), index).ec != std::errc() ||
                index >= array->size())
                return nullptr;
            node = &(*array)[index];
        } else if (const auto* object = node->if_object()) {
            node = object->if_contains(*token);
            if (node == nullptr) return nullptr;
        } else {
            return nullptr;
        }
    }
    return node;
}

// Finds what valijson would abort, throw or recurse forever on, before valijson sees the schema.
class SchemaCheck {
public:
    explicit SchemaCheck(const boost::json::value& root) : root_(root) {}

    std::optional<Error> run() {
        walk(root_, "");
        if (problem_) return problem_;
        for (const Ref& ref : refs_) {
            check_chain(ref);
            if (problem_) return problem_;
        }
        return std::nullopt;
    }

private:
    struct Ref {
        std::string at;                  // JSON pointer of the "$ref" member
        const boost::json::value* node;  // the object holding it
        std::string target;
    };

    void fail(std::string at, std::string message) {
        if (!problem_) problem_ = Error{std::move(at), std::move(message), ""};
    }

    void check_pattern(std::string_view pattern, const std::string& at, std::string_view what) {
        try {
            std::regex compiled(pattern.begin(), pattern.end(), std::regex::ECMAScript);
        } catch (const std::regex_error& e) {
            fail(at, std::string(what) + " \"" + std::string(pattern) +
                         "\" is not a valid regular expression (ECMAScript): " + e.what());
        }
    }

    // `schema` is at `at`. Walks every member except the few that hold data
    // rather than schemas, so that a "$ref" in, say, an example is not taken for one.
    void walk(const boost::json::value& schema, const std::string& at) {
        const auto* object = schema.if_object();
        if (object == nullptr) {
            if (const auto* array = schema.if_array())
                for (std::size_t i = 0; i < array->size(); ++i) walk((*array)[i], at + '/' + std::to_string(i));
            return;
        }
        for (const auto& [key, value] : *object) {
            const std::string here = at + '/' + escape_token(key);
            if (key == "enum" || key == "const" || key == "default" || key == "examples") continue;
            if (key == "$ref" && value.is_string()) {
                const std::string_view target = value.get_string();
                if (target.empty() || target.front() != '#') {
                    fail(here, "\"" + std::string(target) +
                                   "\" is not a reference within this schema; only \"#...\" references are supported");
                }
                refs_.push_back({here, &schema, std::string(target)});
            } else if (key == "pattern" && value.is_string()) {
                check_pattern(value.get_string(), here, "pattern");
            } else if ((key == "properties" || key == "patternProperties" || key == "definitions" ||
                        key == "dependencies") && value.is_object()) {
                // Member names here are property names, never keywords.
                for (const auto& [name, member] : value.get_object()) {
                    const std::string named = here + '/' + escape_token(name);
                    if (key == "patternProperties") check_pattern(name, named, "property name pattern");
                    walk(member, named);
                }
            } else {
                walk(value, here);
            }
        }
    }

    // valijson follows a chain of "$ref"s until it reaches a schema that is
    // not one; a chain that comes back to itself never ends and overflows the stack.
    void check_chain(const Ref& start) {
        if (start.target.empty() || start.target.front() != '#') return;
        std::set<const boost::json::value*> seen{start.node};
        std::string chain = start.target;
        for (const boost::json::value* node = resolve_local_ref(root_, start.target); node != nullptr;) {
            const auto* object = node->if_object();
            const auto* next = object ? object->if_contains("$ref") : nullptr;
            if (next == nullptr || !next->is_string() || next->get_string().empty() || next->get_string().front() != '#')
                return;  // a schema at last, or something valijson itself will refuse
            if (!seen.insert(node).second) {
                fail(start.at, "\"$ref\" chain loops without ever reaching a schema: " + chain);
                return;
            }
            chain += " -> " + std::string(next->get_string());
            node = resolve_local_ref(root_, next->get_string());
        }
    }

    const boost::json::value& root_;
    std::vector<Ref> refs_;
    std::optional<Error> problem_;
};

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
    if (auto problem = SchemaCheck(compiled->source).run()) return *problem;
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
    try {
        if (validator.validate(compiled_->schema, adapter, &results)) return violations;
    } catch (const std::exception& e) {
        // compile() checks what it can; this keeps whatever it missed (say, a
        // std::bad_alloc) a violation of the document rather than a crash.
        return {{"", std::string("the schema could not be applied: ") + e.what()}};
    } catch (...) {
        return {{"", "the schema could not be applied: unknown error"}};
    }
    valijson::ValidationResults::Error error;
    std::vector<SchemaViolation> wrappers;
    while (results.popError(error)) {
        // valijson adds a "Failed to validate ..." line for each parent of a
        // failing value; the specific lines below it already say everything.
        const bool wrapper = error.description.rfind("Failed to validate", 0) == 0;
        (wrapper ? wrappers : violations).push_back({to_pointer(error.context), error.description});
    }
    if (violations.empty() && wrappers.empty()) {
        // Some constraints (propertyNames in valijson 1.0) fail without saying why.
        return {{"", "the document does not match the schema (a constraint failed without a message)"}};
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
