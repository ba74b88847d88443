// json_schema.hpp: a compiled JSON Schema (valijson on Boost.JSON) and its violations.
#pragma once

#include <agenthost/registry/result.hpp>

#include <boost/json/value.hpp>

#include <memory>
#include <string>
#include <vector>

namespace agenthost {

//! One reason a document does not match a schema.
struct SchemaViolation {
    std::string pointer;  //!< JSON pointer into the document, "" for the root
    std::string message;  //!< what the schema expected there
};

//! A JSON Schema (draft 7), compiled once and then safe to use from any thread.
class JsonSchema {
public:
    //! Compiles `schema`; an Error says why it is not a usable schema.
    static Result<JsonSchema> compile(const boost::json::value& schema);

    //! Every violation, outermost first; empty when `document` is valid.
    std::vector<SchemaViolation> validate(const boost::json::value& document) const;

    const boost::json::value& source() const noexcept;

    JsonSchema(JsonSchema&&) noexcept;
    JsonSchema& operator=(JsonSchema&&) noexcept;
    ~JsonSchema();

private:
    struct Compiled;
    explicit JsonSchema(std::unique_ptr<Compiled> compiled);
    std::unique_ptr<Compiled> compiled_;
};

//! "at /a/b: expected ..." lines, one per violation, for error messages.
std::string describe(const std::vector<SchemaViolation>& violations);

}  // namespace agenthost
