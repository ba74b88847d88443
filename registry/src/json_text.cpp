// json_text.cpp: Boost.JSON parsing that reports where the text went wrong.
#include <agenthost/registry/json_text.hpp>

#include <boost/json/parse_options.hpp>
#include <boost/json/stream_parser.hpp>

#include <string>

namespace agenthost {

TextPosition position_of(std::string_view text, std::size_t offset) noexcept {
    TextPosition pos;
    for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
        if (text[i] == '\n') {
            ++pos.line;
            pos.column = 1;
        } else {
            ++pos.column;
        }
    }
    return pos;
}

Result<boost::json::value> parse_json(std::string_view text, std::string_view where, bool relaxed) {
    boost::json::parse_options options;
    options.allow_comments = relaxed;
    options.allow_trailing_commas = relaxed;
    boost::json::stream_parser parser({}, options);
    boost::system::error_code ec;
    std::size_t consumed = parser.write_some(text.data(), text.size(), ec);
    if (!ec && consumed < text.size()) {
        // write_some stops after one complete document; anything left must be whitespace.
        std::size_t rest = text.find_first_not_of(" \t\r\n", consumed);
        if (rest != std::string_view::npos) {
            TextPosition pos = position_of(text, rest);
            return Error{std::string(where) + ":" + std::to_string(pos.line) + ":" + std::to_string(pos.column),
                         "unexpected text after the JSON document", "a file holds exactly one JSON value"};
        }
    }
    if (!ec) parser.finish(ec);
    if (ec) {
        TextPosition pos = position_of(text, consumed);
        return Error{std::string(where) + ":" + std::to_string(pos.line) + ":" + std::to_string(pos.column),
                     "invalid JSON: " + ec.message(), ""};
    }
    return parser.release();
}

}  // namespace agenthost
