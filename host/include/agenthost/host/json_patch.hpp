// json_patch.hpp: RFC 6902 JSON Patch over boost::json, all or nothing.
#pragma once

#include <agenthost/registry/result.hpp>

#include <boost/json/value.hpp>

namespace agenthost {

//! Applies an RFC 6902 JSON Patch (an array of operations: add, remove, replace, move, copy, test)
//! to `document` and returns the patched copy. All or nothing: on any error, nothing is applied.
//! Errors name the operation by its index and its JSON pointer, e.g.
//! "/2/path: /tickets/7/title does not exist (the array at /tickets has 3 members)", and say what
//! was expected; Error::where and Error::pointer both hold that pointer into the patch.
//!
//! Every operation's shape is checked before any is applied. Unknown members of an operation are
//! ignored. "test" compares numbers by value, so 1, 1.0 and 1u are equal. The whole document ("")
//! can be replaced, added (which replaces it), tested, copied and moved to itself, but not removed.
//! Removing an object member keeps the order of the others.
Result<boost::json::value> apply_json_patch(const boost::json::value& document, const boost::json::value& patch);

}  // namespace agenthost
