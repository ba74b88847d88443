// host_options.cpp: the Host settings shared by the commands that run workflows.
#include "host_options.hpp"

#include "plugin_search_path.hpp"

namespace agenthost::cli {

std::optional<HostOptions> cli_host_options(const Invocation& inv) {
    auto dirs = cli_plugin_search_path(inv.args.values("--plugin-dir"), inv.logger);
    if (!dirs) {
        inv.err << "agenthost: error: " << dirs.error().to_string() << '\n';
        return std::nullopt;
    }
    HostOptions options;
    options.plugin_dirs = dirs.value();
    if (auto trace = inv.args.value("--trace")) options.trace_file = *trace;
    return options;
}

}  // namespace agenthost::cli
