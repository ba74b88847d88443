// json_text.hpp: parsing JSON text with errors that point at a line and column.
#pragma once

#include <agenthost/registry/result.hpp>

#include <boost/json/value.hpp>

#include <cstddef>
#include <string_view>

namespace agenthost {

struct TextPosition {
    std::size_t line = 1;    //!< 1-based
    std::size_t column = 1;  //!< 1-based, in bytes
};

//! The line and column of byte `offset` in `text`.
TextPosition position_of(std::string_view text, std::size_t offset) noexcept;

//! Parses one JSON document. `relaxed` allows comments and trailing commas,
//! for files people edit. The Error's `where` is "<where>:<line>:<column>".
Result<boost::json::value> parse_json(std::string_view text, std::string_view where, bool relaxed = false);

}  // namespace agenthost
