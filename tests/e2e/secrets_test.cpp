// secrets_test.cpp: ah.secrets/1 and redaction through the real CLI. A plugin
// (fixture-secret-reader) reads a secret and then logs it, returns it and fails
// with it; whatever the CLI prints and the trace file holds, the value never
// appears and [REDACTED:API_KEY] does. A secret the agent was not granted is
// refused, and a secret with no value stops `validate` with what to do.
#include "cli_process.hpp"

#include <agenthost/sdk.h>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using agenthost::test::CliOutcome;
using agenthost::test::run_cli;

// Distinctive, so that a stray copy anywhere is found; no JSON escapes in it.
constexpr const char* kValue = "sk-e2e-7Hq4-secret-value-Zx81";
constexpr const char* kOtherValue = "other-secret-file-value-42";
const std::string engine_plugins = std::string(AGENTHOST_FIXTURE_PLUGIN_DIR) + "/engine";

// Sets a process environment variable (inherited by the CLI) for one scope.
class ScopedEnv {
public:
    ScopedEnv(const char* name, const char* value) : name_(name) {
        if (const char* old = std::getenv(name)) old_ = old;
        if (value != nullptr) ::setenv(name, value, 1);
        else ::unsetenv(name);
    }
    ~ScopedEnv() {
        if (old_) ::setenv(name_, old_->c_str(), 1);
        else ::unsetenv(name_);
    }
    ScopedEnv(const ScopedEnv&) = delete;
    ScopedEnv& operator=(const ScopedEnv&) = delete;

private:
    const char* name_;
    std::optional<std::string> old_;
};

std::string read_file(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

// A folder with the workflow, its inputs and a secret file; removed afterwards.
struct Workspace {
    fs::path dir = fs::temp_directory_path() / ("agenthost-secrets-e2e-" + std::to_string(::getpid()));

    Workspace() {
        fs::remove_all(dir);
        fs::create_directories(dir / "keys");
        std::ofstream(dir / "keys/other.txt", std::ios::binary) << kOtherValue << '\n';
        // "reader" may read API_KEY; "snoop" asks for OTHER_KEY, which it was not granted.
        std::ofstream(dir / "workflow.json", std::ios::binary) << R"({
  "name": "secrets-e2e",
  "secrets": {
    "API_KEY": {"env": "AGENTHOST_E2E_API_KEY"},
    "OTHER_KEY": {"file": "keys/other.txt"}
  },
  "agents": {
    "reader": {"plugin": "fixture-secret-reader", "grants": {"services": ["ah.secrets/1"], "secrets": ["API_KEY"]}},
    "snoop": {"plugin": "fixture-secret-reader", "config": {"secret": "OTHER_KEY"},
              "grants": {"services": ["ah.secrets/1"], "secrets": ["API_KEY"]}}
  },
  "start": "route",
  "steps": {
    "route": {"kind": "switch", "on": "/input/who", "cases": [{"equals": "snoop", "next": "snoop"}], "default": "read"},
    "read": {"kind": "agent", "agent": "reader", "reads": {"mode": "/input/mode"}, "next": "done"},
    "snoop": {"kind": "agent", "agent": "snoop", "reads": {"mode": "/input/mode"}, "next": "snooped"},
    "done": {"kind": "end", "result": "/read"},
    "snooped": {"kind": "end", "result": "/snoop"}
  }
})";
        std::ofstream(dir / "output.json") << R"({"mode": "output"})";
        std::ofstream(dir / "fail.json") << R"({"mode": "fail"})";
        std::ofstream(dir / "snoop.json") << R"({"who": "snoop", "mode": "output"})";
        std::ofstream(dir / "agent-config.json") << R"({})";
    }
    ~Workspace() { fs::remove_all(dir); }
    Workspace(const Workspace&) = delete;
    Workspace& operator=(const Workspace&) = delete;

    std::string path(const char* name) const { return (dir / name).string(); }
};

// Runs the workflow on `input` with every output the CLI has turned on.
CliOutcome run_workflow(const Workspace& ws, const char* input, const char* format, const fs::path& trace,
                        const char* result_flag) {
    return run_cli({"--log-level", "debug", "--log-format", format, "run", ws.path("workflow.json"), "--input",
                    ws.path(input), "--trace", trace.string(), "--plugin-dir", engine_plugins, result_flag});
}

void check_no_leak(const CliOutcome& r, const std::string& trace) {
    BOOST_TEST(r.out.find(kValue) == std::string::npos, "stdout:\n" << r.out);
    BOOST_TEST(r.err.find(kValue) == std::string::npos, "stderr:\n" << r.err);
    BOOST_TEST(trace.find(kValue) == std::string::npos, "trace:\n" << trace);
    BOOST_TEST(trace.find(kOtherValue) == std::string::npos);
    BOOST_TEST(r.err.find(kOtherValue) == std::string::npos);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(secrets)

BOOST_AUTO_TEST_CASE(a_secret_in_a_plugins_log_and_output_is_redacted_everywhere) {
    const Workspace ws;
    const ScopedEnv key("AGENTHOST_E2E_API_KEY", kValue);
    for (const char* format : {"json", "text"}) {
        for (const char* result_flag : {"--json", "--explain"}) {
            BOOST_TEST_CONTEXT(format << " " << result_flag) {
                const fs::path trace = ws.dir / (std::string("trace-") + format + result_flag + ".jsonl");
                const CliOutcome r = run_workflow(ws, "output.json", format, trace, result_flag);
                const std::string spans = read_file(trace);
                BOOST_TEST(r.exit_code == 0, r.err);
                check_no_leak(r, spans);
                // The plugin's two log lines, and its output as printed.
                BOOST_TEST(r.err.find("secret value: [REDACTED:API_KEY]") != std::string::npos, r.err);
                BOOST_TEST(r.out.find("key=[REDACTED:API_KEY]") != std::string::npos, r.out);
                BOOST_TEST(!spans.empty());
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(a_secret_in_a_plugins_failure_is_redacted_everywhere) {
    const Workspace ws;
    const ScopedEnv key("AGENTHOST_E2E_API_KEY", kValue);
    for (const char* result_flag : {"--json", "--explain"}) {
        BOOST_TEST_CONTEXT(result_flag) {
            const fs::path trace = ws.dir / (std::string("trace-fail") + result_flag + ".jsonl");
            const CliOutcome r = run_workflow(ws, "fail.json", "json", trace, result_flag);
            const std::string spans = read_file(trace);
            BOOST_TEST(r.exit_code != 0);
            check_no_leak(r, spans);
            // The failure quoted in the run's error, in the log and in the attempt's and step's spans.
            BOOST_TEST(spans.find("upstream refused key [REDACTED:API_KEY]") != std::string::npos, spans);
            BOOST_TEST(r.err.find("upstream refused key [REDACTED:API_KEY]") != std::string::npos, r.err);
            BOOST_TEST((r.out + r.err).find("agent_failed") != std::string::npos);
        }
    }
    // The run's JSON result carries the redacted failure in its error and step record.
    const CliOutcome j = run_workflow(ws, "fail.json", "json", ws.dir / "trace-fail-json2.jsonl", "--json");
    const json::object result = json::parse(j.out).as_object();
    BOOST_TEST(json::serialize(result.at("error")).find("[REDACTED:API_KEY]") != std::string::npos, j.out);
}

BOOST_AUTO_TEST_CASE(a_secret_the_agent_was_not_granted_is_refused_and_logged_without_its_value) {
    const Workspace ws;
    const ScopedEnv key("AGENTHOST_E2E_API_KEY", kValue);
    const fs::path trace = ws.dir / "trace-snoop.jsonl";
    const CliOutcome r = run_workflow(ws, "snoop.json", "json", trace, "--json");
    BOOST_TEST(r.exit_code == 0, r.err);
    check_no_leak(r, read_file(trace));
    const json::object result = json::parse(r.out).as_object();
    BOOST_TEST(result.at("output").at("read_status").to_number<int>() == AH_ERR_PERMISSION_DENIED, r.out);
    BOOST_TEST(r.err.find("agent snoop asked for secret \\\"OTHER_KEY\\\", which it may not read") != std::string::npos,
               r.err);
}

BOOST_AUTO_TEST_CASE(a_secret_without_a_value_fails_validate_with_what_to_do) {
    const Workspace ws;
    const ScopedEnv unset("AGENTHOST_E2E_API_KEY", nullptr);
    const CliOutcome r = run_cli({"validate", ws.path("workflow.json"), "--plugin-dir", engine_plugins});
    BOOST_TEST(r.exit_code != 0);
    const std::string all = r.out + r.err;
    BOOST_TEST(all.find("workflow.json:4:") != std::string::npos, all);
    BOOST_TEST(all.find("/secrets/API_KEY/env: secret \"API_KEY\" takes its value from environment variable "
                        "AGENTHOST_E2E_API_KEY, which is not set (export AGENTHOST_E2E_API_KEY=...") != std::string::npos,
               all);

    const ScopedEnv set("AGENTHOST_E2E_API_KEY", kValue);
    const CliOutcome ok = run_cli({"validate", ws.path("workflow.json"), "--plugin-dir", engine_plugins});
    BOOST_TEST(ok.exit_code == 0, ok.out + ok.err);
}

BOOST_AUTO_TEST_CASE(test_agent_reads_requested_secrets_from_variables_of_the_same_name) {
    const Workspace ws;
    const ScopedEnv key("API_KEY", kValue);
    std::ofstream(ws.dir / "output.json") << R"({"mode": "output"})";
    const CliOutcome r = run_cli({"--log-level", "debug", "test-agent", "fixture-secret-reader", "--plugin-dir",
                                  engine_plugins, "--config", ws.path("agent-config.json"), "--input",
                                  ws.path("output.json"), "--json"});
    BOOST_TEST(r.exit_code == 0, r.out + r.err);
    BOOST_TEST(r.out.find(kValue) == std::string::npos, r.out);
    BOOST_TEST(r.err.find(kValue) == std::string::npos, r.err);
    const json::object report = json::parse(r.out).as_object();
    BOOST_TEST(report.at("output").at("text").as_string() == "key=[REDACTED:API_KEY]", r.out);

    const CliOutcome failed = run_cli({"test-agent", "fixture-secret-reader", "--plugin-dir", engine_plugins, "--config",
                                       ws.path("agent-config.json"), "--input", ws.path("fail.json")});
    BOOST_TEST(failed.exit_code != 0);
    BOOST_TEST((failed.out + failed.err).find(kValue) == std::string::npos, failed.out + failed.err);
    BOOST_TEST(failed.err.find("upstream refused key [REDACTED:API_KEY]") != std::string::npos, failed.err);
}

BOOST_AUTO_TEST_SUITE_END()
