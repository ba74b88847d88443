// plugin_search_path.cpp: the plugin directories, from flags, environment and install layout.
#include "plugin_search_path.hpp"

#include <boost/dll/runtime_symbol_info.hpp>

#include <algorithm>
#include <cstdlib>
#include <system_error>

namespace agenthost::cli {
namespace {

namespace fs = std::filesystem;

bool names_directory(const fs::path& dir) {
    std::error_code ec;
    return fs::is_directory(dir, ec);
}

// Two spellings of one directory must not make the registry see every plugin twice.
fs::path identity(const fs::path& dir) {
    std::error_code ec;
    fs::path canonical = fs::weakly_canonical(dir, ec);
    return ec ? dir.lexically_normal() : canonical;
}

}  // namespace

fs::path default_plugin_dir(const fs::path& exe_dir) {
    if (exe_dir.empty()) return {};
    // Relative to bin/, both computed by CMake from the install and build layouts.
    for (const char* relative : {AGENTHOST_INSTALLED_PLUGIN_DIR, AGENTHOST_BUILD_TREE_PLUGIN_DIR}) {
        fs::path dir = (exe_dir / relative).lexically_normal();
        if (names_directory(dir)) return dir;
    }
    return {};
}

fs::path executable_dir() {
    std::error_code ec;
    fs::path exe = boost::dll::program_location(ec);
    return ec ? fs::path() : exe.parent_path();
}

Result<std::vector<fs::path>> plugin_search_path(std::span<const std::string> plugin_dirs, std::string_view env_path,
                                                 const fs::path& default_dir, const Logger& logger) {
    std::vector<fs::path> dirs;
    std::vector<fs::path> seen;
    const auto add = [&](const fs::path& dir) {
        fs::path id = identity(dir);
        if (std::find(seen.begin(), seen.end(), id) != seen.end()) return;
        seen.push_back(std::move(id));
        dirs.push_back(dir);
    };

    for (const std::string& dir : plugin_dirs) {
        if (!names_directory(dir)) {
            return Error{"--plugin-dir " + dir, "no such directory; expected a directory that holds plugin .so files",
                         "check the path, or leave the flag out to use AGENTHOST_PLUGIN_PATH and the default"};
        }
        add(dir);
    }

    while (!env_path.empty()) {
        const std::size_t colon = env_path.find(':');
        const std::string_view entry = env_path.substr(0, colon);
        env_path = colon == std::string_view::npos ? std::string_view() : env_path.substr(colon + 1);
        if (entry.empty()) continue;
        if (!names_directory(fs::path(entry))) {
            logger.log(LogLevel::warning,
                       "AGENTHOST_PLUGIN_PATH names '" + std::string(entry) + "', which is not a directory; skipped");
            continue;
        }
        add(fs::path(entry));
    }

    if (!default_dir.empty()) add(default_dir);
    return dirs;
}

Result<std::vector<fs::path>> cli_plugin_search_path(std::span<const std::string> plugin_dirs, const Logger& logger) {
    const char* env = std::getenv("AGENTHOST_PLUGIN_PATH");
    return plugin_search_path(plugin_dirs, env != nullptr ? env : "", default_plugin_dir(executable_dir()), logger);
}

}  // namespace agenthost::cli
