// run_store.hpp: where runs are kept so that they outlive the host process:
// each run's record, its append-only event log and its current state.
//
// The interface is narrow on purpose, so that a PostgreSQL store can follow the
// SQLite one and let several hosts share work: rows go in and out as plain
// values (JSON as boost::json, times as system_clock), never as a database's
// own types. Two implementations ship: an embedded SQLite file (durable) and
// an in-memory store (the default without a file; nothing survives the
// process).
//
// The one write on the hot path is append(): a step's events and the state
// change it causes commit together or not at all. It completes asynchronously
// so that a store may commit the appends of many concurrent runs in one
// transaction (group commit); its callback runs once the update is durable,
// or has failed and left nothing behind.
#pragma once

#include <agenthost/registry/result.hpp>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace agenthost {

using StoreClock = std::chrono::system_clock;
//! Stored with millisecond precision.
using StoreTime = StoreClock::time_point;

enum class RunStatus { running, waiting, succeeded, failed, cancelled };

std::string_view to_string(RunStatus status) noexcept;
std::optional<RunStatus> parse_run_status(std::string_view text) noexcept;
//! succeeded, failed and cancelled are final: a finished run takes no more appends.
bool is_finished(RunStatus status) noexcept;

//! The event kinds the engine writes. The log accepts any kind spelled in
//! [a-z0-9_], so that new kinds need no schema change.
namespace event_kind {
inline constexpr std::string_view step_started = "step_started";
inline constexpr std::string_view attempt = "attempt";
inline constexpr std::string_view output = "output";
inline constexpr std::string_view usage = "usage";
inline constexpr std::string_view fallback = "fallback";
inline constexpr std::string_view decision = "decision";
inline constexpr std::string_view run_finished = "run_finished";
}  // namespace event_kind

//! What a run is started with. Everything here is fixed for the run's life,
//! so that a resumed run behaves as it would have without the crash.
struct NewRun {
    std::string id;               //!< the run's W3C trace id
    std::string workflow;
    std::string config_sha256;    //!< of the config the run started under
    //! The config itself (as written, before ${ENV} expansion) and where it
    //! was read from: a run resumes under exactly this config, even when the
    //! file has changed since. Stored once per config_sha256. Optional: a run
    //! without it can be read back but not resumed.
    std::string config_file;
    std::string config_text;
    boost::json::object plugins;  //!< agent name -> plugin name@version pinned at start
    boost::json::value input;
    boost::json::object state;    //!< the state before the first step
    StoreTime created = StoreClock::now();
};

//! A run as stored, without its state and events.
struct RunRecord {
    std::string id;
    std::string workflow;
    std::string config_sha256;
    boost::json::object plugins;
    boost::json::value input;
    RunStatus status = RunStatus::running;
    uint64_t tokens = 0;
    double cost_usd = 0.0;
    StoreTime created;
    StoreTime updated;
    boost::json::value error;  //!< null unless the run failed or was cancelled
    uint64_t last_seq = 0;     //!< sequence number of the run's newest event; 0 for none
    //! The store instance (one per open store, so one per host process) that
    //! created the run or last took it up; see RunStore::held_elsewhere.
    std::string owner;
};

//! One entry of a run's event log. Sequence numbers start at 1 and have no
//! gaps within a run: replay reads them in order.
struct RunEvent {
    uint64_t seq = 0;
    std::string kind;
    std::string step;  //!< the step it belongs to; empty for run-level events
    boost::json::value payload;
    StoreTime at;
};

//! An event to append; the store gives it its sequence number and time.
struct NewEvent {
    std::string kind;
    std::string step;
    boost::json::value payload;
};

//! One atomic change to a run: events appended and, optionally, the state,
//! status, budgets spent and error replaced. Budgets are totals, not
//! increments, so that writing the same update twice is harmless.
struct RunUpdate {
    std::string run_id;
    std::vector<NewEvent> events;
    std::optional<boost::json::object> state;  //!< replaces the whole state
    //! Top-level state keys set to new values, after `state` if both are
    //! given; the other keys stay. What a step changes, at the cost of what it
    //! changed rather than of the whole state.
    std::vector<std::pair<std::string, boost::json::value>> state_set;
    std::optional<RunStatus> status;
    std::optional<uint64_t> tokens;
    std::optional<double> cost_usd;
    std::optional<boost::json::value> error;
    //! When set, the append applies only if the run's newest event still has
    //! this sequence number; otherwise it fails with a conflict and changes
    //! nothing. Two hosts resuming one run, or two people deciding one
    //! approval, cannot both succeed.
    std::optional<uint64_t> expect_last_seq;
    //! This store instance becomes the run's owner: it has taken the run up.
    bool take_ownership = false;
};

//! A config as a run started under it.
struct StoredConfig {
    std::string sha256;
    std::string file;
    std::string text;
};

//! A run with everything needed to replay or resume it.
struct StoredRun {
    RunRecord run;
    boost::json::object state;
    std::vector<RunEvent> events;  //!< in sequence order
};

struct RunFilter {
    std::optional<RunStatus> status;  //!< all statuses when unset
    std::size_t limit = 100;          //!< newest first
};

//! Called once per append, when it is durable (the run's last_seq after it)
//! or when it failed (and nothing of it was stored).
using AppendDone = std::function<void(Result<uint64_t>)>;

//! Thread-safe: every member may be called from any thread at once.
class RunStore {
public:
    virtual ~RunStore() = default;

    //! Fails when the id is taken or the input is malformed.
    virtual Result<std::monostate> create_run(const NewRun& run) = 0;

    //! create_run, completing as append_async does: a store may commit the
    //! creates of many runs in one transaction. `done` runs exactly once.
    virtual void create_run_async(NewRun run, std::function<void(Result<std::monostate>)> done);

    //! Appends to a running or waiting run. `done` runs exactly once, possibly
    //! before append_async returns, possibly on a thread of the store's own;
    //! it must be quick and must not wait on another append of the same store.
    virtual void append_async(RunUpdate update, AppendDone done) = 0;

    //! Whether append_async and create_run_async always answer before they
    //! return, on the caller's thread (the memory store): a caller may then go
    //! on from within the callback.
    virtual bool answers_inline() const noexcept { return false; }

    //! Every stored field of the run, its state and its whole event log.
    virtual Result<StoredRun> load_run(std::string_view run_id) = 0;

    virtual Result<std::vector<RunRecord>> list_runs(const RunFilter& filter) = 0;

    //! The config stored with the runs that started under `sha256`.
    virtual Result<StoredConfig> load_config(std::string_view sha256) = 0;

    //! Runs that are running or waiting, oldest first: what a host resumes.
    virtual Result<std::vector<RunRecord>> unfinished_runs() = 0;

    //! Removes finished runs last updated before `cutoff`, with their events
    //! and state; returns how many runs went.
    virtual Result<std::size_t> prune(StoreTime cutoff) = 0;

    //! Whether `run` belongs to another instance of this store that is still
    //! open, in this process or another: a running run it owns is in flight
    //! there, not interrupted, and must not be resumed here. An owner that
    //! died (a crash, SIGKILL) holds nothing.
    virtual bool held_elsewhere(const RunRecord& run) = 0;

    //! append_async, waiting for the outcome. Not to be called from an
    //! AppendDone callback.
    Result<uint64_t> append(RunUpdate update);

    //! An append with no events.
    Result<std::monostate> set_status(std::string run_id, RunStatus status,
                                      std::optional<boost::json::value> error = std::nullopt);
};

//! A store that keeps runs in this process: nothing survives it. Every
//! unfinished run is kept, and the `keep_finished` runs that finished last;
//! older finished runs are forgotten, as if pruned.
std::unique_ptr<RunStore> make_memory_run_store(std::size_t keep_finished = 1000);

struct SqliteRunStoreOptions {
    //! How long a write waits for another process holding the file's lock.
    std::chrono::milliseconds busy_timeout{5000};
    //! Most appends one group commit takes, so that one transaction stays short.
    std::size_t max_batch = 1024;
};

//! Opens (creating it if need be) a SQLite store, bringing its schema up to
//! date. Fails on a file written by a newer agenthost.
Result<std::unique_ptr<RunStore>> open_sqlite_run_store(const std::filesystem::path& file,
                                                        const SqliteRunStoreOptions& options = {});

//! The schema version this build writes.
int sqlite_run_store_schema_version() noexcept;

}  // namespace agenthost
