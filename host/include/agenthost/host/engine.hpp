// engine.hpp: runs compiled workflows. Asynchronous: a run is a chain of
// callbacks on a bounded worker pool; a plugin that completes later holds no
// thread while it waits, a synchronous plugin holds one pool thread while it
// works, and parallel branches really run at the same time.
#pragma once

#include <agenthost/host/logging.hpp>
#include <agenthost/host/run_store.hpp>
#include <agenthost/host/run_result.hpp>
#include <agenthost/host/workflow.hpp>

#include <boost/json/value.hpp>

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace agenthost {

class RunStore;
class SecretStore;
class Tracer;

struct EngineOptions {
    std::size_t worker_threads = 0;                   //!< 0: the machine's cores, at least 2
    std::size_t max_output_bytes = 16 * 1024 * 1024;  //!< a larger agent output fails its attempt
    Tracer* tracer = nullptr;                         //!< spans go here when set; must outlive the engine
    const Logger* logger = nullptr;                   //!< must outlive the engine; none: no log
    //! When set, every run's result is redacted against it as the run ends
    //! (output, state, error and step records); must outlive the engine.
    const SecretStore* secrets = nullptr;
    //! When set, every run is recorded there: created before its first step,
    //! one append (events, state, budgets spent) after each step, which the
    //! next step waits for, and its final status. Must outlive the engine.
    //! None: nothing is recorded, at no cost.
    RunStore* store = nullptr;
    //! Called, on the scheduler's thread, when a run that this engine stored
    //! as waiting reaches its approval step's timeout; it must be quick (hand
    //! the resume to the pool). None: timeouts apply when the run is resumed.
    std::function<void(const std::string& run_id)> on_approval_due;
};

class Engine {
public:
    explicit Engine(EngineOptions options = {});
    //! Waits for every run in flight to finish.
    ~Engine();
    Engine(const Engine&) = delete;
    Engine& operator=(const Engine&) = delete;

    //! Starts a run; `done` is called once, on a pool thread, when it ends.
    //! The returned id is the run's correlation id.
    //! `run_id`: a W3C trace id (32 lower-case hex digits, not all zero) for
    //! the run, e.g. one derived from where its input came from so that a
    //! retried submission finds the run it made; empty: a fresh one.
    std::string start(std::shared_ptr<const Workflow> workflow, boost::json::value input,
                      std::function<void(RunResult)> done, std::string run_id = {});

    //! Takes a stored run up where it stopped: after its last committed step,
    //! with its state, budgets spent and step count, so that the step that was
    //! in flight runs again with the same idempotency key. A run waiting at an
    //! approval step goes on with the decision stored for it, or with the
    //! step's default once its timeout has passed. `workflow` must be the one
    //! the run started under, with the plugin versions it pinned (Host::resume
    //! sees to both). Fails, and calls nothing, when the run has finished,
    //! still waits for a decision, does not match `workflow`, is in flight in
    //! this engine, or was taken up by someone else first.
    Result<std::monostate> resume(std::shared_ptr<const Workflow> workflow, const StoredRun& stored,
                                  std::function<void(RunResult)> done);

    //! start, then wait for the result on this thread.
    RunResult run(std::shared_ptr<const Workflow> workflow, boost::json::value input);

    //! Runs in flight.
    std::size_t active_runs() const noexcept;

    //! Waits until no run is in flight. Work posted meanwhile still runs.
    void drain();

    //! Runs `work` on the worker pool: host services deliver their results
    //! there (ah.http/1 callbacks), so that plugin code never runs on their
    //! own threads. Until the engine is destroyed.
    void post(std::function<void()> work);

    struct Impl;

private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace agenthost
