// plugin_library.cpp: checking, loading and ABI negotiation for one plugin file.
#include <agenthost/registry/json_text.hpp>
#include <agenthost/registry/plugin_library.hpp>
#include <agenthost/registry/sha256.hpp>

#include <boost/dll/library_info.hpp>
#include <boost/dll/shared_library.hpp>

#include <algorithm>
#include <cstddef>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <exception>

#include <dlfcn.h>
#include <link.h>

namespace agenthost {

struct PluginLibrary::Loaded {
    std::filesystem::path path;
    std::string sha256;
    boost::dll::shared_library library;
    ah_plugin_entry entry{};  // the plugin's prefix of the struct; the rest zero
    PluginManifest manifest;
    std::string id;  // "name@version", asked for on every call
};

namespace {

// The v1.0 entry ended where `flags` (added in 1.1) begins.
constexpr std::size_t entry_v1_0_size = offsetof(ah_plugin_entry, flags);

std::string abi_text(uint32_t major, uint32_t minor) {
    return std::to_string(major) + "." + std::to_string(minor);
}

// Whether `address` lies in an executable PT_LOAD segment of a loaded object.
// The entry symbol's type is only the plugin's word: calling a data object
// (`const ah_plugin_entry ah_plugin_entry_v1 = {...}`) would crash the host.
bool is_code(const void* address) noexcept {
    struct Search {
        std::uintptr_t address;
        bool executable;
    } search{reinterpret_cast<std::uintptr_t>(address), false};
    ::dl_iterate_phdr(
        [](dl_phdr_info* info, std::size_t, void* data) -> int {
            auto& s = *static_cast<Search*>(data);
            for (ElfW(Half) i = 0; i < info->dlpi_phnum; ++i) {
                const ElfW(Phdr)& segment = info->dlpi_phdr[i];
                const std::uintptr_t start = info->dlpi_addr + segment.p_vaddr;
                if (segment.p_type == PT_LOAD && s.address >= start && s.address - start < segment.p_memsz) {
                    s.executable = (segment.p_flags & PF_X) != 0;
                    return 1;  // found: stop iterating
                }
            }
            return 0;
        },
        &search);
    return search.executable;
}

// "name@version", or "name" alone, from manifest text that was not (or need
// not be) accepted, so that a refusal can still say which plugin it was; "" when
// the text names nothing. Never validates: only string members are taken.
std::string id_from_manifest_text(const char* text) {
    if (text == nullptr) return {};
    auto json = parse_json(text, "manifest");
    const auto* object = json ? json.value().if_object() : nullptr;
    const auto* name = object ? object->if_contains("name") : nullptr;
    if (name == nullptr || !name->is_string() || name->get_string().empty()) return {};
    const auto* version = object->if_contains("version");
    std::string id(name->get_string());
    if (version != nullptr && version->is_string() && !version->get_string().empty())
        id += "@" + std::string(version->get_string());
    return id;
}

// Bit numbers, then the mask, e.g. "1, 4 (0x12)".
std::string describe_bits(uint64_t bits) {
    std::string numbers;
    for (unsigned bit = 0; bit < 64; ++bit)
        if (bits & (uint64_t{1} << bit)) numbers += (numbers.empty() ? "" : ", ") + std::to_string(bit);
    char hex[16];
    const auto length = static_cast<std::size_t>(std::to_chars(hex, hex + sizeof hex, bits, 16).ptr - hex);
    return numbers + " (0x" + std::string(hex, length) + ")";
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
    // Fields a later version may give a meaning: a plugin that sets them expects a
    // host that knows that meaning, and this one would silently ignore it.
    if (entry.reserved != 0) {
        return Error{where, "entry field reserved is " + std::to_string(entry.reserved) + ", but it must be zero",
                     "the plugin's entry is corrupt; rebuild it with the SDK's headers"};
    }
    if (const uint64_t unknown = entry.flags & ~uint64_t{AH_PLUGIN_CONCURRENT_INVOKE}) {
        return Error{where, "entry flags has bits this host does not know: bits " + describe_bits(unknown),
                     "clear them, or upgrade agenthost if a newer SDK defines them"};
    }
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
    // Hashed before loading, so that a pin is checked against the bytes that
    // were loaded, not against whatever the file holds when an agent is made.
    // (A file swapped in between these two lines still escapes: the plugin
    // directories must not be writable by anyone the pin guards against.)
    auto digest = sha256_file(file);
    if (!digest) return Error{where, "cannot be read: " + digest.error().message, ""};
    loaded->sha256 = std::move(digest).value();

    ::dlerror();  // clear any earlier message, so the one read below is this load's
    boost::dll::fs::error_code ec;
    loaded->library.load(file, ec, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
    if (ec) {
        // boost::dll reduces every failure to an errno ("Bad file descriptor"); the loader says what it was.
        const char* reason = ::dlerror();
        return Error{where, "cannot be loaded: " + (reason != nullptr ? std::string(reason) : ec.message()),
                     "a dependency may be missing (try ldd)"};
    }

    void* const symbol = ::dlsym(loaded->library.native(), AH_ENTRY_SYMBOL);
    if (symbol == nullptr) {
        const char* reason = ::dlerror();
        return Error{where, "the loader cannot find " AH_ENTRY_SYMBOL ": " + std::string(reason ? reason : "no reason given"), ""};
    }
    if (!is_code(symbol)) {
        return Error{where, AH_ENTRY_SYMBOL " is not a function in executable code (is it exported as data?)",
                     "export it with AGENTHOST_PLUGIN() or as `const ah_plugin_entry *" AH_ENTRY_SYMBOL "(void)`"};
    }
    const ah_plugin_entry* raw = reinterpret_cast<ah_plugin_entry_fn>(symbol)();
    auto entry = negotiate(raw, where);
    if (!entry) {
        // Every 1.x entry has manifest_json at the same offset, so a 1.x entry this
        // host will not take can still say which plugin it is.
        constexpr std::size_t manifest_end = offsetof(ah_plugin_entry, manifest_json) + sizeof(const char*);
        if (plugin_id != nullptr && raw != nullptr && raw->abi_major == AH_ABI_MAJOR && raw->struct_size >= manifest_end)
            *plugin_id = id_from_manifest_text(raw->manifest_json);
        return entry.error();
    }
    loaded->entry = entry.value();

    auto manifest = PluginManifest::parse(loaded->entry.manifest_json);
    if (!manifest) {
        if (plugin_id != nullptr) *plugin_id = id_from_manifest_text(loaded->entry.manifest_json);
        return Error{where, manifest.error().to_string(), "fix the manifest JSON embedded in the plugin"};
    }
    loaded->manifest = std::move(manifest).value();
    const PluginManifest& m = loaded->manifest;
    loaded->id = m.name + "@" + m.version.to_string();
    const std::string& id = loaded->id;
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
const std::string& PluginLibrary::sha256() const noexcept { return loaded_->sha256; }
const PluginManifest& PluginLibrary::manifest() const noexcept { return loaded_->manifest; }
const ah_plugin_entry& PluginLibrary::entry() const noexcept { return loaded_->entry; }
const std::string& PluginLibrary::id() const noexcept { return loaded_->id; }

}  // namespace agenthost
