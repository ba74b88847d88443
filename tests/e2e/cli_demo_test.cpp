// cli_demo_test.cpp: the support demo as an operator runs it, through the
// real agenthost binary: `agenthost run config/support.json` on every sample
// ticket in examples/tickets/ (the route taken and the answer, checked against
// each ticket's "expected"), `agenthost validate` on the demo config and on a
// broken copy, and `agenthost test-agent` on one first-party plugin.
#include "cli_process.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <string_view>
#include <unistd.h>
#include <vector>

namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using agenthost::test::CliOutcome;
using agenthost::test::run_cli;

const fs::path source_dir = AGENTHOST_SOURCE_DIR;
const std::string support_config = (source_dir / "config/support.json").string();
const fs::path data_dir = source_dir / "tests/e2e/data";

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

bool contains(std::string_view haystack, std::string_view needle) {
    return haystack.find(needle) != std::string_view::npos;
}

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

std::vector<std::string> strings(const json::array& a) {
    std::vector<std::string> out;
    for (const json::value& v : a) out.emplace_back(v.as_string());
    return out;
}

//! A folder of its own under the system's temporary folder, removed at the end.
struct TempDir {
    fs::path path = fs::temp_directory_path() / ("agenthost-cli-demo-" + std::to_string(::getpid()));
    TempDir() {
        fs::remove_all(path);
        fs::create_directories(path);
    }
    ~TempDir() {
        std::error_code ignored;
        fs::remove_all(path, ignored);
    }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(cli_demo)

BOOST_AUTO_TEST_CASE(every_sample_ticket_takes_its_expected_route_and_gets_an_answer) {
    const auto files = tickets();
    BOOST_REQUIRE_GE(files.size(), 6u);
    for (const fs::path& file : files) {
        BOOST_TEST_CONTEXT("ticket " << file.filename().string()) {
            const json::object ticket = json::parse(read_file(file)).as_object();
            const json::object& expected = ticket.at("expected").as_object();
            const std::string customer(ticket.at("customer").as_string());
            const std::string id(ticket.at("id").as_string());
            const std::string category(expected.at("category").as_string());
            const std::vector<std::string> expected_route = strings(expected.at("route").as_array());

            const CliOutcome r = run_cli({"run", support_config, "--input", file.string(), "--json"});
            BOOST_TEST_INFO("stderr: " << r.err);
            BOOST_REQUIRE_EQUAL(r.exit_code, 0);
            const json::object result = json::parse(r.out).as_object();
            BOOST_TEST(result.at("ok").as_bool());
            BOOST_TEST(result.at("workflow").as_string() == "support");
            BOOST_TEST(result.at("run_id").as_string().size() == 32u);

            std::vector<std::string> route;
            for (const json::value& step : result.at("steps").as_array())
                route.emplace_back(step.at("step").as_string());
            BOOST_TEST(route == expected_route, boost::test_tools::per_element());

            const json::object& output = result.at("output").as_object();
            const std::string text(output.at("text").as_string());
            BOOST_TEST(contains(text, "Hi " + customer), text);
            // The reviewer's required phrase is in every reply that made it through review.
            BOOST_TEST(contains(lower(text), "ticket number"), text);
            // The returns template in config/support.json deliberately lacks the
            // ticket line, so that the first draft is rejected; its revision
            // template adds the line, number and all.
            BOOST_TEST(contains(text, id), text);

            if (category == "outage") {
                BOOST_TEST(route.back() == "done-urgent");
                BOOST_TEST(contains(text, "incident"), text);
            } else {
                // The responder picks its template by category; "general" has none of its own.
                BOOST_TEST(output.at("template").as_string() == (category == "general" ? "default" : category));
                const auto& steps = result.at("steps").as_array();
                const auto reply = std::find_if(steps.begin(), steps.end(),
                                                [](const json::value& s) { return s.at("step").as_string() == "reply"; });
                BOOST_REQUIRE(reply != steps.end());
                BOOST_TEST(contains(reply->at("detail").as_string(), "approved in round"),
                           json::serialize(*reply));
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(explain_prints_the_path_with_latency) {
    const fs::path ticket = source_dir / "examples/tickets/returns-needs-revision.json";
    const CliOutcome r = run_cli({"run", support_config, "--input", ticket.string(), "--explain"});
    BOOST_TEST_INFO("stderr: " << r.err);
    BOOST_REQUIRE_EQUAL(r.exit_code, 0);
    BOOST_TEST(contains(r.out, "Hi Barbara"), r.out);  // the answer, then the path
    const std::size_t path = r.out.find("path:");
    BOOST_REQUIRE_MESSAGE(path != std::string::npos, r.out);
    std::size_t at = path;
    for (const char* step : {"triage", "route", "research", "reply", "done"}) {
        at = r.out.find(std::string("\n  ") + step + " ", at);
        BOOST_TEST_REQUIRE(at != std::string::npos, "step " << step << " missing or out of order:\n" << r.out);
    }
    BOOST_TEST(contains(r.out.substr(path), " ms"), r.out);
    BOOST_TEST(contains(r.out.substr(path), "rounds=2"), r.out);  // the review loop, visible
}

BOOST_AUTO_TEST_CASE(validate_accepts_the_demo_config) {
    const CliOutcome r = run_cli({"validate", support_config});
    BOOST_TEST_INFO("stdout: " << r.out << "\nstderr: " << r.err);
    BOOST_TEST(r.exit_code == 0);
    BOOST_TEST(contains(r.out, "ok"), r.out);

    const CliOutcome j = run_cli({"validate", support_config, "--json"});
    BOOST_REQUIRE_EQUAL(j.exit_code, 0);
    BOOST_TEST(json::parse(j.out) == json::parse(R"({"valid": true, "workflow": "support"})"));
}

BOOST_AUTO_TEST_CASE(validate_refuses_a_broken_copy_with_its_location) {
    TempDir dir;
    std::string text = read_file(support_config);
    // Make the copy stand on its own: the knowledge base by absolute path, and one typo.
    const std::string kb = "${CONFIG_DIR}/../examples/kb";
    BOOST_REQUIRE(contains(text, kb));
    text.replace(text.find(kb), kb.size(), (source_dir / "examples/kb").string());
    const std::string good = R"("writes": "reply", "next": "done")";
    BOOST_REQUIRE(contains(text, good));
    const std::size_t typo_at = text.find(good);
    text.replace(typo_at, good.size(), R"("writes": "reply", "next": "dnoe")");
    const auto typo_line = 1 + std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(typo_at), '\n');
    const fs::path broken = dir.path / "support-broken.json";
    std::ofstream(broken) << text;

    const CliOutcome r = run_cli({"validate", broken.string()});
    BOOST_TEST_INFO("stdout: " << r.out << "\nstderr: " << r.err);
    BOOST_TEST(r.exit_code == 1);
    // file:line:column: pointer: message (hint)
    const std::regex located(std::regex_replace(broken.string(), std::regex(R"([.^$|()\[\]{}*+?\\])"), R"(\$&)") +
                             ":([0-9]+):([0-9]+): /steps/reply/next: ");
    std::smatch m;
    BOOST_REQUIRE_MESSAGE(std::regex_search(r.out, m, located), "no located issue in:\n" << r.out);
    BOOST_TEST(std::stol(m[1].str()) == typo_line);
    BOOST_TEST(std::stol(m[2].str()) > 0);
    BOOST_TEST(contains(r.out, "dnoe"), r.out);
    BOOST_TEST(contains(r.out, "\"done\""), r.out);  // the nearest valid name is suggested

    const CliOutcome j = run_cli({"validate", broken.string(), "--json"});
    BOOST_TEST(j.exit_code == 1);
    const json::object report = json::parse(j.out).as_object();
    BOOST_TEST(!report.at("valid").as_bool());
    // Every problem at once: the typo, and the end step that nothing routes to any more.
    const json::array& issues = report.at("issues").as_array();
    BOOST_REQUIRE_EQUAL(issues.size(), 2u);
    BOOST_TEST(issues[0].at("pointer").as_string() == "/steps/reply/next");
    BOOST_TEST(issues[0].at("line").to_number<long>() == typo_line);
    BOOST_TEST(issues[1].at("pointer").as_string() == "/steps/done");
    BOOST_TEST(contains(issues[1].at("message").as_string(), "never reached"), json::serialize(issues[1]));
}

BOOST_AUTO_TEST_CASE(test_agent_prints_output_status_latency_and_usage) {
    const std::string config = (data_dir / "classifier_config.json").string();
    const std::string input = (data_dir / "classifier_input.json").string();

    const CliOutcome r = run_cli({"test-agent", "keyword-classifier", "--config", config, "--input", input});
    BOOST_TEST_INFO("stdout: " << r.out << "\nstderr: " << r.err);
    BOOST_REQUIRE_EQUAL(r.exit_code, 0);
    BOOST_TEST(contains(r.out, "keyword-classifier@1."), r.out);
    BOOST_TEST(std::regex_search(r.out, std::regex("status: +ok")), r.out);
    BOOST_TEST(std::regex_search(r.out, std::regex(R"(latency: +[0-9]+\.[0-9] ms)")), r.out);
    BOOST_TEST(std::regex_search(r.out, std::regex(R"(usage: +0 input, 0 output, 0 cached tokens)")), r.out);
    BOOST_TEST(contains(r.out, "\"category\": \"billing\""), r.out);
    BOOST_TEST(contains(r.out, "\"urgency\": \"high\""), r.out);

    const CliOutcome j = run_cli({"test-agent", "keyword-classifier", "--config", config, "--input", input, "--json"});
    BOOST_REQUIRE_EQUAL(j.exit_code, 0);
    const json::object report = json::parse(j.out).as_object();
    BOOST_TEST(report.at("ok").as_bool());
    BOOST_TEST(report.at("status").as_string() == "AH_OK");
    BOOST_TEST(report.at("output").at("category").as_string() == "billing");
    BOOST_TEST(report.at("output").at("urgency").as_string() == "high");
    BOOST_TEST(report.at("latency_us").to_number<long>() >= 0);
    BOOST_TEST(report.at("input_tokens").to_number<long>() == 0);
    BOOST_TEST(report.at("problems").as_array().empty());
}

BOOST_AUTO_TEST_CASE(test_agent_refuses_input_that_breaks_the_manifest) {
    const CliOutcome r = run_cli({"test-agent", "keyword-classifier", "--config",
                                  (data_dir / "classifier_config.json").string(), "--input",
                                  (data_dir / "classifier_bad_input.json").string(), "--json"});
    BOOST_TEST(r.exit_code == 1);
    const json::object report = json::parse(r.out).as_object();
    BOOST_TEST(!report.at("ok").as_bool());
    BOOST_REQUIRE(!report.at("problems").as_array().empty());
    const std::string problem(report.at("problems").as_array().front().as_string());
    BOOST_TEST(contains(problem, "input_schema"), problem);
    BOOST_TEST(contains(problem, "text"), problem);
}

BOOST_AUTO_TEST_SUITE_END()
