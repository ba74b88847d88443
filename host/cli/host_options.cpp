// host_options.cpp: the Host settings shared by the commands that run workflows.
#include "host_options.hpp"

#include "plugin_search_path.hpp"

#include <cstdlib>

namespace agenthost::cli {

std::optional<std::string> cli_store_path(const Invocation& inv) {
    if (auto store = inv.args.value("--store")) return store;
    const char* env = std::getenv("AGENTHOST_STORE");
    if (env != nullptr && *env != '\0') return std::string(env);
    return std::nullopt;
}

std::optional<HostOptions> cli_host_options(const Invocation& inv, bool records_runs) {
    auto dirs = cli_plugin_search_path(inv.args.values("--plugin-dir"), inv.logger);
    if (!dirs) {
        inv.err << "agenthost: error: " << dirs.error().to_string() << '\n';
        return std::nullopt;
    }
    HostOptions options;
    options.plugin_dirs = dirs.value();
    if (auto trace = inv.args.value("--trace")) options.trace_file = *trace;
    if (records_runs) {
        if (auto store = cli_store_path(inv)) options.store = *store;
    }
    return options;
}

}  // namespace agenthost::cli
