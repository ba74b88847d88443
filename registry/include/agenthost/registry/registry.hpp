// registry.hpp: finds plugins in directories, resolves versions, and makes agent instances.
#pragma once

#include <agenthost/registry/agent_instance.hpp>
#include <agenthost/registry/permissions.hpp>
#include <agenthost/registry/plugin_library.hpp>
#include <agenthost/registry/result.hpp>
#include <agenthost/registry/semver.hpp>

#include <boost/json/value.hpp>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace agenthost {

class ServiceDirectory;

struct RegistryOptions {
    std::vector<std::filesystem::path> plugin_dirs;  //!< scanned in order; the first copy of a name@version wins
    const ServiceDirectory* services = nullptr;      //!< host services; must outlive the instances
};

//! A file the registry would not load, and why.
struct PluginRefusal {
    std::filesystem::path file;
    std::string plugin;  //!< "name@version" when the manifest could be read, else empty
    std::string reason;
};

//! An agent as config declares it.
struct AgentSpec {
    std::string name;                   //!< the agent's name in config
    std::string plugin;                 //!< "name", "name@^1.2", "name@~1.2.3", "name@1.2.3"
    std::optional<std::string> sha256;  //!< pin: the plugin file's digest, 64 hex digits
    boost::json::value config = boost::json::object();
    Permissions grants;
};

class Registry {
public:
    explicit Registry(RegistryOptions options);

    //! Loads every shared library in the plugin directories. A broken file is
    //! refused with its reason and never stops the others. Call again to rescan.
    void scan();

    //! Loads one file outside the directories (for `plugins inspect PATH`).
    Result<std::shared_ptr<PluginLibrary>> load(const std::filesystem::path& file);

    //! Every plugin loaded, sorted by name then version.
    const std::vector<std::shared_ptr<PluginLibrary>>& plugins() const noexcept;
    const std::vector<PluginRefusal>& refusals() const noexcept;

    //! The highest installed version that satisfies `ref`.
    Result<std::shared_ptr<PluginLibrary>> resolve(const PluginRef& ref) const;

    //! Resolves the plugin, checks the pin, validates `spec.config` against
    //! the config schema, computes the effective permissions and creates the
    //! instance. The Error names the agent, the plugin and the reason.
    Result<std::shared_ptr<AgentInstance>> create_agent(const AgentSpec& spec) const;

private:
    RegistryOptions options_;
    //! Shared by every instance this registry creates: one release thread, not one each.
    std::shared_ptr<InstanceReleaser> releaser_ = make_instance_releaser();
    std::vector<std::shared_ptr<PluginLibrary>> plugins_;
    std::vector<PluginRefusal> refusals_;
};

}  // namespace agenthost
