// config_loader.cpp: a workflow config file → WorkflowConfig, or every problem in it.
// Four passes, each reporting everything it finds: JSON syntax (comments and
// trailing commas allowed), the JSON Schema (config/schema/workflow.schema.json,
// compiled in), ${ENV} expansion, and meaning (names, reachability, unbounded
// loops, one writer per state key). Each problem is located by SourceMap.
#include <agenthost/host/config_loader.hpp>
#include <agenthost/host/source_map.hpp>
#include <agenthost/registry/json_schema.hpp>
#include <agenthost/registry/json_text.hpp>
#include <agenthost/registry/nearest_name.hpp>
#include <agenthost/registry/semver.hpp>

#include <workflow_schema_text.hpp>

#include <boost/json.hpp>
#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <limits>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <system_error>

namespace agenthost {
namespace {

namespace json = boost::json;

// ------------------------------------------------------------------ basics

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

std::string sha256_hex(std::string_view text) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int size = 0;
    if (EVP_Digest(text.data(), text.size(), digest.data(), &size, EVP_sha256(), nullptr) != 1)
        throw std::runtime_error("OpenSSL could not compute a SHA-256");
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    for (unsigned int i = 0; i < size; ++i) {
        out += hex[digest[i] >> 4];
        out += hex[digest[i] & 0x0f];
    }
    return out;
}

// "x" as JSON writes it, so that odd characters in names stay readable and unambiguous.
std::string quote(std::string_view s) { return json::serialize(json::value(json::string(s))); }

// A number as people write it: 1.5 rather than serialize()'s 1.5E0.
std::string number_text(const json::value& v) {
    if (!v.is_double()) return json::serialize(v);
    std::array<char, 32> buffer{};
    const auto [end, ec] = std::to_chars(buffer.data(), buffer.data() + buffer.size(), v.get_double());
    return ec == std::errc() ? std::string(buffer.data(), end) : json::serialize(v);
}

// What a value is, for "found ..." in messages.
std::string describe(const json::value* v) {
    if (v == nullptr) return "nothing";
    switch (v->kind()) {
        case json::kind::object: return "an object";
        case json::kind::array: return "an array";
        case json::kind::string: {
            const std::string_view s = v->get_string();
            if (s.size() <= 60) return quote(s);
            std::size_t cut = 57;
            while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;  // not inside a UTF-8 character
            return quote(s.substr(0, cut)) + "...";
        }
        default: return number_text(*v);
    }
}

std::string joined(const std::vector<std::string>& items, std::string_view separator = ", ") {
    std::string out;
    for (const std::string& item : items) {
        if (!out.empty()) out += separator;
        out += item;
    }
    return out;
}

std::string member(std::string_view pointer, std::string_view key) {
    return std::string(pointer) + '/' + escape_pointer_token(key);
}

std::string element(std::string_view pointer, std::size_t index) {
    return std::string(pointer) + '/' + std::to_string(index);
}

// The name meant: a likely typo by edit distance, or else the one name that
// `name` is a prefix of or extends ("timeout" for "timeout_ms", "ending" for "end").
std::optional<std::string> suggestion(std::string_view name, const std::vector<std::string>& names) {
    if (auto near = nearest_name(name, names)) return near;
    std::optional<std::string> found;
    for (const std::string& candidate : names) {
        const bool related = std::min(name.size(), candidate.size()) >= 3 &&
                             (candidate.starts_with(name) || name.starts_with(candidate));
        if (!related) continue;
        if (found) return std::nullopt;  // ambiguous: better no guess than a wrong one
        found = candidate;
    }
    return found;
}

std::string did_you_mean(std::string_view name, const std::vector<std::string>& names) {
    const auto meant = suggestion(name, names);
    return meant ? "did you mean " + quote(*meant) + "?" : std::string();
}

// "did you mean ...?" when a name is close to one that exists, else the list of those that do.
std::string name_hint(std::string_view name, const std::vector<std::string>& names, std::string_view what) {
    if (auto near = suggestion(name, names)) return "did you mean " + quote(*near) + "?";
    if (names.empty()) return "no " + std::string(what) + " are defined";
    std::vector<std::string> shown;
    for (std::size_t i = 0; i < names.size() && i < 10; ++i) shown.push_back(quote(names[i]));
    return std::string(what) + ": " + joined(shown) + (names.size() > 10 ? ", ..." : "");
}

// ------------------------------------------------------------------ issues

//! In the order they run. An issue where an earlier pass already reported one
//! is a consequence of that one (a missing ${VAR} makes a URL pattern invalid), so it is dropped.
enum class Pass { syntax, schema, env, meaning };

class Issues {
public:
    explicit Issues(const WorkflowConfig& config) : config_(config) {}

    void add(Pass pass, std::string_view pointer, std::string message, std::string hint = {}) {
        items_.push_back({pass, config_.issue_at(pointer, std::move(message), std::move(hint))});
    }

    // At the member's key rather than its value: the key is what is wrong.
    void add_at_key(Pass pass, std::string_view pointer, std::string message, std::string hint = {}) {
        ConfigIssue issue = config_.issue_at(pointer, std::move(message), std::move(hint));
        place(issue, config_.source->key_at(pointer));
        items_.push_back({pass, std::move(issue)});
    }

    void add_at(Pass pass, TextPosition position, std::string_view pointer, std::string message, std::string hint = {}) {
        ConfigIssue issue = config_.issue_at(pointer, std::move(message), std::move(hint));
        place(issue, position);
        items_.push_back({pass, std::move(issue)});
    }

    bool empty() const noexcept { return items_.empty(); }

    //! Whether the schema found anything at `prefix` or below it (the root counts everywhere).
    bool schema_found_under(std::string_view prefix) const {
        return std::any_of(items_.begin(), items_.end(), [&](const Item& item) {
            const std::string& p = item.issue.pointer;
            return item.pass == Pass::schema &&
                   (p.empty() || p == prefix || (p.starts_with(prefix) && p[prefix.size()] == '/'));
        });
    }

    //! Every issue once, in file order.
    ConfigIssues take() {
        std::map<std::string, Pass> first_pass;
        for (const Item& item : items_) {
            auto [it, fresh] = first_pass.emplace(item.issue.pointer, item.pass);
            if (!fresh) it->second = std::min(it->second, item.pass);
        }
        ConfigIssues out;
        std::set<std::string> seen;
        for (Item& item : items_) {
            if (item.pass > first_pass.at(item.issue.pointer)) continue;
            // valijson can report one fault once per schema that applies (if/then, allOf).
            if (!seen.insert(item.issue.to_string()).second) continue;
            out.push_back(std::move(item.issue));
        }
        std::stable_sort(out.begin(), out.end(), [](const ConfigIssue& a, const ConfigIssue& b) {
            return std::tie(a.line, a.column) < std::tie(b.line, b.column);
        });
        return out;
    }

private:
    struct Item {
        Pass pass;
        ConfigIssue issue;
    };

    static void place(ConfigIssue& issue, TextPosition position) {
        issue.line = position.line;
        issue.column = position.column;
    }

    const WorkflowConfig& config_;
    std::vector<Item> items_;
};

// ------------------------------------------------------------------ schema violations, explained

std::vector<std::string> pointer_tokens(std::string_view pointer) {
    std::vector<std::string> tokens;
    while (!pointer.empty()) {
        pointer.remove_prefix(1);  // '/'
        const std::size_t end = std::min(pointer.find('/'), pointer.size());
        std::string token;
        for (std::size_t i = 0; i < end; ++i) {
            if (pointer[i] == '~' && i + 1 < end) {
                token += pointer[i + 1] == '1' ? '/' : '~';
                ++i;
            } else {
                token += pointer[i];
            }
        }
        tokens.push_back(std::move(token));
        pointer.remove_prefix(end);
    }
    return tokens;
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

// ------------------------------------------------------------------ ${ENV}

bool is_variable_name(std::string_view name) {
    if (name.empty() || (name[0] >= '0' && name[0] <= '9')) return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    });
}

// Expands ${NAME} in every string under `value`; "$${" stays a literal "${".
void expand_env(json::value& value, const std::string& pointer, const EnvLookup& env, Issues& issues) {
    if (auto* object = value.if_object()) {
        for (auto& [key, child] : *object) expand_env(child, member(pointer, key), env, issues);
        return;
    }
    if (auto* array = value.if_array()) {
        for (std::size_t i = 0; i < array->size(); ++i) expand_env((*array)[i], element(pointer, i), env, issues);
        return;
    }
    json::string* text = value.if_string();
    if (text == nullptr || text->find('$') == json::string::npos) return;
    const std::string_view in(*text);
    std::string out;
    for (std::size_t i = 0; i < in.size();) {
        if (in.substr(i, 3) == "$${") {
            out += "${";
            i += 3;
            continue;
        }
        if (in.substr(i, 2) != "${") {
            out += in[i++];
            continue;
        }
        const std::size_t close = in.find('}', i + 2);
        const std::string_view name = in.substr(i + 2, close == std::string_view::npos ? 0 : close - i - 2);
        if (close == std::string_view::npos) {
            issues.add(Pass::env, pointer, quote(in.substr(i)) + " has no closing \"}\"",
                       "write ${NAME}, or $${ for a literal ${");
            break;
        }
        if (!is_variable_name(name)) {
            issues.add(Pass::env, pointer, quote(in.substr(i, close - i + 1)) + " is not a variable reference",
                       "a NAME is letters, digits and _, not starting with a digit; write $${ for a literal ${");
        } else if (auto found = env(name)) {
            out += *found;
        } else {
            issues.add(Pass::env, pointer, "environment variable " + std::string(name) + " not set",
                       "set it in the host's environment, or write $${ for a literal ${");
        }
        i = close + 1;
    }
    *text = out;
}

// Only where the format promises it: plugin folders, agent config (endpoints), granted URLs and secret names.
void expand_document(json::value& document, const EnvLookup& env, Issues& issues) {
    json::object* root = document.if_object();
    if (root == nullptr) return;
    if (json::value* dirs = root->if_contains("plugin_dirs")) expand_env(*dirs, "/plugin_dirs", env, issues);
    json::value* agents = root->if_contains("agents");
    if (agents == nullptr || !agents->is_object()) return;
    for (auto& [name, agent] : agents->get_object()) {
        json::object* object = agent.if_object();
        if (object == nullptr) continue;
        const std::string pointer = member("/agents", name);
        if (json::value* config = object->if_contains("config")) expand_env(*config, pointer + "/config", env, issues);
        json::value* grants = object->if_contains("grants");
        if (grants == nullptr || !grants->is_object()) continue;
        for (const char* list : {"network", "secrets"})
            if (json::value* v = grants->get_object().if_contains(list))
                expand_env(*v, pointer + "/grants/" + list, env, issues);
    }
}

// ------------------------------------------------------------------ reading values the schema has checked

// Tolerant readers: a value of the wrong type reads as the default, because
// the schema pass has already reported it.
std::string text_of(const json::object& o, std::string_view key, std::string fallback = {}) {
    const json::value* v = o.if_contains(key);
    return v && v->is_string() ? std::string(v->get_string()) : std::move(fallback);
}

uint64_t count_of(const json::object& o, std::string_view key, uint64_t fallback) {
    const json::value* v = o.if_contains(key);
    if (v && v->is_int64() && v->get_int64() >= 0) return static_cast<uint64_t>(v->get_int64());
    if (v && v->is_uint64()) return v->get_uint64();
    return fallback;
}

uint32_t small_count_of(const json::object& o, std::string_view key, uint32_t fallback) {
    return static_cast<uint32_t>(std::min<uint64_t>(count_of(o, key, fallback), std::numeric_limits<uint32_t>::max()));
}

Milliseconds millis_of(const json::object& o, std::string_view key, Milliseconds fallback) {
    const uint64_t limit = static_cast<uint64_t>(std::numeric_limits<Milliseconds::rep>::max());
    const uint64_t ms = count_of(o, key, static_cast<uint64_t>(fallback.count()));
    return Milliseconds(static_cast<Milliseconds::rep>(std::min(ms, limit)));
}

double number_of(const json::object& o, std::string_view key, double fallback) {
    const json::value* v = o.if_contains(key);
    return v && v->is_number() ? v->to_number<double>() : fallback;
}

const json::object* object_at(const json::object& o, std::string_view key) {
    const json::value* v = o.if_contains(key);
    return v ? v->if_object() : nullptr;
}

const json::array* array_at(const json::object& o, std::string_view key) {
    const json::value* v = o.if_contains(key);
    return v ? v->if_array() : nullptr;
}

std::vector<InputBinding> bindings_of(const json::object& o, std::string_view key) {
    std::vector<InputBinding> out;
    if (const json::object* reads = object_at(o, key))
        for (const auto& [field, pointer] : *reads)
            if (pointer.is_string()) out.push_back({std::string(field), std::string(pointer.get_string())});
    return out;
}

// Whether a *, +, ? or {n} has nothing before it to repeat ("*urgent", "(+x)", "a|?").
// libstdc++ reports these as unbalanced parentheses, which would mislead.
bool repeats_nothing(std::string_view pattern) {
    bool atom = false;  // whether the last thing read can be repeated
    for (std::size_t i = 0; i < pattern.size(); ++i) {
        const char c = pattern[i];
        if (c == '\\') {
            ++i;
            atom = true;
        } else if (c == '[') {
            for (++i; i < pattern.size() && pattern[i] != ']'; ++i)
                if (pattern[i] == '\\') ++i;
            atom = true;
        } else if (c == '(' || c == '|' || c == '^') {
            if (c == '(' && pattern.substr(i + 1, 1) == "?") i += 2;  // (?: (?= (?!
            atom = false;
        } else if (c == '*' || c == '+' || c == '?' || c == '{') {
            if (!atom) return true;
            if (c == '{') i = std::min(pattern.find('}', i), pattern.size());
            if (i + 1 < pattern.size() && pattern[i + 1] == '?') ++i;  // lazy
        } else {
            atom = c != '$';
        }
    }
    return false;
}

// Why std::regex refused a pattern, in words that do not depend on the standard library's version.
std::string regex_problem(std::string_view pattern, std::regex_constants::error_type code) {
    namespace rc = std::regex_constants;
    if (repeats_nothing(pattern)) return "*, +, ? or {n} with nothing before it to repeat";
    switch (code) {
        case rc::error_paren: return "a bad or unbalanced ( )";
        case rc::error_brack: return "unbalanced [ ]";
        case rc::error_brace: return "unbalanced { }";
        case rc::error_badbrace: return "a bad {n,m} repeat";
        case rc::error_range: return "a bad character range";
        case rc::error_badrepeat: return "a bad repeat";
        case rc::error_escape: return "a bad escape";
        case rc::error_backref: return "a back-reference to a group that does not exist";
        case rc::error_ctype: return "an unknown character class";
        case rc::error_collate: return "an unknown collating element";
        default: return "too complex";
    }
}

// ------------------------------------------------------------------ the model and its meaning

//! Loops in a graph of n nodes: for each strongly connected part that has one,
//! a shortest cycle from its first node (in config order) back to itself.
std::vector<std::vector<std::size_t>> find_loops(const std::vector<std::vector<std::size_t>>& edges) {
    const std::size_t n = edges.size();
    // Reachability by one BFS per node: configs have tens of steps, not millions.
    std::vector<std::vector<bool>> reach(n, std::vector<bool>(n, false));
    for (std::size_t from = 0; from < n; ++from) {
        std::deque<std::size_t> queue(edges[from].begin(), edges[from].end());
        while (!queue.empty()) {
            const std::size_t at = queue.front();
            queue.pop_front();
            if (reach[from][at]) continue;
            reach[from][at] = true;
            queue.insert(queue.end(), edges[at].begin(), edges[at].end());
        }
    }
    std::vector<bool> covered(n, false);
    std::vector<std::vector<std::size_t>> loops;
    for (std::size_t start = 0; start < n; ++start) {
        if (covered[start] || !reach[start][start]) continue;
        std::vector<bool> part(n, false);  // the strongly connected part holding `start`
        for (std::size_t other = 0; other < n; ++other)
            if (reach[start][other] && reach[other][start]) covered[other] = part[other] = true;
        // Shortest way back to `start`, by BFS with parents.
        std::vector<std::size_t> parent(n, n);
        std::deque<std::size_t> queue{start};
        std::size_t last = n;
        while (!queue.empty() && last == n) {
            const std::size_t at = queue.front();
            queue.pop_front();
            for (std::size_t next : edges[at]) {
                if (next == start) {
                    last = at;
                    break;
                }
                if (parent[next] == n && part[next]) {
                    parent[next] = at;
                    queue.push_back(next);
                }
            }
        }
        std::vector<std::size_t> loop{start};
        for (std::size_t at = last; at != start && at != n; at = parent[at]) loop.insert(loop.begin() + 1, at);
        loop.push_back(start);
        loops.push_back(std::move(loop));
    }
    return loops;
}

class ModelBuilder {
public:
    ModelBuilder(WorkflowConfig& config, Issues& issues) : config_(config), issues_(issues) {}

    void build(const json::object& root) {
        config_.name = text_of(root, "name");
        config_.description = text_of(root, "description");
        config_.start = text_of(root, "start");
        if (const json::array* dirs = array_at(root, "plugin_dirs"))
            for (const json::value& dir : *dirs)
                if (dir.is_string()) config_.plugin_dirs.push_back(resolve(std::string(dir.get_string())));
        if (const json::object* limits = object_at(root, "limits")) read_limits(*limits);
        if (const json::object* agents = object_at(root, "agents"))
            for (const auto& [name, agent] : *agents) add_agent(std::string(name), agent);
        if (const json::object* steps = object_at(root, "steps"))
            for (const auto& [name, step] : *steps) add_step(std::string(name), step);
        if (!config_.start.empty()) refer_to_step(config_.start, "/start", std::nullopt);
        // Without a map of agents or steps every reference would be "unknown": one schema issue says it.
        have_agents_ = object_at(root, "agents") != nullptr;
        have_steps_ = object_at(root, "steps") != nullptr;
        check_names();
        check_fallback_loops();
        check_writes();
        // Reachability, loops and read keys need the whole graph; a step the schema
        // refused has edges nobody knows, and would only produce noise here.
        if (all_steps_built_ && !issues_.schema_found_under("/steps") && !issues_.schema_found_under("/start") &&
            config_.step(config_.start)) {
            check_reachable();
            if (!max_steps_set_) check_step_loops();
            check_read_keys();
        }
    }

private:
    struct Reference {
        std::string name;
        std::string pointer;
        std::optional<std::size_t> from;  // the step the edge leaves; none for start and agents
    };

    std::filesystem::path resolve(std::string dir) const {
        std::filesystem::path path(std::move(dir));
        if (path.is_relative()) path = config_.file.parent_path() / path;
        return path.lexically_normal();
    }

    void read_limits(const json::object& o) {
        RunLimits& limits = config_.limits;
        max_steps_set_ = o.contains("max_steps");
        limits.max_steps = small_count_of(o, "max_steps", limits.max_steps);
        limits.deadline = millis_of(o, "deadline_ms", limits.deadline);
        if (o.contains("max_tokens")) limits.max_tokens = count_of(o, "max_tokens", 0);
        if (o.contains("max_cost_usd")) limits.max_cost_usd = number_of(o, "max_cost_usd", 0.0);
    }

    // ---- agents

    void add_agent(std::string name, const json::value& value) {
        AgentConfig agent;
        agent.pointer = member("/agents", name);
        agent.name = std::move(name);
        agent_names_.push_back(agent.name);
        const json::object* o = value.if_object();
        if (o == nullptr) return config_.agents.push_back(std::move(agent));
        const std::string& at = agent.pointer;

        agent.plugin = text_of(*o, "plugin");
        if (!agent.plugin.empty())
            if (auto ref = PluginRef::parse(agent.plugin); !ref)
                issues_.add(Pass::meaning, at + "/plugin", ref.error().message, ref.error().hint);
        if (o->contains("sha256")) agent.sha256 = text_of(*o, "sha256");
        if (const json::object* config = object_at(*o, "config")) agent.config = *config;
        if (const json::value* grants = o->if_contains("grants")) {
            auto permissions = Permissions::from_json(*grants, at + "/grants");
            if (permissions) {
                agent.grants = std::move(permissions).value();
            } else {
                const Error& e = permissions.error();
                issues_.add(Pass::meaning, e.where.starts_with('/') ? e.where : at + "/grants", e.message, e.hint);
            }
        }
        agent.timeout = millis_of(*o, "timeout_ms", agent.timeout);
        if (const json::object* retry = object_at(*o, "retry")) read_retry(*retry, agent.retry);
        if (const json::object* budget = object_at(*o, "error_budget")) read_budget(*budget, at, agent.error_budget);
        if (const json::array* fallback = array_at(*o, "fallback")) {
            for (std::size_t i = 0; i < fallback->size(); ++i) {
                if (!(*fallback)[i].is_string()) continue;
                const std::string target((*fallback)[i].get_string());
                if (target == agent.name) {
                    issues_.add(Pass::meaning, element(at + "/fallback", i),
                                "agent " + quote(target) + " lists itself as a fallback",
                                "a fallback must be another agent");
                    continue;
                }
                agent.fallback.push_back(target);
                agent_refs_.push_back({target, element(at + "/fallback", i), std::nullopt});
            }
        }
        config_.agents.push_back(std::move(agent));
    }

    static void read_retry(const json::object& o, RetryPolicy& retry) {
        retry.max_attempts = small_count_of(o, "max_attempts", retry.max_attempts);
        retry.initial_backoff = millis_of(o, "initial_backoff_ms", retry.initial_backoff);
        retry.max_backoff = millis_of(o, "max_backoff_ms", retry.max_backoff);
        retry.multiplier = number_of(o, "multiplier", retry.multiplier);
        retry.jitter = number_of(o, "jitter", retry.jitter);
    }

    void read_budget(const json::object& o, const std::string& at, std::optional<ErrorBudgetPolicy>& out) {
        ErrorBudgetPolicy budget;
        budget.window = small_count_of(o, "window", budget.window);
        budget.min_calls = small_count_of(o, "min_calls", budget.min_calls);
        budget.max_failure_rate = number_of(o, "max_failure_rate", budget.max_failure_rate);
        budget.cooldown = millis_of(o, "cooldown_ms", budget.cooldown);
        if (budget.min_calls > budget.window) {
            const auto value = [&](const char* key, uint32_t n) {
                return std::string(key) + ' ' + std::to_string(n) + (o.contains(key) ? "" : " (the default)");
            };
            issues_.add(Pass::meaning, at + (o.contains("min_calls") ? "/error_budget/min_calls" : "/error_budget/window"),
                        value("min_calls", budget.min_calls) + " is more than " + value("window", budget.window) +
                            ": the budget could never reach a verdict",
                        "set min_calls at most window");
        }
        out = budget;
    }

    // ---- steps

    void add_step(std::string name, const json::value& value) {
        const std::string at = member("/steps", name);
        const std::size_t index = step_names_.size();
        step_names_.push_back(name);
        const json::object* o = value.if_object();
        const std::string kind = o ? text_of(*o, "kind") : std::string();
        StepConfig step{name, EndStep{}, at};
        if (kind == "agent") {
            AgentStep body;
            body.agent = agent_field(*o, at, "agent");
            body.reads = bindings_of(*o, "reads");
            body.writes = owned_key(*o, at, name, index);
            body.next = next_field(*o, at, "next", index);
            step.body = std::move(body);
        } else if (kind == "switch") {
            step.body = switch_step(*o, at, index);
        } else if (kind == "parallel") {
            step.body = parallel_step(*o, at, name, index);
        } else if (kind == "review") {
            step.body = review_step(*o, at, name, index);
        } else if (kind == "end") {
            step.body = EndStep{text_of(*o, "result")};
        } else {
            if (kind == "approval")
                issues_.add(Pass::meaning, at + "/kind", "step kind approval is not available in this version");
            all_steps_built_ = false;  // the schema has said what is wrong with the kind
            return;
        }
        config_.steps.push_back(std::move(step));
    }

    std::string agent_field(const json::object& o, const std::string& at, std::string_view key) {
        std::string name = text_of(o, key);
        if (!name.empty()) agent_refs_.push_back({name, member(at, key), std::nullopt});
        return name;
    }

    std::string next_field(const json::object& o, const std::string& at, std::string_view key, std::size_t from) {
        std::string name = text_of(o, key);
        if (!name.empty()) refer_to_step(name, member(at, key), from);
        return name;
    }

    void refer_to_step(const std::string& name, std::string pointer, std::optional<std::size_t> from) {
        step_refs_.push_back({name, std::move(pointer), from});
    }

    // The key a step writes: "writes", or the step's own name.
    std::string owned_key(const json::object& o, const std::string& at, const std::string& step, std::size_t index) {
        std::string key = text_of(o, "writes", step);
        const bool implicit = !o.contains("writes");
        writers_.push_back({key, implicit ? at : at + "/writes", index, implicit});
        return key;
    }

    SwitchStep switch_step(const json::object& o, const std::string& at, std::size_t index) {
        static constexpr std::array<std::pair<std::string_view, SwitchOp>, 7> ops{{
            {"equals", SwitchOp::equals}, {"one_of", SwitchOp::one_of}, {"above", SwitchOp::above},
            {"at_least", SwitchOp::at_least}, {"below", SwitchOp::below}, {"at_most", SwitchOp::at_most},
            {"matches", SwitchOp::matches}}};
        SwitchStep body;
        body.on = text_of(o, "on");
        if (const json::array* cases = array_at(o, "cases")) {
            for (std::size_t i = 0; i < cases->size(); ++i) {
                const json::object* c = (*cases)[i].if_object();
                if (c == nullptr) continue;
                const std::string case_at = element(at + "/cases", i);
                std::vector<std::string> tests;
                SwitchCase built;
                for (const auto& [op_name, op] : ops) {
                    if (!c->contains(op_name)) continue;
                    if (tests.empty()) {
                        built.op = op;
                        built.value = c->at(op_name);
                    }
                    tests.emplace_back(op_name);
                }
                built.next = next_field(*c, case_at, "next", index);
                // A misspelt test ("equal") is already an unknown property; no need to say the case lacks one.
                if (tests.size() != 1 && !issues_.schema_found_under(case_at)) {
                    issues_.add(Pass::meaning, case_at,
                                tests.empty() ? "a case needs a test: equals, one_of, above, at_least, below, at_most or matches"
                                              : "a case has one test; found " + joined(tests, " and "),
                                tests.empty() ? std::string() : std::string("split it into one case per test"));
                    if (tests.empty()) continue;
                }
                if (built.op == SwitchOp::matches && built.value.is_string()) check_regex(built.value.get_string(), case_at);
                body.cases.push_back(std::move(built));
            }
        }
        body.default_next = next_field(o, at, "default", index);
        return body;
    }

    void check_regex(std::string_view pattern, const std::string& case_at) {
        try {
            std::regex compiled(pattern.begin(), pattern.end(), std::regex::ECMAScript);
        } catch (const std::regex_error& e) {
            issues_.add(Pass::meaning, case_at + "/matches",
                        quote(pattern) + " is not a valid regular expression (ECMAScript): " + regex_problem(pattern, e.code()));
        }
    }

    ParallelStep parallel_step(const json::object& o, const std::string& at, const std::string& name, std::size_t index) {
        ParallelStep body;
        if (const json::array* branches = array_at(o, "branches")) {
            std::map<std::string, std::size_t> first_named;
            for (std::size_t i = 0; i < branches->size(); ++i) {
                const json::object* b = (*branches)[i].if_object();
                if (b == nullptr) continue;
                const std::string branch_at = element(at + "/branches", i);
                ParallelBranch branch;
                branch.agent = agent_field(*b, branch_at, "agent");
                branch.name = text_of(*b, "name", branch.agent);
                branch.reads = bindings_of(*b, "reads");
                if (const auto [it, fresh] = first_named.emplace(branch.name, i); !fresh && !branch.name.empty()) {
                    issues_.add(Pass::meaning, b->contains("name") ? branch_at + "/name" : branch_at,
                                "branch name " + quote(branch.name) + " is already used by branch " +
                                    std::to_string(it->second),
                                "give each branch its own \"name\"; it defaults to the agent's name");
                }
                body.branches.push_back(std::move(branch));
            }
        }
        read_join(o, at, body);
        body.writes = owned_key(o, at, name, index);
        body.next = next_field(o, at, "next", index);
        return body;
    }

    void read_join(const json::object& o, const std::string& at, ParallelStep& body) {
        const json::value* join = o.if_contains("join");
        if (join == nullptr) return;
        const json::object* spec = join->if_object();
        const std::string policy = join->is_string() ? std::string(join->get_string()) : spec ? text_of(*spec, "policy") : "";
        if (policy == "first_success") body.join = JoinPolicy::first_success;
        else if (policy == "priority") body.join = JoinPolicy::priority;
        else if (policy == "vote") body.join = JoinPolicy::vote;
        if (spec) {
            body.vote_field = text_of(*spec, "field");
            body.tie = text_of(*spec, "tie") == "fail" ? TieRule::fail : TieRule::first;
        }
        const std::string join_at = at + "/join";
        if (policy == "vote" && (!spec || !spec->contains("field"))) {
            issues_.add(Pass::meaning, join_at, "a vote needs a \"field\": where in each branch's output the vote is",
                        "e.g. {\"policy\": \"vote\", \"field\": \"/category\", \"tie\": \"first\"}");
        }
        if (spec && policy != "vote" && !policy.empty())
            for (const char* key : {"field", "tie"})
                if (spec->contains(key))
                    issues_.add(Pass::meaning, join_at + "/" + key,
                                quote(key) + " applies only to the vote policy, not " + quote(policy));
    }

    ReviewStep review_step(const json::object& o, const std::string& at, const std::string& name, std::size_t index) {
        ReviewStep body;
        body.worker = agent_field(o, at, "worker");
        body.reviewer = agent_field(o, at, "reviewer");
        body.reads = bindings_of(o, "reads");
        body.reviewer_reads = bindings_of(o, "reviewer_reads");
        body.draft_field = text_of(o, "draft_field", body.draft_field);
        body.feedback_field = text_of(o, "feedback_field", body.feedback_field);
        body.approved = text_of(o, "approved", body.approved);
        body.max_rounds = small_count_of(o, "max_rounds", body.max_rounds);
        body.accept_last = text_of(o, "on_exhausted") != "fail";
        body.writes = owned_key(o, at, name, index);
        body.next = next_field(o, at, "next", index);
        return body;
    }

    // ---- checks across the whole config

    void check_names() {
        for (const Reference& ref : step_refs_)
            if (have_steps_ && std::find(step_names_.begin(), step_names_.end(), ref.name) == step_names_.end())
                issues_.add(Pass::meaning, ref.pointer, "no step named " + quote(ref.name),
                            name_hint(ref.name, step_names_, "steps"));
        for (const Reference& ref : agent_refs_)
            if (have_agents_ && std::find(agent_names_.begin(), agent_names_.end(), ref.name) == agent_names_.end())
                issues_.add(Pass::meaning, ref.pointer, "no agent named " + quote(ref.name),
                            name_hint(ref.name, agent_names_, "agents"));
    }

    void check_fallback_loops() {
        std::vector<std::vector<std::size_t>> edges(config_.agents.size());
        for (std::size_t i = 0; i < config_.agents.size(); ++i)
            for (const std::string& target : config_.agents[i].fallback)
                if (auto it = std::find(agent_names_.begin(), agent_names_.end(), target); it != agent_names_.end())
                    edges[i].push_back(static_cast<std::size_t>(it - agent_names_.begin()));
        for (const auto& loop : find_loops(edges)) {
            std::vector<std::string> names;
            for (std::size_t i : loop) names.push_back(agent_names_[i]);
            issues_.add(Pass::meaning, config_.agents[loop.front()].pointer + "/fallback",
                        "fallbacks " + joined(names, " → ") + " form a loop",
                        "a fallback chain must end; remove one of these fallbacks");
        }
    }

    void check_writes() {
        std::map<std::string, std::size_t> owner;
        for (const Writer& w : writers_) {
            // A key nobody typed needs saying where it came from.
            const std::string by_default =
                w.implicit ? "; step " + quote(step_names_[w.step]) + " writes it because \"writes\" defaults to the step's name"
                           : "";
            if (w.key == "input") {
                issues_.add(Pass::meaning, w.pointer,
                            "state key \"input\" is reserved for the run's input" + by_default,
                            w.implicit ? "set \"writes\" to another key" : "write to another key");
                continue;
            }
            if (const auto [it, fresh] = owner.emplace(w.key, w.step); !fresh) {
                issues_.add(Pass::meaning, w.pointer,
                            "state key " + quote(w.key) + " is already written by step " +
                                quote(step_names_[it->second]) + by_default,
                            "each key has one writer; give one of the steps another \"writes\"");
            }
        }
    }

    std::vector<std::vector<std::size_t>> step_edges() const {
        std::vector<std::vector<std::size_t>> edges(step_names_.size());
        for (const Reference& ref : step_refs_) {
            const auto it = std::find(step_names_.begin(), step_names_.end(), ref.name);
            if (ref.from && it != step_names_.end()) edges[*ref.from].push_back(static_cast<std::size_t>(it - step_names_.begin()));
        }
        return edges;
    }

    void check_reachable() {
        const auto edges = step_edges();
        const std::size_t start =
            static_cast<std::size_t>(std::find(step_names_.begin(), step_names_.end(), config_.start) - step_names_.begin());
        std::vector<bool> reached(step_names_.size(), false);
        std::deque<std::size_t> queue{start};
        while (!queue.empty()) {
            const std::size_t at = queue.front();
            queue.pop_front();
            if (reached[at]) continue;
            reached[at] = true;
            queue.insert(queue.end(), edges[at].begin(), edges[at].end());
        }
        for (std::size_t i = 0; i < step_names_.size(); ++i)
            if (!reached[i])
                issues_.add(Pass::meaning, member("/steps", step_names_[i]),
                            "step " + quote(step_names_[i]) + " is never reached from start " + quote(config_.start),
                            "route to it from another step, or remove it");
    }

    void check_step_loops() {
        for (const auto& loop : find_loops(step_edges())) {
            std::vector<std::string> names;
            for (std::size_t i : loop) names.push_back(step_names_[i]);
            issues_.add(Pass::meaning, member("/steps", names.front()),
                        "steps " + joined(names, " → ") + " form a loop with no bound; set limits.max_steps");
        }
    }

    // A read from a key no step writes is a typo or a missing step: it would read nothing at run time.
    void check_read_keys() {
        std::vector<std::string> keys{"input"};
        for (const Writer& w : writers_)
            if (std::find(keys.begin(), keys.end(), w.key) == keys.end()) keys.push_back(w.key);
        const auto check = [&](const std::string& pointer, const std::string& at) {
            const auto tokens = pointer_tokens(pointer);
            if (tokens.empty() || std::find(keys.begin(), keys.end(), tokens.front()) != keys.end()) return;
            issues_.add(Pass::meaning, at, "no step writes state key " + quote(tokens.front()),
                        name_hint(tokens.front(), keys, "state keys"));
        };
        const auto check_all = [&](const std::vector<InputBinding>& reads, const std::string& at) {
            for (const InputBinding& b : reads) check(b.pointer, member(at, b.field));
        };
        for (const StepConfig& step : config_.steps) {
            const std::string& at = step.pointer;
            if (const auto* a = std::get_if<AgentStep>(&step.body)) check_all(a->reads, at + "/reads");
            if (const auto* s = std::get_if<SwitchStep>(&step.body)) check(s->on, at + "/on");
            if (const auto* e = std::get_if<EndStep>(&step.body)) check(e->result, at + "/result");
            if (const auto* r = std::get_if<ReviewStep>(&step.body)) {
                check_all(r->reads, at + "/reads");
                check_all(r->reviewer_reads, at + "/reviewer_reads");
            }
            if (const auto* p = std::get_if<ParallelStep>(&step.body))
                for (std::size_t i = 0; i < p->branches.size(); ++i)
                    check_all(p->branches[i].reads, element(at + "/branches", i) + "/reads");
        }
    }

    struct Writer {
        std::string key;
        std::string pointer;
        std::size_t step;
        bool implicit;  // no "writes": the step's name is its key
    };

    WorkflowConfig& config_;
    Issues& issues_;
    std::vector<std::string> step_names_;   // every step key, even one whose kind is unusable
    std::vector<std::string> agent_names_;  // every agent key
    std::vector<Reference> step_refs_;
    std::vector<Reference> agent_refs_;
    std::vector<Writer> writers_;
    bool all_steps_built_ = true;
    bool max_steps_set_ = false;
    bool have_agents_ = false;
    bool have_steps_ = false;
};

// "file:12:5" → {12, 5}, from parse_json's Error::where.
TextPosition position_in(std::string_view where, std::string_view file) {
    TextPosition position{0, 0};
    if (where.size() <= file.size() + 1) return position;
    const std::string_view rest = where.substr(file.size() + 1);
    const auto line = std::from_chars(rest.data(), rest.data() + rest.size(), position.line);
    if (line.ec == std::errc() && line.ptr != rest.data() + rest.size() && *line.ptr == ':')
        std::from_chars(line.ptr + 1, rest.data() + rest.size(), position.column);
    return position;
}

}  // namespace

EnvLookup process_environment() {
    return [](std::string_view name) -> std::optional<std::string> {
        const char* value = std::getenv(std::string(name).c_str());
        return value ? std::optional<std::string>(value) : std::nullopt;
    };
}

ConfigResult parse_config(std::string_view text, const std::filesystem::path& file, const EnvLookup& env) {
    WorkflowConfig config;
    config.file = file;
    config.text = std::string(text);
    config.sha256 = sha256_hex(text);
    config.source = std::make_shared<const SourceMap>(text);
    Issues issues(config);

    auto parsed = parse_json(text, file.string(), /*relaxed=*/true);
    if (!parsed) {
        const Error& e = parsed.error();
        const TextPosition at = position_in(e.where, file.string());
        // Boost.JSON mostly says "syntax error"; the scanner knows what was expected there.
        const SourceMap& map = *config.source;
        const TextPosition stop = map.position(map.error_offset());
        const bool same_place = map.error_offset() != SourceMap::npos && stop.line == at.line && stop.column == at.column;
        const std::string early = map.error_offset() == text.size() ? "the file ends too early; " : "";
        issues.add_at(Pass::syntax, at, "", same_place ? "invalid JSON: " + early + "expected " + map.error_expected() : e.message);
        return issues.take();
    }
    for (const SourceMap::DuplicateKey& duplicate : config.source->duplicate_keys()) {
        const std::vector<std::string> tokens = pointer_tokens(duplicate.pointer);
        issues.add_at(Pass::syntax, config.source->position(duplicate.key), duplicate.pointer,
                      "key " + quote(tokens.empty() ? "" : tokens.back()) + " appears twice in one object",
                      "remove or rename one; only the last would count");
    }
    {
        SchemaExplainer explainer(parsed.value(), issues);
        for (const SchemaViolation& violation : workflow_schema().validate(parsed.value())) explainer.explain(violation);
    }
    json::value document = std::move(parsed).value();
    expand_document(document, env, issues);
    if (const json::object* root = document.if_object()) ModelBuilder(config, issues).build(*root);

    if (!issues.empty()) return issues.take();
    return config;
}

ConfigResult load_config(const std::filesystem::path& file, const EnvLookup& env) {
    const auto fail = [&](const std::string& why) {
        return ConfigIssues{ConfigIssue{file.string(), 0, 0, "", "cannot read the config: " + why, ""}};
    };
    std::error_code ec;
    // An ifstream opens a directory without complaint and then reads nothing.
    if (std::filesystem::is_directory(file, ec)) return fail("it is a directory");
    errno = 0;
    std::ifstream in(file, std::ios::binary);
    if (!in) return fail(errno ? std::generic_category().message(errno) : std::string("cannot open the file"));
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) return fail(errno ? std::generic_category().message(errno) : std::string("read error"));
    return parse_config(text.str(), file, env);
}

}  // namespace agenthost
