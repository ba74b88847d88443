// url_pattern.hpp: the glob patterns that permissions use for URLs and other names.
#pragma once

#include <string_view>

namespace agenthost {

//! True when `text` matches `pattern`, where `*` matches any run of characters
//! (including none) and every other character matches itself.
bool glob_matches(std::string_view pattern, std::string_view text) noexcept;

//! Whether a network permission pattern such as "https://*.example.com/v1/*"
//! allows `url`. Both are split into scheme, host, port and path (with query),
//! and each part is matched on its own, so a `*` never reaches from one part
//! into another: "https://*.example.com/*" does not match
//! "https://evil.com/x.example.com/". Scheme and host ignore letter case, and
//! in the host `*` matches any run of host characters, dots included ("a" and
//! "a.b" for "*.example.com", never "example.com"). A missing port is the
//! scheme's default (http and ws 80, https and wss 443; in a pattern whose
//! scheme has none, any port). In the path `*` may span '/'; a
//! pattern without a path allows any path. A URL that is not plainly
//! scheme://host[:port][/path] never matches: userinfo ("user@"), an empty or
//! odd host, a non-numeric port, a "." or ".." path segment, or an encoded
//! '/' or '\\' ("%2F", "%5C") in the path (which a server would resolve to a
//! path the pattern did not name).
bool url_pattern_matches(std::string_view pattern, std::string_view url) noexcept;

//! Whether every URL that pattern `grant` allows is allowed by pattern
//! `request`: the same parts compared the same way, the grant read as text
//! (its `*` must be matched by a `*` of the request).
bool url_pattern_covers(std::string_view request, std::string_view grant) noexcept;

//! Whether `pattern` has the shape scheme://host[:port][/path] at all; one that
//! does not could never match anything.
bool is_url_pattern(std::string_view pattern) noexcept;

}  // namespace agenthost
