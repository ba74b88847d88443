// semver.cpp: parsing and ordering semantic versions, and matching them against config constraints.
#include <agenthost/registry/semver.hpp>

#include <algorithm>
#include <limits>
#include <tuple>
#include <vector>

namespace agenthost {
namespace {

bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

bool all_digits(std::string_view s) noexcept { return !s.empty() && std::all_of(s.begin(), s.end(), is_digit); }

bool is_ident_char(char c) noexcept {
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-';
}

// A numeric part: digits, no leading zero unless it is "0", and it fits in 64 bits.
std::optional<uint64_t> parse_number(std::string_view s) {
    if (!all_digits(s) || (s.size() > 1 && s[0] == '0')) return std::nullopt;
    uint64_t n = 0;
    for (char c : s) {
        const auto d = static_cast<uint64_t>(c - '0');
        if (n > (std::numeric_limits<uint64_t>::max() - d) / 10) return std::nullopt;
        n = n * 10 + d;
    }
    return n;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
    std::vector<std::string_view> parts;
    for (std::size_t start = 0;;) {
        const auto end = s.find(sep, start);
        parts.push_back(s.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
        if (end == std::string_view::npos) return parts;
        start = end + 1;
    }
}

// Dot-separated identifiers; prerelease numerics may not have leading zeros, build numerics may.
bool valid_identifiers(std::string_view s, bool prerelease) {
    for (auto id : split(s, '.')) {
        if (id.empty() || !std::all_of(id.begin(), id.end(), is_ident_char)) return false;
        if (prerelease && all_digits(id) && id.size() > 1 && id[0] == '0') return false;
    }
    return true;
}

std::strong_ordering compare_identifier(std::string_view a, std::string_view b) {
    const bool a_num = all_digits(a), b_num = all_digits(b);
    if (a_num && b_num) {
        // Without leading zeros, a longer number is larger; this also avoids overflow.
        if (a.size() != b.size()) return a.size() <=> b.size();
        return a.compare(b) <=> 0;
    }
    if (a_num != b_num) return a_num ? std::strong_ordering::less : std::strong_ordering::greater;
    return a.compare(b) <=> 0;
}

std::string_view trim(std::string_view s) {
    const auto first = s.find_first_not_of(" \t");
    if (first == std::string_view::npos) return {};
    return s.substr(first, s.find_last_not_of(" \t") - first + 1);
}

// "1", "1.2" or "1.2.3[-pre][+build]"; missing parts are 0.
std::optional<SemVer> parse_partial(std::string_view text) {
    const auto parts = split(text, '.');
    if (parts.size() == 1) {
        auto major = parse_number(parts[0]);
        if (!major) return std::nullopt;
        return SemVer{*major, 0, 0, {}};
    }
    if (parts.size() == 2) {
        auto major = parse_number(parts[0]), minor = parse_number(parts[1]);
        if (!major || !minor) return std::nullopt;
        return SemVer{*major, *minor, 0, {}};
    }
    return SemVer::parse(text);
}

}  // namespace

std::optional<SemVer> SemVer::parse(std::string_view text) {
    if (const auto plus = text.find('+'); plus != std::string_view::npos) {
        if (!valid_identifiers(text.substr(plus + 1), false)) return std::nullopt;
        text = text.substr(0, plus);
    }
    std::string_view pre;
    if (const auto dash = text.find('-'); dash != std::string_view::npos) {
        pre = text.substr(dash + 1);
        if (!valid_identifiers(pre, true)) return std::nullopt;
        text = text.substr(0, dash);
    }
    const auto parts = split(text, '.');
    if (parts.size() != 3) return std::nullopt;
    auto major = parse_number(parts[0]), minor = parse_number(parts[1]), patch = parse_number(parts[2]);
    if (!major || !minor || !patch) return std::nullopt;
    return SemVer{*major, *minor, *patch, std::string(pre)};
}

std::string SemVer::to_string() const {
    std::string s = std::to_string(major) + '.' + std::to_string(minor) + '.' + std::to_string(patch);
    if (!prerelease.empty()) s += '-' + prerelease;
    return s;
}

std::strong_ordering SemVer::operator<=>(const SemVer& other) const {
    if (auto c = std::tie(major, minor, patch) <=> std::tie(other.major, other.minor, other.patch); c != 0) return c;
    // A release outranks any of its prereleases.
    if (prerelease.empty() || other.prerelease.empty()) return prerelease.empty() <=> other.prerelease.empty();
    const auto a = split(prerelease, '.'), b = split(other.prerelease, '.');
    for (std::size_t i = 0; i < a.size() && i < b.size(); ++i)
        if (auto c = compare_identifier(a[i], b[i]); c != 0) return c;
    return a.size() <=> b.size();
}

Result<VersionConstraint> VersionConstraint::parse(std::string_view text) {
    const auto trimmed = trim(text);
    VersionConstraint c;
    if (trimmed.empty() || trimmed == "*") return c;
    c.text_ = std::string(trimmed);

    std::string_view rest = trimmed;
    bool partial_allowed = true;
    if (rest.starts_with(">=")) {
        c.op_ = Op::at_least, rest.remove_prefix(2);
    } else if (rest.starts_with('^')) {
        c.op_ = Op::caret, rest.remove_prefix(1);
    } else if (rest.starts_with('~')) {
        c.op_ = Op::tilde, rest.remove_prefix(1);
    } else {
        if (rest.starts_with('=')) rest.remove_prefix(1);
        c.op_ = Op::exact, partial_allowed = false;
    }
    auto base = partial_allowed ? parse_partial(rest) : SemVer::parse(rest);
    if (!base)
        return Error{{}, '"' + std::string(text) + "\" is not a version constraint: expected ^1.2, ~1.2.3, 1.2.3, >=1.2 or *", {}};
    c.base_ = std::move(*base);
    // "^1" and "~1" leave the minor open: any 1.x.
    c.major_only_ = rest.find('.') == std::string_view::npos;
    return c;
}

bool VersionConstraint::matches(const SemVer& v) const {
    // Prereleases are opt-in: only a constraint naming one of the same release admits them.
    if (!v.prerelease.empty() &&
        (base_.prerelease.empty() || std::tie(v.major, v.minor, v.patch) != std::tie(base_.major, base_.minor, base_.patch)))
        return false;
    switch (op_) {
    case Op::any: return true;
    case Op::exact: return v == base_;
    case Op::at_least: return v >= base_;
    case Op::tilde: return v >= base_ && v.major == base_.major && (major_only_ || v.minor == base_.minor);
    case Op::caret:
        if (v < base_ || v.major != base_.major) return false;
        if (major_only_) return true;
        if (base_.major > 0) return true;
        if (base_.minor > 0) return v.minor == base_.minor;
        return v.minor == 0 && v.patch == base_.patch;
    }
    return false;
}

Result<PluginRef> PluginRef::parse(std::string_view text) {
    const auto at = text.find('@');
    const auto name = text.substr(0, at);
    const bool valid_name = !name.empty() && (is_digit(name[0]) || (name[0] >= 'a' && name[0] <= 'z')) &&
                            std::all_of(name.begin(), name.end(), [](char ch) {
                                return is_digit(ch) || (ch >= 'a' && ch <= 'z') || ch == '.' || ch == '_' || ch == '-';
                            });
    if (!valid_name)
        return Error{{}, '"' + std::string(name) + "\" is not a plugin name: expected lowercase letters, digits, '.', '_' or '-', starting with a letter or digit", {}};
    if (at == std::string_view::npos) return PluginRef{std::string(name), {}};
    if (trim(text.substr(at + 1)).empty())
        return Error{{}, '"' + std::string(text) + "\" has no version constraint after '@': expected e.g. " + std::string(name) + "@^1.2, or just " + std::string(name) + " for any version", {}};
    auto constraint = VersionConstraint::parse(text.substr(at + 1));
    if (!constraint) return constraint.error();
    return PluginRef{std::string(name), std::move(constraint).value()};
}

}  // namespace agenthost
