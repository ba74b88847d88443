// fixture_paths.hpp: where the build put the fixture plugins.
#pragma once

#include <filesystem>
#include <string>

namespace agenthost::testing {

inline std::filesystem::path fixture_dir() { return AGENTHOST_FIXTURE_PLUGIN_DIR; }
inline std::filesystem::path fixture_file(const std::string& name) { return fixture_dir() / (name + ".so"); }

//! Why a Result failed, for assertion messages; "" when it did not.
template <class R>
std::string why(const R& result) {
    return result.ok() ? std::string() : result.error().to_string();
}

}  // namespace agenthost::testing
