// url_pattern.cpp: '*' globs for network permissions, matched without recursion or regex.
#include <agenthost/registry/url_pattern.hpp>

namespace agenthost {

bool glob_matches(std::string_view pattern, std::string_view text) noexcept {
    // Greedy scan with one backtrack point: only the last '*' ever needs to absorb more,
    // because any earlier '*' could have absorbed the same characters. O(|p|*|t|) worst case.
    constexpr auto none = std::string_view::npos;
    std::size_t p = 0, t = 0, star = none, star_t = 0;
    while (t < text.size()) {
        if (p < pattern.size() && pattern[p] == '*') {
            star = p++;
            star_t = t;
        } else if (p < pattern.size() && pattern[p] == text[t]) {
            ++p, ++t;
        } else if (star != none) {
            p = star + 1;
            t = ++star_t;
        } else {
            return false;
        }
    }
    while (p < pattern.size() && pattern[p] == '*') ++p;
    return p == pattern.size();
}

}  // namespace agenthost
