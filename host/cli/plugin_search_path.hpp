// plugin_search_path.hpp: which directories the CLI scans for plugins, in order:
// every --plugin-dir, then AGENTHOST_PLUGIN_PATH (':'-separated), then the
// default directory beside the executable (an install, or the build tree).
#pragma once

#include <agenthost/host/logging.hpp>
#include <agenthost/registry/result.hpp>

#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace agenthost::cli {

//! The first of `<exe_dir>/../lib/agenthost/plugins` (installed) and
//! `<exe_dir>/../plugins` (build tree) that exists; empty when neither does.
std::filesystem::path default_plugin_dir(const std::filesystem::path& exe_dir);

//! The directory of the running executable; empty if it cannot be found.
std::filesystem::path executable_dir();

//! The search path. A --plugin-dir that is not a directory is an Error (the
//! operator named it); an AGENTHOST_PLUGIN_PATH entry that is not one is
//! skipped with a warning, as PATH does. A directory named twice is kept once.
Result<std::vector<std::filesystem::path>> plugin_search_path(std::span<const std::string> plugin_dirs,
                                                             std::string_view env_path,
                                                             const std::filesystem::path& default_dir,
                                                             const Logger& logger);

//! The search path of this process: `plugin_dirs` (the --plugin-dir values),
//! then AGENTHOST_PLUGIN_PATH, then the default beside the executable.
Result<std::vector<std::filesystem::path>> cli_plugin_search_path(std::span<const std::string> plugin_dirs,
                                                                 const Logger& logger);

}  // namespace agenthost::cli
