// config_wording.cpp: the words the config loader's messages share: values
// quoted and described, JSON pointers built and split, and "did you mean" hints.
#include "config_parts.hpp"

#include <agenthost/registry/nearest_name.hpp>

#include <boost/json.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <system_error>

namespace agenthost::config_parts {

std::string quote(std::string_view s) { return json::serialize(json::value(json::string(s))); }

std::string number_text(const json::value& v) {
    if (!v.is_double()) return json::serialize(v);
    std::array<char, 32> buffer{};
    const auto [end, ec] = std::to_chars(buffer.data(), buffer.data() + buffer.size(), v.get_double());
    return ec == std::errc() ? std::string(buffer.data(), end) : json::serialize(v);
}

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

std::string joined(const std::vector<std::string>& items, std::string_view separator) {
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

namespace {

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

}  // namespace

std::string did_you_mean(std::string_view name, const std::vector<std::string>& names) {
    const auto meant = suggestion(name, names);
    return meant ? "did you mean " + quote(*meant) + "?" : std::string();
}

std::string name_hint(std::string_view name, const std::vector<std::string>& names, std::string_view what) {
    if (auto near = suggestion(name, names)) return "did you mean " + quote(*near) + "?";
    if (names.empty()) return "no " + std::string(what) + " are defined";
    std::vector<std::string> shown;
    for (std::size_t i = 0; i < names.size() && i < 10; ++i) shown.push_back(quote(names[i]));
    return std::string(what) + ": " + joined(shown) + (names.size() > 10 ? ", ..." : "");
}

}  // namespace agenthost::config_parts
