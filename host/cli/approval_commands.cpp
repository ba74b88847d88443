// approval_commands.cpp: `agenthost approve` (a person's decision on a waiting
// run) and `agenthost resume` (taking stored runs up where they stopped).
#include "command.hpp"
#include "host_options.hpp"
#include "run_report.hpp"

#include <agenthost/host.hpp>
#include <agenthost/registry/json_text.hpp>

#include <boost/json/serialize.hpp>

#include <condition_variable>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <sstream>

namespace agenthost::cli {
namespace {

namespace json = boost::json;

const OptionSpec plugin_dir_option{"--plugin-dir", "DIR", "also search DIR for plugins (repeatable)", true};
const OptionSpec json_option{"--json", "", "print JSON instead of text"};

// Host options for a command that works on a store that must exist already.
std::optional<HostOptions> existing_store_options(const Invocation& inv) {
    auto path = cli_store_path(inv);
    if (!path) throw UsageError("missing --store FILE (or set AGENTHOST_STORE).");
    std::error_code ec;
    if (!std::filesystem::is_regular_file(*path, ec)) {
        inv.err << "agenthost: error: no run store at " << *path
                << " (a store is created by 'agenthost run --store FILE' or 'agenthost batch --store FILE')\n";
        return std::nullopt;
    }
    return cli_host_options(inv, true);
}

std::optional<json::value> read_patch(const Invocation& inv, const std::string& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
        inv.err << "agenthost: error: cannot read the patch file " << file << '\n';
        return std::nullopt;
    }
    std::stringstream text;
    text << in.rdbuf();
    auto parsed = parse_json(text.str(), file, true);
    if (!parsed) {
        inv.err << "agenthost: error: " << parsed.error().to_string() << '\n';
        return std::nullopt;
    }
    return std::move(parsed).value();
}

int approve(const Invocation& inv) {
    const std::string& run_id = inv.args.positionals().front();
    ApprovalDecision decision;
    const std::string word = inv.args.value("--decision").value_or("approve");
    auto parsed = parse_decision(word);
    if (!parsed) throw UsageError("--decision: expected approve, reject or edit, not '" + word + "'.");
    decision.decision = *parsed;
    if (auto patch = inv.args.value("--patch")) {
        auto value = read_patch(inv, *patch);
        if (!value) return exit_failure;
        decision.patch = std::move(*value);
    }
    decision.note = inv.args.value("--note").value_or("");
    if (auto by = inv.args.value("--by")) decision.by = *by;
    else if (const char* user = std::getenv("USER"); user != nullptr) decision.by = user;

    auto options = existing_store_options(inv);
    if (!options) return exit_failure;
    Host host(*options);
    auto decided = host.decide(run_id, decision);
    if (!decided) {
        inv.err << "agenthost: error: " << decided.error().to_string() << '\n';
        return exit_failure;
    }
    const std::string store = options->store.string();
    if (inv.args.has("--json")) {
        inv.out << json::serialize(json::object{{"run_id", run_id}, {"decision", decision.to_json()}}) << '\n';
    } else {
        inv.out << "run " << run_id << ": decision " << to_string(decision.decision) << " recorded\n"
                << "it goes on with: agenthost resume " << run_id << " --store " << store << '\n';
    }
    return exit_ok;
}

// Results of resumed runs, as they end on the host's workers.
class Collected {
public:
    void add(RunResult result) {
        std::lock_guard lock(mutex_);
        results_.push_back(std::move(result));
        changed_.notify_all();
    }
    std::vector<RunResult> wait_for(std::size_t count) {
        std::unique_lock lock(mutex_);
        changed_.wait(lock, [&] { return results_.size() >= count; });
        return std::move(results_);
    }

private:
    std::mutex mutex_;
    std::condition_variable changed_;
    std::vector<RunResult> results_;
};

int resume(const Invocation& inv) {
    const bool all = inv.args.has("--all");
    if (all == !inv.args.positionals().empty())
        throw UsageError(all ? "give a RUN or --all, not both." : "give the RUN to resume, or --all.");
    auto options = existing_store_options(inv);
    if (!options) return exit_failure;
    const std::string store = options->store.string();
    Host host(*options);
    Collected collected;
    const auto done = [&collected](RunResult r) { collected.add(std::move(r)); };

    if (!all) {
        const std::string& run_id = inv.args.positionals().front();
        auto resumed = host.resume(run_id, done);
        if (!resumed) {
            inv.err << "agenthost: cannot resume: " << resumed.error().to_string() << '\n';
            return exit_failure;
        }
        return report_run(inv, collected.wait_for(1).front(), store);
    }

    ResumeReport report = host.resume_unfinished(done);
    report_resumed(inv, report);
    int code = report.failed.empty() ? exit_ok : exit_failure;
    std::size_t succeeded = 0, waiting = 0, failed = 0;
    for (const RunResult& r : collected.wait_for(report.resumed.size())) {
        if (inv.args.has("--json")) {
            inv.out << json::serialize(r.to_json()) << '\n';
        } else {
            inv.out << "run " << r.run_id << " (" << r.workflow << "): " << r.status();
            if (r.ok && !r.steps.empty()) inv.out << " at step " << r.steps.back().step;
            if (r.error) inv.out << ": " << r.error->code << " at step " << r.error->step << ": " << r.error->message;
            if (r.waiting) inv.out << " at step " << r.approval.at("step").as_string().c_str();
            inv.out << '\n';
        }
        (r.ok ? succeeded : r.waiting ? waiting : failed)++;
        if (!r.ok && !r.waiting) code = exit_failure;
    }
    if (!inv.args.has("--json"))
        inv.out << report.resumed.size() << " resumed: " << succeeded << " succeeded, " << waiting << " waiting, "
                << failed << " failed\n";
    return code;
}

}  // namespace

std::vector<Command> approval_commands() {
    return {
        Command{{"approve"}, "RUN",
                "give the decision a waiting run asks for; it is checked against the approval step and stored, and "
                "the run goes on when it is resumed",
                {{"--decision", "WORD", "approve (the default), reject or edit"},
                 {"--patch", "FILE", "edit: an RFC 6902 JSON Patch, relative to the value the step edits"},
                 {"--note", "TEXT", "why; kept with the decision and in the run's state"},
                 {"--by", "NAME", "who decides (default: $USER)"},
                 store_option,
                 json_option,
                 plugin_dir_option},
                1, 1, &approve},
        Command{{"resume"}, "[RUN]",
                "take stored runs up where they stopped: a run a crash or a kill interrupted goes on from its last "
                "committed step, a waiting run with its decision (or its timeout's default)",
                {{"--all", "", "every unfinished run that can go on"},
                 {"--explain", "", "also print the path taken (with RUN)"},
                 {"--trace", "FILE", "append one JSON line per span to FILE"},
                 store_option,
                 json_option,
                 plugin_dir_option},
                0, 1, &resume},
    };
}

}  // namespace agenthost::cli
