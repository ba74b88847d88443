// pretty_json.hpp: indented JSON for people to read (Boost.JSON only serializes compactly).
#pragma once

#include <boost/json/value.hpp>

#include <string>

namespace agenthost::cli {

//! `value` with two-space indentation; every line after the first starts with `indent` spaces.
std::string pretty_json(const boost::json::value& value, std::size_t indent = 0);

}  // namespace agenthost::cli
