// host_options.hpp: the Host settings that the commands which run workflows
// (run, validate, test-agent, batch) take from the command line alike.
#pragma once

#include "command.hpp"

#include <agenthost/host.hpp>

#include <optional>
#include <string>

namespace agenthost::cli {

//! The CLI's plugin search path (every --plugin-dir, AGENTHOST_PLUGIN_PATH,
//! the default beside the executable) and --trace; the workflow's own
//! plugin_dirs are added by the host. nullopt, with the reason printed to
//! inv.err, when a --plugin-dir is not a directory.
//! With `records_runs` (run, batch), runs are recorded in the store that
//! --store or AGENTHOST_STORE names, if any.
std::optional<HostOptions> cli_host_options(const Invocation& inv, bool records_runs = false);

//! --store FILE, for the commands that record runs or read them.
inline constexpr OptionSpec store_option{"--store", "FILE",
                                         "the run store (SQLite; default: environment variable AGENTHOST_STORE)"};

//! The run store that --store names, else AGENTHOST_STORE; nullopt for neither.
std::optional<std::string> cli_store_path(const Invocation& inv);

}  // namespace agenthost::cli
