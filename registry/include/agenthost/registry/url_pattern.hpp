// url_pattern.hpp: the glob patterns that permissions use for URLs and other names.
#pragma once

#include <string_view>

namespace agenthost {

//! True when `text` matches `pattern`, where `*` matches any run of characters
//! (including none) and every other character matches itself. Used for network
//! permissions ("https://api.example.com/v1/*") and for checking that a grant
//! is covered by a request: a grant is covered when the request pattern matches
//! the grant's own text, its `*` read literally.
bool glob_matches(std::string_view pattern, std::string_view text) noexcept;

}  // namespace agenthost
