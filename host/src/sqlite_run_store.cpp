// sqlite_run_store.cpp: the durable run store, one SQLite file in WAL mode.
//
// Durability: synchronous=NORMAL in WAL mode means a commit is written to the
// WAL before it returns but the WAL is fsync'ed only at checkpoints. A
// committed transaction therefore survives a crash of the process (SIGKILL
// included: the bytes are in the OS page cache); only an OS crash or power
// loss may lose the last commits, never corrupt the file.
//
// Threading: the store owns two connections and two threads. Creates and
// appends queue up, and the writer commits whatever has queued while the
// previous commit ran, all in one transaction (group commit), each in its own
// savepoint so that one failing append leaves the others of its batch intact.
// The checkpointer copies the write-ahead log into the database file (and
// fsyncs it) on its own connection, so that no commit waits for that. Reads
// and prunes run on the caller's thread. One mutex guards the writer's
// connection, so every use of it is serialized; WAL keeps other processes'
// readers off the writer's back.
#include <agenthost/host/run_store.hpp>

#include "run_store_internal.hpp"
#include "sqlite_db.hpp"
#include "store_owner.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <future>
#include <limits>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <variant>

namespace agenthost {

namespace {

using namespace run_store_detail;
using sqlite::Db;
using sqlite::Ok;
using sqlite::Query;
using sqlite::StoreOwner;
using sqlite::Transaction;

// Every schema change is appended here and never edited: a file records the
// number of migrations applied to it in schema_version.
constexpr std::string_view migrations[] = {
    // 1: runs, with their current state, and the event log.
    R"sql(
CREATE TABLE runs (
  id TEXT PRIMARY KEY,
  workflow TEXT NOT NULL,
  config_sha256 TEXT NOT NULL,
  plugins TEXT NOT NULL,
  input TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('running', 'waiting', 'succeeded', 'failed', 'cancelled')),
  tokens INTEGER NOT NULL DEFAULT 0,
  cost_usd REAL NOT NULL DEFAULT 0,
  created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL,
  error TEXT,
  last_seq INTEGER NOT NULL DEFAULT 0,
  -- Last, so that listing runs never reads a large state's overflow pages.
  state TEXT NOT NULL
);
CREATE TABLE events (
  run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  seq INTEGER NOT NULL,
  kind TEXT NOT NULL,
  step TEXT NOT NULL,
  payload TEXT NOT NULL,
  at_ms INTEGER NOT NULL,
  PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;
)sql",
    // 2: finding runs by status (unfinished runs at start, pruning) without a scan.
    R"sql(
CREATE INDEX runs_by_status ON runs (status, updated_ms);
)sql",
    // 3: the configs runs started under, once per config, so that a run resumes under its own.
    R"sql(
CREATE TABLE configs (
  sha256 TEXT PRIMARY KEY,
  file TEXT NOT NULL,
  text TEXT NOT NULL
) WITHOUT ROWID;
)sql",
    // 4: runs get an integer key in the order they were created, and their
    // events and state are kept under it, the state one row per top-level key.
    // The runs in flight at one time then sit on a few neighbouring pages
    // of every table, so that a group commit writes few pages; a step writes
    // the key it changed, not the whole state; and updated_ms leaves the index,
    // which no longer changes on every append.
    R"sql(
CREATE TABLE runs_v4 (
  key INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  workflow TEXT NOT NULL,
  config_sha256 TEXT NOT NULL,
  plugins TEXT NOT NULL,
  input TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('running', 'waiting', 'succeeded', 'failed', 'cancelled')),
  tokens INTEGER NOT NULL DEFAULT 0,
  cost_usd REAL NOT NULL DEFAULT 0,
  created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL,
  error TEXT,
  last_seq INTEGER NOT NULL DEFAULT 0
);
INSERT INTO runs_v4 (id, workflow, config_sha256, plugins, input, status, tokens, cost_usd, created_ms, updated_ms, error, last_seq)
  SELECT id, workflow, config_sha256, plugins, input, status, tokens, cost_usd, created_ms, updated_ms, error, last_seq
  FROM runs ORDER BY created_ms, id;
CREATE TABLE run_events (
  run_key INTEGER NOT NULL REFERENCES runs_v4(key) ON DELETE CASCADE,
  seq INTEGER NOT NULL,
  kind TEXT NOT NULL,
  step TEXT NOT NULL,
  payload TEXT NOT NULL,
  at_ms INTEGER NOT NULL,
  PRIMARY KEY (run_key, seq)
) WITHOUT ROWID;
INSERT INTO run_events SELECT r.key, e.seq, e.kind, e.step, e.payload, e.at_ms FROM events e JOIN runs_v4 r ON r.id = e.run_id;
CREATE TABLE run_state (
  run_key INTEGER NOT NULL REFERENCES runs_v4(key) ON DELETE CASCADE,
  name TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (run_key, name)
) WITHOUT ROWID;
INSERT INTO run_state
  SELECT r.key, j.key, CASE j.type WHEN 'text' THEN json_quote(j.value) WHEN 'true' THEN 'true'
                                    WHEN 'false' THEN 'false' WHEN 'null' THEN 'null'
                                    WHEN 'real' THEN printf('%!.17g', j.value) ELSE j.value END
  FROM runs old JOIN runs_v4 r ON r.id = old.id, json_each(old.state) j;
DROP TABLE events;
DROP TABLE runs;
ALTER TABLE runs_v4 RENAME TO runs;
CREATE INDEX runs_by_status ON runs (status);
)sql",
    // 5: which open store (host process) runs each run, so that another one
    // never resumes a run that is in flight rather than interrupted.
    R"sql(
ALTER TABLE runs ADD COLUMN owner TEXT NOT NULL DEFAULT '';
)sql",
};
constexpr int schema_version = static_cast<int>(std::size(migrations));

constexpr std::string_view run_columns =
    "id, workflow, config_sha256, plugins, input, status, tokens, cost_usd, created_ms, updated_ms, error, last_seq, owner";

std::string to_json_text(const boost::json::value& value) { return boost::json::serialize(value); }

Result<boost::json::value> parse_stored(const Db& db, const std::string& text, std::string_view what) {
    boost::system::error_code ec;
    auto value = boost::json::parse(text, ec);
    if (ec) return Error{db.file().string(), "run store: stored " + std::string(what) + " is not JSON: " + ec.message(),
                         "the file was changed by something other than agenthost", {}};
    return value;
}

Result<RunRecord> read_run(const Db& db, const Query& q) {
    RunRecord r;
    r.id = q.text_at(0);
    r.workflow = q.text_at(1);
    r.config_sha256 = q.text_at(2);
    auto plugins = parse_stored(db, q.text_at(3), "plugins");
    if (!plugins) return plugins.error();
    if (!plugins->is_object()) return Error{db.file().string(), "run store: stored plugins of run " + r.id + " are not an object", {}, {}};
    r.plugins = std::move(plugins->as_object());
    auto input = parse_stored(db, q.text_at(4), "input");
    if (!input) return input.error();
    r.input = std::move(input.value());
    auto status = parse_run_status(q.text_at(5));
    if (!status) return Error{db.file().string(), "run store: run " + r.id + " has an unknown status", {}, {}};
    r.status = *status;
    r.tokens = static_cast<uint64_t>(q.int64_at(6));
    r.cost_usd = q.double_at(7);
    r.created = from_ms(q.int64_at(8));
    r.updated = from_ms(q.int64_at(9));
    if (!q.null_at(10)) {
        auto error = parse_stored(db, q.text_at(10), "error");
        if (!error) return error.error();
        r.error = std::move(error.value());
    }
    r.last_seq = static_cast<uint64_t>(q.int64_at(11));
    r.owner = q.text_at(12);
    return r;
}

//! An append with its JSON serialized on the caller's thread, so that the
//! writer thread does nothing but SQL.
struct EncodedUpdate {
    std::string run_id;
    struct Event {
        std::string kind, step, payload;
    };
    std::vector<Event> events;
    std::optional<std::vector<std::pair<std::string, std::string>>> state;  //!< replaces every key
    std::vector<std::pair<std::string, std::string>> state_set;
    std::optional<std::string> status;
    std::optional<int64_t> tokens;
    std::optional<double> cost_usd;
    bool set_error = false;
    std::optional<std::string> error;  //!< NULL clears it
    std::optional<uint64_t> expect_last_seq;
    bool take_ownership = false;
};

std::vector<std::pair<std::string, std::string>> encode_state(const boost::json::object& state) {
    std::vector<std::pair<std::string, std::string>> rows;
    rows.reserve(state.size());
    for (const auto& [key, value] : state) rows.emplace_back(std::string(key), to_json_text(value));
    return rows;
}

//! A create, encoded on the caller's thread like an append.
struct EncodedCreate {
    std::string id, workflow, config_sha256, config_file, config_text, plugins, input;
    std::vector<std::pair<std::string, std::string>> state;
    int64_t created = 0;
};

EncodedCreate encode(const NewRun& run) {
    return EncodedCreate{run.id, run.workflow, run.config_sha256, run.config_file, run.config_text,
                         boost::json::serialize(run.plugins), to_json_text(run.input), encode_state(run.state),
                         to_ms(run.created)};
}

EncodedUpdate encode(RunUpdate&& u) {
    EncodedUpdate e;
    e.run_id = std::move(u.run_id);
    e.events.reserve(u.events.size());
    for (NewEvent& event : u.events) e.events.push_back({std::move(event.kind), std::move(event.step), to_json_text(event.payload)});
    if (u.state) e.state = encode_state(*u.state);
    e.state_set.reserve(u.state_set.size());
    for (auto& [key, value] : u.state_set) e.state_set.emplace_back(std::move(key), to_json_text(value));
    if (u.status) e.status = std::string(to_string(*u.status));
    if (u.tokens) e.tokens = static_cast<int64_t>(*u.tokens);
    e.cost_usd = u.cost_usd;
    e.expect_last_seq = u.expect_last_seq;
    e.take_ownership = u.take_ownership;
    if (u.error) {
        e.set_error = true;
        if (!u.error->is_null()) e.error = to_json_text(*u.error);
    }
    return e;
}

//! A create or an append waiting for the writer, and whom to tell.
struct Pending {
    std::variant<EncodedUpdate, EncodedCreate> work;
    AppendDone done;  //!< a create gets 0 on success
};

class SqliteRunStore final : public RunStore {
public:
    SqliteRunStore(Db db, Db checkpoint_db, StoreOwner owner, SqliteRunStoreOptions options)
        : options_(options),
          owner_(std::move(owner)),
          db_(std::move(db)),
          checkpoint_db_(std::move(checkpoint_db)),
          writer_([this] { write_loop(); }),
          checkpointer_([this] { checkpoint_loop(); }) {
        // Checkpoints move off the writer: a commit never waits for one, nor for its fsync.
        db_.on_wal_commit([this](int pages) {
            if (pages < checkpoint_pages) return;
            {
                std::lock_guard lock(checkpoint_mutex_);
                checkpoint_due_ = true;
            }
            checkpoint_wanted_.notify_one();
        });
    }

    ~SqliteRunStore() override {
        {
            std::lock_guard lock(queue_mutex_);
            stopping_ = true;
        }
        queue_ready_.notify_one();
        // The writer drains the queue first: every accepted append is committed and answered.
        writer_.join();
        {
            std::lock_guard lock(checkpoint_mutex_);
            checkpoint_stopping_ = true;
        }
        checkpoint_wanted_.notify_one();
        checkpointer_.join();
        // Closing the connections checkpoints whatever the log still holds.
    }

    Result<std::monostate> create_run(const NewRun& run) override {
        std::promise<Result<std::monostate>> promise;
        auto created = promise.get_future();
        create_run_async(run, [&promise](Result<std::monostate> r) { promise.set_value(std::move(r)); });
        return created.get();
    }

    void create_run_async(NewRun run, std::function<void(Result<std::monostate>)> done) override {
        if (auto checked = check_new_run(run); !checked) {
            done(checked.error());
            return;
        }
        enqueue(Pending{encode(run), [done = std::move(done)](Result<uint64_t> r) {
                            done(r ? Result<std::monostate>(std::monostate{}) : Result<std::monostate>(r.error()));
                        }});
    }

    void append_async(RunUpdate update, AppendDone done) override {
        if (auto checked = check_update(update); !checked) {
            done(checked.error());
            return;
        }
        enqueue(Pending{encode(std::move(update)), std::move(done)});
    }

    Result<StoredRun> load_run(std::string_view run_id) override {
        std::lock_guard lock(db_mutex_);
        // One read transaction, so that the run, its state and its events are one snapshot.
        if (auto begun = db_.exec("BEGIN"); !begun) return begun.error();
        auto loaded = load_locked(run_id);
        (void)db_.exec("COMMIT");
        return loaded;
    }

    Result<std::vector<RunRecord>> list_runs(const RunFilter& filter) override {
        const int64_t limit = static_cast<int64_t>(std::min<std::size_t>(filter.limit, std::numeric_limits<int64_t>::max()));
        std::lock_guard lock(db_mutex_);
        auto q = filter.status ? db_.query("SELECT " + std::string(run_columns) +
                                           " FROM runs WHERE status = ?1 ORDER BY created_ms DESC, id LIMIT ?2")
                               : db_.query("SELECT " + std::string(run_columns) + " FROM runs ORDER BY created_ms DESC, id LIMIT ?2");
        if (!q) return q.error();
        if (filter.status) q->bind(1, to_string(*filter.status));
        q->bind(2, limit);
        return read_runs(q.value());
    }

    bool held_elsewhere(const RunRecord& run) override { return owner_.held_by_another(run.owner); }

    Result<StoredConfig> load_config(std::string_view sha256) override {
        std::lock_guard lock(db_mutex_);
        auto q = db_.query("SELECT file, text FROM configs WHERE sha256 = ?1");
        if (!q) return q.error();
        q->bind(1, sha256);
        auto row = q->step();
        if (!row) return row.error();
        if (!row.value()) return unknown_config(sha256);
        return StoredConfig{std::string(sha256), q->text_at(0), q->text_at(1)};
    }

    Result<std::vector<RunRecord>> unfinished_runs() override {
        std::lock_guard lock(db_mutex_);
        auto q = db_.query("SELECT " + std::string(run_columns) +
                           " FROM runs WHERE status IN ('running', 'waiting') ORDER BY created_ms, id");
        if (!q) return q.error();
        return read_runs(q.value());
    }

    Result<std::size_t> prune(StoreTime cutoff) override {
        std::lock_guard lock(db_mutex_);
        auto tx = Transaction::begin(db_);
        if (!tx) return tx.error();
        // A run's events and state go with it. The store deletes them itself:
        // foreign keys are not enforced on the hot path (see open_sqlite_run_store).
        auto q = db_.query("DELETE FROM runs WHERE status IN ('succeeded', 'failed', 'cancelled') AND updated_ms < ?1 "
                           "RETURNING key");
        if (!q) return q.error();
        q->bind(1, to_ms(cutoff));
        std::vector<int64_t> keys;
        for (;;) {
            auto row = q->step();
            if (!row) return row.error();
            if (!row.value()) break;
            keys.push_back(q->int64_at(0));
        }
        for (const std::string_view table : {"run_events", "run_state"}) {
            auto d = db_.query("DELETE FROM " + std::string(table) + " WHERE run_key = ?1");
            if (!d) return d.error();
            for (int64_t key : keys) {
                d->bind(1, key);
                if (auto ran = d->run(); !ran) return ran.error();
            }
        }
        const std::size_t removed = keys.size();
        if (auto orphans = db_.exec("DELETE FROM configs WHERE sha256 NOT IN (SELECT config_sha256 FROM runs)"); !orphans)
            return orphans.error();
        if (auto committed = tx->commit(); !committed) return committed.error();
        return removed;
    }

private:
    void enqueue(Pending pending) {
        {
            std::lock_guard lock(queue_mutex_);
            queue_.push_back(std::move(pending));
        }
        queue_ready_.notify_one();
    }

    Result<std::vector<RunRecord>> read_runs(Query& q) {
        std::vector<RunRecord> out;
        for (;;) {
            auto row = q.step();
            if (!row) return row.error();
            if (!row.value()) return out;
            auto run = read_run(db_, q);
            if (!run) return run.error();
            out.push_back(std::move(run.value()));
        }
    }

    Result<StoredRun> load_locked(std::string_view run_id) {
        StoredRun stored;
        int64_t key = 0;
        {
            auto q = db_.query("SELECT " + std::string(run_columns) + ", key FROM runs WHERE id = ?1");
            if (!q) return q.error();
            q->bind(1, run_id);
            auto row = q->step();
            if (!row) return row.error();
            if (!row.value()) return unknown_run(run_id);
            auto run = read_run(db_, q.value());
            if (!run) return run.error();
            stored.run = std::move(run.value());
            key = q->int64_at(13);
        }
        {
            auto q = db_.query("SELECT name, value FROM run_state WHERE run_key = ?1");
            if (!q) return q.error();
            q->bind(1, key);
            for (;;) {
                auto row = q->step();
                if (!row) return row.error();
                if (!row.value()) break;
                auto value = parse_stored(db_, q->text_at(1), "state");
                if (!value) return value.error();
                stored.state[q->text_at(0)] = std::move(value.value());
            }
        }
        auto q = db_.query("SELECT seq, kind, step, payload, at_ms FROM run_events WHERE run_key = ?1 ORDER BY seq");
        if (!q) return q.error();
        q->bind(1, key);
        stored.events.reserve(stored.run.last_seq);
        for (;;) {
            auto row = q->step();
            if (!row) return row.error();
            if (!row.value()) break;
            auto payload = parse_stored(db_, q->text_at(3), "event payload");
            if (!payload) return payload.error();
            stored.events.push_back(RunEvent{static_cast<uint64_t>(q->int64_at(0)), q->text_at(1), q->text_at(2),
                                             std::move(payload.value()), from_ms(q->int64_at(4))});
        }
        return stored;
    }

    // Copies the write-ahead log into the database file whenever it has grown
    // past checkpoint_pages, on a connection of its own.
    void checkpoint_loop() {
        for (;;) {
            {
                std::unique_lock lock(checkpoint_mutex_);
                checkpoint_wanted_.wait(lock, [this] { return checkpoint_stopping_ || checkpoint_due_; });
                if (checkpoint_stopping_) return;
                checkpoint_due_ = false;
            }
            // A failure leaves the log longer; the next checkpoint takes it up.
            (void)checkpoint_db_.checkpoint();
        }
    }

    void write_loop() {
        std::vector<Pending> batch;
        std::vector<Result<uint64_t>> results;
        for (;;) {
            batch.clear();
            {
                std::unique_lock lock(queue_mutex_);
                queue_ready_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
                if (queue_.empty()) return;  // stopping, and nothing left to commit
                const std::size_t take = std::min(queue_.size(), std::max<std::size_t>(options_.max_batch, 1));
                batch.assign(std::make_move_iterator(queue_.begin()), std::make_move_iterator(queue_.begin() + static_cast<std::ptrdiff_t>(take)));
                queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(take));
            }
            commit(batch, results);
            // Answered outside every lock: a callback may append again.
            for (std::size_t i = 0; i < batch.size(); ++i) batch[i].done(std::move(results[i]));
            results.clear();
        }
    }

    //! One transaction for the whole batch; each append inside its own savepoint.
    //! One transaction for the whole batch. The fast path applies everything
    //! straight; when anything in it fails, the transaction is rolled back and
    //! the batch applied again, each create or append in a savepoint of its
    //! own, so that only the failing ones fail.
    void commit(const std::vector<Pending>& batch, std::vector<Result<uint64_t>>& results) {
        std::lock_guard lock(db_mutex_);
        const int64_t now = to_ms(StoreClock::now());
        const auto apply_one = [&](const Pending& p) {
            return std::holds_alternative<EncodedUpdate>(p.work) ? apply(std::get<EncodedUpdate>(p.work), now)
                                                                 : create(std::get<EncodedCreate>(p.work));
        };
        {
            auto tx = Transaction::begin(db_);
            if (!tx) {
                for (std::size_t i = 0; i < batch.size(); ++i) results.emplace_back(tx.error());
                return;
            }
            bool all_ok = true;
            for (const Pending& p : batch) {
                results.push_back(apply_one(p));
                if (!results.back()) {
                    all_ok = false;
                    break;
                }
            }
            if (all_ok) {
                if (auto committed = tx->commit(); !committed) {
                    running_.clear();  // nothing of the batch happened
                    for (auto& r : results) r = committed.error();
                }
                return;
            }
        }  // rolled back
        running_.clear();  // what the batch changed in it did not happen
        results.clear();
        auto tx = Transaction::begin(db_);
        if (!tx) {
            for (std::size_t i = 0; i < batch.size(); ++i) results.emplace_back(tx.error());
            return;
        }
        bool any_ok = false;
        for (const Pending& p : batch) {
            if (auto sp = run_prepared("SAVEPOINT append_one"); !sp) {
                results.emplace_back(sp.error());
                continue;
            }
            auto applied = apply_one(p);
            if (applied) {
                any_ok = true;
            } else {
                (void)run_prepared("ROLLBACK TO append_one");
                running_.erase(std::holds_alternative<EncodedUpdate>(p.work) ? std::get<EncodedUpdate>(p.work).run_id
                                                                             : std::get<EncodedCreate>(p.work).id);
            }
            (void)run_prepared("RELEASE append_one");
            results.push_back(std::move(applied));
        }
        if (!any_ok) return;  // nothing to make durable
        if (auto committed = tx->commit(); !committed) {
            running_.clear();
            for (auto& r : results)
                if (r) r = committed.error();
        }
    }

    // A statement without parameters, prepared once: what the writer runs per append.
    Result<Ok> run_prepared(std::string_view sql) {
        auto q = db_.query(sql);
        if (!q) return q.error();
        return q->run();
    }

    Result<uint64_t> create(const EncodedCreate& run) {
        auto q = db_.query(
            "INSERT INTO runs (id, workflow, config_sha256, plugins, input, status, created_ms, updated_ms, owner) "
            "VALUES (?1, ?2, ?3, ?4, ?5, 'running', ?6, ?6, ?7) ON CONFLICT (id) DO NOTHING");
        if (!q) return q.error();
        q->bind(1, std::string_view(run.id)).bind(2, std::string_view(run.workflow)).bind(3, std::string_view(run.config_sha256));
        q->bind(4, std::string_view(run.plugins)).bind(5, std::string_view(run.input)).bind(6, run.created);
        q->bind(7, std::string_view(owner_.id()));
        if (auto ran = q->run(); !ran) return ran.error();
        if (db_.changes() == 0)
            return Error{"run " + run.id, "a run with this id is already stored", "give each run a fresh trace id", {}};
        const int64_t key = db_.last_insert_rowid();
        running_[run.id] = RunCursor{key, 0};
        if (auto written = write_state(key, run.state); !written) return written.error();
        if (!run.config_text.empty()) {
            auto c = db_.query("INSERT INTO configs (sha256, file, text) VALUES (?1, ?2, ?3) ON CONFLICT (sha256) DO NOTHING");
            if (!c) return c.error();
            c->bind(1, std::string_view(run.config_sha256)).bind(2, std::string_view(run.config_file));
            c->bind(3, std::string_view(run.config_text));
            if (auto ran = c->run(); !ran) return ran.error();
        }
        return uint64_t{0};
    }

    Result<Ok> write_state(int64_t key, const std::vector<std::pair<std::string, std::string>>& rows) {
        if (rows.empty()) return Ok{};
        auto q = db_.query("INSERT INTO run_state (run_key, name, value) VALUES (?1, ?2, ?3) "
                           "ON CONFLICT (run_key, name) DO UPDATE SET value = excluded.value");
        if (!q) return q.error();
        for (const auto& [name, value] : rows) {
            q->bind(1, key).bind(2, std::string_view(name)).bind(3, std::string_view(value));
            if (auto ran = q->run(); !ran) return ran.error();
        }
        return Ok{};
    }

    //! Reads the run's key and newest sequence number, checks that it takes
    //! the append, then updates it by key and writes its rows. (No RETURNING:
    //! SQLite builds a temporary table for every statement that has one.)
    Result<uint64_t> apply(const EncodedUpdate& u, int64_t now) {
        const auto events = static_cast<int64_t>(u.events.size());
        int64_t key = 0;
        int64_t last_seq = 0;
        RunStatus status = RunStatus::running;
        if (auto cached = running_.find(u.run_id); cached != running_.end()) {
            key = cached->second.key;
            last_seq = cached->second.last_seq;
            if (u.expect_last_seq && *u.expect_last_seq != static_cast<uint64_t>(last_seq))
                return changed_run(u.run_id, *u.expect_last_seq, static_cast<uint64_t>(last_seq));
        } else {
            auto q = db_.query("SELECT key, last_seq, status FROM runs WHERE id = ?1");
            if (!q) return q.error();
            q->bind(1, std::string_view(u.run_id));
            auto row = q->step();
            if (!row) return row.error();
            if (!row.value()) return unknown_run(u.run_id);
            key = q->int64_at(0);
            last_seq = q->int64_at(1);
            status = parse_run_status(q->text_at(2)).value_or(RunStatus::succeeded);
            if (is_finished(status)) return finished_run(u.run_id, status);
            if (u.expect_last_seq && *u.expect_last_seq != static_cast<uint64_t>(last_seq))
                return changed_run(u.run_id, *u.expect_last_seq, static_cast<uint64_t>(last_seq));
        }
        {
            auto q = db_.query(
                "UPDATE runs SET last_seq = ?2, updated_ms = ?3, status = coalesce(?4, status), "
                "tokens = coalesce(?5, tokens), cost_usd = coalesce(?6, cost_usd), error = CASE WHEN ?7 THEN ?8 ELSE error END, "
                "owner = coalesce(?9, owner) WHERE key = ?1");
            if (!q) return q.error();
            q->bind(1, key).bind(2, last_seq + events).bind(3, now).bind(4, u.status);
            if (u.tokens) q->bind(5, *u.tokens); else q->bind_null(5);
            if (u.cost_usd) q->bind(6, *u.cost_usd); else q->bind_null(6);
            q->bind(7, int64_t{u.set_error ? 1 : 0}).bind(8, u.error);
            if (u.take_ownership) q->bind(9, std::string_view(owner_.id())); else q->bind_null(9);
            if (auto ran = q->run(); !ran) return ran.error();
        }
        last_seq += events;
        if (!u.events.empty()) {
            auto q = db_.query("INSERT INTO run_events (run_key, seq, kind, step, payload, at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
            if (!q) return q.error();
            int64_t seq = last_seq - events;
            for (const auto& event : u.events) {
                q->bind(1, key).bind(2, ++seq).bind(3, std::string_view(event.kind));
                q->bind(4, std::string_view(event.step)).bind(5, std::string_view(event.payload)).bind(6, now);
                if (auto ran = q->run(); !ran) return ran.error();
            }
        }
        if (u.state) {
            auto q = db_.query("DELETE FROM run_state WHERE run_key = ?1");
            if (!q) return q.error();
            q->bind(1, key);
            if (auto ran = q->run(); !ran) return ran.error();
            if (auto written = write_state(key, *u.state); !written) return written.error();
        }
        if (auto written = write_state(key, u.state_set); !written) return written.error();
        // A running run this store created or took up has no other writer
        // (another host does not take up a run whose owner is alive): its key
        // and newest sequence number can be kept here instead of read back.
        const RunStatus now_status = u.status ? parse_run_status(*u.status).value_or(status) : status;
        if (now_status == RunStatus::running && (u.take_ownership || running_.contains(u.run_id)))
            running_[u.run_id] = RunCursor{key, last_seq};
        else
            running_.erase(u.run_id);
        return static_cast<uint64_t>(last_seq);
    }

    const SqliteRunStoreOptions options_;
    StoreOwner owner_;

    struct RunCursor {
        int64_t key;
        int64_t last_seq;
    };
    //! Running runs this store created or took up, by id: the writer's, under db_mutex_.
    std::unordered_map<std::string, RunCursor> running_;

    std::mutex db_mutex_;
    Db db_;

    std::mutex queue_mutex_;
    std::condition_variable queue_ready_;
    std::deque<Pending> queue_;
    bool stopping_ = false;

    // SQLite's own automatic checkpoints start at 1000 pages (4 MB) too.
    static constexpr int checkpoint_pages = 8000;
    Db checkpoint_db_;  //!< used by the checkpointer alone
    std::mutex checkpoint_mutex_;
    std::condition_variable checkpoint_wanted_;
    bool checkpoint_due_ = false;
    bool checkpoint_stopping_ = false;

    // Last, so that they start once everything they use exists.
    std::thread writer_;
    std::thread checkpointer_;
};

Result<int> read_version(Db& db) {
    auto q = db.query("SELECT coalesce(max(version), 0) FROM schema_version");
    if (!q) return q.error();
    auto row = q->step();
    if (!row) return row.error();
    return static_cast<int>(q->int64_at(0));
}

//! Applies the migrations the file lacks, one transaction each, reading the
//! version inside the transaction so that two hosts opening one file at once
//! cannot both apply the same migration.
Result<Ok> migrate(Db& db) {
    for (;;) {
        auto tx = Transaction::begin(db);
        if (!tx) return tx.error();
        if (auto made = db.exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)"); !made) return made;
        auto version = read_version(db);
        if (!version) return version.error();
        if (version.value() > schema_version)
            return Error{db.file().string(),
                         "the run store has schema version " + std::to_string(version.value()) +
                             ", newer than this agenthost reads (up to " + std::to_string(schema_version) + ")",
                         "use the agenthost that wrote it, or a newer one; or point --store at another file", {}};
        if (version.value() == schema_version) return tx->commit();
        if (version.value() < 0) return Error{db.file().string(), "the run store has a negative schema version", {}, {}};
        if (auto applied = db.exec(migrations[version.value()]); !applied) return applied;
        if (auto cleared = db.exec("DELETE FROM schema_version"); !cleared) return cleared;
        auto q = db.query("INSERT INTO schema_version (version) VALUES (?1)");
        if (!q) return q.error();
        q->bind(1, int64_t{version.value() + 1});
        if (auto ran = q->run(); !ran) return ran.error();
        if (auto committed = tx->commit(); !committed) return committed;
    }
}

}  // namespace

int sqlite_run_store_schema_version() noexcept { return schema_version; }

Result<std::unique_ptr<RunStore>> open_sqlite_run_store(const std::filesystem::path& file, const SqliteRunStoreOptions& options) {
    auto db = Db::open(file, options.busy_timeout);
    if (!db) return db.error();
    // See the top of this file for what NORMAL promises in WAL mode.
    // 32 MiB of page cache: the pages of the runs in flight stay in memory between commits.
    // Foreign keys stay declared in the schema but are not enforced: every
    // statement that touched run_events or run_state would pay for a parent
    // lookup and a statement journal. Only the store writes these tables, and
    // it writes a run's rows only after finding its key, and deletes them with it.
    // Statement journals, when one is needed, stay in memory.
    if (auto set = db->exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = OFF; "
                            "PRAGMA temp_store = MEMORY; "
                            "PRAGMA cache_size = -32768;");
        !set)
        return set.error();
    {
        auto q = db->query("PRAGMA journal_mode");
        if (!q) return q.error();
        auto row = q->step();
        if (!row) return row.error();
        if (q->text_at(0) != "wal")
            return Error{file.string(), "the run store cannot use write-ahead logging (journal mode is " + q->text_at(0) + ")",
                         "put the store on a local file system", {}};
    }
    if (auto migrated = migrate(db.value()); !migrated) return migrated.error();
    auto checkpoint_db = Db::open(file, options.busy_timeout);
    if (!checkpoint_db) return checkpoint_db.error();
    // A connection learns that the file is in WAL mode when it first reads it;
    // until then a checkpoint on it does nothing and says it succeeded.
    if (auto read = checkpoint_db->exec("SELECT count(*) FROM schema_version"); !read) return read.error();
    auto owner = StoreOwner::open(file);
    if (!owner) return owner.error();
    return std::unique_ptr<RunStore>(std::make_unique<SqliteRunStore>(
        std::move(db.value()), std::move(checkpoint_db.value()), std::move(owner.value()), options));
}

}  // namespace agenthost
