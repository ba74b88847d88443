// pretty_json.hpp: JSON as the CLI shows it to people: indented (Boost.JSON
// only serializes compactly), and the strings it quotes from documents.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <string>
#include <string_view>

namespace agenthost::cli {

//! `value` with two-space indentation; every line after the first starts with `indent` spaces.
std::string pretty_json(const boost::json::value& value, std::size_t indent = 0);

//! The string at `key` of `object`; empty when there is no object, no such member, or it is not a string.
std::string string_at(const boost::json::object* object, std::string_view key);

}  // namespace agenthost::cli
