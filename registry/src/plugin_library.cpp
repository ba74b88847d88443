// plugin_library.cpp: checking, loading and ABI negotiation for one plugin file.
#include <agenthost/registry/plugin_library.hpp>

#include <boost/dll/library_info.hpp>
#include <boost/dll/shared_library.hpp>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <exception>

namespace agenthost {

struct PluginLibrary::Loaded {
    std::filesystem::path path;
    boost::dll::shared_library library;
    ah_plugin_entry entry{};  // the plugin's prefix of the struct; the rest zero
    PluginManifest manifest;
};

namespace {

// The v1.0 entry ended where `flags` (added in 1.1) begins.
constexpr std::size_t entry_v1_0_size = offsetof(ah_plugin_entry, flags);

std::string abi_text(uint32_t major, uint32_t minor) {
    return std::to_string(major) + "." + std::to_string(minor);
}

// Reads the symbol table without running any of the file's code.
Result<bool> exports_entry(const std::filesystem::path& file) {
    try {
        boost::dll::library_info info(file);
        auto symbols = info.symbols();
        return std::find(symbols.begin(), symbols.end(), AH_ENTRY_SYMBOL) != symbols.end();
    } catch (const std::exception& e) {
        return Error{file.string(), std::string("not a loadable shared library: ") + e.what(), ""};
    }
}

Result<ah_plugin_entry> negotiate(const ah_plugin_entry* raw, const std::string& where) {
    const std::string host_abi = abi_text(AH_ABI_MAJOR, AH_ABI_MINOR);
    if (raw == nullptr) return Error{where, AH_ENTRY_SYMBOL "() returned NULL", ""};
    if (raw->abi_major != AH_ABI_MAJOR) {
        return Error{where,
                     "built for plugin ABI " + abi_text(raw->abi_major, raw->abi_minor) + ", but this host speaks ABI " +
                         host_abi + " and a different major version is incompatible",
                     "rebuild the plugin against agenthost SDK " + std::to_string(AH_ABI_MAJOR) + ".x"};
    }
    if (raw->abi_minor > AH_ABI_MINOR) {
        return Error{where,
                     "built against SDK ABI " + abi_text(raw->abi_major, raw->abi_minor) +
                         ", which is newer than this host's ABI " + host_abi,
                     "upgrade agenthost, or rebuild the plugin against SDK " + host_abi};
    }
    if (raw->struct_size < entry_v1_0_size) {
        return Error{where,
                     "entry struct_size is " + std::to_string(raw->struct_size) + " bytes, smaller than the " +
                         std::to_string(entry_v1_0_size) + " bytes of an ABI 1.0 entry",
                     "the plugin's entry is corrupt; rebuild it with the SDK's headers"};
    }
    ah_plugin_entry entry{};
    std::memcpy(&entry, raw, std::min<std::size_t>(raw->struct_size, sizeof entry));
    if (entry.manifest_json == nullptr || entry.create == nullptr || entry.invoke == nullptr ||
        entry.destroy == nullptr) {
        return Error{where, "the entry lacks manifest_json, create, invoke or destroy", ""};
    }
    return entry;
}

}  // namespace

PluginLibrary::PluginLibrary(std::unique_ptr<Loaded> loaded) : loaded_(std::move(loaded)) {}
PluginLibrary::~PluginLibrary() = default;

Result<std::shared_ptr<PluginLibrary>> PluginLibrary::open(const std::filesystem::path& file, std::string* plugin_id) {
    const std::string where = file.string();
    std::error_code fs_ec;
    if (!std::filesystem::is_regular_file(file, fs_ec)) {
        return Error{where, "no such plugin file", "check the path and the plugin directories"};
    }
    auto has_entry = exports_entry(file);
    if (!has_entry) return has_entry.error();
    if (!has_entry.value()) {
        return Error{where, "does not export the entry symbol " AH_ENTRY_SYMBOL,
                     "build plugins with agenthost_add_plugin() and export them with AGENTHOST_PLUGIN()"};
    }

    auto loaded = std::make_unique<Loaded>();
    loaded->path = std::filesystem::absolute(file, fs_ec);
    boost::dll::fs::error_code ec;
    loaded->library.load(file, ec, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
    if (ec) return Error{where, "cannot be loaded: " + ec.message(), "a dependency may be missing (try ldd)"};

    auto& entry_fn = loaded->library.get<const ah_plugin_entry*()>(AH_ENTRY_SYMBOL);
    auto entry = negotiate(entry_fn(), where);
    if (!entry) return entry.error();
    loaded->entry = entry.value();

    auto manifest = PluginManifest::parse(loaded->entry.manifest_json);
    if (!manifest) {
        return Error{where, manifest.error().to_string(), "fix the manifest JSON embedded in the plugin"};
    }
    loaded->manifest = std::move(manifest).value();
    const PluginManifest& m = loaded->manifest;
    const std::string id = m.name + "@" + m.version.to_string();
    if (plugin_id) *plugin_id = id;
    if (m.sdk_abi_major != loaded->entry.abi_major || m.sdk_abi_minor > loaded->entry.abi_minor) {
        return Error{where + " (" + id + ")",
                     "manifest says sdk_abi " + abi_text(m.sdk_abi_major, m.sdk_abi_minor) +
                         " but the entry was built with ABI " +
                         abi_text(loaded->entry.abi_major, loaded->entry.abi_minor),
                     "set sdk_abi to the ABI the plugin is built with"};
    }
    return std::make_shared<PluginLibrary>(std::move(loaded));
}

const std::filesystem::path& PluginLibrary::path() const noexcept { return loaded_->path; }
const PluginManifest& PluginLibrary::manifest() const noexcept { return loaded_->manifest; }
const ah_plugin_entry& PluginLibrary::entry() const noexcept { return loaded_->entry; }
std::string PluginLibrary::id() const { return manifest().name + "@" + manifest().version.to_string(); }

}  // namespace agenthost
