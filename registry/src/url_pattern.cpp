// url_pattern.cpp: '*' globs for network permissions, matched part by part without recursion or regex.
#include <agenthost/registry/url_pattern.hpp>

#include <algorithm>
#include <optional>

namespace agenthost {
namespace {

constexpr auto npos = std::string_view::npos;

char lower(char c) noexcept { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool glob(std::string_view pattern, std::string_view text, bool ignore_case) noexcept {
    // Greedy scan with one backtrack point: only the last '*' ever needs to absorb more,
    // because any earlier '*' could have absorbed the same characters. O(|p|*|t|) worst case.
    const auto same = [&](char a, char b) { return ignore_case ? lower(a) == lower(b) : a == b; };
    std::size_t p = 0, t = 0, star = npos, star_t = 0;
    while (t < text.size()) {
        if (p < pattern.size() && pattern[p] == '*') {
            star = p++;
            star_t = t;
        } else if (p < pattern.size() && same(pattern[p], text[t])) {
            ++p, ++t;
        } else if (star != npos) {
            p = star + 1;
            t = ++star_t;
        } else {
            return false;
        }
    }
    while (p < pattern.size() && pattern[p] == '*') ++p;
    return p == pattern.size();
}

bool iequals(std::string_view a, std::string_view b) noexcept {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return lower(x) == lower(y); });
}

bool is_alnum(char c) noexcept { return (c >= '0' && c <= '9') || (lower(c) >= 'a' && lower(c) <= 'z'); }
bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

// Every character of `s` passes `ok`, or is '*' in a pattern; and `s` is not empty.
template <class Ok>
bool all_of(std::string_view s, bool pattern, Ok ok) noexcept {
    if (s.empty()) return false;
    for (char c : s)
        if (!ok(c) && !(pattern && c == '*')) return false;
    return true;
}

// "." or ".." (also percent-encoded): a server resolves it, so the path it reaches is not the one matched.
bool is_dot_segment(std::string_view segment) noexcept {
    std::size_t dots = 0;
    for (std::size_t i = 0; i < segment.size(); ++dots) {
        if (segment[i] == '.') {
            ++i;
        } else if (segment.size() - i >= 3 && segment[i] == '%' && segment[i + 1] == '2' && lower(segment[i + 2]) == 'e') {
            i += 3;
        } else {
            return false;
        }
    }
    return dots == 1 || dots == 2;
}

bool has_dot_segment(std::string_view path) noexcept {
    path = path.substr(0, path.find('?'));
    for (std::size_t start = 0; start <= path.size();) {
        const std::size_t slash = path.find('/', start);
        if (is_dot_segment(path.substr(start, slash == npos ? npos : slash - start))) return true;
        if (slash == npos) break;
        start = slash + 1;
    }
    return false;
}

// "%2F" and "%5C" in a path: servers that decode them before they normalise
// the path (nginx does) read a separator there, so "/v1/..%2Fadmin" would
// reach "/admin" past a "/v1/*" pattern.
bool has_encoded_separator(std::string_view path) noexcept {
    path = path.substr(0, path.find('?'));
    for (std::size_t i = path.find('%'); i != npos && path.size() - i >= 3; i = path.find('%', i + 1)) {
        const char high = path[i + 1];
        const char low = lower(path[i + 2]);
        if ((high == '2' && low == 'f') || (high == '5' && low == 'c')) return true;
    }
    return false;
}

struct Parts {
    std::string_view scheme, host, port;
    std::string_view path;  // without its leading '/', so that "https://a.test" and "https://a.test/" agree
};

// Splits scheme://host[:port][/path][?query]. A pattern may use '*' in any part
// and, without a path, allows any path ("*"). Userinfo ('@') is not a host
// character, so "https://good.test@evil.test/" is refused here.
std::optional<Parts> split(std::string_view text, bool pattern) noexcept {
    Parts parts;
    const std::size_t sep = text.find("://");
    if (sep == npos) return std::nullopt;
    parts.scheme = text.substr(0, sep);
    const auto scheme_char = [](char c) { return is_alnum(c) || c == '+' || c == '-' || c == '.'; };
    if (!all_of(parts.scheme, pattern, scheme_char)) return std::nullopt;
    text.remove_prefix(sep + 3);

    const std::size_t authority_end = text.find_first_of("/?#");
    const std::string_view authority = text.substr(0, authority_end);
    std::string_view rest = authority_end == npos ? std::string_view() : text.substr(authority_end);
    rest = rest.substr(0, rest.find('#'));  // a fragment is never sent
    if (!rest.empty() && rest.front() == '/') rest.remove_prefix(1);
    parts.path = authority_end == npos && pattern ? std::string_view("*") : rest;
    if (!pattern && (has_dot_segment(parts.path) || has_encoded_separator(parts.path))) return std::nullopt;

    std::size_t host_end = 0;
    if (!authority.empty() && authority.front() == '[') {  // an IPv6 literal holds ':' of its own
        host_end = authority.find(']');
        if (host_end == npos) return std::nullopt;
        const auto v6_char = [](char c) { return is_alnum(c) || c == ':' || c == '.'; };
        if (!all_of(authority.substr(1, host_end - 1), pattern, v6_char)) return std::nullopt;
        ++host_end;
    } else {
        host_end = std::min(authority.find(':'), authority.size());
        const auto host_char = [](char c) { return is_alnum(c) || c == '.' || c == '-' || c == '_'; };
        if (!all_of(authority.substr(0, host_end), pattern, host_char)) return std::nullopt;
    }
    parts.host = authority.substr(0, host_end);

    if (host_end < authority.size()) {
        if (authority[host_end] != ':') return std::nullopt;
        parts.port = authority.substr(host_end + 1);
        if (!all_of(parts.port, pattern, is_digit)) return std::nullopt;
    } else if (iequals(parts.scheme, "https") || iequals(parts.scheme, "wss")) {
        parts.port = "443";
    } else if (iequals(parts.scheme, "http") || iequals(parts.scheme, "ws")) {
        parts.port = "80";
    } else if (pattern) {
        parts.port = "*";  // no default port to assume, e.g. for "*://host/"
    }
    return parts;
}

bool parts_match(const Parts& pattern, const Parts& target) noexcept {
    return glob(pattern.scheme, target.scheme, true) && glob(pattern.host, target.host, true) &&
           glob(pattern.port, target.port, false) && glob(pattern.path, target.path, false);
}

}  // namespace

bool glob_matches(std::string_view pattern, std::string_view text) noexcept { return glob(pattern, text, false); }

bool url_pattern_matches(std::string_view pattern, std::string_view url) noexcept {
    const auto p = split(pattern, true);
    const auto u = split(url, false);
    return p && u && parts_match(*p, *u);
}

bool url_pattern_covers(std::string_view request, std::string_view grant) noexcept {
    const auto r = split(request, true);
    const auto g = split(grant, true);
    return r && g && parts_match(*r, *g);
}

bool is_url_pattern(std::string_view pattern) noexcept { return split(pattern, true).has_value(); }

}  // namespace agenthost
