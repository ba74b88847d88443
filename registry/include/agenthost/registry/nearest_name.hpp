// nearest_name.hpp: "did you mean …?" suggestions for misspelt names.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace agenthost {

//! The candidate closest to `name` by edit distance, when it is close enough
//! to be a likely typo (at most a third of the name's length, and at least 1).
std::optional<std::string> nearest_name(std::string_view name, const std::vector<std::string>& candidates);

}  // namespace agenthost
