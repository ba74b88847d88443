// source_map_test.cpp: every value of a relaxed JSON text is found at its line and column.
#include <agenthost/host/source_map.hpp>
#include <agenthost/registry/json_text.hpp>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <fstream>
#include <sstream>

using agenthost::SourceMap;
using agenthost::TextPosition;

namespace {

std::string where(TextPosition p) { return std::to_string(p.line) + ":" + std::to_string(p.column); }

// Every pointer of a parsed document, for comparing with what the scanner found.
void pointers_of(const boost::json::value& v, const std::string& at, std::vector<std::string>& out) {
    out.push_back(at);
    if (const auto* object = v.if_object())
        for (const auto& [key, child] : *object) pointers_of(child, at + '/' + agenthost::escape_pointer_token(key), out);
    if (const auto* array = v.if_array())
        for (std::size_t i = 0; i < array->size(); ++i) pointers_of((*array)[i], at + '/' + std::to_string(i), out);
}

constexpr std::string_view relaxed = R"(// a comment with "quotes" and { braces
{
  "name": "x", /* a block
  comment */ "list": [1, 2.5e3, -3,],
  "nested": {"a/b": true, "t~": null, "url": "http://x//y{"},
  "\u00e9\ud83d\ude00": "unicode key",
}
)";

}  // namespace

BOOST_AUTO_TEST_SUITE(source_map)

BOOST_AUTO_TEST_CASE(values_and_keys_are_found_in_relaxed_json) {
    const SourceMap map(relaxed);
    BOOST_TEST(map.error_offset() == SourceMap::npos);
    BOOST_TEST(where(map.at("")) == "2:1");
    BOOST_TEST(where(map.at("/name")) == "3:11");
    BOOST_TEST(where(map.key_at("/name")) == "3:3");
    BOOST_TEST(where(map.at("/list")) == "4:22");
    BOOST_TEST(where(map.key_at("/list")) == "4:14");
    BOOST_TEST(where(map.at("/list/1")) == "4:26");
    BOOST_TEST(where(map.key_at("/list/1")) == "4:26");  // an element has no key
    BOOST_TEST(where(map.at("/list/2")) == "4:33");
    BOOST_TEST(where(map.at("/nested/a~1b")) == "5:21");
    BOOST_TEST(where(map.at("/nested/t~0")) == "5:33");
    BOOST_TEST(where(map.at("/nested/url")) == "5:46");
    BOOST_TEST(map.find("/\xc3\xa9\xf0\x9f\x98\x80") != nullptr);
    BOOST_TEST(map.size() == 11u);
}

BOOST_AUTO_TEST_CASE(positions_agree_with_position_of) {
    const SourceMap map(relaxed);
    for (const char* pointer : {"", "/name", "/list/2", "/nested/url"}) {
        const SourceMap::Entry* entry = map.find(pointer);
        BOOST_TEST_REQUIRE(entry != nullptr, pointer);
        BOOST_TEST(where(map.at(pointer)) == where(agenthost::position_of(relaxed, entry->value)), pointer);
    }
    BOOST_TEST(where(map.position(relaxed.size())) == where(agenthost::position_of(relaxed, relaxed.size())));
}

BOOST_AUTO_TEST_CASE(a_missing_pointer_maps_to_its_nearest_existing_ancestor) {
    const SourceMap map(relaxed);
    BOOST_TEST(map.find("/nested/missing/deeper") == nullptr);
    BOOST_TEST(map.nearest("/nested/missing/deeper") == "/nested");
    BOOST_TEST(where(map.at("/nested/missing/deeper")) == where(map.at("/nested")));
    BOOST_TEST(where(map.key_at("/nested/missing")) == where(map.at("/nested")));
    BOOST_TEST(map.nearest("/list/7") == "/list");
    BOOST_TEST(map.nearest("/nowhere") == "");
    BOOST_TEST(map.nearest("not-a-pointer") == "");
}

BOOST_AUTO_TEST_CASE(it_finds_exactly_the_values_the_parser_finds) {
    std::ifstream in(std::string(AGENTHOST_SOURCE_DIR) + "/tests/fixtures/configs/good/full.json");
    std::stringstream text;
    text << in.rdbuf();
    const auto parsed = agenthost::parse_json(text.str(), "full.json", true);
    BOOST_TEST_REQUIRE(parsed.ok());
    std::vector<std::string> pointers;
    pointers_of(parsed.value(), "", pointers);
    const SourceMap map(text.str());
    BOOST_TEST(map.error_offset() == SourceMap::npos);
    BOOST_TEST(map.size() == pointers.size());
    for (const std::string& pointer : pointers) BOOST_TEST(map.find(pointer) != nullptr, pointer);
}

BOOST_AUTO_TEST_CASE(a_duplicate_key_is_noted_and_the_last_one_kept) {
    const std::string_view text = "{\"a\": {\"x\": 1},\n \"b\": 2,\n \"a\": [3]}";
    const SourceMap map(text);
    BOOST_TEST_REQUIRE(map.duplicate_keys().size() == 1u);
    BOOST_TEST(map.duplicate_keys()[0].pointer == "/a");
    BOOST_TEST(where(map.position(map.duplicate_keys()[0].key)) == "3:2");
    BOOST_TEST(where(map.at("/a")) == "3:7");
    BOOST_TEST(map.find("/a/x") == nullptr);  // the parser dropped the first value
    BOOST_TEST(map.find("/a/0") != nullptr);
}

BOOST_AUTO_TEST_CASE(invalid_text_is_mapped_up_to_the_error) {
    const std::string_view text = "{\"a\": 1,\n \"b\": [true, nope]}";
    const SourceMap map(text);
    BOOST_TEST(map.error_offset() == text.find("nope"));
    BOOST_TEST(map.find("/a") != nullptr);
    BOOST_TEST(map.find("/b/0") != nullptr);
    for (std::string_view bad : {"", "{", "{\"a\" 1}", "[1 2]", "\"open", "/* open", "{} {}", "\"\\x\"", "\"\\u12\""})
        BOOST_TEST(SourceMap(bad).error_offset() != SourceMap::npos, bad);
}

BOOST_AUTO_TEST_CASE(deep_nesting_stops_instead_of_exhausting_the_stack) {
    const std::string deep(100000, '[');
    BOOST_TEST(SourceMap(deep).error_offset() != SourceMap::npos);
}

BOOST_AUTO_TEST_CASE(pointer_tokens_are_escaped) {
    BOOST_TEST(agenthost::escape_pointer_token("a/b~c") == "a~1b~0c");
    BOOST_TEST(agenthost::escape_pointer_token("") == "");
}

BOOST_AUTO_TEST_SUITE_END()
