// retry_after.hpp: how long a provider asks a client to wait before trying
// again, from Retry-After (delay-seconds or an HTTP-date, RFC 9110 10.2.3) and
// OpenAI-style retry-after-ms, which is more precise and so wins.
#pragma once

#include "provider.hpp"

#include <chrono>
#include <optional>
#include <string_view>

namespace agenthost::llm {

using Milliseconds = std::chrono::milliseconds;

//! Waits beyond a day are read as a day: nothing here waits that long, and it keeps arithmetic in range.
inline constexpr Milliseconds max_retry_after{24LL * 60 * 60 * 1000};

//! A Retry-After value: "120", "1.5", or "Wed, 21 Oct 2015 07:28:00 GMT"
//! (a date in the past is no wait). nullopt when it is neither.
std::optional<Milliseconds> parse_retry_after(std::string_view value, std::chrono::system_clock::time_point now);

//! A retry-after-ms value: a non-negative decimal number of milliseconds.
std::optional<Milliseconds> parse_retry_after_ms(std::string_view value);

//! From response headers (names compared without regard to case):
//! retry-after-ms when it parses, else Retry-After, else nullopt.
std::optional<Milliseconds> retry_after_from(const Headers& headers, std::chrono::system_clock::time_point now);

}  // namespace agenthost::llm
