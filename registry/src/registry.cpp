// registry.cpp: scanning plugin directories, resolving versions and creating agents.
#include <agenthost/registry/nearest_name.hpp>
#include <agenthost/registry/registry.hpp>

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cctype>

namespace agenthost {

namespace {

bool looks_like_shared_library(const std::filesystem::path& file) {
    const std::string name = file.filename().string();
    return file.extension() == ".so" || name.find(".so.") != std::string::npos;
}

std::string lowercase(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
}

}  // namespace

Registry::Registry(RegistryOptions options) : options_(std::move(options)) {}

void Registry::scan() {
    plugins_.clear();
    refusals_.clear();
    for (const std::filesystem::path& given : options_.plugin_dirs) {
        std::error_code ec;
        const std::filesystem::path dir = std::filesystem::absolute(given, ec);
        if (!std::filesystem::is_directory(dir, ec)) {
            refusals_.push_back({dir, "", "plugin directory does not exist or is not a directory"});
            continue;
        }
        std::vector<std::filesystem::path> files;
        for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
            if (entry.is_regular_file(ec) && looks_like_shared_library(entry.path())) files.push_back(entry.path());
        }
        std::sort(files.begin(), files.end());
        for (const auto& file : files) {
            auto loaded = load(file);
            if (!loaded) continue;
            auto duplicate = std::find_if(plugins_.begin(), plugins_.end(), [&](const auto& p) {
                return p->id() == loaded.value()->id();
            });
            if (duplicate != plugins_.end()) {
                refusals_.push_back({file, loaded.value()->id(),
                                     "the same name and version is already loaded from " +
                                         (*duplicate)->path().string()});
                continue;
            }
            plugins_.push_back(std::move(loaded).value());
        }
    }
    std::sort(plugins_.begin(), plugins_.end(), [](const auto& a, const auto& b) {
        const PluginManifest& ma = a->manifest();
        const PluginManifest& mb = b->manifest();
        if (ma.name != mb.name) return ma.name < mb.name;
        return ma.version < mb.version;
    });
}

Result<std::shared_ptr<PluginLibrary>> Registry::load(const std::filesystem::path& file) {
    std::string plugin_id;
    auto loaded = PluginLibrary::open(file, &plugin_id);
    if (!loaded) {
        std::string reason = loaded.error().message;
        if (!loaded.error().hint.empty()) reason += " (" + loaded.error().hint + ")";
        refusals_.push_back({file, plugin_id, reason});
    }
    return loaded;
}

const std::vector<std::shared_ptr<PluginLibrary>>& Registry::plugins() const noexcept { return plugins_; }
const std::vector<PluginRefusal>& Registry::refusals() const noexcept { return refusals_; }

Result<std::shared_ptr<PluginLibrary>> Registry::resolve(const PluginRef& ref) const {
    std::shared_ptr<PluginLibrary> best;
    std::string installed;
    std::vector<std::string> names;
    for (const auto& plugin : plugins_) {
        const PluginManifest& m = plugin->manifest();
        names.push_back(m.name);
        if (m.name != ref.name) continue;
        installed += (installed.empty() ? "" : ", ") + m.version.to_string();
        if (ref.constraint.matches(m.version) && (!best || best->manifest().version < m.version)) best = plugin;
    }
    if (best) return best;
    if (installed.empty()) {
        std::string hint = "install it into one of the plugin directories";
        if (auto near = nearest_name(ref.name, names)) hint = "did you mean \"" + *near + "\"?";
        return Error{"plugin " + ref.name, "no plugin of that name is installed", hint};
    }
    return Error{"plugin " + ref.name, "no installed version satisfies \"" + ref.constraint.text() +
                                           "\" (installed: " + installed + ")",
                 "install a matching version or change the constraint"};
}

Result<std::shared_ptr<AgentInstance>> Registry::create_agent(const AgentSpec& spec) const {
    const std::string where = "agent " + spec.name;
    auto ref = PluginRef::parse(spec.plugin);
    if (!ref) return Error{where + " /plugin", ref.error().message, ref.error().hint, "/plugin"};
    auto plugin = resolve(ref.value());
    if (!plugin) return Error{where, plugin.error().to_string(), "", "/plugin"};
    const std::shared_ptr<PluginLibrary>& lib = plugin.value();
    const std::string who = where + " (" + lib->id() + ", " + lib->path().string() + ")";

    // The digest taken when the file was loaded: the pin vouches for the code that runs.
    if (spec.sha256 && lib->sha256() != lowercase(*spec.sha256)) {
        return Error{who, "sha256 pin mismatch: the config pins " + *spec.sha256 + " but the loaded file is " +
                              lib->sha256(),
                     "the plugin file changed; if the change is intended, update the pin", "/sha256"};
    }

    auto violations = lib->manifest().config_schema->validate(spec.config);
    if (!violations.empty()) {
        return Error{who + " /config", "does not match the plugin's config_schema:\n" + describe(violations),
                     "see `agenthost plugins inspect " + lib->manifest().name + "`",
                     violations.size() == 1 ? "/config" + violations.front().pointer : "/config"};
    }

    auto permissions = effective_permissions(lib->manifest().requested, spec.grants, where + " /grants");
    if (!permissions) {
        Error error = permissions.error();
        error.pointer = "/grants";
        return error;
    }

    auto output_schema = lib->manifest().output_schema_for(spec.config);
    if (!output_schema) {
        Error error = output_schema.error();
        error.where = who + " /config" + error.pointer;
        error.pointer = "/config" + error.pointer;
        return error;
    }

    auto instance = AgentInstance::create(spec.name, lib, boost::json::serialize(spec.config),
                                          std::move(permissions).value(), options_.services,
                                          std::move(output_schema).value(), releaser_);
    if (!instance) {
        Error error = instance.error();
        error.pointer = "/config";  // the plugin's own create refused its config
        return error;
    }
    return instance;
}

}  // namespace agenthost
