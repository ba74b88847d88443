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
    //! Compiles `schema`; an Error says why it is not a usable schema, its
    //! `where` the JSON pointer inside the schema when there is one. Before
    //! valijson sees the schema it refuses what valijson would only fail on
    //! later or never return from: a "pattern" or "patternProperties" name that
    //! is not an ECMAScript std::regex, a "$ref" outside this schema (one not
    //! starting with '#'), and "$ref" chains that come back to themselves
    //! without reaching a schema ("a" -> "a", "a" -> "b" -> "a"). Recursion
    //! through a schema ("items": {"$ref": "#"}) is fine.
    //!
    //! Not handled: std::regex matches recursively, so a "pattern" with
    //! alternations or repeats applied to a very long string can exhaust the
    //! stack during validate(). Keep patterns simple, and strings bounded with
    //! "maxLength", where documents may be large.
    static Result<JsonSchema> compile(const boost::json::value& schema);

    //! Every violation, outermost first; empty when `document` is valid. If the
    //! schema cannot be applied at all (valijson throws), that is one violation
    //! at the root that says why.
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
