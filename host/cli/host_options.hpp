// host_options.hpp: the Host settings that the commands which run workflows
// (run, validate, test-agent, batch) take from the command line alike.
#pragma once

#include "command.hpp"

#include <agenthost/host.hpp>

#include <optional>

namespace agenthost::cli {

//! The CLI's plugin search path (every --plugin-dir, AGENTHOST_PLUGIN_PATH,
//! the default beside the executable) and --trace; the workflow's own
//! plugin_dirs are added by the host. nullopt, with the reason printed to
//! inv.err, when a --plugin-dir is not a directory.
std::optional<HostOptions> cli_host_options(const Invocation& inv);

}  // namespace agenthost::cli
