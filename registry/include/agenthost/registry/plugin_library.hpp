// plugin_library.hpp: one plugin file, checked, loaded and negotiated.
#pragma once

#include <agenthost/registry/plugin_manifest.hpp>
#include <agenthost/registry/result.hpp>
#include <agenthost/sdk.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

namespace agenthost {

//! A loaded plugin library. Shared by every instance made from it: the
//! library stays mapped until the last PluginLibrary reference is gone.
class PluginLibrary {
public:
    //! Checks `file` (it must export the entry symbol) without running it,
    //! hashes it, loads it (RTLD_NOW | RTLD_LOCAL), checks that the entry
    //! symbol is code, negotiates the ABI and parses the manifest. Every Error
    //! names the file and, once known, the plugin. `plugin_id`, when given,
    //! receives "name@version" (or "name") whenever the manifest names it, even
    //! when the plugin is refused: a manifest that breaks the schema, or an
    //! ABI 1.x entry this host will not take. Only a wrong major version, whose
    //! layout is unknown, stays unnamed.
    static Result<std::shared_ptr<PluginLibrary>> open(const std::filesystem::path& file,
                                                       std::string* plugin_id = nullptr);

    const std::filesystem::path& path() const noexcept;
    //! The SHA-256 of the file (64 lowercase hex digits), computed just before
    //! it was loaded: the bytes a sha256 pin is checked against.
    const std::string& sha256() const noexcept;
    const PluginManifest& manifest() const noexcept;
    //! The plugin's entry, with every field beyond its struct_size zeroed.
    const ah_plugin_entry& entry() const noexcept;
    uint32_t abi_major() const noexcept { return entry().abi_major; }
    uint32_t abi_minor() const noexcept { return entry().abi_minor; }
    //! AH_PLUGIN_* flags (ABI 1.1+; zero for older plugins).
    uint64_t flags() const noexcept { return entry().flags; }
    //! "name@version".
    const std::string& id() const noexcept;

    ~PluginLibrary();
    PluginLibrary(const PluginLibrary&) = delete;
    PluginLibrary& operator=(const PluginLibrary&) = delete;

    struct Loaded;
    explicit PluginLibrary(std::unique_ptr<Loaded> loaded);

private:
    std::unique_ptr<Loaded> loaded_;
};

}  // namespace agenthost
