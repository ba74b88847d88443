// abi_items_test.cpp: sdk/ABI.md, the written list of ABI items, held to the real headers.
//
// ABI.md lists every item of sdk.h with the version that added it, its LP64
// offset and size, and its value (a field's type, a macro's expansion). This
// suite compiles its own list of the items straight from sdk.h and from the
// frozen 1.0 header, and fails when ABI.md, sdk.h and the frozen header
// disagree in any way, so that an accidental ABI change fails CI.
//
// Adding an item to sdk.h: add its row to ABI.md and its line to one of the
// AGENTHOST_ABI_* lists below. The suite tells you when you forgot either.
#include "frozen_v1_0.hpp"  // first: see the file

#include <agenthost/sdk.h>

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <fstream>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace {

namespace v1_0 = agenthost::abi_v1_0;

// ------------------------------------------------- what the headers declare

//! One ABI item as a header declares it, in ABI.md's terms ("-" where a column does not apply).
struct Facts {
    std::string kind;
    std::string offset = "-";
    std::string size = "-";
    std::string value = "-";
};

//! One item as sdk.h declares it, and as the frozen 1.0 header does (nullopt: 1.0 lacked it).
struct HeaderItem {
    Facts now;
    std::optional<Facts> in_v1_0;
};

using HeaderItems = std::map<std::string, HeaderItem>;

std::string text_of(std::size_t number) { return std::to_string(number); }

template <class T>
constexpr bool is_function_pointer = std::is_pointer_v<T> && std::is_function_v<std::remove_pointer_t<T>>;

template <class T>
std::string field_kind() {
    return is_function_pointer<T> ? "function" : "field";
}

template <class T>
constexpr bool is_complete = requires { sizeof(T); };

//! A macro's expansion as written, from the frozen header's recorded list.
std::optional<Facts> frozen_macro(std::string_view name, const std::string& kind) {
    for (const v1_0::FrozenMacro& macro : v1_0::macros) {
        if (macro.name == name) return Facts{kind, "-", "-", std::string(macro.expansion)};
    }
    return std::nullopt;
}

#define AGENTHOST_ABI_TEXT(...) #__VA_ARGS__
#define AGENTHOST_ABI_EXPANDED_TEXT(...) AGENTHOST_ABI_TEXT(__VA_ARGS__)

// X(kind, NAME): every macro of sdk.h.
#define AGENTHOST_ABI_MACROS(X)                  \
    X("macro", AH_ABI_MAJOR)                     \
    X("macro", AH_ABI_MINOR)                     \
    X("macro", AH_ENTRY_SYMBOL)                  \
    X("macro", AH_EXPORT)                        \
    X("status", AH_OK)                           \
    X("status", AH_PENDING)                      \
    X("status", AH_ERR_FAILED)                   \
    X("status", AH_ERR_INVALID_ARGUMENT)         \
    X("status", AH_ERR_CANCELLED)                \
    X("status", AH_ERR_TIMEOUT)                  \
    X("status", AH_ERR_PERMISSION_DENIED)        \
    X("status", AH_ERR_UNAVAILABLE)              \
    X("status", AH_ERR_INTERNAL)                 \
    X("status", AH_ERR_UNSUPPORTED)              \
    X("log level", AH_LOG_TRACE)                 \
    X("log level", AH_LOG_DEBUG)                 \
    X("log level", AH_LOG_INFO)                  \
    X("log level", AH_LOG_WARNING)               \
    X("log level", AH_LOG_ERROR)                 \
    X("flag", AH_PLUGIN_CONCURRENT_INVOKE)       \
    X("flag", AH_HTTP_CACHEABLE)                 \
    X("flag", AH_HTTP_REFRESH)                   \
    X("flag", AH_HTTP_HTTP2_CLEARTEXT)           \
    X("extension id", AH_EXT_LOG_V1)             \
    X("extension id", AH_EXT_USAGE_V1)           \
    X("extension id", AH_EXT_CONTEXT_V1)         \
    X("extension id", AH_EXT_HTTP_V1)            \
    X("extension id", AH_EXT_SECRETS_V1)

// X(STRUCT, IN_1_0): every struct; IN_1_0 is yes or no (a struct added later
// has no counterpart in the frozen header to name).
#define AGENTHOST_ABI_STRUCTS(X) \
    X(ah_error, yes)             \
    X(ah_host, yes)              \
    X(ah_invoke_args, yes)       \
    X(ah_plugin_entry, yes)      \
    X(ah_log_v1, yes)            \
    X(ah_usage_v1, no)           \
    X(ah_context_v1, no)         \
    X(ah_http_header, no)        \
    X(ah_http_request, no)       \
    X(ah_http_response, no)      \
    X(ah_http_v1, no)            \
    X(ah_secrets_v1, no)

// X(STRUCT, MEMBER, C TYPE...): every field and function pointer. Whether the
// frozen header has the member is found out, not written down.
#define AGENTHOST_ABI_FIELDS(X)                                                                          \
    X(ah_error, message, char*)                                                                          \
    X(ah_error, capacity, size_t)                                                                        \
    X(ah_host, struct_size, uint32_t)                                                                    \
    X(ah_host, abi_major, uint32_t)                                                                      \
    X(ah_host, abi_minor, uint32_t)                                                                      \
    X(ah_host, reserved, uint32_t)                                                                       \
    X(ah_host, get_extension, const void* (*)(const ah_host*, const char*))                              \
    X(ah_host, complete, void (*)(ah_call*, ah_status, const char*, size_t, const char*))                \
    X(ah_host, is_cancelled, int32_t (*)(const ah_call*))                                                \
    X(ah_host, retry_after, void (*)(ah_call*, uint64_t))                                                \
    X(ah_invoke_args, struct_size, uint32_t)                                                             \
    X(ah_invoke_args, attempt, uint32_t)                                                                 \
    X(ah_invoke_args, input_json, const char*)                                                           \
    X(ah_invoke_args, input_size, size_t)                                                                \
    X(ah_invoke_args, run_id, const char*)                                                               \
    X(ah_invoke_args, step, const char*)                                                                 \
    X(ah_invoke_args, idempotency_key, const char*)                                                      \
    X(ah_plugin_entry, struct_size, uint32_t)                                                            \
    X(ah_plugin_entry, abi_major, uint32_t)                                                              \
    X(ah_plugin_entry, abi_minor, uint32_t)                                                              \
    X(ah_plugin_entry, reserved, uint32_t)                                                               \
    X(ah_plugin_entry, manifest_json, const char*)                                                       \
    X(ah_plugin_entry, create, ah_status (*)(const ah_host*, const char*, size_t, void**, ah_error*))    \
    X(ah_plugin_entry, invoke, ah_status (*)(void*, ah_call*, const ah_invoke_args*))                    \
    X(ah_plugin_entry, cancel, void (*)(void*, ah_call*))                                                \
    X(ah_plugin_entry, destroy, void (*)(void*))                                                         \
    X(ah_plugin_entry, flags, uint64_t)                                                                  \
    X(ah_log_v1, struct_size, uint32_t)                                                                  \
    X(ah_log_v1, reserved, uint32_t)                                                                     \
    X(ah_log_v1, write, void (*)(const ah_host*, const ah_call*, int32_t, const char*, size_t))

// The same for the fields of structs that the frozen 1.0 header does not have.
#define AGENTHOST_ABI_FIELDS_OF_LATER_STRUCTS(X)                                                         \
    X(ah_usage_v1, struct_size, uint32_t)                                                                \
    X(ah_usage_v1, reserved, uint32_t)                                                                   \
    X(ah_usage_v1, report, void (*)(const ah_host*, const ah_call*, const char*, uint64_t, uint64_t, uint64_t)) \
    X(ah_context_v1, struct_size, uint32_t)                                                              \
    X(ah_context_v1, reserved, uint32_t)                                                                 \
    X(ah_context_v1, read, ah_status (*)(const ah_host*, const ah_call*, const char*, ah_json_sink, void*)) \
    X(ah_context_v1, write, ah_status (*)(const ah_host*, const ah_call*, const char*, const char*, size_t)) \
    X(ah_http_header, name, const char*)                                                                 \
    X(ah_http_header, value, const char*)                                                                \
    X(ah_http_request, struct_size, uint32_t)                                                            \
    X(ah_http_request, flags, uint32_t)                                                                  \
    X(ah_http_request, method, const char*)                                                              \
    X(ah_http_request, url, const char*)                                                                 \
    X(ah_http_request, headers, const ah_http_header*)                                                   \
    X(ah_http_request, header_count, size_t)                                                             \
    X(ah_http_request, body, const char*)                                                                \
    X(ah_http_request, body_size, size_t)                                                                \
    X(ah_http_request, timeout_ms, uint32_t)                                                             \
    X(ah_http_request, reserved, uint32_t)                                                               \
    X(ah_http_response, struct_size, uint32_t)                                                           \
    X(ah_http_response, status, ah_status)                                                               \
    X(ah_http_response, http_status, int32_t)                                                            \
    X(ah_http_response, from_cache, uint32_t)                                                            \
    X(ah_http_response, headers, const ah_http_header*)                                                  \
    X(ah_http_response, header_count, size_t)                                                            \
    X(ah_http_response, body, const char*)                                                               \
    X(ah_http_response, body_size, size_t)                                                               \
    X(ah_http_response, error, const char*)                                                              \
    X(ah_http_v1, struct_size, uint32_t)                                                                 \
    X(ah_http_v1, reserved, uint32_t)                                                                    \
    X(ah_http_v1, send, ah_status (*)(const ah_host*, const ah_call*, const ah_http_request*, ah_http_callback, void*, uint64_t*)) \
    X(ah_http_v1, cancel, void (*)(const ah_host*, uint64_t))                                           \
    X(ah_secrets_v1, struct_size, uint32_t)                                                              \
    X(ah_secrets_v1, reserved, uint32_t)                                                                 \
    X(ah_secrets_v1, read, ah_status (*)(const ah_host*, const char*, ah_bytes_sink, void*))

// X(TYPE, IN_1_0, C TYPE...): every typedef that is not a struct.
#define AGENTHOST_ABI_TYPES(X)                                       \
    X(ah_status, yes, int32_t)                                       \
    X(ah_plugin_entry_fn, yes, const ah_plugin_entry* (*)(void))    \
    X(ah_json_sink, no, void (*)(void*, const char*, size_t))       \
    X(ah_http_callback, no, void (*)(void*, const ah_http_response*)) \
    X(ah_bytes_sink, no, void (*)(void*, const char*, size_t))

// The written types are the real ones: in sdk.h...
#define AGENTHOST_ABI_CHECK_FIELD_TYPE(S, m, ...) \
    static_assert(std::is_same_v<decltype(S::m), __VA_ARGS__>, #S "." #m " is not of the type the test lists");
#define AGENTHOST_ABI_CHECK_TYPE(T, in_1_0, ...) \
    static_assert(std::is_same_v<T, __VA_ARGS__>, #T " is not the type the test lists");
AGENTHOST_ABI_FIELDS(AGENTHOST_ABI_CHECK_FIELD_TYPE)
AGENTHOST_ABI_FIELDS_OF_LATER_STRUCTS(AGENTHOST_ABI_CHECK_FIELD_TYPE)
AGENTHOST_ABI_TYPES(AGENTHOST_ABI_CHECK_TYPE)
static_assert(!is_complete<ah_call>, "ah_call must stay opaque");

}  // namespace

// ...and in the frozen 1.0 header, where the same words name the 1.0 types.
namespace agenthost::abi_v1_0 {
#define AGENTHOST_ABI_CHECK_FROZEN_FIELD_TYPE(S, m, ...)                                          \
    static_assert([]<class F = S>() {                                                               \
        if constexpr (requires(F& f) { f.m; }) {                                                     \
            return std::is_same_v<decltype(F::m), __VA_ARGS__>;                                       \
        } else {                                                                                     \
            return true;                                                                             \
        }                                                                                            \
    }(), #S "." #m " has a different type in the frozen 1.0 header");
#define AGENTHOST_ABI_CHECK_FROZEN_TYPE(T, in_1_0, ...) AGENTHOST_ABI_CHECK_FROZEN_TYPE_##in_1_0(T, __VA_ARGS__)
#define AGENTHOST_ABI_CHECK_FROZEN_TYPE_yes(T, ...) \
    static_assert(std::is_same_v<T, __VA_ARGS__>, #T " has a different type in the frozen 1.0 header");
#define AGENTHOST_ABI_CHECK_FROZEN_TYPE_no(T, ...)
AGENTHOST_ABI_FIELDS(AGENTHOST_ABI_CHECK_FROZEN_FIELD_TYPE)
AGENTHOST_ABI_TYPES(AGENTHOST_ABI_CHECK_FROZEN_TYPE)
static_assert(!::is_complete<ah_call>, "ah_call was opaque in 1.0");
}  // namespace agenthost::abi_v1_0

namespace {

void add(HeaderItems& items, std::string name, Facts now, std::optional<Facts> in_v1_0) {
    items.emplace(std::move(name), HeaderItem{std::move(now), std::move(in_v1_0)});
}

template <class S>
Facts struct_facts() {
    return Facts{"struct", "-", text_of(sizeof(S)), "align " + text_of(alignof(S))};
}

//! Every item of sdk.h, each with its 1.0 counterpart, from the lists above.
HeaderItems header_items() {
    HeaderItems items;

#define AGENTHOST_ABI_COLLECT_MACRO(kind, NAME) \
    add(items, #NAME, Facts{kind, "-", "-", AGENTHOST_ABI_EXPANDED_TEXT(NAME)}, frozen_macro(#NAME, kind));
    AGENTHOST_ABI_MACROS(AGENTHOST_ABI_COLLECT_MACRO)

#define AGENTHOST_ABI_FROZEN_STRUCT_yes(S) std::optional<Facts>(struct_facts<v1_0::S>())
#define AGENTHOST_ABI_FROZEN_STRUCT_no(S) std::optional<Facts>()
#define AGENTHOST_ABI_COLLECT_STRUCT(S, in_1_0) add(items, #S, struct_facts<S>(), AGENTHOST_ABI_FROZEN_STRUCT_##in_1_0(S));
    AGENTHOST_ABI_STRUCTS(AGENTHOST_ABI_COLLECT_STRUCT)

#define AGENTHOST_ABI_COLLECT_FIELD(S, m, ...)                                                                \
    add(items, #S "." #m,                                                                                       \
        Facts{field_kind<decltype(S::m)>(), text_of(offsetof(S, m)), text_of(sizeof(S::m)), #__VA_ARGS__},      \
        []<class F = v1_0::S>() -> std::optional<Facts> {                                                       \
            if constexpr (requires(F& f) { f.m; }) {                                                            \
                return Facts{field_kind<decltype(F::m)>(), text_of(offsetof(F, m)), text_of(sizeof(F::m)),      \
                             #__VA_ARGS__};                                                                     \
            } else {                                                                                            \
                return std::nullopt;                                                                            \
            }                                                                                                   \
        }());
    AGENTHOST_ABI_FIELDS(AGENTHOST_ABI_COLLECT_FIELD)
#define AGENTHOST_ABI_COLLECT_LATER_FIELD(S, m, ...)                                                       \
    add(items, #S "." #m,                                                                                  \
        Facts{field_kind<decltype(S::m)>(), text_of(offsetof(S, m)), text_of(sizeof(S::m)), #__VA_ARGS__}, \
        std::nullopt);
    AGENTHOST_ABI_FIELDS_OF_LATER_STRUCTS(AGENTHOST_ABI_COLLECT_LATER_FIELD)

#define AGENTHOST_ABI_FROZEN_TYPE_yes(T, ...) std::optional<Facts>(Facts{"type", "-", text_of(sizeof(v1_0::T)), #__VA_ARGS__})
#define AGENTHOST_ABI_FROZEN_TYPE_no(T, ...) std::optional<Facts>()
#define AGENTHOST_ABI_COLLECT_TYPE(T, in_1_0, ...) \
    add(items, #T, Facts{"type", "-", text_of(sizeof(T)), #__VA_ARGS__}, AGENTHOST_ABI_FROZEN_TYPE_##in_1_0(T, __VA_ARGS__));
    AGENTHOST_ABI_TYPES(AGENTHOST_ABI_COLLECT_TYPE)

    // Opaque: no size, no value to compare; only its existence is ABI.
    add(items, "ah_call", Facts{"type", "-", "-", "opaque"}, Facts{"type", "-", "-", "opaque"});

    // The exported symbol is named by AH_ENTRY_SYMBOL and has the type ah_plugin_entry_fn.
    const std::string symbol = std::string(AH_ENTRY_SYMBOL);
    const std::optional<Facts> frozen_symbol_macro = frozen_macro("AH_ENTRY_SYMBOL", "macro");
    std::optional<Facts> frozen_symbol;
    if (frozen_symbol_macro && frozen_symbol_macro->value == "\"" + symbol + "\"") {
        frozen_symbol = Facts{"symbol", "-", "-", "ah_plugin_entry_fn"};
    }
    add(items, symbol, Facts{"symbol", "-", "-", "ah_plugin_entry_fn"}, frozen_symbol);
    return items;
}

// ------------------------------------------------------- what ABI.md says

//! One table row of ABI.md, backticks removed.
struct Row {
    int line = 0;
    std::string item, kind, since, offset, size, value;
};

std::string trim(std::string_view text) {
    const auto first = text.find_first_not_of(" \t");
    if (first == std::string_view::npos) return {};
    const auto last = text.find_last_not_of(" \t");
    return std::string(text.substr(first, last - first + 1));
}

std::string without_backticks(std::string text) {
    text.erase(std::remove(text.begin(), text.end(), '`'), text.end());
    return text;
}

//! Compared without whitespace: "char *" and "char*" are the same type.
std::string squeezed(std::string_view text) {
    std::string out;
    for (char c : text) {
        if (!std::isspace(static_cast<unsigned char>(c))) out.push_back(c);
    }
    return out;
}

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    BOOST_TEST_REQUIRE(in.good(), "cannot read " << path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

//! Every item row of every table in ABI.md; a malformed row fails the test.
std::vector<Row> read_abi_md() {
    const std::string path = AGENTHOST_SOURCE_DIR "/sdk/ABI.md";
    std::istringstream in(read_file(path));
    std::vector<Row> rows;
    std::string line;
    for (int number = 1; std::getline(in, line); ++number) {
        if (line.empty() || line.front() != '|') continue;
        std::vector<std::string> cells;
        std::size_t start = 1;
        for (std::size_t bar = line.find('|', start); bar != std::string::npos; bar = line.find('|', start)) {
            cells.push_back(without_backticks(trim(std::string_view(line).substr(start, bar - start))));
            start = bar + 1;
        }
        if (!cells.empty() && (cells[0] == "Item" || cells[0].rfind("---", 0) == 0)) continue;
        BOOST_TEST_REQUIRE(cells.size() == 6u, path << ":" << number << ": expected 6 columns, found "
                                                    << cells.size() << ": " << line);
        rows.push_back(Row{number, cells[0], cells[1], cells[2], cells[3], cells[4], cells[5]});
    }
    BOOST_TEST_REQUIRE(!rows.empty(), path << " has no item rows");
    return rows;
}

using Version = std::pair<unsigned, unsigned>;

std::optional<Version> parse_version(const std::string& text) {
    static const std::regex pattern(R"(^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$)");
    std::smatch match;
    if (!std::regex_match(text, match, pattern)) return std::nullopt;
    return Version{static_cast<unsigned>(std::stoul(match[1])), static_cast<unsigned>(std::stoul(match[2]))};
}

std::string version_text(Version v) { return std::to_string(v.first) + "." + std::to_string(v.second); }

//! Every row's version, parsed; a bad Since cell fails the test.
std::map<std::string, Version> versions_by_item(const std::vector<Row>& rows) {
    std::map<std::string, Version> versions;
    for (const Row& row : rows) {
        const auto version = parse_version(row.since);
        BOOST_TEST_REQUIRE(version.has_value(), "ABI.md:" << row.line << ": Since \"" << row.since
                                                          << "\" is not MAJOR.MINOR");
        versions[row.item] = *version;
    }
    return versions;
}

//! The names a header's text uses: `ah_*` identifiers and `#define AH_*` macros.
std::set<std::string> names_in_header(const std::string& text) {
    std::set<std::string> names;
    static const std::regex identifier(R"(\bah_[a-z0-9_]+\b)");
    for (auto it = std::sregex_iterator(text.begin(), text.end(), identifier); it != std::sregex_iterator(); ++it) {
        names.insert(it->str());
    }
    static const std::regex macro(R"(#define\s+(AH_[A-Z0-9_]+))");
    for (auto it = std::sregex_iterator(text.begin(), text.end(), macro); it != std::sregex_iterator(); ++it) {
        names.insert((*it)[1].str());
    }
    return names;
}

const Row* find_row(const std::vector<Row>& rows, const std::string& item) {
    auto found = std::find_if(rows.begin(), rows.end(), [&](const Row& r) { return r.item == item; });
    return found == rows.end() ? nullptr : &*found;
}

//! True for items whose value legitimately differs between versions.
bool changes_with_each_version(const Row& row) { return row.kind == "struct" || row.item == "AH_ABI_MINOR"; }

std::size_t round_up(std::size_t size, std::size_t alignment) {
    return alignment == 0 ? size : (size + alignment - 1) / alignment * alignment;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(abi_items)

BOOST_AUTO_TEST_CASE(every_row_matches_sdk_h) {
    const std::vector<Row> rows = read_abi_md();
    const HeaderItems items = header_items();
    std::set<std::string> seen;
    for (const Row& row : rows) {
        BOOST_TEST_CONTEXT("ABI.md:" << row.line << " " << row.item) {
            BOOST_TEST(seen.insert(row.item).second, "listed twice");
            auto found = items.find(row.item);
            if (found == items.end()) {
                BOOST_ERROR("not an item of sdk.h (or missing from the lists in abi_items_test.cpp)");
                continue;
            }
            const Facts& now = found->second.now;
            BOOST_TEST(row.kind == now.kind);
            BOOST_TEST(row.offset == now.offset);
            BOOST_TEST(row.size == now.size);
            BOOST_TEST(squeezed(row.value) == squeezed(now.value));
        }
    }
}

BOOST_AUTO_TEST_CASE(every_item_of_sdk_h_has_a_row) {
    const std::vector<Row> rows = read_abi_md();
    for (const auto& [name, item] : header_items()) {
        BOOST_TEST(find_row(rows, name) != nullptr, name << " is in sdk.h but has no row in ABI.md");
    }
    // The lists above are written by hand; the header's own text is the backstop.
    const std::string header = read_file(AGENTHOST_SOURCE_DIR "/sdk/include/agenthost/sdk.h");
    for (const std::string& name : names_in_header(header)) {
        BOOST_TEST(find_row(rows, name) != nullptr, "sdk.h uses " << name << ", which ABI.md does not list");
    }
}

BOOST_AUTO_TEST_CASE(frozen_macro_list_is_complete) {
    // frozen_v1_0.hpp records the 1.0 macros by hand; the frozen header's text must agree.
    const std::string frozen = read_file(AGENTHOST_SOURCE_DIR "/tests/abi/sdk_v1_0.h");
    static const std::regex macro(R"(#define\s+(AH_[A-Z0-9_]+))");
    std::set<std::string> defined;
    for (auto it = std::sregex_iterator(frozen.begin(), frozen.end(), macro); it != std::sregex_iterator(); ++it) {
        defined.insert((*it)[1].str());
    }
    std::set<std::string> recorded;
    for (const v1_0::FrozenMacro& m : v1_0::macros) recorded.insert(std::string(m.name));
    BOOST_TEST(defined == recorded, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(items_of_1_0_are_unchanged_in_the_frozen_header) {
    const std::vector<Row> rows = read_abi_md();
    const auto versions = versions_by_item(rows);
    const HeaderItems items = header_items();
    const Version first{AH_ABI_MAJOR, 0u};
    for (const Row& row : rows) {
        auto found = items.find(row.item);
        if (found == items.end()) continue;  // reported by every_row_matches_sdk_h
        const std::optional<Facts>& frozen = found->second.in_v1_0;
        BOOST_TEST_CONTEXT("ABI.md:" << row.line << " " << row.item << " (since " << row.since << ")") {
            if (versions.at(row.item) != first) {
                BOOST_TEST(!frozen.has_value(), "the frozen 1.0 header already has it, so Since must be 1.0");
                continue;
            }
            if (!frozen) {
                BOOST_ERROR("Since says 1.0, but the frozen 1.0 header does not have it");
                continue;
            }
            BOOST_TEST(frozen->kind == row.kind);
            if (changes_with_each_version(row)) continue;
            BOOST_TEST(frozen->offset == row.offset, "moved since 1.0");
            BOOST_TEST(frozen->size == row.size, "resized since 1.0");
            BOOST_TEST(squeezed(frozen->value) == squeezed(row.value), "changed since 1.0");
        }
    }
    BOOST_TEST(v1_0::abi_major == AH_ABI_MAJOR);
    BOOST_TEST(v1_0::abi_minor == 0u);
}

BOOST_AUTO_TEST_CASE(structs_only_grow_at_the_end) {
    const std::vector<Row> rows = read_abi_md();
    const auto versions = versions_by_item(rows);
    const HeaderItems items = header_items();
    std::set<Version> all_versions;
    for (const auto& [item, version] : versions) all_versions.insert(version);

    for (const Row& s : rows) {
        if (s.kind != "struct") continue;
        BOOST_TEST_CONTEXT("struct " << s.item) {
            std::vector<const Row*> fields;
            for (const Row& r : rows) {
                if (r.item.rfind(s.item + ".", 0) == 0) fields.push_back(&r);
            }
            BOOST_TEST_REQUIRE(!fields.empty(), "ABI.md lists no fields");
            std::sort(fields.begin(), fields.end(),
                      [](const Row* a, const Row* b) { return std::stoul(a->offset) < std::stoul(b->offset); });
            const std::size_t alignment = std::stoul(s.value.substr(s.value.find(' ') + 1));

            std::size_t end = 0;
            Version newest_so_far = versions.at(s.item);
            for (const Row* f : fields) {
                const std::size_t offset = std::stoul(f->offset);
                BOOST_TEST(offset >= end, f->item << " overlaps the field before it");
                BOOST_TEST((versions.at(f->item) >= newest_so_far),
                           f->item << " (since " << f->since << ") sits after a field added in "
                                   << version_text(newest_so_far) << ": structs only grow at the end");
                newest_so_far = std::max(newest_so_far, versions.at(f->item));
                end = offset + std::stoul(f->size);
            }

            // Each version's fields make up that version's struct, padding aside.
            for (const Version& v : all_versions) {
                if (v < versions.at(s.item)) continue;
                std::size_t end_in_v = 0;
                for (const Row* f : fields) {
                    if (versions.at(f->item) <= v) end_in_v = std::stoul(f->offset) + std::stoul(f->size);
                }
                const std::size_t size_in_v = round_up(end_in_v, alignment);
                if (v == *all_versions.rbegin()) {
                    BOOST_TEST(size_in_v == std::stoul(s.size), "the fields do not make up the whole struct: "
                                                                "is a field missing from ABI.md?");
                }
                if (v == Version{AH_ABI_MAJOR, 0u}) {
                    const auto found = items.find(s.item);
                    if (found != items.end() && found->second.in_v1_0) {
                        BOOST_TEST(size_in_v == std::stoul(found->second.in_v1_0->size),
                                   "the 1.0 fields do not make up the frozen 1.0 struct");
                    }
                }
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(sdk_h_declares_the_newest_version_in_abi_md) {
    const std::vector<Row> rows = read_abi_md();
    Version newest{0u, 0u};
    for (const auto& [item, version] : versions_by_item(rows)) {
        BOOST_TEST(version.first == AH_ABI_MAJOR, item << " has a Since from another major version");
        newest = std::max(newest, version);
    }
    BOOST_TEST(version_text(newest) == version_text({AH_ABI_MAJOR, AH_ABI_MINOR}),
               "sdk.h says " << AH_ABI_MAJOR << "." << AH_ABI_MINOR << ", ABI.md's newest item is "
                             << version_text(newest) << ": bump AH_ABI_MINOR or fix ABI.md");
}

BOOST_AUTO_TEST_SUITE_END()
