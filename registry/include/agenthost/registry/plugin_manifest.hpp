// plugin_manifest.hpp: the plugin's contract, parsed and checked against the manifest schema.
#pragma once

#include <agenthost/registry/json_schema.hpp>
#include <agenthost/registry/permissions.hpp>
#include <agenthost/registry/result.hpp>
#include <agenthost/registry/semver.hpp>

#include <boost/json/value.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace agenthost {

struct PluginManifest {
    std::string name;
    SemVer version;
    std::string description;
    uint32_t sdk_abi_major = 0;
    uint32_t sdk_abi_minor = 0;
    // Compiled once; shared by every instance of the plugin.
    std::shared_ptr<const JsonSchema> config_schema;
    std::shared_ptr<const JsonSchema> input_schema;
    std::shared_ptr<const JsonSchema> output_schema;
    Permissions requested;
    boost::json::value json;  //!< the manifest as the plugin declared it

    //! Parses `text`, validates it against sdk/schema/manifest.schema.json and
    //! compiles its three schemas. The Error lists every problem found.
    static Result<PluginManifest> parse(std::string_view text);
};

//! The manifest's own JSON Schema, as shipped in sdk/schema/.
const boost::json::value& manifest_schema();

}  // namespace agenthost
