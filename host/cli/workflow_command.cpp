// workflow_command.cpp: `agenthost validate`, `agenthost run` and
// `agenthost test-agent`: checking a config, running a workflow, and calling
// one agent alone.
#include "command.hpp"
#include "host_options.hpp"
#include "pretty_json.hpp"
#include "run_report.hpp"

#include <agenthost/host.hpp>
#include <agenthost/registry/json_text.hpp>

#include <boost/json/serialize.hpp>

#include <cstdio>
#include <fstream>
#include <iomanip>
#include <ostream>
#include <sstream>

namespace agenthost::cli {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

const OptionSpec plugin_dir_option{"--plugin-dir", "DIR", "also search DIR for plugins (repeatable)", true};

std::optional<json::value> read_json_file(const Invocation& inv, const std::string& path, std::string_view what) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        inv.err << "agenthost: error: cannot read the " << what << " file " << path << '\n';
        return std::nullopt;
    }
    std::stringstream text;
    text << in.rdbuf();
    auto parsed = parse_json(text.str(), path, true);
    if (!parsed) {
        inv.err << "agenthost: error: " << parsed.error().to_string() << '\n';
        return std::nullopt;
    }
    return std::move(parsed).value();
}

json::object issue_json(const ConfigIssue& issue) {
    return {{"file", issue.file},       {"line", issue.line}, {"column", issue.column},
            {"pointer", issue.pointer}, {"message", issue.message}, {"hint", issue.hint}};
}

int report_issues(const Invocation& inv, const ConfigIssues& issues, std::ostream& out) {
    if (inv.args.has("--json")) {
        json::array list;
        for (const ConfigIssue& issue : issues) list.push_back(issue_json(issue));
        out << json::serialize(json::object{{"valid", false}, {"issues", std::move(list)}}) << '\n';
    } else {
        for (const ConfigIssue& issue : issues) out << issue.to_string() << '\n';
        out << issues.size() << (issues.size() == 1 ? " problem" : " problems") << " found\n";
    }
    return exit_failure;
}

// Loads and compiles a config; prints every problem and returns nullptr when it has any.
std::shared_ptr<const Workflow> load(const Invocation& inv, Host& host, const std::string& config) {
    LoadResult loaded = host.load(config);
    if (auto* issues = std::get_if<ConfigIssues>(&loaded)) {
        report_issues(inv, *issues, inv.err);
        return nullptr;
    }
    return std::get<std::shared_ptr<const Workflow>>(std::move(loaded));
}

int validate(const Invocation& inv) {
    auto options = cli_host_options(inv);
    if (!options) return exit_failure;
    Host host(*options);
    const std::string& config = inv.args.positionals().front();
    LoadResult loaded = host.load(config);
    if (auto* issues = std::get_if<ConfigIssues>(&loaded)) return report_issues(inv, *issues, inv.out);
    const auto& workflow = std::get<std::shared_ptr<const Workflow>>(loaded);
    if (inv.args.has("--json")) {
        inv.out << json::serialize(json::object{{"valid", true}, {"workflow", workflow->name()}}) << '\n';
    } else {
        inv.out << config << ": ok (workflow " << workflow->name() << ", " << workflow->agents().size()
                << " agents, " << workflow->steps().size() << " steps)\n";
    }
    return exit_ok;
}

// Options a command cannot do without; the parser knows only optional ones.
void require(const Invocation& inv, std::initializer_list<std::string_view> names) {
    for (std::string_view name : names) {
        if (!inv.args.value(name)) throw UsageError("missing " + std::string(name) + " FILE.");
    }
}

int run(const Invocation& inv) {
    require(inv, {"--input"});
    auto options = cli_host_options(inv, true);
    if (!options) return exit_failure;
    auto input = read_json_file(inv, *inv.args.value("--input"), "input");
    if (!input) return exit_failure;
    Host host(*options);
    auto workflow = load(inv, host, inv.args.positionals().front());
    if (!workflow) return exit_failure;

    // A host started on a store first takes up what a crash or a kill left unfinished.
    if (!options->store.empty()) report_resumed(inv, host.resume_unfinished([](RunResult) {}));
    RunResult result = host.run(workflow, std::move(*input));
    return report_run(inv, result, options->store.string());
}

int test_agent(const Invocation& inv) {
    require(inv, {"--config", "--input"});
    auto options = cli_host_options(inv);
    if (!options) return exit_failure;
    auto config = read_json_file(inv, *inv.args.value("--config"), "agent config");
    auto input = config ? read_json_file(inv, *inv.args.value("--input"), "input") : std::nullopt;
    if (!config || !input) return exit_failure;
    Host host(*options);
    AgentTestReport report = host.test_agent(inv.args.positionals().front(), *config, *input);
    if (inv.args.has("--json")) {
        json::array problems;
        for (const std::string& p : report.problems) problems.emplace_back(p);
        inv.out << json::serialize(json::object{{"plugin", report.plugin},
                                                {"ok", report.ok},
                                                {"status", status_name(report.status)},
                                                {"output", report.output},
                                                {"problems", std::move(problems)},
                                                {"latency_us", report.latency.count()},
                                                {"input_tokens", report.input_tokens},
                                                {"output_tokens", report.output_tokens},
                                                {"cached_input_tokens", report.cached_input_tokens}})
                << '\n';
        return report.ok ? exit_ok : exit_failure;
    }
    if (!report.plugin.empty()) inv.out << "plugin:   " << report.plugin << '\n';
    const std::string status = report.ok                  ? std::string("ok")
                               : report.status == AH_OK ? std::string("failed (the output broke the manifest)")
                                                        : "failed (" + status_name(report.status) + ")";
    inv.out << "status:   " << status << '\n'
            << "latency:  " << millis(report.latency) << '\n'
            << "usage:    " << report.input_tokens << " input, " << report.output_tokens << " output, "
            << report.cached_input_tokens << " cached tokens\n";
    if (report.ok) inv.out << "output:\n" << pretty_json(report.output) << '\n';
    for (const std::string& p : report.problems) inv.err << "agenthost: " << p << '\n';
    return report.ok ? exit_ok : exit_failure;
}

}  // namespace

std::vector<Command> workflow_commands() {
    const OptionSpec json_option{"--json", "", "print JSON instead of text"};
    return {
        Command{{"validate"}, "CONFIG", "check a workflow config without running it (exit 0 when valid)",
                {json_option, plugin_dir_option}, 1, 1, &validate},
        Command{{"run"}, "CONFIG", "run a workflow on one input and print its result",
                {{"--input", "FILE", "the run's input document (JSON)"},
                 {"--explain", "", "also print the path taken, with per-step latency"},
                 {"--trace", "FILE", "append one JSON line per span (run, step, attempt) to FILE"},
                 store_option,
                 json_option,
                 plugin_dir_option},
                1, 1, &run},
        Command{{"test-agent"}, "PLUGIN[@VERSION]|PATH",
                "call one agent alone, checking config, input and output against its manifest; it is granted "
                "every permission it requests, and a secret NAME it requests has the value of environment variable NAME",
                {{"--config", "FILE", "the agent's config (JSON)"},
                 {"--input", "FILE", "the call's input (JSON)"},
                 json_option,
                 plugin_dir_option},
                1, 1, &test_agent},
    };
}

}  // namespace agenthost::cli
