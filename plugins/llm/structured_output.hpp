// structured_output.hpp: an llm agent's configured output schema applied to a
// model's reply. Models wrap JSON in prose or ```json fences, so the JSON is
// extracted first; what does not validate is described for the one repair
// request the agent sends, and for the failure message when that fails too.
#pragma once

#include <boost/json/value.hpp>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace agenthost::llm {

//! The JSON a reply holds: the whole reply, else the first ``` fence (any
//! language tag) that parses, else the span from the first '{' or '[' to
//! the last '}' or ']'. nullopt when none of them parses.
std::optional<boost::json::value> extract_json(std::string_view reply);

struct Checked {
    std::optional<boost::json::value> value;  //!< set when the reply is valid
    std::vector<std::string> violations;      //!< "at /pointer: what", when it is not
};

class OutputSchema {
public:
    //! Compiles a draft-07 schema; throws std::invalid_argument when valijson cannot use it.
    explicit OutputSchema(const boost::json::value& schema);
    ~OutputSchema();
    OutputSchema(OutputSchema&&) noexcept;
    OutputSchema& operator=(OutputSchema&&) noexcept;

    const boost::json::value& source() const noexcept;
    //! Every violation of `document`, empty when it is valid. Thread-safe.
    std::vector<std::string> validate(const boost::json::value& document) const;
    //! extract_json, then validate.
    Checked check(std::string_view reply) const;

private:
    struct Compiled;
    std::unique_ptr<Compiled> compiled_;
};

//! The user message of the repair request: what was wrong, and the schema again.
std::string repair_message(const std::vector<std::string>& violations, const boost::json::value& schema);

//! Violations as one line each, for failure messages.
std::string join_violations(const std::vector<std::string>& violations);

}  // namespace agenthost::llm
