// agenthost/host.hpp: the embedding API. A product creates a Host, loads a
// workflow config, and runs it, synchronously or not:
//
//     agenthost::HostOptions options;
//     options.plugin_dirs = {"/opt/agenthost/lib/agenthost/plugins"};
//     agenthost::Host host(options);
//     auto loaded = host.load("config/support.json");
//     if (auto* issues = std::get_if<agenthost::ConfigIssues>(&loaded)) { /* print them */ }
//     auto workflow = std::get<std::shared_ptr<const agenthost::Workflow>>(loaded);
//     agenthost::RunResult result = host.run(workflow, boost::json::parse(R"({"body": "..."})"));
//
// Workflows must not outlive the Host that loaded them.
#pragma once

#include <agenthost/host/approval.hpp>
#include <agenthost/host/config_issue.hpp>
#include <agenthost/host/logging.hpp>
#include <agenthost/host/run_result.hpp>
#include <agenthost/host/run_store.hpp>
#include <agenthost/host/workflow.hpp>

#include <boost/json/value.hpp>

#include <chrono>
#include <filesystem>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace agenthost {

struct HostOptions {
    //! Searched before the directories a workflow config names itself.
    std::vector<std::filesystem::path> plugin_dirs;
    //! Worker threads for synchronous plugin calls and the engine; 0: the machine's cores, at least 2.
    std::size_t worker_threads = 0;
    //! Append one JSON line per span (run, step, attempt) to this file.
    std::optional<std::filesystem::path> trace_file;
    //! An agent output larger than this fails its attempt.
    std::size_t max_output_bytes = 16 * 1024 * 1024;
    //! A SQLite run store (created when missing): every run is recorded there,
    //! step by step, and survives the process. Empty: runs are recorded in
    //! memory, so that approvals work within the process, but nothing survives it.
    std::filesystem::path store;
    //! Without a store file: false records nothing at all, which is the
    //! fastest a run goes, but a run that reaches an approval step then fails
    //! (no_store), and nothing can be resumed or decided.
    bool record_in_memory = true;
    //! The results of runs this host resumes on its own: a run it stored as
    //! waiting whose approval timeout passes while the host is up goes on with
    //! the step's default decision, and ends here. Called on a worker thread.
    //! None: the outcome is logged.
    std::function<void(RunResult)> on_resumed_result;
};

//! What Host::resume_unfinished did with each unfinished run it found.
struct ResumeReport {
    std::vector<std::string> resumed;  //!< taken up; each one's result goes to the callback
    std::vector<std::string> waiting;  //!< waiting for a decision, whose timeout (if any) has not passed
    std::vector<std::string> elsewhere;  //!< in flight in another host that has the store open
    std::vector<std::pair<std::string, Error>> failed;  //!< could not be taken up, and why
};

//! The result of a finished stored run, as its events tell it: output or
//! error, the path, budgets spent (no duration: it is not stored).
RunResult stored_result(const StoredRun& run);

using LoadResult = std::variant<std::shared_ptr<const Workflow>, ConfigIssues>;

//! What `agenthost test-agent` reports: one agent, called once, outside any workflow.
struct AgentTestReport {
    std::string plugin;  //!< name@version
    bool ok = false;
    ah_status status = AH_ERR_INTERNAL;
    boost::json::value output;
    std::vector<std::string> problems;  //!< config, input or output that broke the manifest, or the call's error
    std::chrono::microseconds latency{0};
    uint64_t input_tokens = 0;
    uint64_t output_tokens = 0;
    uint64_t cached_input_tokens = 0;
};

class Host {
public:
    //! Throws std::runtime_error when it cannot start (e.g. the trace file or the store cannot be opened).
    explicit Host(HostOptions options = {});
    //! Waits for the runs in flight.
    ~Host();
    Host(const Host&) = delete;
    Host& operator=(const Host&) = delete;

    //! Reads, checks and compiles a workflow config; every problem at once.
    LoadResult load(const std::filesystem::path& config) const;

    //! Runs a workflow to its end and returns the result.
    RunResult run(const std::shared_ptr<const Workflow>& workflow, boost::json::value input);
    //! Starts a run; `done` is called once, on a worker thread. Returns the run
    //! id: `run_id` when given (32 lower-case hex digits, not all zero), else a fresh one.
    std::string start(const std::shared_ptr<const Workflow>& workflow, boost::json::value input,
                      std::function<void(RunResult)> done, std::string run_id = {});
    //! Starts a run; the future holds its result.
    std::future<RunResult> start(const std::shared_ptr<const Workflow>& workflow, boost::json::value input);

    //! Takes a stored run up where it stopped (see Engine::resume), under the
    //! config it started with (kept in the store, so edits to the file since
    //! do not reach it) and with the plugin versions it pinned: a version no
    //! longer installed is an error that names it. `done` is called once when
    //! the run ends or waits again; on an error it is not called.
    Result<std::monostate> resume(const std::string& run_id, std::function<void(RunResult)> done);

    //! Resumes every unfinished run in the store that can go on: the running
    //! ones (a crash or a kill stopped them) and the waiting ones that have a
    //! decision or whose timeout has passed. `done` is called once per resumed run.
    //! `which`, when given, picks the runs to consider.
    ResumeReport resume_unfinished(const std::function<void(RunResult)>& done,
                                   const std::function<bool(const RunRecord&)>& which = {});

    //! Takes a person's decision on a waiting run in: checked against its
    //! approval step (allowed decisions; an edit's patch applied to the value
    //! it edits and checked against the step's schema), then stored. The run
    //! goes on when it is resumed. Fails, with nothing stored, when the run is
    //! not waiting, already has a decision, or the decision does not fit.
    Result<std::monostate> decide(const std::string& run_id, const ApprovalDecision& decision);

    //! Where runs are recorded: the file of HostOptions::store, or memory.
    RunStore& store() const noexcept;

    //! Calls one agent of plugin `plugin` ("name[@constraint]" or a path to a
    //! .so) with `config` and `input`, checking both and the output against
    //! its manifest. Every permission the manifest requests is granted.
    AgentTestReport test_agent(const std::string& plugin, const boost::json::value& config,
                               const boost::json::value& input) const;

    const Logger& logger() const noexcept;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace agenthost
