// permissions.hpp: what a plugin asks for, what an operator grants, and what it gets.
#pragma once

#include <agenthost/registry/result.hpp>

#include <boost/json/value.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace agenthost {

//! One set of permissions. The manifest's requests, the config's grants and
//! the effective permissions all have this shape.
struct Permissions {
    std::vector<std::string> network;        //!< URL patterns, matched by url_pattern_matches()
    std::vector<std::string> secrets;        //!< secret names
    std::vector<std::string> context_read;   //!< JSON pointers into run state
    std::vector<std::string> context_write;  //!< JSON pointers into run state
    std::vector<std::string> services;       //!< host service ids, e.g. "ah.http/1"

    //! Reads {"network": [...], "secrets": [...], "context": {"read": [...],
    //! "write": [...]}, "services": [...]}; every member is optional. `where`
    //! prefixes error locations.
    static Result<Permissions> from_json(const boost::json::value& json, std::string_view where);
    boost::json::value to_json() const;

    bool allows_url(std::string_view url) const noexcept;
    bool allows_secret(std::string_view name) const noexcept;
    //! A service is allowed when granted, or when it is a baseline service (ah.log/1, ah.usage/1).
    bool allows_service(std::string_view id) const noexcept;
    bool allows_read(std::string_view pointer) const noexcept;
    bool allows_write(std::string_view pointer) const noexcept;
};

//! Host services every instance has without a grant: they reveal nothing and reach nothing.
bool is_baseline_service(std::string_view id) noexcept;

//! requested ∩ granted. Every grant must be covered by a request (a URL
//! pattern the request's pattern covers part by part, see url_pattern_covers(),
//! the same secret or service, the
//! same JSON pointer or one below it); each grant that is not is reported,
//! all of them in one Error.
Result<Permissions> effective_permissions(const Permissions& requested, const Permissions& granted,
                                          std::string_view where);

}  // namespace agenthost
