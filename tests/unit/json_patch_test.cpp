// json_patch_test.cpp: RFC 6902 JSON Patch: the RFC's appendix A examples, pointer escapes, array
// indexes, "-", the root, move and copy, test's numeric equality, every error with its exact
// message, and that a failing patch applies nothing.
#include <agenthost/host/json_patch.hpp>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <string>
#include <string_view>

using namespace agenthost;
namespace json = boost::json;

namespace {

json::value j(std::string_view text) { return json::parse(text); }

//! The patched document; fails the test case when the patch fails.
json::value patched(std::string_view document, std::string_view patch) {
    const Result<json::value> result = apply_json_patch(j(document), j(patch));
    BOOST_TEST_REQUIRE(result.ok(), (result.ok() ? std::string() : result.error().to_string()));
    return result.value();
}

//! The error of a patch that must fail.
Error failure(std::string_view document, std::string_view patch) {
    const Result<json::value> result = apply_json_patch(j(document), j(patch));
    BOOST_TEST_REQUIRE(!result.ok(), (result.ok() ? "the patch applied: " + json::serialize(result.value()) : ""));
    return result.error();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(json_patch)

// ------------------------------------------------------------ RFC 6902 appendix A

BOOST_AUTO_TEST_CASE(a1_adding_an_object_member) {
    BOOST_TEST(patched(R"({"foo": "bar"})", R"([{"op": "add", "path": "/baz", "value": "qux"}])") ==
               j(R"({"baz": "qux", "foo": "bar"})"));
}

BOOST_AUTO_TEST_CASE(a2_adding_an_array_element) {
    BOOST_TEST(patched(R"({"foo": ["bar", "baz"]})", R"([{"op": "add", "path": "/foo/1", "value": "qux"}])") ==
               j(R"({"foo": ["bar", "qux", "baz"]})"));
}

BOOST_AUTO_TEST_CASE(a3_removing_an_object_member) {
    BOOST_TEST(patched(R"({"baz": "qux", "foo": "bar"})", R"([{"op": "remove", "path": "/baz"}])") ==
               j(R"({"foo": "bar"})"));
}

BOOST_AUTO_TEST_CASE(a4_removing_an_array_element) {
    BOOST_TEST(patched(R"({"foo": ["bar", "qux", "baz"]})", R"([{"op": "remove", "path": "/foo/1"}])") ==
               j(R"({"foo": ["bar", "baz"]})"));
}

BOOST_AUTO_TEST_CASE(a5_replacing_a_value) {
    BOOST_TEST(patched(R"({"baz": "qux", "foo": "bar"})", R"([{"op": "replace", "path": "/baz", "value": "boo"}])") ==
               j(R"({"baz": "boo", "foo": "bar"})"));
}

BOOST_AUTO_TEST_CASE(a6_moving_a_value) {
    BOOST_TEST(patched(R"({"foo": {"bar": "baz", "waldo": "fred"}, "qux": {"corge": "grault"}})",
                       R"([{"op": "move", "from": "/foo/waldo", "path": "/qux/thud"}])") ==
               j(R"({"foo": {"bar": "baz"}, "qux": {"corge": "grault", "thud": "fred"}})"));
}

BOOST_AUTO_TEST_CASE(a7_moving_an_array_element) {
    BOOST_TEST(patched(R"({"foo": ["all", "grass", "cows", "eat"]})",
                       R"([{"op": "move", "from": "/foo/1", "path": "/foo/3"}])") ==
               j(R"({"foo": ["all", "cows", "eat", "grass"]})"));
}

BOOST_AUTO_TEST_CASE(a8_testing_a_value_success) {
    const char* document = R"({"baz": "qux", "foo": ["a", 2, "c"]})";
    BOOST_TEST(patched(document, R"([{"op": "test", "path": "/baz", "value": "qux"},
                                     {"op": "test", "path": "/foo/1", "value": 2}])") == j(document));
}

BOOST_AUTO_TEST_CASE(a9_testing_a_value_error) {
    const Error e = failure(R"({"baz": "qux"})", R"([{"op": "test", "path": "/baz", "value": "bar"}])");
    BOOST_TEST(e.to_string() == R"(/0/value: the test failed: /baz is "qux", not "bar")");
}

BOOST_AUTO_TEST_CASE(a10_adding_a_nested_member_object) {
    BOOST_TEST(patched(R"({"foo": "bar"})", R"([{"op": "add", "path": "/child", "value": {"grandchild": {}}}])") ==
               j(R"({"foo": "bar", "child": {"grandchild": {}}})"));
}

BOOST_AUTO_TEST_CASE(a11_ignoring_unrecognized_elements) {
    BOOST_TEST(patched(R"({"foo": "bar"})", R"([{"op": "add", "path": "/baz", "value": "qux", "xyz": 123}])") ==
               j(R"({"foo": "bar", "baz": "qux"})"));
}

BOOST_AUTO_TEST_CASE(a12_adding_to_a_nonexistent_target) {
    const Error e = failure(R"({"foo": "bar"})", R"([{"op": "add", "path": "/baz/bat", "value": "qux"}])");
    BOOST_TEST(e.to_string() == R"(/0/path: /baz/bat cannot be added (the object at the root has no member "baz"))");
}

BOOST_AUTO_TEST_CASE(a13_invalid_json_patch_document) {
    // A repeated member is the parser's to refuse: a boost::json value cannot hold one, and
    // boost::json::parse keeps the last. So this patch arrives as a remove of /baz.
    const char* patch = R"([{"op": "add", "path": "/baz", "value": "qux", "op": "remove"}])";
    BOOST_TEST(j(patch) == j(R"([{"op": "remove", "path": "/baz", "value": "qux"}])"));
    BOOST_TEST(failure(R"({"foo": "bar"})", patch).to_string() ==
               R"(/0/path: /baz does not exist (the object at the root has no member "baz"))");
}

BOOST_AUTO_TEST_CASE(a14_escape_ordering) {
    const char* document = R"({"/": 9, "~1": 10})";
    BOOST_TEST(patched(document, R"([{"op": "test", "path": "/~01", "value": 10}])") == j(document));
}

BOOST_AUTO_TEST_CASE(a15_comparing_strings_and_numbers) {
    const Error e = failure(R"({"/": 9, "~1": 10})", R"([{"op": "test", "path": "/~01", "value": "10"}])");
    BOOST_TEST(e.to_string() == R"(/0/value: the test failed: /~01 is 10, not "10")");
}

BOOST_AUTO_TEST_CASE(a16_adding_an_array_value) {
    BOOST_TEST(patched(R"({"foo": ["bar"]})", R"([{"op": "add", "path": "/foo/-", "value": ["abc", "def"]}])") ==
               j(R"({"foo": ["bar", ["abc", "def"]]})"));
}

// ------------------------------------------------------------ pointers

BOOST_AUTO_TEST_CASE(escapes_name_members_with_slash_and_tilde) {
    BOOST_TEST(patched(R"({"a/b": 1, "m~n": 2})", R"([{"op": "replace", "path": "/a~1b", "value": 10},
                                                     {"op": "replace", "path": "/m~0n", "value": 20},
                                                     {"op": "add", "path": "/~0~1~00", "value": 30}])") ==
               j(R"({"a/b": 10, "m~n": 20, "~/~0": 30})"));
}

BOOST_AUTO_TEST_CASE(empty_tokens_name_the_empty_member) {
    BOOST_TEST(patched(R"({"": 1, "a": {"": 2}})", R"([{"op": "test", "path": "/", "value": 1},
                                                       {"op": "replace", "path": "/a/", "value": {}},
                                                       {"op": "add", "path": "/a//", "value": 4}])") ==
               j(R"({"": 1, "a": {"": {"": 4}}})"));
}

BOOST_AUTO_TEST_CASE(a_dash_is_an_ordinary_member_name_in_an_object) {
    BOOST_TEST(patched(R"({"-": 1})", R"([{"op": "replace", "path": "/-", "value": 2},
                                         {"op": "add", "path": "/x", "value": {}},
                                         {"op": "add", "path": "/x/-", "value": 3}])") ==
               j(R"({"-": 2, "x": {"-": 3}})"));
    BOOST_TEST(patched(R"({"-": 1, "a": 2})", R"([{"op": "remove", "path": "/-"}])") == j(R"({"a": 2})"));
}

BOOST_AUTO_TEST_CASE(digits_are_member_names_in_objects) {
    BOOST_TEST(patched(R"({"0": "a", "01": "b"})", R"([{"op": "remove", "path": "/01"},
                                                       {"op": "add", "path": "/7", "value": "c"}])") ==
               j(R"({"0": "a", "7": "c"})"));
}

// ------------------------------------------------------------ add

BOOST_AUTO_TEST_CASE(add_on_an_existing_member_replaces_it_in_place) {
    const json::value result = patched(R"({"a": 1, "b": 2, "c": 3})", R"([{"op": "add", "path": "/b", "value": [9]}])");
    BOOST_TEST(json::serialize(result) == R"({"a":1,"b":[9],"c":3})");
}

BOOST_AUTO_TEST_CASE(add_inserts_at_an_index_from_0_to_the_size) {
    BOOST_TEST(patched(R"([1, 2])", R"([{"op": "add", "path": "/0", "value": 0}])") == j("[0, 1, 2]"));
    BOOST_TEST(patched(R"([1, 2])", R"([{"op": "add", "path": "/2", "value": 3}])") == j("[1, 2, 3]"));
    BOOST_TEST(patched(R"([])", R"([{"op": "add", "path": "/0", "value": 1}])") == j("[1]"));
    BOOST_TEST(patched(R"([])", R"([{"op": "add", "path": "/-", "value": 1},
                                   {"op": "add", "path": "/-", "value": 2}])") == j("[1, 2]"));
}

BOOST_AUTO_TEST_CASE(add_and_replace_on_the_root_replace_the_document) {
    BOOST_TEST(patched(R"({"a": 1})", R"([{"op": "add", "path": "", "value": [1, 2]}])") == j("[1, 2]"));
    BOOST_TEST(patched(R"({"a": 1})", R"([{"op": "replace", "path": "", "value": "text"}])") == j(R"("text")"));
    BOOST_TEST(patched("5", R"([{"op": "replace", "path": "", "value": null}])") == j("null"));
    BOOST_TEST(patched("null", R"([{"op": "add", "path": "", "value": {}}, {"op": "add", "path": "/a", "value": 1}])") ==
               j(R"({"a": 1})"));
}

// ------------------------------------------------------------ remove and replace

BOOST_AUTO_TEST_CASE(remove_keeps_the_order_of_the_other_members) {
    const json::value result = patched(R"({"a": 1, "b": 2, "c": 3, "d": 4})", R"([{"op": "remove", "path": "/a"}])");
    BOOST_TEST(json::serialize(result) == R"({"b":2,"c":3,"d":4})");
}

BOOST_AUTO_TEST_CASE(remove_and_replace_reach_the_last_array_member) {
    BOOST_TEST(patched("[1, 2, 3]", R"([{"op": "remove", "path": "/2"}])") == j("[1, 2]"));
    BOOST_TEST(patched("[1, 2, 3]", R"([{"op": "replace", "path": "/2", "value": 4}])") == j("[1, 2, 4]"));
    BOOST_TEST(patched(R"({"a": [[1, 2]]})", R"([{"op": "remove", "path": "/a/0/1"}])") == j(R"({"a": [[1]]})"));
}

// ------------------------------------------------------------ move and copy

BOOST_AUTO_TEST_CASE(move_removes_before_it_adds) {
    BOOST_TEST(patched("[1, 2, 3]", R"([{"op": "move", "from": "/0", "path": "/2"}])") == j("[2, 3, 1]"));
    BOOST_TEST(patched("[1, 2, 3]", R"([{"op": "move", "from": "/2", "path": "/0"}])") == j("[3, 1, 2]"));
    BOOST_TEST(patched("[1, 2, 3]", R"([{"op": "move", "from": "/0", "path": "/-"}])") == j("[2, 3, 1]"));
    BOOST_TEST(patched(R"({"a": {"b": 1}, "c": 2})", R"([{"op": "move", "from": "/c", "path": "/a/c"}])") ==
               j(R"({"a": {"b": 1, "c": 2}})"));
}

BOOST_AUTO_TEST_CASE(move_to_where_it_is_changes_nothing) {
    const json::value result = patched(R"({"a": 1, "b": 2, "c": 3})", R"([{"op": "move", "from": "/a", "path": "/a"},
                                                                          {"op": "move", "from": "", "path": ""}])");
    BOOST_TEST(json::serialize(result) == R"({"a":1,"b":2,"c":3})");
}

BOOST_AUTO_TEST_CASE(move_out_of_a_member_into_the_root) {
    BOOST_TEST(patched(R"({"a": {"b": 1}})", R"([{"op": "move", "from": "/a", "path": ""}])") == j(R"({"b": 1})"));
}

BOOST_AUTO_TEST_CASE(move_to_a_sibling_prefix_is_not_into_itself) {
    // /a is not a prefix of /ab: pointers are compared token by token, not as text.
    BOOST_TEST(patched(R"({"a": 1})", R"([{"op": "move", "from": "/a", "path": "/ab"}])") == j(R"({"ab": 1})"));
}

BOOST_AUTO_TEST_CASE(copy_duplicates_even_into_its_own_child) {
    BOOST_TEST(patched(R"({"a": {"b": 1}})", R"([{"op": "copy", "from": "/a", "path": "/a/c"}])") ==
               j(R"({"a": {"b": 1, "c": {"b": 1}}})"));
    BOOST_TEST(patched(R"({"a": 1})", R"([{"op": "copy", "from": "", "path": "/b"}])") == j(R"({"a": 1, "b": {"a": 1}})"));
    BOOST_TEST(patched("[1, 2]", R"([{"op": "copy", "from": "/1", "path": "/0"}])") == j("[2, 1, 2]"));
}

BOOST_AUTO_TEST_CASE(copies_are_independent) {
    BOOST_TEST(patched(R"({"a": {"b": 1}})", R"([{"op": "copy", "from": "/a", "path": "/c"},
                                                {"op": "replace", "path": "/c/b", "value": 2}])") ==
               j(R"({"a": {"b": 1}, "c": {"b": 2}})"));
}

// ------------------------------------------------------------ test

BOOST_AUTO_TEST_CASE(test_compares_numbers_by_value) {
    const char* document = R"({"i": 1, "d": 1.0, "big": 18446744073709551615, "neg": -5, "half": 0.5,
                               "large": 9223372036854775807, "nested": {"x": [1, {"y": 2.0}]}})";
    BOOST_TEST(patched(document, R"([{"op": "test", "path": "/i", "value": 1.0},
                                     {"op": "test", "path": "/d", "value": 1},
                                     {"op": "test", "path": "/i", "value": 1e0},
                                     {"op": "test", "path": "/neg", "value": -5.0},
                                     {"op": "test", "path": "/big", "value": 18446744073709551615},
                                     {"op": "test", "path": "/half", "value": 5e-1},
                                     {"op": "test", "path": "/large", "value": 9223372036854775807},
                                     {"op": "test", "path": "/nested", "value": {"x": [1.0, {"y": 2}]}}])") ==
               j(document));
    // An unsigned 1 against a signed 1, built directly: the parser makes small numbers signed.
    json::value unsigned_one = json::object{{"n", std::uint64_t{1}}};
    json::array patch{json::object{{"op", "test"}, {"path", "/n"}, {"value", std::int64_t{1}}},
                      json::object{{"op", "test"}, {"path", "/n"}, {"value", 1.0}}};
    BOOST_TEST(apply_json_patch(unsigned_one, patch).ok());
}

BOOST_AUTO_TEST_CASE(test_tells_numbers_apart_exactly) {
    const auto differs = [](std::string_view document, std::string_view value) {
        const std::string patch = R"([{"op": "test", "path": "", "value": )" + std::string(value) + "}]";
        return !apply_json_patch(j(document), j(patch)).ok();
    };
    BOOST_TEST(differs("1", "1.5"));
    BOOST_TEST(differs("1", "2"));
    BOOST_TEST(differs("-1", "18446744073709551615"));
    BOOST_TEST(differs("18446744073709551615", "-1"));
    BOOST_TEST(differs("9223372036854775807", "9223372036854775808.0"));  // 2^63 - 1 is no double
    BOOST_TEST(differs("18446744073709551615", "18446744073709551616.0"));
    BOOST_TEST(differs("0", "false"));
    BOOST_TEST(differs("0", "null"));
    BOOST_TEST(differs("1", R"("1")"));
    BOOST_TEST(!differs("9223372036854775808", "9223372036854775808.0"));  // 2^63, unsigned and double
    BOOST_TEST(!differs("-9223372036854775808", "-9223372036854775808.0"));
    BOOST_TEST(!differs("0", "-0.0"));
}

BOOST_AUTO_TEST_CASE(test_compares_structure) {
    const auto same = [](std::string_view document, std::string_view value) {
        const std::string patch = R"([{"op": "test", "path": "", "value": )" + std::string(value) + "}]";
        return apply_json_patch(j(document), j(patch)).ok();
    };
    BOOST_TEST(same(R"({"a": 1, "b": [true, null]})", R"({"b": [true, null], "a": 1})"));  // member order
    BOOST_TEST(!same("[1, 2]", "[2, 1]"));                                                   // array order
    BOOST_TEST(!same("[1, 2]", "[1, 2, 3]"));
    BOOST_TEST(!same(R"({"a": 1})", R"({"a": 1, "b": 2})"));
    BOOST_TEST(!same(R"({"a": 1, "b": 2})", R"({"a": 1, "c": 2})"));
    BOOST_TEST(!same("[]", "{}"));
    BOOST_TEST(same(R"("text")", R"("text")"));
    BOOST_TEST(!same(R"("text")", R"("Text")"));
    BOOST_TEST(same("null", "null"));
    BOOST_TEST(!same("true", "false"));
}

BOOST_AUTO_TEST_CASE(operations_see_what_earlier_ones_did) {
    BOOST_TEST(patched(R"({})", R"([{"op": "add", "path": "/a", "value": []},
                                   {"op": "add", "path": "/a/-", "value": 1},
                                   {"op": "test", "path": "/a", "value": [1]},
                                   {"op": "copy", "from": "/a", "path": "/b"},
                                   {"op": "move", "from": "/b/0", "path": "/c"},
                                   {"op": "test", "path": "", "value": {"a": [1], "b": [], "c": 1}}])") ==
               j(R"({"a": [1], "b": [], "c": 1})"));
}

BOOST_AUTO_TEST_CASE(an_empty_patch_returns_the_document) {
    const char* document = R"({"a": [1, {"b": null}]})";
    BOOST_TEST(patched(document, "[]") == j(document));
}

BOOST_AUTO_TEST_CASE(members_an_operation_does_not_use_are_ignored) {
    BOOST_TEST(patched(R"({"a": 1})", R"([{"op": "remove", "path": "/a", "value": 5, "from": 7}])") == j("{}"));
    BOOST_TEST(patched(R"({"a": 1})", R"([{"op": "add", "path": "/b", "value": 2, "from": ["not a pointer"]}])") ==
               j(R"({"a": 1, "b": 2})"));
}

// ------------------------------------------------------------ errors

namespace {

struct ErrorCase {
    const char* what;
    const char* document;
    const char* patch;
    const char* where;    // Error::where and Error::pointer
    const char* message;  // Error::message
};

const ErrorCase error_cases[] = {
    // The patch's shape.
    {"a patch that is no array", "{}", R"({"op": "add", "path": "/a", "value": 1})", "",
     "the patch is an object, expected an array of operations"},
    {"an operation that is no object", "{}", R"([{"op": "test", "path": "", "value": {}}, "add"])", "/1",
     R"(the operation is a string, expected an object with "op" and "path")"},
    {"an operation without op", "{}", R"([{"path": "/a", "value": 1}])", "/0",
     R"(the operation has no "op" (expected "add", "remove", "replace", "move", "copy" or "test"))"},
    {"an op that is no string", "{}", R"([{"op": 1, "path": "/a"}])", "/0/op",
     R"("op" is a number, expected "add", "remove", "replace", "move", "copy" or "test")"},
    {"an unknown op", "{}", R"([{"op": "delete", "path": "/a"}])", "/0/op",
     R"("delete" is not an operation (expected "add", "remove", "replace", "move", "copy" or "test"))"},
    {"ops are case-sensitive", "{}", R"([{"op": "Add", "path": "/a", "value": 1}])", "/0/op",
     R"("Add" is not an operation (expected "add", "remove", "replace", "move", "copy" or "test"))"},
    {"an operation without path", R"({"a": 1})", R"([{"op": "remove"}])", "/0",
     R"(the remove operation has no "path" (expected a JSON pointer such as "/a/b"))"},
    {"a path that is no string", R"({"a": 1})", R"([{"op": "remove", "path": ["a"]}])", "/0/path",
     R"("path" is an array, expected a JSON pointer string ("" or starting with "/"))"},
    {"a path without a leading slash", R"({"a": 1})", R"([{"op": "remove", "path": "a"}])", "/0/path",
     R"("a" is not a JSON pointer (expected "" for the whole document, or a string starting with "/"))"},
    {"a tilde followed by 2", R"({"a": 1})", R"([{"op": "remove", "path": "/a~2b"}])", "/0/path",
     R"("/a~2b" is not a valid JSON pointer ("~" must be followed by 0 or 1: "~0" stands for "~" and "~1" for "/"))"},
    {"a tilde at the end", R"({"a": 1})", R"([{"op": "remove", "path": "/a~"}])", "/0/path",
     R"("/a~" is not a valid JSON pointer ("~" must be followed by 0 or 1: "~0" stands for "~" and "~1" for "/"))"},
    {"a move without from", R"({"a": 1})", R"([{"op": "move", "path": "/b"}])", "/0",
     R"(the move operation has no "from" (expected a JSON pointer such as "/a/b"))"},
    {"a copy without from", R"({"a": 1})", R"([{"op": "copy", "path": "/b"}])", "/0",
     R"(the copy operation has no "from" (expected a JSON pointer such as "/a/b"))"},
    {"a from that is no string", R"({"a": 1})", R"([{"op": "copy", "from": null, "path": "/b"}])", "/0/from",
     R"("from" is null, expected a JSON pointer string ("" or starting with "/"))"},
    {"a from that is no pointer", R"({"a": 1})", R"([{"op": "move", "from": "a", "path": "/b"}])", "/0/from",
     R"("a" is not a JSON pointer (expected "" for the whole document, or a string starting with "/"))"},
    {"an add without value", "{}", R"([{"op": "add", "path": "/a"}])", "/0",
     R"(the add operation has no "value" (expected the JSON value to add))"},
    {"a replace without value", R"({"a": 1})", R"([{"op": "replace", "path": "/a"}])", "/0",
     R"(the replace operation has no "value" (expected the JSON value to replace))"},
    {"a test without value", R"({"a": 1})", R"([{"op": "test", "path": "/a"}])", "/0",
     R"(the test operation has no "value" (expected the JSON value to compare with))"},
    {"every shape is checked before any operation applies", R"({"a": 1})",
     R"([{"op": "remove", "path": "/nothing"}, {"op": "bogus", "path": ""}])", "/1/op",
     R"("bogus" is not an operation (expected "add", "remove", "replace", "move", "copy" or "test"))"},

    // add
    {"add under a missing member", R"({"a": {}})", R"([{"op": "add", "path": "/a/b/c", "value": 1}])", "/0/path",
     R"(/a/b/c cannot be added (the object at /a has no member "b"))"},
    {"add past the end of an array", R"({"a": [1, 2, 3]})", R"([{"op": "add", "path": "/a/4", "value": 1}])",
     "/0/path",
     R"(/a/4 cannot be added (the array at /a has 3 members, so add takes an index up to 3, or "-" to append))"},
    {"add past the end of an array of one", "[1]", R"([{"op": "add", "path": "/2", "value": 1}])", "/0/path",
     R"(/2 cannot be added (the array at the root has 1 member, so add takes an index up to 1, or "-" to append))"},
    {"add at an index with a leading zero", R"({"a": [1, 2]})", R"([{"op": "add", "path": "/a/01", "value": 1}])",
     "/0/path",
     R"(/a/01 cannot be added ("01" is not an index into the array at /a: expected 0 or digits without a leading zero, or "-" to append))"},
    {"add at a negative index", R"({"a": [1, 2]})", R"([{"op": "add", "path": "/a/-1", "value": 1}])", "/0/path",
     R"(/a/-1 cannot be added ("-1" is not an index into the array at /a: expected 0 or digits without a leading zero, or "-" to append))"},
    {"add at an index with a plus", "[1]", R"([{"op": "add", "path": "/+1", "value": 1}])", "/0/path",
     R"(/+1 cannot be added ("+1" is not an index into the array at the root: expected 0 or digits without a leading zero, or "-" to append))"},
    {"add at an empty index", "[1]", R"([{"op": "add", "path": "/", "value": 1}])", "/0/path",
     R"(/ cannot be added ("" is not an index into the array at the root: expected 0 or digits without a leading zero, or "-" to append))"},
    {"add at a huge index", "[1]", R"([{"op": "add", "path": "/99999999999999999999999", "value": 1}])", "/0/path",
     R"(/99999999999999999999999 cannot be added (the array at the root has 1 member, so add takes an index up to 1, or "-" to append))"},
    {"add into a number", R"({"a": 1})", R"([{"op": "add", "path": "/a/b", "value": 1}])", "/0/path",
     R"(/a/b cannot be added (the value at /a is a number, not an object or array))"},
    {"add into a string at the root", R"("text")", R"([{"op": "add", "path": "/0", "value": 1}])", "/0/path",
     R"(/0 cannot be added (the value at the root is a string, not an object or array))"},
    {"add through an index out of range", R"({"a": []})", R"([{"op": "add", "path": "/a/0/b", "value": 1}])",
     "/0/path", R"(/a/0/b cannot be added (the array at /a has 0 members))"},
    {"add through a dash", R"({"a": [{}]})", R"([{"op": "add", "path": "/a/-/b", "value": 1}])", "/0/path",
     R"(/a/-/b cannot be added ("-" names no member of the array at /a, only the position after its last member, where add appends))"},

    // remove
    {"remove of a missing member", R"({"a": 1})", R"([{"op": "remove", "path": "/b"}])", "/0/path",
     R"(/b does not exist (the object at the root has no member "b"))"},
    {"remove below a missing index", R"({"tickets": [{}, {}, {}]})", R"([{"op": "remove", "path": "/tickets/7/title"}])",
     "/0/path", R"(/tickets/7/title does not exist (the array at /tickets has 3 members))"},
    {"remove at the size of an array", R"({"a": [1, 2, 3]})", R"([{"op": "remove", "path": "/a/3"}])", "/0/path",
     R"(/a/3 does not exist (the array at /a has 3 members))"},
    {"remove of a dash", R"({"a": [1]})", R"([{"op": "remove", "path": "/a/-"}])", "/0/path",
     R"(/a/- does not exist ("-" names no member of the array at /a, only the position after its last member, where add appends))"},
    {"remove at an index with a leading zero", "[1, 2]", R"([{"op": "remove", "path": "/00"}])", "/0/path",
     R"(/00 does not exist ("00" is not an index into the array at the root: expected 0 or digits without a leading zero))"},
    {"remove at a word in an array", "[1, 2]", R"([{"op": "remove", "path": "/one"}])", "/0/path",
     R"(/one does not exist ("one" is not an index into the array at the root: expected 0 or digits without a leading zero))"},
    {"remove inside a string", R"({"a": "text"})", R"([{"op": "remove", "path": "/a/0"}])", "/0/path",
     R"(/a/0 does not exist (the value at /a is a string, not an object or array))"},
    {"remove below null", R"({"a": null})", R"([{"op": "remove", "path": "/a/b/c"}])", "/0/path",
     R"(/a/b/c does not exist (the value at /a is null, not an object or array))"},
    {"remove of the root", R"({"a": 1})", R"([{"op": "remove", "path": ""}])", "/0/path",
     R"(the root cannot be removed (a document must remain; replace it with path "" instead))"},
    {"remove of an escaped member that is missing", R"({"a/b": 1})", R"([{"op": "remove", "path": "/a~0b"}])",
     "/0/path", R"(/a~0b does not exist (the object at the root has no member "a~b"))"},

    // replace
    {"replace of a missing member", R"({"a": 1})", R"([{"op": "replace", "path": "/b", "value": 2}])", "/0/path",
     R"(/b does not exist (the object at the root has no member "b"))"},
    {"replace at the size of an array", "[1]", R"([{"op": "replace", "path": "/1", "value": 2}])", "/0/path",
     R"(/1 does not exist (the array at the root has 1 member))"},
    {"replace of a dash", "[1]", R"([{"op": "replace", "path": "/-", "value": 2}])", "/0/path",
     R"(/- does not exist ("-" names no member of the array at the root, only the position after its last member, where add appends))"},
    {"replace inside a boolean", R"({"a": true})", R"([{"op": "replace", "path": "/a/b", "value": 2}])", "/0/path",
     R"(/a/b does not exist (the value at /a is a boolean, not an object or array))"},

    // move
    {"move from a missing member", R"({"a": 1})", R"([{"op": "move", "from": "/x", "path": "/b"}])", "/0/from",
     R"(/x does not exist (the object at the root has no member "x"))"},
    {"move from a dash", R"({"a": [1]})", R"([{"op": "move", "from": "/a/-", "path": "/b"}])", "/0/from",
     R"(/a/- does not exist ("-" names no member of the array at /a, only the position after its last member, where add appends))"},
    {"move to where it is, from nothing", R"({"a": 1})", R"([{"op": "move", "from": "/b", "path": "/b"}])", "/0/from",
     R"(/b does not exist (the object at the root has no member "b"))"},
    {"move into its own child", R"({"a": {"b": {}}})", R"([{"op": "move", "from": "/a", "path": "/a/b/c"}])",
     "/0/path", R"(cannot move /a to /a/b/c, which is inside it (a value cannot be moved into itself))"},
    {"move of the root into a member", R"({"a": 1})", R"([{"op": "move", "from": "", "path": "/b"}])", "/0/path",
     R"(cannot move the root to /b, which is inside it (a value cannot be moved into itself))"},
    {"move to a place that is gone once the value is removed", R"({"a": [1]})",
     R"([{"op": "move", "from": "/a/0", "path": "/a/1"}])", "/0/path",
     R"(/a/1 cannot be added (the array at /a has 0 members, so add takes an index up to 0, or "-" to append))"},
    {"move under a missing member", R"({"a": 1})", R"([{"op": "move", "from": "/a", "path": "/b/c"}])", "/0/path",
     R"(/b/c cannot be added (the object at the root has no member "b"))"},

    // copy
    {"copy from a missing index", "[1, 2]", R"([{"op": "copy", "from": "/2", "path": "/0"}])", "/0/from",
     R"(/2 does not exist (the array at the root has 2 members))"},
    {"copy past the end", "[1, 2]", R"([{"op": "copy", "from": "/0", "path": "/3"}])", "/0/path",
     R"(/3 cannot be added (the array at the root has 2 members, so add takes an index up to 2, or "-" to append))"},

    // test
    {"test of a missing member", R"({"a": 1})", R"([{"op": "test", "path": "/b", "value": 1}])", "/0/path",
     R"(/b does not exist (the object at the root has no member "b"))"},
    {"test of a dash", "[1]", R"([{"op": "test", "path": "/-", "value": 1}])", "/0/path",
     R"(/- does not exist ("-" names no member of the array at the root, only the position after its last member, where add appends))"},
    {"test of a different type", R"({"a": 1})", R"([{"op": "test", "path": "/a", "value": true}])", "/0/value",
     R"(the test failed: /a is 1, not true)"},
    {"test of the root", R"({"a": 1})", R"([{"op": "test", "path": "", "value": {"a": 2}}])", "/0/value",
     R"(the test failed: the root is {"a":1}, not {"a":2})"},
    {"a later operation names its own index", R"({"a": [1, 2, 3]})",
     R"([{"op": "test", "path": "/a/0", "value": 1}, {"op": "add", "path": "/a/-", "value": 4},
        {"op": "remove", "path": "/a/0"}, {"op": "test", "path": "/a/0", "value": 1}])",
     "/3/value", R"(the test failed: /a/0 is 2, not 1)"},
};

}  // namespace

BOOST_AUTO_TEST_CASE(every_error_names_the_operation_and_says_what_was_expected) {
    for (const ErrorCase& c : error_cases) {
        BOOST_TEST_CONTEXT(c.what) {
            const Result<json::value> result = apply_json_patch(j(c.document), j(c.patch));
            BOOST_TEST_REQUIRE(!result.ok());
            BOOST_TEST(result.error().where == c.where);
            BOOST_TEST(result.error().pointer == c.where);
            BOOST_TEST(result.error().message == c.message);
            BOOST_TEST(result.error().hint.empty());
        }
    }
}

BOOST_AUTO_TEST_CASE(the_error_reads_pointer_first) {
    const Error e = failure(R"({"tickets": [{}, {}, {}]})", R"([{"op": "test", "path": "/tickets/0", "value": {}},
                                                                {"op": "test", "path": "/tickets/1", "value": {}},
                                                                {"op": "replace", "path": "/tickets/7/title", "value": "x"}])");
    BOOST_TEST(e.to_string() == "/2/path: /tickets/7/title does not exist (the array at /tickets has 3 members)");
}

BOOST_AUTO_TEST_CASE(long_values_are_cut_short_in_messages) {
    const std::string long_text(200, 'x');
    const json::value document = json::object{{"a", long_text}};
    const json::value patch = json::array{json::object{{"op", "test"}, {"path", "/a"}, {"value", "y"}}};
    const Result<json::value> result = apply_json_patch(document, patch);
    BOOST_TEST_REQUIRE(!result.ok());
    BOOST_TEST(result.error().message == "the test failed: /a is \"" + std::string(76, 'x') + "..., not \"y\"");
}

BOOST_AUTO_TEST_CASE(values_are_not_cut_inside_a_utf8_character) {
    std::string text = "a";
    for (int i = 0; i < 60; ++i) text += "\xC3\xA9";  // é, two bytes each
    const json::value document = json::object{{"a", text}};
    const json::value patch = json::array{json::object{{"op", "test"}, {"path", "/a"}, {"value", 0}}};
    const Result<json::value> result = apply_json_patch(document, patch);
    BOOST_TEST_REQUIRE(!result.ok());
    const std::string& message = result.error().message;
    const std::string prefix = "the test failed: /a is \"";
    const std::string shown = message.substr(prefix.size(), message.find("..., not 0") - prefix.size());
    BOOST_TEST(shown.size() == 75u);  // "a" and 37 whole characters: 76 bytes would split the 38th
    BOOST_TEST(shown == text.substr(0, 75));
}

// ------------------------------------------------------------ all or nothing

BOOST_AUTO_TEST_CASE(a_failing_patch_applies_nothing) {
    const json::value document = j(R"({"a": [1, 2], "b": {"c": "d"}})");
    const json::value before = document;
    const Result<json::value> result = apply_json_patch(document, j(R"([
        {"op": "add", "path": "/a/-", "value": 3},
        {"op": "replace", "path": "/b/c", "value": "e"},
        {"op": "remove", "path": "/a/0"},
        {"op": "move", "from": "/b", "path": "/z"},
        {"op": "test", "path": "/a", "value": [2, 3]},
        {"op": "remove", "path": "/missing"}])"));
    BOOST_TEST_REQUIRE(!result.ok());
    BOOST_TEST(result.error().where == "/5/path");
    BOOST_TEST(document == before);
    BOOST_TEST(json::serialize(document) == json::serialize(before));
}

BOOST_AUTO_TEST_CASE(the_same_patch_without_its_failing_operation_applies_in_full) {
    const json::value document = j(R"({"a": [1, 2], "b": {"c": "d"}})");
    const Result<json::value> result = apply_json_patch(document, j(R"([
        {"op": "add", "path": "/a/-", "value": 3},
        {"op": "replace", "path": "/b/c", "value": "e"},
        {"op": "remove", "path": "/a/0"},
        {"op": "move", "from": "/b", "path": "/z"},
        {"op": "test", "path": "/a", "value": [2, 3]}])"));
    BOOST_TEST_REQUIRE(result.ok());
    BOOST_TEST(result.value() == j(R"({"a": [2, 3], "z": {"c": "e"}})"));
    BOOST_TEST(document == j(R"({"a": [1, 2], "b": {"c": "d"}})"));  // the input is a copy's source, untouched
}

BOOST_AUTO_TEST_SUITE_END()
