// retry_after.cpp: Retry-After and retry-after-ms parsing, without locale or
// time-zone dependent C library calls, so that it behaves the same everywhere.
#include "retry_after.hpp"

#include <array>
#include <cmath>
#include <cstdlib>
#include <string>

namespace agenthost::llm {
namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
        if (lower(a[i]) != lower(b[i])) return false;
    }
    return true;
}

// A non-negative decimal ("12", "0.25"); nullopt for anything else, signs and exponents included.
std::optional<double> decimal(std::string_view s) {
    s = trim(s);
    if (s.empty()) return std::nullopt;
    bool dot = false;
    bool digit = false;
    for (char c : s) {
        if (c == '.' && !dot) {
            dot = true;
        } else if (c >= '0' && c <= '9') {
            digit = true;
        } else {
            return std::nullopt;
        }
    }
    if (!digit) return std::nullopt;
    return std::strtod(std::string(s).c_str(), nullptr);
}

Milliseconds clamp_ms(double ms) {
    if (!(ms > 0)) return Milliseconds(0);
    if (ms >= static_cast<double>(max_retry_after.count())) return max_retry_after;
    return Milliseconds(static_cast<long long>(std::ceil(ms)));
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
long long days_from_civil(long long y, unsigned m, unsigned d) {
    y -= m <= 2;
    const long long era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<long long>(doe) - 719468;
}

std::optional<unsigned> number(std::string_view s, std::size_t digits) {
    if (s.size() != digits) return std::nullopt;
    unsigned n = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return std::nullopt;
        n = n * 10 + static_cast<unsigned>(c - '0');
    }
    return n;
}

// IMF-fixdate, the one form senders must use: "Sun, 06 Nov 1994 08:49:37 GMT".
std::optional<std::chrono::system_clock::time_point> http_date(std::string_view s) {
    s = trim(s);
    if (s.size() != 29 || s[3] != ',' || s[4] != ' ' || s[7] != ' ' || s[11] != ' ' || s[16] != ' ' ||
        s[19] != ':' || s[22] != ':' || s.substr(25) != " GMT") {
        return std::nullopt;
    }
    static constexpr std::array<std::string_view, 12> months = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                                "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    unsigned month = 0;
    for (unsigned i = 0; i < months.size(); ++i) {
        if (s.substr(8, 3) == months[i]) month = i + 1;
    }
    const auto day = number(s.substr(5, 2), 2);
    const auto year = number(s.substr(12, 4), 4);
    const auto hour = number(s.substr(17, 2), 2);
    const auto minute = number(s.substr(20, 2), 2);
    const auto second = number(s.substr(23, 2), 2);
    if (month == 0 || !day || !year || !hour || !minute || !second || *day < 1 || *day > 31 || *hour > 23 ||
        *minute > 59 || *second > 60) {
        return std::nullopt;
    }
    const long long seconds = days_from_civil(*year, month, *day) * 86400LL + *hour * 3600LL + *minute * 60LL + *second;
    return std::chrono::system_clock::time_point(std::chrono::seconds(seconds));
}

}  // namespace

std::optional<Milliseconds> parse_retry_after(std::string_view value, std::chrono::system_clock::time_point now) {
    if (const auto seconds = decimal(value)) return clamp_ms(*seconds * 1000.0);
    if (const auto when = http_date(value)) {
        const auto wait = std::chrono::duration_cast<std::chrono::duration<double, std::milli>>(*when - now);
        return clamp_ms(wait.count());
    }
    return std::nullopt;
}

std::optional<Milliseconds> parse_retry_after_ms(std::string_view value) {
    if (const auto ms = decimal(value)) return clamp_ms(*ms);
    return std::nullopt;
}

std::optional<Milliseconds> retry_after_from(const Headers& headers, std::chrono::system_clock::time_point now) {
    std::optional<Milliseconds> seconds_form;
    for (const auto& [name, value] : headers) {
        if (iequals(name, "retry-after-ms")) {
            if (auto ms = parse_retry_after_ms(value)) return ms;
        } else if (iequals(name, "retry-after") && !seconds_form) {
            seconds_form = parse_retry_after(value, now);
        }
    }
    return seconds_form;
}

}  // namespace agenthost::llm
