// prompt_template.hpp: the user prompt template of an llm agent. Each
// {{/json/pointer}} is replaced by the step input's value there, and
// {{/json/pointer|text}} by `text` when the input has nothing (or null) there.
// Strings go in as they are; numbers, booleans, objects and arrays as JSON.
#pragma once

#include <boost/json/value.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace agenthost::llm {

class PromptTemplate {
public:
    //! Throws std::invalid_argument naming the offset of a malformed placeholder.
    explicit PromptTemplate(std::string_view text);

    std::string render(const boost::json::value& input) const;

private:
    struct Piece {
        std::string literal;
        std::string pointer;  // empty for a literal
        std::string fallback;
    };
    std::vector<Piece> pieces_;
};

//! How a value reads inside a prompt: a string as itself, anything else as JSON.
std::string prompt_text(const boost::json::value& value);

}  // namespace agenthost::llm
