// plugin_manifest.hpp: the plugin's contract, parsed and checked against the manifest schema.
#pragma once

#include <agenthost/registry/json_schema.hpp>
#include <agenthost/registry/permissions.hpp>
#include <agenthost/registry/result.hpp>
#include <agenthost/registry/semver.hpp>

#include <boost/json/value.hpp>

#include <cstdint>
#include <memory>
#include <optional>
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
    //! For {"$config": POINTER, "otherwise": SCHEMA}, the `otherwise` schema;
    //! an agent's own schema comes from output_schema_for().
    std::shared_ptr<const JsonSchema> output_schema;
    //! Set when each agent's config says its output schema: the manifest's
    //! output_schema is {"$config": "/pointer", "otherwise": {...}}, as a
    //! general-purpose plugin (an LLM agent) declares it.
    std::optional<std::string> output_schema_in_config;
    Permissions requested;
    boost::json::value json;  //!< the manifest as the plugin declared it

    //! Parses `text`, validates it against sdk/schema/manifest.schema.json and
    //! compiles its three schemas. The Error lists every problem found.
    static Result<PluginManifest> parse(std::string_view text);

    //! The output schema of an agent with `config`: the schema at
    //! output_schema_in_config in the config when there is one there, else
    //! output_schema. The Error points into the config (e.g. "/output_schema").
    Result<std::shared_ptr<const JsonSchema>> output_schema_for(const boost::json::value& config) const;
};

//! The manifest's own JSON Schema, as shipped in sdk/schema/.
const boost::json::value& manifest_schema();

}  // namespace agenthost
