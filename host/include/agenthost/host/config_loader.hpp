// config_loader.hpp: reading a workflow config file into a WorkflowConfig.
#pragma once

#include <agenthost/host/config_issue.hpp>
#include <agenthost/host/workflow_config.hpp>

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace agenthost {

//! Where ${NAME} values come from; the default reads the process environment.
//! ${CONFIG_DIR} never comes from here: the loader defines it (see load_config).
using EnvLookup = std::function<std::optional<std::string>(std::string_view name)>;
EnvLookup process_environment();

//! Either the config or every problem found in it.
using ConfigResult = std::variant<WorkflowConfig, ConfigIssues>;

//! Reads and checks a config: JSON with comments and trailing commas, the
//! JSON Schema, then the meaning of everything that needs no plugin (names
//! that must exist, unreachable steps, loops without a bound, keys written
//! by two steps). Plugin checks (versions, grants, schemas of fallbacks)
//! happen when the engine compiles the workflow against the registry.
//! ${NAME} is taken from `env`, except ${CONFIG_DIR}: that is always the absolute
//! folder of `file` (made absolute against the current directory, without "." or
//! ".."), whatever `env` or the process environment says.
ConfigResult load_config(const std::filesystem::path& file, const EnvLookup& env = process_environment());

//! The same for text already in memory; `file` names it in messages and places it:
//! relative plugin_dirs and ${CONFIG_DIR} are taken from its folder, as for load_config.
ConfigResult parse_config(std::string_view text, const std::filesystem::path& file,
                          const EnvLookup& env = process_environment());

}  // namespace agenthost
