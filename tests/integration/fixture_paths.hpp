// fixture_paths.hpp: where the build put the fixture plugins.
#pragma once

#include <dlfcn.h>

#include <filesystem>
#include <string>

namespace agenthost::testing {

inline std::filesystem::path fixture_dir() { return AGENTHOST_FIXTURE_PLUGIN_DIR; }
inline std::filesystem::path fixture_file(const std::string& name) { return fixture_dir() / (name + ".so"); }

//! Whether `file` is mapped into this process right now (without loading it).
inline bool library_is_mapped(const std::filesystem::path& file) {
    void* handle = ::dlopen(file.c_str(), RTLD_NOW | RTLD_NOLOAD);
    if (handle != nullptr) ::dlclose(handle);
    return handle != nullptr;
}

//! Why a Result failed, for assertion messages; "" when it did not.
template <class R>
std::string why(const R& result) {
    return result.ok() ? std::string() : result.error().to_string();
}

}  // namespace agenthost::testing
