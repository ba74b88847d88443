// semver.hpp: semantic versions and the version constraints operators write in config.
#pragma once

#include <agenthost/registry/result.hpp>

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace agenthost {

//! MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD] (semver.org 2.0.0). Build metadata is ignored in ordering.
struct SemVer {
    uint64_t major = 0;
    uint64_t minor = 0;
    uint64_t patch = 0;
    std::string prerelease;  //!< empty for a release

    static std::optional<SemVer> parse(std::string_view text);
    std::string to_string() const;

    //! semver precedence: a prerelease sorts before its release; identifiers compare per spec.
    std::strong_ordering operator<=>(const SemVer& other) const;
    bool operator==(const SemVer& other) const { return (*this <=> other) == 0; }
};

//! A constraint on a plugin version: "^1.2" or "^1" (compatible), "~1.2.3" (same minor),
//! "1.2.3" or "=1.2.3" (exact), ">=1.2", "*" (any). Prereleases only match a
//! constraint that names a prerelease of the same MAJOR.MINOR.PATCH.
class VersionConstraint {
public:
    static Result<VersionConstraint> parse(std::string_view text);
    bool matches(const SemVer& version) const;
    const std::string& text() const noexcept { return text_; }

private:
    enum class Op { any, exact, caret, tilde, at_least };
    Op op_ = Op::any;
    SemVer base_;
    bool major_only_ = false;  //!< "^1", "~1": the minor is left open
    std::string text_ = "*";
};

//! "name@constraint" as written in config; a bare "name" means any version.
struct PluginRef {
    std::string name;
    VersionConstraint constraint;

    static Result<PluginRef> parse(std::string_view text);
    //! Whether `text` names a plugin file rather than a plugin: it has a '/' or ends in ".so".
    static bool names_a_file(std::string_view text) noexcept {
        return text.find('/') != std::string_view::npos || text.ends_with(".so");
    }
};

}  // namespace agenthost
