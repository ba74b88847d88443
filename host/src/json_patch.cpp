// json_patch.cpp: RFC 6902 JSON Patch: checks every operation's shape, then applies them in order to a copy.
#include <agenthost/host/json_patch.hpp>

#include <boost/json.hpp>

#include <array>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace agenthost {

namespace {

namespace json = boost::json;

enum class Op { add, remove, replace, move, copy, test };

constexpr std::array<std::string_view, 6> op_names{"add", "remove", "replace", "move", "copy", "test"};
constexpr std::string_view expected_ops = R"("add", "remove", "replace", "move", "copy" or "test")";

//! A JSON pointer (RFC 6901): as written, and as its reference tokens with ~1 and ~0 undone.
struct Pointer {
    std::string text;
    std::vector<std::string> tokens;
};

//! One operation of the patch, its shape checked.
struct Operation {
    Op op;
    std::string at;                      //!< the operation's pointer into the patch, e.g. "/2"
    Pointer path;
    Pointer from;                        //!< move and copy only
    const json::value* value = nullptr;  //!< add, replace and test only
};

//! What a pointer names in the document, or why it names nothing.
struct Lookup {
    json::value* found = nullptr;
    std::string reason;  //!< when nothing is found, e.g. "the array at /tickets has 3 members"
};

Error failure(const std::string& where, std::string message) { return Error{where, std::move(message), {}, where}; }

std::string quoted(std::string_view s) { return json::serialize(json::string_view(s.data(), s.size())); }

std::string kind_of(const json::value& v) {
    switch (v.kind()) {
    case json::kind::null: return "null";
    case json::kind::bool_: return "a boolean";
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_: return "a number";
    case json::kind::string: return "a string";
    case json::kind::array: return "an array";
    case json::kind::object: return "an object";
    }
    return "a JSON value";
}

//! The value as JSON text, cut short (on a UTF-8 boundary) when long.
std::string shown(const json::value& v) {
    constexpr std::size_t longest = 80;
    std::string text = json::serialize(v);
    if (text.size() <= longest) return text;
    std::size_t end = longest - 3;
    while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
    text.resize(end);
    return text + "...";
}

std::string members(std::size_t n) { return std::to_string(n) + (n == 1 ? " member" : " members"); }

//! A location in a message: the pointer, or "the root" for "".
std::string at_root_or(std::string_view pointer) { return pointer.empty() ? "the root" : std::string(pointer); }

std::string escaped(std::string_view token) {
    std::string s;
    for (char c : token) {
        if (c == '~') s += "~0";
        else if (c == '/') s += "~1";
        else s += c;
    }
    return s;
}

//! The pointer to the first `depth` tokens of `p`.
std::string prefix_of(const Pointer& p, std::size_t depth) {
    std::string s;
    for (std::size_t i = 0; i < depth; ++i) s += '/' + escaped(p.tokens[i]);
    return s;
}

Result<Pointer> parse_pointer(std::string_view text, const std::string& where) {
    Pointer p{std::string(text), {}};
    if (text.empty()) return p;
    if (text.front() != '/') {
        return failure(where, quoted(text) +
                                  R"( is not a JSON pointer (expected "" for the whole document, or a string starting with "/"))");
    }
    std::string token;
    for (std::size_t i = 1; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '/') {
            p.tokens.push_back(std::move(token));
            token.clear();
        } else if (c != '~') {
            token += c;
        } else if (i + 1 < text.size() && (text[i + 1] == '0' || text[i + 1] == '1')) {
            token += text[++i] == '0' ? '~' : '/';
        } else {
            return failure(where, quoted(text) +
                                      R"( is not a valid JSON pointer ("~" must be followed by 0 or 1: "~0" stands for "~" and "~1" for "/"))");
        }
    }
    p.tokens.push_back(std::move(token));
    return p;
}

//! An array index: "0", or digits without a leading zero. Too large for size_t reads as its maximum.
std::optional<std::size_t> array_index(std::string_view token) {
    if (token.empty() || (token.size() > 1 && token.front() == '0')) return std::nullopt;
    for (char c : token) {
        if (c < '0' || c > '9') return std::nullopt;
    }
    std::size_t n = 0;
    if (std::from_chars(token.data(), token.data() + token.size(), n).ec == std::errc::result_out_of_range) return std::numeric_limits<std::size_t>::max();
    return n;
}

std::string not_an_index(std::string_view token, std::string_view array_pointer, std::string_view also = {}) {
    return quoted(token) + " is not an index into the array at " + at_root_or(array_pointer) +
           ": expected 0 or digits without a leading zero" + std::string(also);
}

//! The member `token` of `container`, which is at `container_pointer`.
Lookup child(json::value& container, const std::string& token, const std::string& container_pointer) {
    if (json::object* object = container.if_object()) {
        if (json::value* member = object->if_contains(token)) return {member, {}};
        return {nullptr, "the object at " + at_root_or(container_pointer) + " has no member " + quoted(token)};
    }
    if (json::array* array = container.if_array()) {
        if (token == "-") {
            return {nullptr, R"("-" names no member of the array at )" + at_root_or(container_pointer) +
                                 ", only the position after its last member, where add appends"};
        }
        const std::optional<std::size_t> index = array_index(token);
        if (!index) return {nullptr, not_an_index(token, container_pointer)};
        if (*index >= array->size()) {
            return {nullptr, "the array at " + at_root_or(container_pointer) + " has " + members(array->size())};
        }
        return {&(*array)[*index], {}};
    }
    return {nullptr, "the value at " + at_root_or(container_pointer) + " is " + kind_of(container) +
                         ", not an object or array"};
}

//! What the first `depth` tokens of `p` name in `root`.
Lookup walk(json::value& root, const Pointer& p, std::size_t depth) {
    Lookup here{&root, {}};
    std::string pointer;
    for (std::size_t i = 0; i < depth; ++i) {
        here = child(*here.found, p.tokens[i], pointer);
        if (!here.found) return here;
        pointer += '/' + escaped(p.tokens[i]);
    }
    return here;
}

Error does_not_exist(const std::string& where, const Pointer& p, const std::string& reason) {
    return failure(where, p.text + " does not exist (" + reason + ")");
}

//! Numbers that are equal as numbers: 1, 1.0 and 1u are one number.
bool integer_equals(double d, const json::value& integer) {
    constexpr double two_to_63 = 9223372036854775808.0;
    constexpr double two_to_64 = 18446744073709551616.0;
    if (!std::isfinite(d) || std::trunc(d) != d) return false;
    if (integer.is_int64()) return d >= -two_to_63 && d < two_to_63 && static_cast<std::int64_t>(d) == integer.get_int64();
    return d >= 0 && d < two_to_64 && static_cast<std::uint64_t>(d) == integer.get_uint64();
}

bool same_number(const json::value& a, const json::value& b) {
    if (a.is_double() && b.is_double()) return a.get_double() == b.get_double();
    if (a.is_double()) return integer_equals(a.get_double(), b);
    if (b.is_double()) return integer_equals(b.get_double(), a);
    if (a.kind() == b.kind()) return a == b;
    const std::int64_t i = a.is_int64() ? a.get_int64() : b.get_int64();
    const std::uint64_t u = a.is_uint64() ? a.get_uint64() : b.get_uint64();
    return i >= 0 && static_cast<std::uint64_t>(i) == u;
}

//! JSON equality (RFC 6902 section 4.6): numbers by value, objects regardless of member order.
bool same_json(const json::value& a, const json::value& b) {
    if (a.is_number() && b.is_number()) return same_number(a, b);
    if (a.kind() != b.kind()) return false;
    if (const json::array* x = a.if_array()) {
        const json::array& y = b.get_array();
        if (x->size() != y.size()) return false;
        for (std::size_t i = 0; i < x->size(); ++i) {
            if (!same_json((*x)[i], y[i])) return false;
        }
        return true;
    }
    if (const json::object* x = a.if_object()) {
        const json::object& y = b.get_object();
        if (x->size() != y.size()) return false;
        for (const json::key_value_pair& member : *x) {
            const json::value* other = y.if_contains(member.key());
            if (!other || !same_json(member.value(), *other)) return false;
        }
        return true;
    }
    return a == b;
}

// ------------------------------------------------------------ the six operations

std::optional<Error> add(json::value& doc, const Pointer& path, json::value value, const std::string& where) {
    if (path.tokens.empty()) {
        doc = std::move(value);
        return std::nullopt;
    }
    const std::size_t depth = path.tokens.size() - 1;
    const Lookup parent = walk(doc, path, depth);
    if (!parent.found) return failure(where, path.text + " cannot be added (" + parent.reason + ")");
    const std::string& token = path.tokens.back();
    if (json::object* object = parent.found->if_object()) {
        object->insert_or_assign(token, std::move(value));
        return std::nullopt;
    }
    const std::string parent_pointer = prefix_of(path, depth);
    if (json::array* array = parent.found->if_array()) {
        if (token == "-") {
            array->push_back(std::move(value));
            return std::nullopt;
        }
        const std::optional<std::size_t> index = array_index(token);
        if (!index) {
            return failure(where, path.text + " cannot be added (" +
                                      not_an_index(token, parent_pointer, R"(, or "-" to append)") + ")");
        }
        if (*index > array->size()) {
            return failure(where, path.text + " cannot be added (the array at " + at_root_or(parent_pointer) + " has " +
                                      members(array->size()) + ", so add takes an index up to " +
                                      std::to_string(array->size()) + R"(, or "-" to append))");
        }
        array->insert(array->begin() + static_cast<std::ptrdiff_t>(*index), std::move(value));
        return std::nullopt;
    }
    return failure(where, path.text + " cannot be added (the value at " + at_root_or(parent_pointer) + " is " +
                              kind_of(*parent.found) + ", not an object or array)");
}

Result<json::value> remove(json::value& doc, const Pointer& path, const std::string& where) {
    if (path.tokens.empty()) {
        return failure(where, R"(the root cannot be removed (a document must remain; replace it with path "" instead))");
    }
    const std::size_t depth = path.tokens.size() - 1;
    const Lookup parent = walk(doc, path, depth);
    if (!parent.found) return does_not_exist(where, path, parent.reason);
    const std::string& token = path.tokens.back();
    const Lookup target = child(*parent.found, token, prefix_of(path, depth));
    if (!target.found) return does_not_exist(where, path, target.reason);
    json::value removed = std::move(*target.found);
    if (json::object* object = parent.found->if_object()) {
        object->stable_erase(token);
    } else {
        json::array& array = parent.found->get_array();
        array.erase(array.begin() + (target.found - array.data()));
    }
    return removed;
}

std::optional<Error> replace(json::value& doc, const Pointer& path, const json::value& value, const std::string& where) {
    const Lookup target = walk(doc, path, path.tokens.size());
    if (!target.found) return does_not_exist(where, path, target.reason);
    *target.found = value;
    return std::nullopt;
}

bool is_proper_prefix(const Pointer& prefix, const Pointer& p) {
    if (prefix.tokens.size() >= p.tokens.size()) return false;
    for (std::size_t i = 0; i < prefix.tokens.size(); ++i) {
        if (prefix.tokens[i] != p.tokens[i]) return false;
    }
    return true;
}

std::optional<Error> move(json::value& doc, const Operation& op) {
    if (is_proper_prefix(op.from, op.path)) {
        return failure(op.at + "/path", "cannot move " + at_root_or(op.from.text) + " to " + op.path.text +
                                            ", which is inside it (a value cannot be moved into itself)");
    }
    if (op.from.tokens == op.path.tokens) {  // a move to where it is: nothing to do, once it is known to exist
        const Lookup source = walk(doc, op.from, op.from.tokens.size());
        if (!source.found) return does_not_exist(op.at + "/from", op.from, source.reason);
        return std::nullopt;
    }
    Result<json::value> moved = remove(doc, op.from, op.at + "/from");
    if (!moved) return moved.error();
    return add(doc, op.path, std::move(moved).value(), op.at + "/path");
}

std::optional<Error> copy(json::value& doc, const Operation& op) {
    const Lookup source = walk(doc, op.from, op.from.tokens.size());
    if (!source.found) return does_not_exist(op.at + "/from", op.from, source.reason);
    return add(doc, op.path, *source.found, op.at + "/path");
}

std::optional<Error> test(json::value& doc, const Operation& op) {
    const Lookup target = walk(doc, op.path, op.path.tokens.size());
    if (!target.found) return does_not_exist(op.at + "/path", op.path, target.reason);
    if (same_json(*target.found, *op.value)) return std::nullopt;
    return failure(op.at + "/value", "the test failed: " + at_root_or(op.path.text) + " is " + shown(*target.found) +
                                         ", not " + shown(*op.value));
}

std::optional<Error> apply(json::value& doc, const Operation& op) {
    switch (op.op) {
    case Op::add: return add(doc, op.path, *op.value, op.at + "/path");
    case Op::remove: {
        Result<json::value> removed = remove(doc, op.path, op.at + "/path");
        if (!removed) return removed.error();
        return std::nullopt;
    }
    case Op::replace: return replace(doc, op.path, *op.value, op.at + "/path");
    case Op::move: return move(doc, op);
    case Op::copy: return copy(doc, op);
    case Op::test: return test(doc, op);
    }
    return std::nullopt;
}

// ------------------------------------------------------------ the patch's shape

Result<Pointer> pointer_member(const json::object& entry, std::string_view name, const std::string& at,
                               std::string_view op_name) {
    const json::value* member = entry.if_contains(name);
    if (!member) {
        return failure(at, "the " + std::string(op_name) + " operation has no " + quoted(name) +
                               R"( (expected a JSON pointer such as "/a/b"))");
    }
    const std::string where = at + "/" + std::string(name);
    const json::string* text = member->if_string();
    if (!text) {
        return failure(where, quoted(name) + " is " + kind_of(*member) +
                                  R"(, expected a JSON pointer string ("" or starting with "/"))");
    }
    return parse_pointer(std::string_view(text->data(), text->size()), where);
}

Result<Operation> read_operation(const json::value& entry, std::size_t index) {
    Operation op{Op::add, "/" + std::to_string(index), {}, {}, nullptr};
    const json::object* object = entry.if_object();
    if (!object) {
        return failure(op.at, "the operation is " + kind_of(entry) + R"(, expected an object with "op" and "path")");
    }
    const json::value* name = object->if_contains("op");
    if (!name) return failure(op.at, R"(the operation has no "op" (expected )" + std::string(expected_ops) + ")");
    const json::string* name_text = name->if_string();
    if (!name_text) {
        return failure(op.at + "/op", R"("op" is )" + kind_of(*name) + ", expected " + std::string(expected_ops));
    }
    const std::string_view op_name(name_text->data(), name_text->size());
    std::size_t i = 0;
    while (i < op_names.size() && op_names[i] != op_name) ++i;
    if (i == op_names.size()) {
        return failure(op.at + "/op",
                       quoted(op_name) + " is not an operation (expected " + std::string(expected_ops) + ")");
    }
    op.op = static_cast<Op>(i);

    Result<Pointer> path = pointer_member(*object, "path", op.at, op_name);
    if (!path) return path.error();
    op.path = std::move(path).value();
    if (op.op == Op::move || op.op == Op::copy) {
        Result<Pointer> from = pointer_member(*object, "from", op.at, op_name);
        if (!from) return from.error();
        op.from = std::move(from).value();
    }
    if (op.op == Op::add || op.op == Op::replace || op.op == Op::test) {
        op.value = object->if_contains("value");
        if (!op.value) {
            return failure(op.at, "the " + std::string(op_name) + R"( operation has no "value" (expected the JSON value to )" +
                                      std::string(op.op == Op::test ? "compare with" : op_name) + ")");
        }
    }
    return op;
}

}  // namespace

Result<boost::json::value> apply_json_patch(const boost::json::value& document, const boost::json::value& patch) {
    const json::array* entries = patch.if_array();
    if (!entries) return failure("", "the patch is " + kind_of(patch) + ", expected an array of operations");
    std::vector<Operation> operations;
    operations.reserve(entries->size());
    for (std::size_t i = 0; i < entries->size(); ++i) {
        Result<Operation> op = read_operation((*entries)[i], i);
        if (!op) return op.error();
        operations.push_back(std::move(op).value());
    }
    json::value patched = document;
    for (const Operation& op : operations) {
        if (std::optional<Error> error = apply(patched, op)) return *std::move(error);
    }
    return patched;
}

}  // namespace agenthost
