// frozen_abi_test.cpp: a plugin built against the frozen 1.0 header loads and runs on this host.
//
// fixture-older-minor is C compiled against tests/abi/sdk_v1_0.h: its entry
// is the 56-byte 1.0 struct with abi_minor 0 and no `flags`. Right behind it
// in memory sit eight bytes of ones, so a host that read `flags` past
// struct_size would see flags != 0. This suite loads it through the registry,
// as the host does, and checks the negotiation, then creates an instance and
// calls it through the 1.1 host table, logging included.
#include "frozen_v1_0.hpp"  // first: see the file

#include <agenthost/registry/registry.hpp>
#include <agenthost/registry/service_directory.hpp>

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <filesystem>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace {

const std::filesystem::path fixture_dir = AGENTHOST_FIXTURE_PLUGIN_DIR;
const std::filesystem::path older_minor_file = fixture_dir / "fixture-older-minor.so";

//! Host services for the test: ah.log/1 only, recording each line with the agent that wrote it.
class RecordingServices final : public agenthost::ServiceDirectory {
public:
    const void* find(std::string_view id) const noexcept override {
        return id == AH_EXT_LOG_V1 ? &log_table : nullptr;
    }

    std::vector<std::string> lines() const {
        const std::lock_guard<std::mutex> lock(mutex_);
        return lines_;
    }

private:
    // The log table has no user pointer; the host table leads back to the
    // instance, and the instance to the services it was created with: us.
    static void write(const ah_host* host, const ah_call* /*call*/, int32_t /*level*/, const char* message,
                      size_t size) noexcept {
        const agenthost::AgentInstance* instance = agenthost::AgentInstance::from_host(host);
        if (instance == nullptr) return;
        const auto* self = static_cast<const RecordingServices*>(instance->services());
        try {
            const std::lock_guard<std::mutex> lock(self->mutex_);
            self->lines_.push_back(instance->name() + ": " + std::string(message, size));
        } catch (...) {
            // Called from plugin code: nothing may propagate. A lost line fails the test that wanted it.
        }
    }

    static constexpr ah_log_v1 log_table{sizeof(ah_log_v1), 0u, &RecordingServices::write};

    mutable std::mutex mutex_;
    mutable std::vector<std::string> lines_;
};

bool contains(const std::vector<std::string>& lines, std::string_view text) {
    return std::any_of(lines.begin(), lines.end(), [&](const std::string& l) { return l.find(text) != std::string::npos; });
}

}  // namespace

BOOST_AUTO_TEST_SUITE(frozen_abi)

BOOST_AUTO_TEST_CASE(older_minor_plugin_negotiates_abi_1_0) {
    RecordingServices services;
    agenthost::Registry registry({{fixture_dir}, &services});
    auto plugin = registry.load(older_minor_file);
    BOOST_TEST_REQUIRE(plugin.ok(), (plugin.ok() ? "" : plugin.error().to_string()));

    const agenthost::PluginLibrary& library = *plugin.value();
    BOOST_TEST(library.id() == "fixture-older-minor@1.0.0");
    BOOST_TEST(library.abi_major() == AH_ABI_MAJOR);
    BOOST_TEST(library.abi_minor() == 0u);
    BOOST_TEST(library.entry().struct_size == sizeof(agenthost::abi_v1_0::ah_plugin_entry));
    BOOST_TEST(library.entry().struct_size < sizeof(ah_plugin_entry));
    // The plugin's guard bytes where `flags` would be are all ones: zero here
    // means the registry read only what struct_size covers.
    BOOST_TEST(library.flags() == 0u);
    BOOST_TEST(library.manifest().sdk_abi_major == 1u);
    BOOST_TEST(library.manifest().sdk_abi_minor == 0u);
}

BOOST_AUTO_TEST_CASE(older_minor_plugin_runs_through_the_current_host_table) {
    RecordingServices services;
    agenthost::Registry registry({{fixture_dir}, &services});
    registry.scan();
    for (const agenthost::PluginRefusal& refusal : registry.refusals()) {
        BOOST_TEST(refusal.file != older_minor_file, "refused: " << refusal.reason);
    }

    agenthost::AgentSpec spec;
    spec.name = "echo-1-0";
    spec.plugin = "fixture-older-minor@1.0.0";
    auto agent = registry.create_agent(spec);
    BOOST_TEST_REQUIRE(agent.ok(), (agent.ok() ? "" : agent.error().to_string()));
    BOOST_TEST(contains(services.lines(), "echo-1-0: fixture-older-minor created"));

    agenthost::CallRequest request;
    request.input_json = R"({"question":"still there?"})";
    request.run_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    request.step = "frozen";
    request.idempotency_key = "frozen-abi-1";
    request.attempt = 2;
    const agenthost::CallResult result = agent.value()->invoke_sync(request);

    BOOST_TEST_REQUIRE(result.ok(), agenthost::status_name(result.status) << ": " << result.error);
    BOOST_TEST(result.output_json == R"({"echo":{"question":"still there?"},"built_against":"1.0","attempt":2})");
    const auto violations =
        agent.value()->plugin().manifest().output_schema->validate(boost::json::parse(result.output_json));
    BOOST_TEST(violations.empty(), agenthost::describe(violations));
    BOOST_TEST(contains(services.lines(), "echo-1-0: fixture-older-minor echoing its input"));
    BOOST_TEST(agent.value()->calls_in_flight() == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
