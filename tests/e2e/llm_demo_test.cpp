// llm_demo_test.cpp: the LLM support demo as an operator runs it: the
// mock-provider executable with examples/mock-provider/support-rules.json, and
// `agenthost run config/support-llm.json` on every sample ticket, with the base
// URLs and keys in the environment. Each ticket must take its expected route
// with the models' answers (not the fallbacks'), the drafting model must see
// the category its ticket expects (the mock answers a ticket by name only
// under the right category), and --explain must show tokens and cost.
#include "cli_process.hpp"
#include "mock_provider/mock_process.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using agenthost::test::CliOutcome;
using agenthost::test::run_cli;
using agenthost::testing::MockProcess;

const fs::path source_dir = AGENTHOST_SOURCE_DIR;
const std::string config = (source_dir / "config/support-llm.json").string();
const std::string rules = (source_dir / "examples/mock-provider/support-rules.json").string();
constexpr const char* demo_key = "demo-key-7c21";

std::string read_file(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    BOOST_REQUIRE_MESSAGE(in, "cannot read " << file);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

std::vector<fs::path> tickets() {
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(source_dir / "examples/tickets"))
        if (entry.path().extension() == ".json") files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    return files;
}

bool contains(std::string_view haystack, std::string_view needle) { return haystack.find(needle) != std::string_view::npos; }

// The mock, and the environment the demo config reads, for one test. The CLI
// inherits this process's environment.
struct Demo {
    MockProcess mock{AGENTHOST_MOCK_PROVIDER, {"--rules", rules, "--expected-key", demo_key}};
    Demo() {
        ::setenv("OPENAI_BASE_URL", mock.base_url().c_str(), 1);
        ::setenv("ANTHROPIC_BASE_URL", mock.base_url().c_str(), 1);
        ::setenv("OPENAI_API_KEY", demo_key, 1);
        ::setenv("ANTHROPIC_API_KEY", demo_key, 1);
    }
    ~Demo() {
        for (const char* name : {"OPENAI_BASE_URL", "ANTHROPIC_BASE_URL", "OPENAI_API_KEY", "ANTHROPIC_API_KEY"})
            ::unsetenv(name);
    }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(llm_demo)

BOOST_AUTO_TEST_CASE(the_demo_config_validates) {
    Demo demo;
    const CliOutcome r = run_cli({"validate", config});
    BOOST_TEST(r.exit_code == 0, r.out << r.err);
}

BOOST_AUTO_TEST_CASE(every_sample_ticket_takes_its_route_with_the_models_answers) {
    Demo demo;
    for (const fs::path& file : tickets()) {
        BOOST_TEST_CONTEXT("ticket " << file.filename()) {
            const json::object ticket = json::parse(read_file(file)).as_object();
            const json::object& expected = ticket.at("expected").as_object();
            const std::string category(expected.at("category").as_string());
            std::vector<std::string> expected_route;
            for (const json::value& step : expected.at("route").as_array()) expected_route.emplace_back(step.as_string());

            const CliOutcome r = run_cli({"run", config, "--input", file.string(), "--json"});
            BOOST_TEST_REQUIRE(r.exit_code == 0, r.out << r.err);
            const json::object result = json::parse(r.out).as_object();
            BOOST_TEST_REQUIRE(result.at("ok").as_bool(), r.out);
            std::vector<std::string> route;
            for (const json::value& step : result.at("steps").as_array()) {
                route.emplace_back(step.at("step").as_string());
                const json::object& s = step.as_object();
                // The models answered: no step fell back to its deterministic stand-in.
                if (const json::value* fallback = s.if_contains("fallback_used")) BOOST_TEST(!fallback->as_bool(), r.out);
                if (step.at("step") == "triage" || step.at("step") == "reply") {
                    BOOST_TEST(s.at("plugin").as_string() == "llm@1.0.0", r.out);
                }
            }
            BOOST_TEST(route == expected_route, boost::test_tools::per_element());
            BOOST_TEST(result.at("tokens").to_number<double>() > 0, r.out);
            BOOST_TEST(result.at("cost_usd").to_number<double>() > 0, r.out);

            const std::string text(result.at("output").at("text").as_string());
            BOOST_TEST(contains(text, std::string(ticket.at("id").as_string())), text);
            if (category != "outage") {
                // The mock drafts a ticket's own reply only when the prompt carries its expected category.
                BOOST_TEST(contains(text, "Hi " + std::string(ticket.at("customer").as_string()) + ","), text);
                BOOST_TEST(contains(text, "ticket number"), text);
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(explain_shows_the_models_tokens_and_cost) {
    Demo demo;
    for (const fs::path& file : tickets()) {
        BOOST_TEST_CONTEXT("ticket " << file.filename()) {
            const CliOutcome r = run_cli({"run", config, "--input", file.string(), "--explain"});
            BOOST_TEST_REQUIRE(r.exit_code == 0, r.out << r.err);
            // "run <id> (support-llm): ok in 6.1 ms, 581 tokens, $0.002001"
            const std::regex summary(R"(\(support-llm\): ok in [0-9.]+ ms, ([1-9][0-9]*) tokens, \$([0-9.]+))");
            std::smatch m;
            BOOST_TEST_REQUIRE(std::regex_search(r.out, m, summary), r.out);
            BOOST_TEST(std::stod(m[2].str()) > 0.0, r.out);
            BOOST_TEST(contains(r.out, "triage (llm@1.0.0)"), r.out);
        }
    }
}

BOOST_AUTO_TEST_CASE(the_returns_draft_is_revised_by_the_model_after_review) {
    Demo demo;
    const CliOutcome r = run_cli({"run", config, "--input", (source_dir / "examples/tickets/returns-needs-revision.json").string(),
                                  "--explain"});
    BOOST_TEST_REQUIRE(r.exit_code == 0, r.out << r.err);
    BOOST_TEST(contains(r.out, "responder (llm@1.0.0)"), r.out);
    BOOST_TEST(contains(r.out, "approved in round 2"), r.out);
}

// The host's HTTP client takes its proxy from the usual environment variables.
// The providers' host names below are under .test, which never resolves: the
// models can only answer through the proxy, here the mock itself on 127.0.0.1
// (it answers an absolute-form request target like any other).
BOOST_AUTO_TEST_CASE(model_calls_go_through_the_proxy_that_the_environment_names) {
    Demo demo;
    const std::string proxied = "http://llm-provider.agenthost.test";
    ::setenv("OPENAI_BASE_URL", (proxied + "/v1").c_str(), 1);
    ::setenv("ANTHROPIC_BASE_URL", proxied.c_str(), 1);
    ::setenv("http_proxy", demo.mock.base_url().c_str(), 1);
    for (const char* name : {"no_proxy", "NO_PROXY", "HTTP_PROXY", "all_proxy", "ALL_PROXY"}) ::unsetenv(name);
    const CliOutcome r = run_cli(
        {"run", config, "--input", (source_dir / "examples/tickets/billing-double-charge.json").string(), "--json"});
    ::unsetenv("http_proxy");
    BOOST_TEST_REQUIRE(r.exit_code == 0, r.out << r.err);
    const json::object result = json::parse(r.out).as_object();
    BOOST_TEST(result.at("ok").as_bool(), r.out);
    for (const json::value& step : result.at("steps").as_array()) {
        if (const json::value* fallback = step.as_object().if_contains("fallback_used")) {
            BOOST_TEST(!fallback->as_bool(), "step " << step.at("step") << " fell back: " << r.out);
        }
    }
    BOOST_TEST(result.at("tokens").to_number<double>() > 0, r.out);
}

BOOST_AUTO_TEST_CASE(a_wrong_key_falls_back_to_the_deterministic_agents) {
    Demo demo;
    ::setenv("OPENAI_API_KEY", "not-the-key", 1);
    ::setenv("ANTHROPIC_API_KEY", "not-the-key", 1);
    const CliOutcome r = run_cli({"run", config, "--input", (source_dir / "examples/tickets/billing-double-charge.json").string(),
                                  "--explain"});
    BOOST_TEST_REQUIRE(r.exit_code == 0, r.out << r.err);
    BOOST_TEST(contains(r.out, "0 tokens, $0.000000"), r.out);
    BOOST_TEST(contains(r.out, "keyword-classifier@"), r.out);
    BOOST_TEST(contains(r.out, "template-responder@"), r.out);
    BOOST_TEST(!contains(r.out + r.err, "not-the-key"), r.out << r.err);
}

BOOST_AUTO_TEST_SUITE_END()
