// plugin_agents.hpp: agents of the first-party plugins, made through the
// registry exactly as a workflow makes them, for the plugins' own tests.
#pragma once

#include "fixture_paths.hpp"

#include <agenthost/registry/registry.hpp>

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <memory>

namespace agenthost::testing {

//! A registry over the build's first-party plugins.
inline Registry first_party_registry() {
    Registry registry({{AGENTHOST_PLUGIN_BUILD_DIR}, nullptr});
    registry.scan();
    return registry;
}

//! An agent of `plugin` ("name@constraint") with `config`, or why not.
inline Result<std::shared_ptr<AgentInstance>> try_agent(const Registry& registry, const char* plugin,
                                                        const char* config) {
    AgentSpec spec;
    spec.name = "subject";
    spec.plugin = plugin;
    spec.config = boost::json::parse(config);
    return registry.create_agent(spec);
}

//! The same, failing the test when the agent cannot be made.
inline std::shared_ptr<AgentInstance> require_agent(const Registry& registry, const char* plugin,
                                                    const char* config) {
    auto agent = try_agent(registry, plugin, config);
    BOOST_TEST_REQUIRE(agent.ok(), why(agent));
    return agent.value();
}

}  // namespace agenthost::testing
