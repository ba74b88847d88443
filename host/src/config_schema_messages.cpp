// config_schema_messages.cpp: the schema pass. Checks a config against
// config/schema/workflow.schema.json (compiled in) and rewrites valijson's terse
// lines ("Value type not permitted by 'type' constraint.") into what an operator
// needs: what was expected there, what was found, and a hint.
#include "config_parts.hpp"

#include <agenthost/registry/json_schema.hpp>

#include <workflow_schema_text.hpp>

#include <boost/json.hpp>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <set>
#include <stdexcept>
#include <system_error>

namespace agenthost::config_parts {
namespace {

JsonSchema compile_workflow_schema() {
    auto parsed = parse_json(generated::workflow_schema_text, "config/schema/workflow.schema.json");
    if (!parsed) throw std::logic_error("built-in workflow schema: " + parsed.error().to_string());
    auto schema = JsonSchema::compile(parsed.value());
    if (!schema) throw std::logic_error("built-in workflow schema: " + schema.error().to_string());
    return std::move(schema).value();
}

const JsonSchema& workflow_schema() {
    // Immutable after its thread-safe first initialisation.
    static const JsonSchema schema = compile_workflow_schema();
    return schema;
}

bool has_type(const json::value& v, std::string_view type) {
    if (type == "object") return v.is_object();
    if (type == "array") return v.is_array();
    if (type == "string") return v.is_string();
    if (type == "boolean") return v.is_bool();
    if (type == "null") return v.is_null();
    if (type == "number") return v.is_number();
    if (type == "integer") return v.is_int64() || v.is_uint64();
    return false;
}

// The schema objects that apply to a value of the document, found the way a
// validator walks: properties, additionalProperties, items, "$ref", allOf and
// if/then/else. Only what workflow.schema.json uses is understood (its $comment says so).
class SchemaLocator {
public:
    explicit SchemaLocator(const json::value& schema) : root_(schema) {}

    std::vector<const json::object*> at(const json::value& document, std::string_view pointer) const {
        std::vector<const json::object*> nodes;
        expand(root_, document, nodes, 0);
        const json::value* instance = &document;
        for (const std::string& token : pointer_tokens(pointer)) {
            const json::value* child = child_of(*instance, token);
            if (child == nullptr) return {};
            std::vector<const json::object*> next;
            for (const json::object* node : nodes) {
                if (const json::value* sub = child_schema(*node, *instance, token)) expand(*sub, *child, next, 0);
            }
            nodes = std::move(next);
            instance = child;
        }
        return nodes;
    }

private:
    static const json::value* child_of(const json::value& v, const std::string& token) {
        if (const auto* object = v.if_object()) return object->if_contains(token);
        if (const auto* array = v.if_array()) {
            std::size_t index = 0;
            const auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), index);
            if (ec == std::errc() && end == token.data() + token.size() && index < array->size()) return &(*array)[index];
        }
        return nullptr;
    }

    static const json::value* child_schema(const json::object& node, const json::value& instance, const std::string& token) {
        if (instance.is_object()) {
            const json::value* properties = node.if_contains("properties");
            if (properties && properties->is_object())
                if (const json::value* sub = properties->get_object().if_contains(token)) return sub;
            const json::value* extra = node.if_contains("additionalProperties");
            return extra && extra->is_object() ? extra : nullptr;
        }
        const json::value* items = node.if_contains("items");
        return instance.is_array() && items && items->is_object() ? items : nullptr;
    }

    // Mirrors draft-07: "required" and "properties" hold vacuously for a non-object.
    static bool holds(const json::object& condition, const json::value& instance) {
        const json::value* type = condition.if_contains("type");
        if (type && type->is_string() && !has_type(instance, type->get_string())) return false;
        const json::object* object = instance.if_object();
        if (object == nullptr) return true;
        if (const json::value* required = condition.if_contains("required"); required && required->is_array())
            for (const json::value& name : required->get_array())
                if (name.is_string() && !object->contains(name.get_string())) return false;
        if (const json::value* properties = condition.if_contains("properties"); properties && properties->is_object()) {
            for (const auto& [key, sub] : properties->get_object()) {
                const json::value* value = object->if_contains(key);
                const json::value* constant = sub.is_object() ? sub.get_object().if_contains("const") : nullptr;
                if (value && constant && *value != *constant) return false;
            }
        }
        return true;
    }

    void expand(const json::value& schema, const json::value& instance, std::vector<const json::object*>& out,
                int depth) const {
        const json::object* node = schema.if_object();
        if (node == nullptr || depth > 32) return;
        if (const json::value* ref = node->if_contains("$ref"); ref && ref->is_string()) {
            const std::string_view target = ref->get_string();
            boost::system::error_code ec;
            if (target.starts_with('#'))
                if (const json::value* resolved = root_.find_pointer(target.substr(1), ec))
                    expand(*resolved, instance, out, depth + 1);
            return;  // draft-07 ignores the members beside "$ref"
        }
        out.push_back(node);
        if (const json::value* all = node->if_contains("allOf"); all && all->is_array())
            for (const json::value& sub : all->get_array()) expand(sub, instance, out, depth + 1);
        if (const json::value* condition = node->if_contains("if"); condition && condition->is_object()) {
            const char* branch = holds(condition->get_object(), instance) ? "then" : "else";
            if (const json::value* sub = node->if_contains(branch)) expand(*sub, instance, out, depth + 1);
        }
    }

    const json::value& root_;
};

// Turns valijson's terse lines ("Value type not permitted by 'type' constraint.")
// into what an operator needs: what was expected, what was found, and a hint.
class SchemaExplainer {
public:
    SchemaExplainer(const json::value& document, Issues& issues)
        : locator_(workflow_schema().source()), document_(document), issues_(issues) {}

    void explain(const SchemaViolation& violation) {
        const std::string& pointer = violation.pointer;
        const std::string_view message = violation.message;
        nodes_ = locator_.at(document_, pointer);
        boost::system::error_code ec;
        found_ = document_.find_pointer(pointer, ec);

        if (message.starts_with("Object contains a property that could not be validated")) return unknown_properties(pointer);
        if (message.starts_with("Missing required property '")) {
            const std::string_view name = message.substr(27, message.rfind('\'') - 27);
            return add(pointer, "missing required property " + quote(name));
        }
        if (message.starts_with("Value type not permitted")) return wrong_type(pointer);
        if (message.starts_with("Failed to match against any enum values")) return not_in_enum(pointer);
        if (message.starts_with("Failed to match regex")) return no_match(pointer);
        if (message.starts_with("Expected number")) return out_of_range(pointer, message);
        if (message.starts_with("String should be no fewer than")) return too_few(pointer, "minLength", "character");
        if (message.starts_with("Array should contain no fewer than")) return too_few(pointer, "minItems", "item");
        if (message.starts_with("Object should have no fewer than")) return too_few(pointer, "minProperties", "member");
        if (message.starts_with("Elements at indexes #")) return repeated(pointer, message);
        add(pointer, plain(message));
    }

private:
    const json::value* keyword(std::string_view name) const {
        for (const json::object* node : nodes_)
            if (const json::value* v = node->if_contains(name)) return v;
        return nullptr;
    }

    void add(const std::string& pointer, std::string message, std::string hint = {}) {
        issues_.add(Pass::schema, pointer, std::move(message), std::move(hint));
    }

    // valijson names only the first unknown member; the operator wants them all.
    void unknown_properties(const std::string& pointer) {
        const json::object* object = found_ ? found_->if_object() : nullptr;
        if (object == nullptr) return add(pointer, "unexpected property");
        std::vector<std::string> allowed;
        for (const json::object* node : nodes_) {
            const json::value* properties = node->if_contains("properties");
            if (properties && properties->is_object())
                for (const auto& property : properties->get_object())
                    if (std::find(allowed.begin(), allowed.end(), property.key()) == allowed.end())
                        allowed.emplace_back(property.key());
        }
        for (const auto& [key, value] : *object) {
            if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
            const std::string at = member(pointer, key);
            if (!reported_.insert(at).second) continue;
            issues_.add_at_key(Pass::schema, at, "unknown property " + quote(key) + "; allowed here: " + joined(allowed),
                               did_you_mean(key, allowed));
        }
    }

    void wrong_type(const std::string& pointer) {
        const json::value* type = keyword("type");
        std::vector<std::string> names;
        if (type && type->is_string()) names.emplace_back(type->get_string());
        if (type && type->is_array())
            for (const json::value& t : type->get_array())
                if (t.is_string()) names.emplace_back(t.get_string());
        for (std::string& name : names) name = (name == "object" || name == "array" || name == "integer" ? "an " : "a ") + name;
        if (names.empty()) return add(pointer, "a value of another type was expected, found " + describe(found_));
        add(pointer, "expected " + joined(names, " or ") + ", found " + describe(found_));
    }

    void not_in_enum(const std::string& pointer) {
        const json::value* values = keyword("enum");
        if (!values || !values->is_array()) return add(pointer, "value not allowed here: " + describe(found_));
        std::vector<std::string> shown;
        std::vector<std::string> names;
        for (const json::value& v : values->get_array()) {
            shown.push_back(json::serialize(v));
            if (v.is_string()) names.emplace_back(v.get_string());
        }
        add(pointer, "expected one of " + joined(shown) + "; found " + describe(found_),
            found_ && found_->is_string() ? did_you_mean(found_->get_string(), names) : std::string());
    }

    void no_match(const std::string& pointer) {
        const json::value* title = keyword("title");
        const json::value* pattern = keyword("pattern");
        const std::string expected = title && title->is_string() ? std::string(title->get_string())
                                     : pattern && pattern->is_string()
                                         ? "a string matching " + std::string(pattern->get_string())
                                         : std::string("another string");
        add(pointer, "expected " + expected + ", found " + describe(found_));
    }

    void out_of_range(const std::string& pointer, std::string_view message) {
        if (!found_ || !found_->is_number()) return add(pointer, plain(message));
        const double value = found_->to_number<double>();
        const auto bound = [&](std::string_view name) -> const json::value* {
            const json::value* v = keyword(name);
            return v && v->is_number() ? v : nullptr;
        };
        const json::value* limit = nullptr;
        std::string expected;
        if ((limit = bound("minimum")) && value < limit->to_number<double>()) expected = "at least ";
        else if ((limit = bound("exclusiveMinimum")) && value <= limit->to_number<double>()) expected = "more than ";
        else if ((limit = bound("maximum")) && value > limit->to_number<double>()) expected = "at most ";
        else if ((limit = bound("exclusiveMaximum")) && value >= limit->to_number<double>()) expected = "less than ";
        if (expected.empty()) return add(pointer, plain(message));
        add(pointer, "expected " + expected + number_text(*limit) + ", found " + number_text(*found_));
    }

    void too_few(const std::string& pointer, std::string_view name, std::string_view unit) {
        const json::value* least = keyword(name);
        const int64_t count = least && least->is_int64() ? least->get_int64() : 1;
        if (count == 1 && unit == "character") return add(pointer, "expected a non-empty string");
        add(pointer, "expected at least " + std::to_string(count) + ' ' + std::string(unit) + (count == 1 ? "" : "s"));
    }

    // "Elements at indexes #0 and #2 violate uniqueness constraint."
    void repeated(const std::string& pointer, std::string_view message) {
        std::size_t first = 0;
        std::size_t second = 0;
        const char* p = message.data() + 21;
        const char* end = message.data() + message.size();
        const auto a = std::from_chars(p, end, first);
        const std::size_t hash = message.find('#', static_cast<std::size_t>(a.ptr - message.data()));
        if (a.ec != std::errc() || hash == std::string_view::npos ||
            std::from_chars(message.data() + hash + 1, end, second).ec != std::errc())
            return add(pointer, plain(message));
        boost::system::error_code ec;
        const std::string at = element(pointer, second);
        add(at, describe(document_.find_pointer(at, ec)) + " is already listed at index " + std::to_string(first),
            "remove the repeat");
    }

    static std::string plain(std::string_view message) {
        std::string out(message);
        if (!out.empty() && out.back() == '.') out.pop_back();
        if (!out.empty() && out[0] >= 'A' && out[0] <= 'Z') out[0] = static_cast<char>(out[0] - 'A' + 'a');
        return out;
    }

    SchemaLocator locator_;
    const json::value& document_;
    Issues& issues_;
    std::vector<const json::object*> nodes_;
    const json::value* found_ = nullptr;
    std::set<std::string> reported_;
};

}  // namespace

void check_schema(const json::value& document, Issues& issues) {
    SchemaExplainer explainer(document, issues);
    for (const SchemaViolation& violation : workflow_schema().validate(document)) explainer.explain(violation);
}

}  // namespace agenthost::config_parts
