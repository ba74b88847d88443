// host_services_test.cpp: ah.log/1 end to end: a real plugin (fixture-good) logs
// through the table HostServices hands out, and each line comes out tagged with
// the agent's name and the run and step of the call it was made in.
#include <agenthost/host/host_services.hpp>
#include <agenthost/host/logging.hpp>
#include <agenthost/registry/registry.hpp>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <array>
#include <cstddef>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace json = boost::json;
using namespace agenthost;

std::vector<json::object> json_lines(const std::string& text) {
    std::vector<json::object> records;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) records.push_back(json::parse(line).as_object());
    return records;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(host_services)

BOOST_AUTO_TEST_CASE(offers_the_log_service_and_nothing_it_does_not_have) {
    const Logger logger;
    const HostServices services(logger);
    const auto* log = static_cast<const ah_log_v1*>(services.find(AH_EXT_LOG_V1));
    BOOST_REQUIRE(log != nullptr);
    BOOST_TEST(log->struct_size == sizeof(ah_log_v1));
    BOOST_TEST(log->write != nullptr);
    BOOST_TEST(services.find("ah.http/1") == nullptr);
    BOOST_TEST(services.find("ah.log/2") == nullptr);
    BOOST_TEST(services.find("") == nullptr);
}

BOOST_AUTO_TEST_CASE(a_null_or_foreign_host_pointer_is_ignored) {
    std::ostringstream out;
    const Logging logging({LogLevel::trace, LogFormat::json, &out});
    const Logger logger;
    const HostServices services(logger);
    const auto* log = static_cast<const ah_log_v1*>(services.find(AH_EXT_LOG_V1));
    BOOST_REQUIRE(log != nullptr);

    log->write(nullptr, nullptr, AH_LOG_ERROR, "from nowhere", 12);
    // Some other host's table: the registry may read past the public fields
    // to recognise its own tables, so this one has room, all of it zero.
    struct ForeignHostTable {
        ah_host host;
        std::array<std::byte, 256> rest;
    } foreign{};
    foreign.host = ah_host{sizeof(ah_host), AH_ABI_MAJOR, AH_ABI_MINOR, 0, nullptr, nullptr, nullptr, nullptr};
    log->write(&foreign.host, nullptr, AH_LOG_ERROR, "from a stranger", 15);
    log->write(&foreign.host, nullptr, 99, nullptr, 5);
    BOOST_TEST(out.str().empty());
}

BOOST_AUTO_TEST_CASE(a_plugins_log_lines_carry_its_agent_run_and_step) {
    std::ostringstream out;
    const Logging logging({LogLevel::trace, LogFormat::json, &out});
    const Logger logger;
    const HostServices services(logger);
    Registry registry(RegistryOptions{{AGENTHOST_FIXTURE_PLUGIN_DIR}, &services});
    registry.scan();

    AgentSpec spec;
    spec.name = "shouter";
    spec.plugin = "fixture-good@^1.4";
    auto agent = registry.create_agent(spec);
    BOOST_REQUIRE_MESSAGE(agent.ok(), (agent.ok() ? std::string() : agent.error().to_string()));

    CallRequest request;
    request.input_json = R"({"text":"abc"})";
    request.run_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    request.step = "shout";
    request.idempotency_key = "run-4bf9/shout";
    const CallResult result = agent.value()->invoke_sync(request);
    BOOST_REQUIRE_MESSAGE(result.ok(), result.error);

    const auto records = json_lines(out.str());
    bool saw_create = false;
    bool saw_call = false;
    for (const json::object& r : records) {
        if (r.at("agent").as_string() != "shouter") continue;
        if (r.at("msg").as_string() == "fixture-good created") {
            saw_create = true;  // outside any call: no run, no step
            BOOST_TEST(r.at("run_id").as_string().empty());
            BOOST_TEST(r.at("step").as_string().empty());
            BOOST_TEST(r.at("level").as_string() == "info");
        } else if (r.at("msg").as_string().starts_with("upper-casing")) {
            saw_call = true;
            BOOST_TEST(r.at("run_id").as_string() == request.run_id);
            BOOST_TEST(r.at("step").as_string() == "shout");
        }
    }
    BOOST_TEST(saw_create, "create's log line is missing: " << out.str());
    BOOST_TEST(saw_call, "invoke's log line is missing: " << out.str());
}

BOOST_AUTO_TEST_SUITE_END()
