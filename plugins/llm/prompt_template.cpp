// prompt_template.cpp: compiled once per agent, rendered once per call.
#include "prompt_template.hpp"

#include <boost/json/serialize.hpp>

#include <cstdio>
#include <stdexcept>

namespace agenthost::llm {

namespace json = boost::json;

namespace {

bool valid_pointer(std::string_view p) {
    if (p.empty() || p.front() != '/') return false;
    for (std::size_t i = 0; i < p.size(); ++i) {
        if (p[i] == '~' && (i + 1 == p.size() || (p[i + 1] != '0' && p[i + 1] != '1'))) return false;
    }
    return true;
}

std::string trim(std::string_view s) {
    const auto first = s.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos) return {};
    return std::string(s.substr(first, s.find_last_not_of(" \t\r\n") - first + 1));
}

}  // namespace

PromptTemplate::PromptTemplate(std::string_view text) {
    std::size_t at = 0;
    while (at < text.size()) {
        const std::size_t open = text.find("{{", at);
        if (open == std::string_view::npos) {
            pieces_.push_back({std::string(text.substr(at)), {}, {}});
            break;
        }
        if (open > at) pieces_.push_back({std::string(text.substr(at, open - at)), {}, {}});
        const std::size_t close = text.find("}}", open + 2);
        const std::string where = "prompt template at offset " + std::to_string(open);
        if (close == std::string_view::npos) throw std::invalid_argument(where + ": \"{{\" is never closed");
        const std::string_view inner = text.substr(open + 2, close - open - 2);
        const std::size_t bar = inner.find('|');
        std::string pointer = trim(inner.substr(0, bar));
        if (!valid_pointer(pointer)) {
            throw std::invalid_argument(where + ": {{" + std::string(inner) +
                                        "}} is not a JSON pointer into the input (write {{/field}})");
        }
        std::string fallback = bar == std::string_view::npos ? std::string() : trim(inner.substr(bar + 1));
        pieces_.push_back({{}, std::move(pointer), std::move(fallback)});
        at = close + 2;
    }
}

std::string PromptTemplate::render(const json::value& input) const {
    std::string out;
    for (const Piece& piece : pieces_) {
        if (piece.pointer.empty()) {
            out += piece.literal;
            continue;
        }
        boost::system::error_code ec;
        const json::value* v = input.find_pointer(piece.pointer, ec);
        out += v != nullptr && !v->is_null() ? prompt_text(*v) : piece.fallback;
    }
    return out;
}

std::string prompt_text(const json::value& value) {
    if (value.is_string()) return std::string(value.get_string());
    if (value.is_double()) {  // 2.5, not Boost.JSON's 2.5E0
        char text[32];
        std::snprintf(text, sizeof text, "%.15g", value.get_double());
        return text;
    }
    return json::serialize(value);
}

}  // namespace agenthost::llm
