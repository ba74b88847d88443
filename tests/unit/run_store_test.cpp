// run_store_test.cpp: the run stores' contract (transactions, event replay,
// filters, pruning, concurrent appends, state_set, expect_last_seq, configs,
// create_run_async, group commit with failures in a batch), proved the same
// way against the in-memory store and the SQLite store; what only the memory
// store does (keeping the last finished runs); and what only a file can show:
// reopening, schema migrations from every older version, checkpoints, and
// group-commit throughput.
#include <agenthost/host/run_store.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include "temp_dir.hpp"

#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <future>
#include <latch>
#include <limits>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

using namespace agenthost;
namespace fs = std::filesystem;

namespace {

using agenthost::test::TempDir;


std::unique_ptr<RunStore> open_file(const fs::path& file) {
    auto opened = open_sqlite_run_store(file);
    BOOST_TEST_REQUIRE(opened.ok(), (opened.ok() ? "" : opened.error().to_string()));
    return std::move(opened.value());
}

//! Runs the same test body over every store implementation.
void for_each_store(const std::function<void(RunStore&)>& body) {
    {
        BOOST_TEST_CONTEXT("memory store") {
            auto store = make_memory_run_store();
            body(*store);
        }
    }
    {
        TempDir dir;
        BOOST_TEST_CONTEXT("sqlite store") {
            auto store = open_file(dir.file("runs.db"));
            body(*store);
        }
    }
}

const std::string sha = std::string(64, 'a');

NewRun new_run(std::string id, StoreTime created = StoreClock::now()) {
    NewRun run;
    run.id = std::move(id);
    run.workflow = "support";
    run.config_sha256 = sha;
    run.plugins = {{"llm", "1.2.0"}, {"kb-search", "0.3.1"}};
    run.input = boost::json::parse(R"({"ticket":"printer on fire"})");
    run.state = {{"input", run.input}};
    run.created = created;
    return run;
}

void create(RunStore& store, const NewRun& run) {
    auto created = store.create_run(run);
    BOOST_TEST_REQUIRE(created.ok(), (created.ok() ? "" : created.error().to_string()));
}

RunUpdate step_update(const std::string& run_id, const std::string& step, int n) {
    RunUpdate u;
    u.run_id = run_id;
    u.events.push_back({"step_started", step, boost::json::object{{"n", n}}});
    u.events.push_back({"output", step, boost::json::object{{"n", n}, {"text", "out " + std::to_string(n)}}});
    u.state = boost::json::object{{"last", n}};
    u.tokens = static_cast<uint64_t>(10 * n);
    u.cost_usd = 0.5 * n;
    return u;
}

uint64_t append_ok(RunStore& store, RunUpdate u) {
    auto appended = store.append(std::move(u));
    BOOST_TEST_REQUIRE(appended.ok(), (appended.ok() ? "" : appended.error().to_string()));
    return appended.value();
}

StoredRun load(RunStore& store, const std::string& id) {
    auto loaded = store.load_run(id);
    BOOST_TEST_REQUIRE(loaded.ok(), (loaded.ok() ? "" : loaded.error().to_string()));
    return std::move(loaded.value());
}

//! Raw access to a store file, for writing what an older or newer agenthost would have.
struct RawFile {
    sqlite3* db = nullptr;
    explicit RawFile(const fs::path& file) { BOOST_TEST_REQUIRE(sqlite3_open(file.c_str(), &db) == SQLITE_OK); }
    RawFile(const RawFile&) = delete;
    RawFile& operator=(const RawFile&) = delete;
    ~RawFile() { sqlite3_close(db); }
    void exec(const std::string& sql) {
        char* message = nullptr;
        const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message);
        BOOST_TEST_REQUIRE(rc == SQLITE_OK, (message ? message : "") << " in " << sql);
        sqlite3_free(message);
    }
    int64_t scalar(const std::string& sql) {
        sqlite3_stmt* stmt = nullptr;
        BOOST_TEST_REQUIRE(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK);
        BOOST_TEST_REQUIRE(sqlite3_step(stmt) == SQLITE_ROW);
        const int64_t value = sqlite3_column_int64(stmt, 0);
        sqlite3_finalize(stmt);
        return value;
    }
    std::string text(const std::string& sql) {
        sqlite3_stmt* stmt = nullptr;
        BOOST_TEST_REQUIRE(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK);
        BOOST_TEST_REQUIRE(sqlite3_step(stmt) == SQLITE_ROW);
        const unsigned char* value = sqlite3_column_text(stmt, 0);
        std::string out = value ? reinterpret_cast<const char*>(value) : "";
        sqlite3_finalize(stmt);
        return out;
    }
};

// Schema version 1 as it was released; migration tests must not follow later changes.
const char* const schema_v1 = R"sql(
CREATE TABLE schema_version (version INTEGER NOT NULL);
INSERT INTO schema_version VALUES (1);
CREATE TABLE runs (
  id TEXT PRIMARY KEY, workflow TEXT NOT NULL, config_sha256 TEXT NOT NULL, plugins TEXT NOT NULL, input TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('running', 'waiting', 'succeeded', 'failed', 'cancelled')),
  tokens INTEGER NOT NULL DEFAULT 0, cost_usd REAL NOT NULL DEFAULT 0, created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL, error TEXT, last_seq INTEGER NOT NULL DEFAULT 0, state TEXT NOT NULL);
CREATE TABLE events (
  run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE, seq INTEGER NOT NULL, kind TEXT NOT NULL,
  step TEXT NOT NULL, payload TEXT NOT NULL, at_ms INTEGER NOT NULL, PRIMARY KEY (run_id, seq)) WITHOUT ROWID;
)sql";

// Schema versions 2 and 3 as they were released, on top of schema_v1.
const char* const schema_v2_change = R"sql(
CREATE INDEX runs_by_status ON runs (status, updated_ms);
UPDATE schema_version SET version = 2;
)sql";
const char* const schema_v3_change = R"sql(
CREATE TABLE configs (sha256 TEXT PRIMARY KEY, file TEXT NOT NULL, text TEXT NOT NULL) WITHOUT ROWID;
UPDATE schema_version SET version = 3;
)sql";

//! A file at an old schema version, as that agenthost left it before any run was written.
void write_old_schema(RawFile& raw, int version) {
    raw.exec(schema_v1);
    if (version >= 2) raw.exec(schema_v2_change);
    if (version >= 3) raw.exec(schema_v3_change);
}

//! `text` as an SQL string literal.
std::string sql_text(std::string_view text) {
    std::string out = "'";
    for (char c : text) {
        if (c == '\'') out += '\'';
        out += c;
    }
    return out + "'";
}

std::string sql_json(const boost::json::value& value) { return sql_text(boost::json::serialize(value)); }

int64_t ms_of(StoreTime t) { return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count(); }
StoreTime at_ms(int64_t ms) { return StoreTime(std::chrono::duration_cast<StoreClock::duration>(std::chrono::milliseconds(ms))); }

//! Writes a run into a file of schema version 1 to 3, as the agenthost of those versions stored it.
void insert_old_run(RawFile& raw, const StoredRun& r) {
    raw.exec("INSERT INTO runs (id, workflow, config_sha256, plugins, input, status, tokens, cost_usd, created_ms, "
             "updated_ms, error, last_seq, state) VALUES (" +
             sql_text(r.run.id) + ", " + sql_text(r.run.workflow) + ", " + sql_text(r.run.config_sha256) + ", " +
             sql_json(r.run.plugins) + ", " + sql_json(r.run.input) + ", " + sql_text(to_string(r.run.status)) + ", " +
             std::to_string(r.run.tokens) + ", " + std::to_string(r.run.cost_usd) + ", " + std::to_string(ms_of(r.run.created)) +
             ", " + std::to_string(ms_of(r.run.updated)) + ", " + (r.run.error.is_null() ? "NULL" : sql_json(r.run.error)) +
             ", " + std::to_string(r.run.last_seq) + ", " + sql_json(r.state) + ")");
    for (const RunEvent& e : r.events)
        raw.exec("INSERT INTO events (run_id, seq, kind, step, payload, at_ms) VALUES (" + sql_text(r.run.id) + ", " +
                 std::to_string(e.seq) + ", " + sql_text(e.kind) + ", " + sql_text(e.step) + ", " + sql_json(e.payload) +
                 ", " + std::to_string(ms_of(e.at)) + ")");
}

//! A state with every kind of JSON value at its top level (and nested), each
//! as Boost.JSON parses it: strings, integers, reals, true, false, null,
//! objects and arrays.
boost::json::object every_json_type() {
    boost::json::object state = boost::json::parse(R"({
        "input": {"ticket": "printer on fire"},
        "text": "plain",
        "escaped": "quote \" backslash \\ slash / newline \n tab \t control \u0001 accents \u00e9 \u65e5\u672c",
        "empty_text": "",
        "numeric_text": "42",
        "json_text": "{\"a\":1}",
        "int": 42,
        "negative": -7,
        "zero": 0,
        "int64_max": 9223372036854775807,
        "int64_min": -9223372036854775808,
        "real": 1.5,
        "tenth": 0.1,
        "negative_real": -2.5e-7,
        "huge": 1e300,
        "whole_real": 2.0,
        "true": true,
        "false": false,
        "null": null,
        "object": {"a": 1, "b": [1, 2.5, "x", null, true, {"c": false}]},
        "empty_object": {},
        "empty_array": [],
        "array": [1, "two", 3.0, [4], {"five": 5}, null, false],
        "nested": {"deep": {"deeper": {"deepest": [0.30000000000000004, 0.3333333333333333, "s", {"t": true}]}}}
    })").as_object();
    return state;
}

//! The stored record of a run, field by field.
void check_same_record(const RunRecord& got, const RunRecord& want) {
    BOOST_TEST_CONTEXT("record of run " << want.id) {
        BOOST_TEST(got.id == want.id);
        BOOST_TEST(got.workflow == want.workflow);
        BOOST_TEST(got.config_sha256 == want.config_sha256);
        BOOST_TEST(got.plugins == want.plugins);
        BOOST_TEST(got.input == want.input);
        BOOST_TEST(to_string(got.status) == to_string(want.status));
        BOOST_TEST(got.tokens == want.tokens);
        BOOST_TEST(got.cost_usd == want.cost_usd);
        BOOST_TEST(ms_of(got.created) == ms_of(want.created));
        BOOST_TEST(ms_of(got.updated) == ms_of(want.updated));
        BOOST_TEST(got.error == want.error);
        BOOST_TEST(got.last_seq == want.last_seq);
    }
}

//! Everything stored of a run: its record, its state and its event log.
void check_same(const StoredRun& got, const StoredRun& want) {
    check_same_record(got.run, want.run);
    BOOST_TEST_CONTEXT("run " << want.run.id) {
        BOOST_TEST(got.state == want.state);
        BOOST_TEST_REQUIRE(got.events.size() == want.events.size());
        for (std::size_t i = 0; i < want.events.size(); ++i) {
            BOOST_TEST_CONTEXT("event " << i) {
                BOOST_TEST(got.events[i].seq == want.events[i].seq);
                BOOST_TEST(got.events[i].kind == want.events[i].kind);
                BOOST_TEST(got.events[i].step == want.events[i].step);
                BOOST_TEST(got.events[i].payload == want.events[i].payload);
                BOOST_TEST(ms_of(got.events[i].at) == ms_of(want.events[i].at));
            }
        }
    }
}

//! An append's or a create's outcome, as a callback saw it.
struct Outcome {
    bool answered = false;
    bool ok = false;
    uint64_t seq = 0;
    std::string message;
};

Outcome outcome_of(const Result<uint64_t>& r) {
    return Outcome{true, r.ok(), r.ok() ? r.value() : 0, r.ok() ? "" : r.error().message};
}
Outcome outcome_of(const Result<std::monostate>& r) { return Outcome{true, r.ok(), 0, r.ok() ? "" : r.error().message}; }

bool has(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

RunUpdate one_event(const std::string& run_id, const std::string& step, boost::json::object payload = {}) {
    RunUpdate u;
    u.run_id = run_id;
    u.events.push_back({"attempt", step, std::move(payload)});
    return u;
}

const std::string sha_b = std::string(64, 'b');
const std::string sha_c = std::string(64, 'c');
const std::string sha_d = std::string(64, 'd');

}  // namespace

BOOST_AUTO_TEST_SUITE(run_store)

BOOST_AUTO_TEST_CASE(statuses_round_trip_and_finished_ones_are_final) {
    for (RunStatus s : {RunStatus::running, RunStatus::waiting, RunStatus::succeeded, RunStatus::failed, RunStatus::cancelled})
        BOOST_TEST((parse_run_status(to_string(s)) == s));
    BOOST_TEST(!parse_run_status("done").has_value());
    BOOST_TEST(!is_finished(RunStatus::running));
    BOOST_TEST(!is_finished(RunStatus::waiting));
    BOOST_TEST(is_finished(RunStatus::cancelled));
}

BOOST_AUTO_TEST_CASE(create_append_load_round_trip) {
    for_each_store([](RunStore& store) {
        const NewRun run = new_run("4bf92f3577b34da6a3ce929d0e0e4736");
        create(store, run);
        BOOST_TEST(append_ok(store, step_update(run.id, "triage", 1)) == 2u);

        const StoredRun stored = load(store, run.id);
        BOOST_TEST(stored.run.id == run.id);
        BOOST_TEST(stored.run.workflow == "support");
        BOOST_TEST(stored.run.config_sha256 == sha);
        BOOST_TEST(stored.run.plugins == run.plugins);
        BOOST_TEST(stored.run.input == run.input);
        BOOST_TEST((stored.run.status == RunStatus::running));
        BOOST_TEST(stored.run.tokens == 10u);
        BOOST_TEST(stored.run.cost_usd == 0.5);
        BOOST_TEST(stored.run.error.is_null());
        BOOST_TEST(stored.run.last_seq == 2u);
        BOOST_TEST((stored.run.created == std::chrono::floor<std::chrono::milliseconds>(run.created)));
        BOOST_TEST((stored.run.updated >= stored.run.created));
        BOOST_TEST(stored.state == (boost::json::object{{"last", 1}}));
        BOOST_TEST_REQUIRE(stored.events.size() == 2u);
        BOOST_TEST(stored.events[1].kind == "output");
        BOOST_TEST(stored.events[1].step == "triage");
        BOOST_TEST(stored.events[1].payload.at("text") == "out 1");

        // A failed run keeps its error; the status change is an append like any other.
        BOOST_TEST(store.set_status(run.id, RunStatus::failed, boost::json::object{{"code", "agent_failed"}}).ok());
        const StoredRun failed = load(store, run.id);
        BOOST_TEST((failed.run.status == RunStatus::failed));
        BOOST_TEST(failed.run.error.at("code") == "agent_failed");
        BOOST_TEST(failed.state == stored.state);
    });
}

BOOST_AUTO_TEST_CASE(events_come_back_in_order_with_their_sequence_numbers) {
    for_each_store([](RunStore& store) {
        create(store, new_run("r1"));
        create(store, new_run("r2"));
        for (int n = 1; n <= 20; ++n) {
            append_ok(store, step_update("r1", "s" + std::to_string(n), n));
            if (n % 2 == 0) append_ok(store, step_update("r2", "t", n));
        }
        const StoredRun r1 = load(store, "r1");
        BOOST_TEST_REQUIRE(r1.events.size() == 40u);
        for (std::size_t i = 0; i < r1.events.size(); ++i) {
            BOOST_TEST(r1.events[i].seq == i + 1);
            BOOST_TEST(r1.events[i].kind == (i % 2 == 0 ? "step_started" : "output"));
            BOOST_TEST(r1.events[i].payload.at("n").to_number<int>() == static_cast<int>(i / 2 + 1));
        }
        // Sequence numbers are per run.
        BOOST_TEST(load(store, "r2").events.front().seq == 1u);
        BOOST_TEST(load(store, "r2").run.last_seq == 20u);
    });
}

BOOST_AUTO_TEST_CASE(an_append_to_an_unknown_run_fails_and_stores_nothing) {
    for_each_store([](RunStore& store) {
        auto appended = store.append(step_update("nobody", "triage", 1));
        BOOST_TEST_REQUIRE(!appended.ok());
        BOOST_TEST(appended.error().to_string().find("nobody") != std::string::npos);
        BOOST_TEST(appended.error().message.find("no such run") != std::string::npos);
        BOOST_TEST(!store.load_run("nobody").ok());
        BOOST_TEST(store.list_runs({}).value().empty());
    });
}

BOOST_AUTO_TEST_CASE(state_and_events_commit_together_or_not_at_all) {
    for_each_store([](RunStore& store) {
        create(store, new_run("done-run"));
        append_ok(store, step_update("done-run", "a", 1));
        RunUpdate finish;
        finish.run_id = "done-run";
        finish.events.push_back({"run_finished", "", boost::json::object{}});
        finish.status = RunStatus::succeeded;
        append_ok(store, std::move(finish));

        // The events of this update are written before the status check refuses it:
        // the failure must take them back out, with the state change.
        auto late = store.append(step_update("done-run", "b", 2));
        BOOST_TEST_REQUIRE(!late.ok());
        BOOST_TEST(late.error().message.find("finished (succeeded)") != std::string::npos);
        const StoredRun stored = load(store, "done-run");
        BOOST_TEST(stored.events.size() == 3u);
        BOOST_TEST(stored.run.last_seq == 3u);
        BOOST_TEST(stored.state == (boost::json::object{{"last", 1}}));
        BOOST_TEST(stored.run.tokens == 10u);

        // Good and bad appends in flight together: each stands or falls alone.
        create(store, new_run("live"));
        std::atomic<int> ok{0}, failed{0};
        std::vector<std::promise<void>> answered(30);
        for (int i = 0; i < 30; ++i) {
            RunUpdate u = step_update(i % 3 == 1 ? "done-run" : "live", "x", i);
            store.append_async(std::move(u), [&, i](Result<uint64_t> r) {
                (r.ok() ? ok : failed)++;
                answered[static_cast<std::size_t>(i)].set_value();
            });
        }
        for (auto& a : answered) a.get_future().wait();
        BOOST_TEST(ok.load() == 20);
        BOOST_TEST(failed.load() == 10);
        BOOST_TEST(load(store, "live").events.size() == 40u);
        BOOST_TEST(load(store, "done-run").events.size() == 3u);
    });
}

BOOST_AUTO_TEST_CASE(bad_input_is_refused_with_a_clear_error) {
    for_each_store([](RunStore& store) {
        NewRun nameless = new_run("");
        BOOST_TEST(store.create_run(nameless).error().message.find("run id is empty") != std::string::npos);
        NewRun spaced = new_run("a b");
        BOOST_TEST(!store.create_run(spaced).ok());
        NewRun badsha = new_run("r");
        badsha.config_sha256 = "xyz";
        BOOST_TEST(store.create_run(badsha).error().message.find("config_sha256") != std::string::npos);
        NewRun badpin = new_run("r");
        badpin.plugins["llm"] = 3;
        BOOST_TEST(store.create_run(badpin).error().message.find("llm") != std::string::npos);

        create(store, new_run("r"));
        auto again = store.create_run(new_run("r"));
        BOOST_TEST_REQUIRE(!again.ok());
        BOOST_TEST(again.error().message.find("already stored") != std::string::npos);

        RunUpdate kind = step_update("r", "s", 1);
        kind.events[1].kind = "Output!";
        auto refused = store.append(std::move(kind));
        BOOST_TEST_REQUIRE(!refused.ok());
        BOOST_TEST(refused.error().message.find("event 1") != std::string::npos);
        RunUpdate cost = step_update("r", "s", 1);
        cost.cost_usd = -1.0;
        BOOST_TEST(!store.append(std::move(cost)).ok());
        RunUpdate error = step_update("r", "s", 1);
        error.error = boost::json::value("boom");
        BOOST_TEST(!store.append(std::move(error)).ok());
        // None of the refused appends left a trace.
        BOOST_TEST(load(store, "r").events.empty());
    });
}

BOOST_AUTO_TEST_CASE(list_filter_unfinished_and_prune) {
    for_each_store([](RunStore& store) {
        const StoreTime t0 = StoreClock::now() - std::chrono::hours(1);
        for (int i = 0; i < 6; ++i) create(store, new_run("run" + std::to_string(i), t0 + std::chrono::seconds(i)));
        BOOST_TEST(store.set_status("run1", RunStatus::waiting).ok());
        BOOST_TEST(store.set_status("run2", RunStatus::succeeded).ok());
        BOOST_TEST(store.set_status("run3", RunStatus::failed).ok());
        BOOST_TEST(store.set_status("run4", RunStatus::cancelled).ok());

        auto all = store.list_runs({});
        BOOST_TEST_REQUIRE(all.value().size() == 6u);
        BOOST_TEST(all.value().front().id == "run5");  // newest first
        auto two = store.list_runs({std::nullopt, 2});
        BOOST_TEST(two.value().size() == 2u);
        auto waiting = store.list_runs({RunStatus::waiting, 100});
        BOOST_TEST_REQUIRE(waiting.value().size() == 1u);
        BOOST_TEST(waiting.value().front().id == "run1");

        auto unfinished = store.unfinished_runs();
        BOOST_TEST_REQUIRE(unfinished.value().size() == 3u);
        BOOST_TEST(unfinished.value()[0].id == "run0");  // oldest first
        BOOST_TEST(unfinished.value()[1].id == "run1");
        BOOST_TEST(unfinished.value()[2].id == "run5");

        BOOST_TEST(store.prune(StoreClock::now() - std::chrono::hours(2)).value() == 0u);
        BOOST_TEST(store.prune(StoreClock::now() + std::chrono::hours(1)).value() == 3u);
        BOOST_TEST(store.list_runs({}).value().size() == 3u);
        BOOST_TEST(!store.load_run("run2").ok());
        BOOST_TEST(store.prune(StoreClock::now() + std::chrono::hours(1)).value() == 0u);
    });
}

BOOST_AUTO_TEST_CASE(concurrent_appenders_all_land_exactly_once) {
    for_each_store([](RunStore& store) {
        constexpr int threads = 32;
        constexpr int per_thread = 40;
        for (int t = 0; t < threads; ++t) create(store, new_run("own" + std::to_string(t)));
        create(store, new_run("shared"));
        std::atomic<int> failures{0};
        {
            std::vector<std::jthread> appenders;
            for (int t = 0; t < threads; ++t)
                appenders.emplace_back([&store, &failures, t] {
                    for (int n = 0; n < per_thread; ++n) {
                        if (!store.append(step_update("own" + std::to_string(t), "s", n)).ok()) ++failures;
                        RunUpdate shared;
                        shared.run_id = "shared";
                        shared.events.push_back({"attempt", "s", boost::json::object{{"t", t}, {"n", n}}});
                        if (!store.append(std::move(shared)).ok()) ++failures;
                    }
                });
        }
        BOOST_TEST(failures.load() == 0);
        for (int t = 0; t < threads; ++t) {
            const StoredRun own = load(store, "own" + std::to_string(t));
            BOOST_TEST_REQUIRE(own.events.size() == 2u * per_thread);
            for (std::size_t i = 0; i < own.events.size(); ++i) {
                BOOST_TEST(own.events[i].seq == i + 1);
                BOOST_TEST(own.events[i].payload.at("n").to_number<int>() == static_cast<int>(i / 2));
            }
        }
        const StoredRun shared = load(store, "shared");
        BOOST_TEST_REQUIRE(shared.events.size() == static_cast<std::size_t>(threads * per_thread));
        std::set<std::pair<int, int>> seen;
        for (std::size_t i = 0; i < shared.events.size(); ++i) {
            BOOST_TEST(shared.events[i].seq == i + 1);
            seen.emplace(shared.events[i].payload.at("t").to_number<int>(), shared.events[i].payload.at("n").to_number<int>());
        }
        BOOST_TEST(seen.size() == static_cast<std::size_t>(threads * per_thread));
    });
}

BOOST_AUTO_TEST_CASE(a_new_store_on_the_same_file_sees_every_commit) {
    TempDir dir;
    {
        auto store = open_file(dir.file("runs.db"));
        create(*store, new_run("kept"));
        append_ok(*store, step_update("kept", "a", 1));
        // Answered appends are durable; ones still queued at destruction are committed before it returns.
        std::atomic<int> answered{0};
        for (int n = 2; n <= 50; ++n) store->append_async(step_update("kept", "a", n), [&](Result<uint64_t> r) { answered += r.ok(); });
        store.reset();
        BOOST_TEST(answered.load() == 49);
    }
    auto reopened = open_file(dir.file("runs.db"));
    const StoredRun stored = load(*reopened, "kept");
    BOOST_TEST(stored.events.size() == 100u);
    BOOST_TEST(stored.state == (boost::json::object{{"last", 50}}));
    BOOST_TEST(stored.run.tokens == 500u);
    BOOST_TEST(reopened->unfinished_runs().value().size() == 1u);
}

BOOST_AUTO_TEST_CASE(a_fresh_file_gets_the_current_schema_version) {
    TempDir dir;
    open_file(dir.file("runs.db"));
    RawFile raw(dir.file("runs.db"));
    BOOST_TEST(raw.scalar("SELECT version FROM schema_version") == sqlite_run_store_schema_version());
    BOOST_TEST(raw.scalar("SELECT count(*) FROM schema_version") == 1);
    BOOST_TEST(raw.scalar("SELECT count(*) FROM pragma_journal_mode WHERE journal_mode = 'wal'") == 1);
}

BOOST_AUTO_TEST_CASE(an_older_file_is_migrated_and_keeps_its_runs) {
    TempDir dir;
    {
        RawFile raw(dir.file("runs.db"));
        raw.exec(schema_v1);
        raw.exec(R"(INSERT INTO runs (id, workflow, config_sha256, plugins, input, status, created_ms, updated_ms, state)
                    VALUES ('old', 'support', '', '{"llm":"1.0.0"}', '{}', 'waiting', 1000, 1000, '{"x":1}'))");
    }
    auto store = open_file(dir.file("runs.db"));
    const StoredRun old = load(*store, "old");
    BOOST_TEST((old.run.status == RunStatus::waiting));
    BOOST_TEST(old.state.at("x") == 1);
    append_ok(*store, step_update("old", "resumed", 1));
    store.reset();
    RawFile raw(dir.file("runs.db"));
    BOOST_TEST(raw.scalar("SELECT version FROM schema_version") == sqlite_run_store_schema_version());
    BOOST_TEST(raw.scalar("SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'runs_by_status'") == 1);
}

BOOST_AUTO_TEST_CASE(a_newer_file_is_refused) {
    TempDir dir;
    {
        auto store = open_file(dir.file("runs.db"));
        create(*store, new_run("r"));
    }
    {
        RawFile raw(dir.file("runs.db"));
        raw.exec("UPDATE schema_version SET version = " + std::to_string(sqlite_run_store_schema_version() + 1));
    }
    auto opened = open_sqlite_run_store(dir.file("runs.db"));
    BOOST_TEST_REQUIRE(!opened.ok());
    BOOST_TEST(opened.error().message.find("newer than this agenthost reads") != std::string::npos, opened.error().to_string());
    BOOST_TEST(opened.error().where == dir.file("runs.db").string());
    RawFile raw(dir.file("runs.db"));
    BOOST_TEST(raw.scalar("SELECT count(*) FROM runs") == 1);  // untouched
}

BOOST_AUTO_TEST_CASE(a_store_file_in_a_missing_directory_is_a_clear_error) {
    TempDir dir;
    auto opened = open_sqlite_run_store(dir.file("no/such/dir/runs.db"));
    BOOST_TEST_REQUIRE(!opened.ok());
    BOOST_TEST(opened.error().message.find("cannot open the run store") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(group_commit_throughput) {
    // Figures only, for the log: durable appends per second with 1 appender
    // (a transaction each) and with 64 (commits shared across runs).
    for (int appenders : {1, 64}) {
        TempDir dir;
        auto store = open_file(dir.file("runs.db"));
        const int per_appender = appenders == 1 ? 2000 : 100;
        for (int t = 0; t < appenders; ++t) create(*store, new_run("run" + std::to_string(t)));
        std::atomic<int> failures{0};
        const auto start = std::chrono::steady_clock::now();
        {
            std::vector<std::jthread> threads;
            for (int t = 0; t < appenders; ++t)
                threads.emplace_back([&, t] {
                    for (int n = 0; n < per_appender; ++n)
                        if (!store->append(step_update("run" + std::to_string(t), "s", n)).ok()) ++failures;
                });
        }
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        BOOST_TEST(failures.load() == 0);
        const int total = appenders * per_appender;
        BOOST_TEST_MESSAGE("sqlite run store, " << appenders << " concurrent appender(s): " << total << " appends in " << seconds
                                                << " s = " << static_cast<long>(total / seconds) << " appends/s");
    }
}

// ---- Schema migrations to v4 -------------------------------------------------

namespace {

//! The runs an agenthost of schema version 1 to 3 left in its file, as load_run must give them back.
std::vector<StoredRun> old_runs() {
    std::vector<StoredRun> runs;
    {
        StoredRun later;  // written first, created last: keys follow creation, not insertion
        later.run.id = "later";
        later.run.workflow = "support";
        later.run.config_sha256 = sha_b;
        later.run.plugins = {{"triage", "llm@1.0.0"}, {"search", "kb-search@0.3.1"}};
        later.run.input = boost::json::parse(R"({"ticket": "printer on fire", "priority": 2})");
        later.run.status = RunStatus::waiting;
        later.run.tokens = 12;
        later.run.cost_usd = 0.25;
        later.run.created = at_ms(2000);
        later.run.updated = at_ms(2500);
        later.run.last_seq = 3;
        later.state = every_json_type();
        later.events = {
            {1, "step_started", "triage", boost::json::object{{"attempt", 1}}, at_ms(2100)},
            {2, "output", "triage", boost::json::parse(R"({"text": "it's \"on fire\"", "confidence": 0.30000000000000004})"), at_ms(2200)},
            {3, "waiting", "approve", boost::json::parse(R"({"question": "ship it?", "decisions": ["approve", "reject"]})"), at_ms(2300)},
        };
        runs.push_back(std::move(later));
    }
    {
        StoredRun earlier;
        earlier.run.id = "earlier";
        earlier.run.workflow = "billing";
        earlier.run.input = "just text";
        earlier.run.status = RunStatus::failed;
        earlier.run.created = at_ms(1000);
        earlier.run.updated = at_ms(1500);
        earlier.run.error = boost::json::parse(R"({"code": "agent_failed", "message": "boom"})");
        earlier.run.last_seq = 1;
        earlier.state = {{"only", "one"}};
        earlier.events = {{1, "run_finished", "", boost::json::object{{"ok", false}}, at_ms(1400)}};
        runs.push_back(std::move(earlier));
    }
    {
        StoredRun idle;  // no state, no events
        idle.run.id = "idle";
        idle.run.workflow = "support";
        idle.run.config_sha256 = sha_b;
        idle.run.status = RunStatus::running;
        idle.run.created = at_ms(1500);
        idle.run.updated = at_ms(1500);
        runs.push_back(std::move(idle));
    }
    return runs;
}

//! A file at `version` holding old_runs() and, from version 3, two configs (sha_c used by no run).
void write_old_file(const fs::path& file, int version) {
    RawFile raw(file);
    write_old_schema(raw, version);
    for (const StoredRun& run : old_runs()) insert_old_run(raw, run);
    if (version >= 3)
        raw.exec("INSERT INTO configs (sha256, file, text) VALUES (" + sql_text(sha_b) + ", 'config/support.json', " +
                 sql_text(R"({"workflow": "support", "note": "it's kept"})") + "), (" + sql_text(sha_c) +
                 ", 'config/gone.json', '{}')");
}

}  // namespace

BOOST_AUTO_TEST_CASE(files_of_versions_1_to_3_migrate_to_the_current_schema_with_everything_in_them) {
    for (int version : {1, 2, 3}) {
        BOOST_TEST_CONTEXT("a file of schema version " << version) {
            TempDir dir;
            const fs::path file = dir.file("runs.db");
            write_old_file(file, version);
            {
                auto store = open_file(file);
                for (const StoredRun& want : old_runs()) check_same(load(*store, want.run.id), want);
                auto unfinished = store->unfinished_runs();
                BOOST_TEST_REQUIRE(unfinished.ok());
                BOOST_TEST_REQUIRE(unfinished.value().size() == 2u);
                BOOST_TEST(unfinished.value()[0].id == "idle");
                BOOST_TEST(unfinished.value()[1].id == "later");
                auto config = store->load_config(sha_b);
                if (version >= 3) {
                    BOOST_TEST_REQUIRE(config.ok(), (config.ok() ? "" : config.error().to_string()));
                    BOOST_TEST(config.value().sha256 == sha_b);
                    BOOST_TEST(config.value().file == "config/support.json");
                    BOOST_TEST(config.value().text == R"({"workflow": "support", "note": "it's kept"})");
                } else {
                    BOOST_TEST(!config.ok());  // those versions kept no configs
                }
            }
            {
                RawFile raw(file);
                BOOST_TEST(raw.scalar("SELECT version FROM schema_version") == sqlite_run_store_schema_version());
                BOOST_TEST(raw.scalar("SELECT count(*) FROM schema_version") == 1);
                // Runs are keyed by an integer in the order they were created; the old tables are gone.
                BOOST_TEST(raw.text("SELECT group_concat(id, ',') FROM (SELECT id FROM runs ORDER BY key)") == "earlier,idle,later");
                BOOST_TEST(raw.scalar("SELECT count(*) FROM sqlite_master WHERE name = 'events'") == 0);
                BOOST_TEST(raw.scalar("SELECT count(*) FROM sqlite_master WHERE name = 'runs_v4'") == 0);
                // One state row per top-level key; the events went with their run.
                BOOST_TEST(raw.scalar("SELECT count(*) FROM run_state s JOIN runs r ON r.key = s.run_key WHERE r.id = 'later'") ==
                           static_cast<int64_t>(every_json_type().size()));
                BOOST_TEST(raw.scalar("SELECT count(*) FROM run_state s JOIN runs r ON r.key = s.run_key WHERE r.id = 'idle'") == 0);
                BOOST_TEST(raw.scalar("SELECT count(*) FROM run_events e JOIN runs r ON r.key = e.run_key WHERE r.id = 'later'") == 3);
                BOOST_TEST(raw.scalar("SELECT count(*) FROM run_events") == 4);
                // The status index no longer holds updated_ms.
                BOOST_TEST(raw.scalar("SELECT count(*) FROM pragma_index_info('runs_by_status')") == 1);
            }
            // Opened again, the migrated file takes appends where it left off, and prunes with cascades.
            auto store = open_file(file);
            check_same(load(*store, "later"), old_runs()[0]);
            RunUpdate resumed = one_event("later", "approve", {{"decision", "approve"}});
            resumed.expect_last_seq = 3;
            resumed.state_set.emplace_back("text", "changed");
            resumed.status = RunStatus::running;
            BOOST_TEST(append_ok(*store, std::move(resumed)) == 4u);
            const StoredRun later = load(*store, "later");
            BOOST_TEST(later.events.back().seq == 4u);
            BOOST_TEST(later.state.at("text") == "changed");
            BOOST_TEST(later.state.at("nested") == every_json_type().at("nested"));
            BOOST_TEST(later.state.size() == every_json_type().size());

            auto pruned = store->prune(StoreClock::now());
            BOOST_TEST_REQUIRE(pruned.ok());
            BOOST_TEST(pruned.value() == 1u);  // "earlier", the one finished run
            BOOST_TEST(!store->load_run("earlier").ok());
            if (version >= 3) {
                BOOST_TEST(store->load_config(sha_b).ok());   // "later" and "idle" started under it
                BOOST_TEST(!store->load_config(sha_c).ok());  // no run did
            }
            store.reset();
            RawFile raw(file);
            BOOST_TEST(raw.scalar("SELECT count(*) FROM run_events WHERE run_key NOT IN (SELECT key FROM runs)") == 0);
            BOOST_TEST(raw.scalar("SELECT count(*) FROM run_state WHERE run_key NOT IN (SELECT key FROM runs)") == 0);
            BOOST_TEST(raw.scalar("SELECT count(*) FROM run_events") == 4);  // later's 4
        }
    }
}

BOOST_AUTO_TEST_CASE(a_file_of_a_newer_schema_is_refused_and_left_as_it_is) {
    TempDir dir;
    const fs::path file = dir.file("runs.db");
    {
        RawFile raw(file);
        write_old_schema(raw, 1);
        raw.exec("UPDATE schema_version SET version = 99");
        insert_old_run(raw, old_runs()[0]);
    }
    auto opened = open_sqlite_run_store(file);
    BOOST_TEST_REQUIRE(!opened.ok());
    BOOST_TEST(has(opened.error().message, "schema version 99"), opened.error().to_string());
    BOOST_TEST(has(opened.error().message, "up to " + std::to_string(sqlite_run_store_schema_version())), opened.error().to_string());
    RawFile raw(file);
    BOOST_TEST(raw.scalar("SELECT version FROM schema_version") == 99);
    BOOST_TEST(raw.scalar("SELECT count(*) FROM sqlite_master WHERE name IN ('run_state', 'run_events', 'configs')") == 0);
    BOOST_TEST(raw.scalar("SELECT count(*) FROM events") == 3);
}

// ---- state_set -----------------------------------------------------------------

BOOST_AUTO_TEST_CASE(state_set_sets_its_keys_and_keeps_the_others) {
    for_each_store([](RunStore& store) {
        NewRun run = new_run("r");
        run.state = {{"input", run.input}, {"keep", 1}, {"change", "before"}};
        create(store, run);

        RunUpdate step = one_event("r", "a");
        step.state_set.emplace_back("change", boost::json::parse(R"({"after": [1, 2]})"));
        step.state_set.emplace_back("new", nullptr);  // a null is a value like any other, not a removal
        BOOST_TEST(append_ok(store, std::move(step)) == 1u);
        BOOST_TEST(load(store, "r").state ==
                   (boost::json::object{{"input", run.input}, {"keep", 1}, {"change", boost::json::parse(R"({"after": [1, 2]})")}, {"new", nullptr}}));

        // Every JSON type, set key by key, comes back as it went in.
        RunUpdate all;
        all.run_id = "r";
        for (const auto& [key, value] : every_json_type()) all.state_set.emplace_back(std::string(key), value);
        all.state_set.emplace_back("sum", 0.1 + 0.2);
        append_ok(store, std::move(all));
        boost::json::object want = every_json_type();
        want["keep"] = 1;
        want["change"] = boost::json::parse(R"({"after": [1, 2]})");
        want["new"] = nullptr;
        want["sum"] = 0.1 + 0.2;
        BOOST_TEST(load(store, "r").state == want);

        // With both, `state` replaces the whole state first, then state_set applies.
        RunUpdate both;
        both.run_id = "r";
        both.state = boost::json::object{{"only", true}, {"replaced", 1}};
        both.state_set.emplace_back("only", false);
        both.state_set.emplace_back("added", "x");
        append_ok(store, std::move(both));
        BOOST_TEST(load(store, "r").state == (boost::json::object{{"only", false}, {"replaced", 1}, {"added", "x"}}));

        // An empty state replaces everything; state_set still applies after it.
        RunUpdate emptied;
        emptied.run_id = "r";
        emptied.state = boost::json::object{};
        emptied.state_set.emplace_back("last", 7);
        append_ok(store, std::move(emptied));
        const StoredRun before = load(store, "r");
        BOOST_TEST(before.state == (boost::json::object{{"last", 7}}));

        // An empty key is refused, and nothing of the update is stored.
        RunUpdate bad = one_event("r", "b");
        bad.state_set.emplace_back("fine", 1);
        bad.state_set.emplace_back("", 2);
        bad.tokens = 99;
        auto refused = store.append(std::move(bad));
        BOOST_TEST_REQUIRE(!refused.ok());
        BOOST_TEST(has(refused.error().message, "state key to set is empty"), refused.error().to_string());
        check_same(load(store, "r"), before);
    });
}

// ---- expect_last_seq ---------------------------------------------------------------

BOOST_AUTO_TEST_CASE(expect_last_seq_applies_an_append_only_to_the_run_it_expects) {
    for_each_store([](RunStore& store) {
        create(store, new_run("r"));
        RunUpdate first = step_update("r", "a", 1);
        first.expect_last_seq = 0;
        BOOST_TEST(append_ok(store, std::move(first)) == 2u);
        RunUpdate second = one_event("r", "b");
        second.expect_last_seq = 2;
        second.state_set.emplace_back("b", "done");
        second.tokens = 20;
        BOOST_TEST(append_ok(store, std::move(second)) == 3u);
        RunUpdate no_events;  // status only: the run's last_seq stays
        no_events.run_id = "r";
        no_events.status = RunStatus::waiting;
        no_events.expect_last_seq = 3;
        BOOST_TEST(append_ok(store, std::move(no_events)) == 3u);
        const StoredRun before = load(store, "r");
        BOOST_TEST(before.state == (boost::json::object{{"last", 1}, {"b", "done"}}));

        // Stale: nothing of it is stored, whatever it carried.
        for (uint64_t stale : {uint64_t{0}, uint64_t{2}, uint64_t{4}, uint64_t{1'000'000}}) {
            BOOST_TEST_CONTEXT("expecting " << stale) {
                RunUpdate late = step_update("r", "late", 9);
                late.expect_last_seq = stale;
                late.state_set.emplace_back("late", true);
                late.status = RunStatus::succeeded;
                late.error = boost::json::object{{"code", "late"}};
                auto refused = store.append(std::move(late));
                BOOST_TEST_REQUIRE(!refused.ok());
                BOOST_TEST(has(refused.error().message, "changed meanwhile"), refused.error().to_string());
                BOOST_TEST(has(refused.error().message, "newest event is 3"), refused.error().to_string());
                check_same(load(store, "r"), before);
            }
        }

        RunUpdate unknown = one_event("nobody", "a");
        unknown.expect_last_seq = 0;
        auto nobody = store.append(std::move(unknown));
        BOOST_TEST_REQUIRE(!nobody.ok());
        BOOST_TEST(has(nobody.error().message, "no such run"), nobody.error().to_string());

        // A finished run says so, whether the expected value is right or stale.
        RunUpdate finish = one_event("r", "end");
        finish.expect_last_seq = 3;
        finish.status = RunStatus::succeeded;
        BOOST_TEST(append_ok(store, std::move(finish)) == 4u);
        const StoredRun finished = load(store, "r");
        for (uint64_t expected : {uint64_t{4}, uint64_t{1}}) {
            BOOST_TEST_CONTEXT("expecting " << expected) {
                RunUpdate after = one_event("r", "after");
                after.expect_last_seq = expected;
                auto refused = store.append(std::move(after));
                BOOST_TEST_REQUIRE(!refused.ok());
                BOOST_TEST(has(refused.error().message, "finished (succeeded)"), refused.error().to_string());
                check_same(load(store, "r"), finished);
            }
        }
    });
}

BOOST_AUTO_TEST_CASE(of_two_appends_expecting_the_same_event_only_the_first_applies) {
    for_each_store([](RunStore& store) {
        create(store, new_run("r"));
        append_ok(store, one_event("r", "a"));
        // Queued back to back (one commit in the SQLite store): two hosts deciding one approval.
        std::vector<Outcome> outcomes(2);
        std::latch answered(2);
        for (std::size_t i = 0; i < 2; ++i) {
            RunUpdate decide = one_event("r", "approve", {{"by", static_cast<int>(i)}});
            decide.expect_last_seq = 1;
            decide.state_set.emplace_back("decided_by", static_cast<int>(i));
            store.append_async(std::move(decide), [&, i](Result<uint64_t> r) {
                outcomes[i] = outcome_of(r);
                answered.count_down();
            });
        }
        answered.wait();
        BOOST_TEST(outcomes[0].ok);
        BOOST_TEST(outcomes[0].seq == 2u);
        BOOST_TEST(!outcomes[1].ok);
        BOOST_TEST(has(outcomes[1].message, "changed meanwhile"), outcomes[1].message);
        const StoredRun stored = load(store, "r");
        BOOST_TEST(stored.events.size() == 2u);
        BOOST_TEST(stored.events.back().payload.at("by") == 0);
        BOOST_TEST(stored.state.at("decided_by") == 0);
    });
}

// ---- configs -------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(configs_are_stored_once_per_sha256_and_pruned_with_their_last_run) {
    for_each_store([](RunStore& store) {
        NewRun a = new_run("a");
        a.config_sha256 = sha_b;
        a.config_file = "config/support.json";
        a.config_text = "{\"workflow\": \"support\", \"agents\": {\"x\": \"${KEY}\"}}\n";
        create(store, a);
        NewRun b = new_run("b");  // same config: the first one stored stays
        b.config_sha256 = sha_b;
        b.config_file = "elsewhere/support.json";
        b.config_text = "something else";
        create(store, b);
        NewRun c = new_run("c");
        c.config_sha256 = sha_c;
        c.config_file = "config/other.json";
        c.config_text = "other";
        create(store, c);
        NewRun d = new_run("d");  // also under sha_c, still running when the others are pruned
        d.config_sha256 = sha_c;
        create(store, d);
        NewRun e = new_run("e");  // a sha256 without its text: nothing to load
        e.config_sha256 = sha_d;
        create(store, e);

        auto loaded = store.load_config(sha_b);
        BOOST_TEST_REQUIRE(loaded.ok(), (loaded.ok() ? "" : loaded.error().to_string()));
        BOOST_TEST(loaded.value().sha256 == sha_b);
        BOOST_TEST(loaded.value().file == "config/support.json");
        BOOST_TEST(loaded.value().text == a.config_text);
        BOOST_TEST(store.load_config(sha_c).value().text == "other");
        for (const std::string& missing : {sha_d, std::string(64, 'e')}) {
            auto unknown = store.load_config(missing);
            BOOST_TEST_REQUIRE(!unknown.ok());
            BOOST_TEST(has(unknown.error().message, "no config with this SHA-256"), unknown.error().to_string());
            BOOST_TEST(has(unknown.error().where, missing));
        }

        // A text without its sha256 is refused.
        NewRun textless = new_run("f");
        textless.config_sha256.clear();
        textless.config_text = "text";
        BOOST_TEST(!store.create_run(textless).ok());

        for (const char* id : {"a", "b", "c"}) BOOST_TEST(store.set_status(id, RunStatus::succeeded).ok());
        BOOST_TEST(store.prune(StoreClock::now() - std::chrono::hours(1)).value() == 0u);
        BOOST_TEST(store.load_config(sha_b).ok());  // its runs are still there
        BOOST_TEST(store.prune(StoreClock::now() + std::chrono::hours(1)).value() == 3u);
        BOOST_TEST(!store.load_config(sha_b).ok());  // no run uses it any more
        auto kept = store.load_config(sha_c);        // "d" still does
        BOOST_TEST_REQUIRE(kept.ok());
        BOOST_TEST(kept.value().text == "other");
        BOOST_TEST(kept.value().file == "config/other.json");
    });
}

// ---- create_run_async ------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(create_run_async_completes_in_order_with_the_appends_queued_after_it) {
    for_each_store([](RunStore& store) {
        // Nothing waited for in between: the appends are queued right behind the create of their run.
        std::mutex mutex;
        std::vector<std::string> answer_order;
        std::vector<Outcome> outcomes(7);
        std::latch answered(7);
        const auto done = [&](std::size_t i, std::string name) {
            return [&, i, name = std::move(name)](auto result) {
                {
                    std::lock_guard lock(mutex);
                    BOOST_TEST(!outcomes[i].answered, name << " answered twice");
                    outcomes[i] = outcome_of(result);
                    answer_order.push_back(name);
                }
                answered.count_down();
            };
        };
        NewRun r1 = new_run("r1");
        r1.config_sha256 = sha_b;
        r1.config_text = "config of r1";
        store.create_run_async(r1, done(0, "create r1"));
        store.append_async(one_event("r1", "a", {{"n", 1}}), done(1, "append r1"));
        RunUpdate second = one_event("r1", "b", {{"n", 2}});
        second.expect_last_seq = 1;
        store.append_async(std::move(second), done(2, "append r1 again"));
        store.create_run_async(new_run("r1"), done(3, "create r1 again"));
        store.append_async(one_event("r2", "a"), done(4, "append r2 before its create"));
        store.create_run_async(new_run("r2"), done(5, "create r2"));
        store.append_async(one_event("r2", "b"), done(6, "append r2"));
        answered.wait();

        BOOST_TEST(outcomes[0].ok, outcomes[0].message);
        BOOST_TEST(outcomes[1].ok, outcomes[1].message);
        BOOST_TEST(outcomes[1].seq == 1u);
        BOOST_TEST(outcomes[2].ok, outcomes[2].message);
        BOOST_TEST(outcomes[2].seq == 2u);
        BOOST_TEST(!outcomes[3].ok);
        BOOST_TEST(has(outcomes[3].message, "already stored"), outcomes[3].message);
        BOOST_TEST(!outcomes[4].ok);
        BOOST_TEST(has(outcomes[4].message, "no such run"), outcomes[4].message);
        BOOST_TEST(outcomes[5].ok, outcomes[5].message);
        BOOST_TEST(outcomes[6].ok, outcomes[6].message);
        BOOST_TEST(outcomes[6].seq == 1u);
        // Answered in the order they were made.
        const std::vector<std::string> in_order{"create r1", "append r1", "append r1 again", "create r1 again",
                                                "append r2 before its create", "create r2", "append r2"};
        BOOST_TEST(answer_order == in_order, boost::test_tools::per_element());

        const StoredRun stored = load(store, "r1");
        BOOST_TEST(stored.events.size() == 2u);
        BOOST_TEST(stored.events[1].payload.at("n") == 2);
        BOOST_TEST(stored.run.config_sha256 == sha_b);  // the duplicate changed nothing
        BOOST_TEST(store.load_config(sha_b).value().text == "config of r1");
        BOOST_TEST(load(store, "r2").events.size() == 1u);
        // A create refused for its input is answered too, with the reason.
        std::promise<Outcome> refused;
        store.create_run_async(new_run(""), [&](Result<std::monostate> r) { refused.set_value(outcome_of(r)); });
        const Outcome nameless = refused.get_future().get();
        BOOST_TEST(!nameless.ok);
        BOOST_TEST(has(nameless.message, "run id is empty"), nameless.message);
    });
}

BOOST_AUTO_TEST_CASE(many_async_creates_each_followed_by_appends_all_land) {
    for_each_store([](RunStore& store) {
        constexpr int runs = 300;
        std::atomic<int> failures{0};
        std::latch answered(runs * 3);
        const auto count = [&](auto result) {
            if (!result.ok()) ++failures;
            answered.count_down();
        };
        for (int i = 0; i < runs; ++i) {
            const std::string id = "c" + std::to_string(i);
            NewRun run = new_run(id);
            run.state = {{"i", i}};
            store.create_run_async(std::move(run), count);
            store.append_async(one_event(id, "a", {{"i", i}}), count);
            RunUpdate next = one_event(id, "b");
            next.expect_last_seq = 1;
            next.state_set.emplace_back("b", i);
            store.append_async(std::move(next), count);
        }
        answered.wait();
        BOOST_TEST(failures.load() == 0);
        for (int i = 0; i < runs; ++i) {
            const StoredRun stored = load(store, "c" + std::to_string(i));
            BOOST_TEST(stored.run.last_seq == 2u);
            BOOST_TEST(stored.events.front().payload.at("i") == i);
            BOOST_TEST(stored.state == (boost::json::object{{"i", i}, {"b", i}}));
        }
        BOOST_TEST(store.list_runs({std::nullopt, 1000}).value().size() == static_cast<std::size_t>(runs));
    });
}

// ---- group commit -----------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(group_commit_loses_nothing_and_a_failing_append_fails_alone) {
    for_each_store([](RunStore& store) {
        constexpr int threads = 16;
        constexpr int runs = 50;
        constexpr int rounds = 20;
        for (int r = 0; r < runs; ++r) create(store, new_run("g" + std::to_string(r)));
        const auto index = [](int t, int n, int r) { return static_cast<std::size_t>((t * rounds + n) * runs + r); };
        std::vector<uint64_t> seqs(static_cast<std::size_t>(threads * rounds * runs), 0);
        std::atomic<int> good_failed{0}, unknown_refused{0}, stale_refused{0}, bad_wrong{0};
        std::latch answered(threads * rounds * (runs + 2));
        {
            std::vector<std::jthread> appenders;
            for (int t = 0; t < threads; ++t)
                appenders.emplace_back([&, t] {
                    for (int n = 0; n < rounds; ++n)
                        for (int r = 0; r < runs; ++r) {
                            RunUpdate u = one_event("g" + std::to_string(r), "s", {{"t", t}, {"n", n}});
                            u.state_set.emplace_back("t" + std::to_string(t), n);
                            store.append_async(std::move(u), [&, i = index(t, n, r)](Result<uint64_t> res) {
                                if (res.ok()) seqs[i] = res.value();
                                else ++good_failed;
                                answered.count_down();
                            });
                            if (r != (t + n) % runs) continue;
                            // Among the good ones: one to a run that does not exist, one expecting a stale event.
                            store.append_async(one_event("missing" + std::to_string(t), "s"), [&](Result<uint64_t> res) {
                                (!res.ok() && has(res.error().message, "no such run") ? unknown_refused : bad_wrong)++;
                                answered.count_down();
                            });
                            RunUpdate stale = one_event("g" + std::to_string(r), "stale", {{"t", t}, {"n", n}});
                            stale.expect_last_seq = 1'000'000;
                            stale.state_set.emplace_back("stale", true);
                            stale.tokens = 1;
                            store.append_async(std::move(stale), [&](Result<uint64_t> res) {
                                (!res.ok() && has(res.error().message, "changed meanwhile") ? stale_refused : bad_wrong)++;
                                answered.count_down();
                            });
                        }
                });
        }
        answered.wait();
        BOOST_TEST(good_failed.load() == 0);
        BOOST_TEST(unknown_refused.load() == threads * rounds);
        BOOST_TEST(stale_refused.load() == threads * rounds);
        BOOST_TEST(bad_wrong.load() == 0);
        for (int t = 0; t < threads; ++t) BOOST_TEST(!store.load_run("missing" + std::to_string(t)).ok());

        for (int r = 0; r < runs; ++r) {
            BOOST_TEST_CONTEXT("run g" << r) {
                const StoredRun run = load(store, "g" + std::to_string(r));
                BOOST_TEST_REQUIRE(run.events.size() == static_cast<std::size_t>(threads * rounds));
                BOOST_TEST(run.run.last_seq == static_cast<uint64_t>(threads * rounds));
                BOOST_TEST(run.run.tokens == 0u);
                std::vector<int> last_n(threads, -1);
                bool in_place = true, in_order = true, gap_free = true;
                for (std::size_t i = 0; i < run.events.size(); ++i) {
                    const RunEvent& e = run.events[i];
                    gap_free = gap_free && e.seq == i + 1 && e.step == "s";
                    const int t = e.payload.at("t").to_number<int>();
                    const int n = e.payload.at("n").to_number<int>();
                    // Each event sits where its append said it would, and one thread's appends keep their order.
                    in_place = in_place && seqs[index(t, n, r)] == e.seq;
                    in_order = in_order && n > last_n[static_cast<std::size_t>(t)];
                    last_n[static_cast<std::size_t>(t)] = n;
                }
                BOOST_TEST(gap_free);
                BOOST_TEST(in_place);
                BOOST_TEST(in_order);
                BOOST_TEST(run.state.size() == static_cast<std::size_t>(threads + 1));  // input and one key per thread
                BOOST_TEST(!run.state.contains("stale"));
                for (int t = 0; t < threads; ++t) BOOST_TEST(run.state.at("t" + std::to_string(t)) == rounds - 1);
            }
        }
    });
}

namespace {

//! Creates and appends that pass or fail in a known way, queued back to
//! back; every one must be answered as if it ran alone, in order.
void queue_a_mixed_batch(RunStore& store, std::vector<Outcome>& outcomes, std::latch& answered) {
    std::size_t next = 0;
    const auto slot = [&] {
        return [&outcomes, &answered, i = next++](auto result) {
            outcomes[i] = outcome_of(result);
            answered.count_down();
        };
    };
    RunUpdate a1 = one_event("a", "one");
    a1.expect_last_seq = 0;
    a1.state_set.emplace_back("step", "one");
    store.append_async(std::move(a1), slot());                 // 0: ok, 1
    store.append_async(one_event("nobody", "x"), slot());      // 1: no such run
    store.append_async(one_event("b", "one"), slot());         // 2: ok, 1
    RunUpdate a_stale = one_event("a", "stale");
    a_stale.expect_last_seq = 0;
    a_stale.state_set.emplace_back("step", "stale");
    store.append_async(std::move(a_stale), slot());            // 3: changed meanwhile
    NewRun c = new_run("c");
    c.config_sha256 = sha_b;
    c.config_text = "config of c";
    store.create_run_async(std::move(c), slot());              // 4: ok
    NewRun a_again = new_run("a");
    a_again.config_sha256 = sha_c;
    a_again.config_text = "config of a second a";
    store.create_run_async(std::move(a_again), slot());        // 5: already stored
    store.append_async(one_event("c", "one"), slot());         // 6: ok, 1
    RunUpdate a2 = one_event("a", "two");
    a2.expect_last_seq = 1;
    a2.state_set.emplace_back("step", "two");
    store.append_async(std::move(a2), slot());                 // 7: ok, 2
    store.append_async(one_event("done", "late"), slot());     // 8: finished
    RunUpdate b_end = one_event("b", "end");
    b_end.expect_last_seq = 1;
    b_end.status = RunStatus::succeeded;
    store.append_async(std::move(b_end), slot());              // 9: ok, 2
    store.append_async(one_event("b", "late"), slot());        // 10: finished
}

void check_the_mixed_batch(RunStore& store, const std::vector<Outcome>& o) {
    for (std::size_t i : {0u, 2u, 4u, 6u, 7u, 9u}) BOOST_TEST(o[i].ok, i << ": " << o[i].message);
    BOOST_TEST(o[0].seq == 1u);
    BOOST_TEST(o[2].seq == 1u);
    BOOST_TEST(o[6].seq == 1u);
    BOOST_TEST(o[7].seq == 2u);
    BOOST_TEST(o[9].seq == 2u);
    BOOST_TEST(has(o[1].message, "no such run"), o[1].message);
    BOOST_TEST(has(o[3].message, "changed meanwhile"), o[3].message);
    BOOST_TEST(has(o[5].message, "already stored"), o[5].message);
    BOOST_TEST(has(o[8].message, "finished (succeeded)"), o[8].message);
    BOOST_TEST(has(o[10].message, "finished (succeeded)"), o[10].message);

    const StoredRun a = load(store, "a");
    BOOST_TEST(a.events.size() == 2u);
    BOOST_TEST(a.events[1].step == "two");
    BOOST_TEST(a.state.at("step") == "two");
    BOOST_TEST(a.run.config_sha256 == sha);
    const StoredRun b = load(store, "b");
    BOOST_TEST(b.events.size() == 2u);
    BOOST_TEST((b.run.status == RunStatus::succeeded));
    BOOST_TEST(load(store, "c").events.size() == 1u);
    BOOST_TEST(load(store, "done").events.empty());
    BOOST_TEST(!store.load_run("nobody").ok());
    BOOST_TEST(store.load_config(sha_b).value().text == "config of c");
}

}  // namespace

BOOST_AUTO_TEST_CASE(in_one_batch_each_failing_append_or_create_fails_alone) {
    for_each_store([](RunStore& store) {
        for (const char* id : {"a", "b", "done"}) create(store, new_run(id));
        BOOST_TEST(store.set_status("done", RunStatus::succeeded).ok());
        std::vector<Outcome> outcomes(11);
        std::latch answered(11);
        queue_a_mixed_batch(store, outcomes, answered);
        answered.wait();
        check_the_mixed_batch(store, outcomes);
    });
}

BOOST_AUTO_TEST_CASE(a_sqlite_batch_held_back_by_another_writer_commits_all_but_its_failures) {
    // Another connection holds the file's write lock while the appends are
    // queued, so that the writer's transaction waits and they commit in one
    // or two batches: its first try fails, and it is applied again one
    // savepoint per append.
    TempDir dir;
    const fs::path file = dir.file("runs.db");
    SqliteRunStoreOptions options;
    options.busy_timeout = std::chrono::minutes(10);  // the writer waits for the lock however slow the machine is
    auto opened = open_sqlite_run_store(file, options);
    BOOST_TEST_REQUIRE(opened.ok(), (opened.ok() ? "" : opened.error().to_string()));
    RunStore& store = *opened.value();
    for (const char* id : {"a", "b", "done"}) create(store, new_run(id));
    BOOST_TEST(store.set_status("done", RunStatus::succeeded).ok());

    std::vector<Outcome> outcomes(11);
    std::latch answered(11);
    {
        RawFile other(file);
        sqlite3_busy_timeout(other.db, 600'000);
        other.exec("BEGIN IMMEDIATE");
        queue_a_mixed_batch(store, outcomes, answered);
        for (const Outcome& o : outcomes) BOOST_TEST(!o.answered);  // nothing can commit while the lock is held
        other.exec("COMMIT");
    }
    answered.wait();
    check_the_mixed_batch(store, outcomes);
    BOOST_TEST(!store.load_config(sha_c).ok());  // the refused create's config went with it
    opened.value().reset();
    auto reopened = open_file(file);
    check_the_mixed_batch(*reopened, outcomes);
}

// ---- the memory store's bound ------------------------------------------------------------

BOOST_AUTO_TEST_CASE(the_memory_store_keeps_unfinished_runs_and_the_last_finished_ones) {
    auto store = make_memory_run_store(2);
    for (int i = 0; i < 6; ++i) create(*store, new_run("r" + std::to_string(i)));
    BOOST_TEST(store->set_status("r1", RunStatus::waiting).ok());
    BOOST_TEST(store->set_status("r3", RunStatus::succeeded).ok());
    BOOST_TEST(store->set_status("r0", RunStatus::failed).ok());
    BOOST_TEST(store->set_status("r4", RunStatus::cancelled).ok());
    BOOST_TEST(store->set_status("r2", RunStatus::succeeded).ok());
    // r3 and r0 finished first: forgotten. r4 and r2 finished last; r1 and r5 have not finished.
    for (const char* gone : {"r3", "r0"}) {
        auto loaded = store->load_run(gone);
        BOOST_TEST_REQUIRE(!loaded.ok(), gone);
        BOOST_TEST(has(loaded.error().message, "no such run"));
    }
    for (const char* kept : {"r1", "r2", "r4", "r5"}) BOOST_TEST(store->load_run(kept).ok(), kept);
    BOOST_TEST(store->list_runs({}).value().size() == 4u);
    auto unfinished = store->unfinished_runs().value();
    BOOST_TEST_REQUIRE(unfinished.size() == 2u);
    BOOST_TEST(unfinished[0].id == "r1");
    BOOST_TEST(unfinished[1].id == "r5");

    // Many appends to an unfinished run forget nothing.
    for (int n = 0; n < 10; ++n) append_ok(*store, step_update("r5", "s", n));
    BOOST_TEST(store->list_runs({}).value().size() == 4u);

    // The waiting run finishes: now r4 is the oldest of three finished.
    BOOST_TEST(store->set_status("r1", RunStatus::succeeded).ok());
    BOOST_TEST(!store->load_run("r4").ok());
    BOOST_TEST(store->load_run("r2").ok());
    BOOST_TEST(store->load_run("r1").ok());
    BOOST_TEST(store->load_run("r5").ok());
}

BOOST_AUTO_TEST_CASE(the_memory_store_keeps_1000_finished_runs_by_default) {
    auto store = make_memory_run_store();
    for (int i = 0; i < 1001; ++i) {
        const std::string id = "r" + std::to_string(i);
        create(*store, new_run(id));
        BOOST_TEST_REQUIRE(store->set_status(id, RunStatus::succeeded).ok());
    }
    create(*store, new_run("running"));
    BOOST_TEST(!store->load_run("r0").ok());
    BOOST_TEST(store->load_run("r1").ok());
    BOOST_TEST(store->load_run("r1000").ok());
    BOOST_TEST(store->load_run("running").ok());
    BOOST_TEST(store->list_runs({std::nullopt, 5000}).value().size() == 1001u);
}

// ---- what a SQLite file keeps across processes --------------------------------------------

BOOST_AUTO_TEST_CASE(a_reopened_sqlite_store_gives_back_everything_it_was_given) {
    TempDir dir;
    const fs::path file = dir.file("runs.db");
    const std::vector<std::string> ids{"a", "b", "c", "d"};
    std::vector<StoredRun> before;
    std::vector<RunRecord> listed, unfinished;
    {
        auto store = open_file(file);
        const StoreTime t0 = StoreClock::now() - std::chrono::minutes(5);
        NewRun a = new_run("a", t0);
        a.config_sha256 = sha_b;
        a.config_file = "config/support.json";
        a.config_text = "{\"workflow\": \"support\"}\n";
        a.state = every_json_type();
        create(*store, a);
        NewRun b = new_run("b", t0 + std::chrono::seconds(1));
        b.config_sha256 = sha_c;
        b.config_file = "config/other.json";
        b.config_text = "other";
        b.input = boost::json::parse(R"([1, "two", {"three": 3.25}])");
        std::promise<Result<std::monostate>> made;
        store->create_run_async(b, [&](Result<std::monostate> r) { made.set_value(std::move(r)); });
        BOOST_TEST_REQUIRE(made.get_future().get().ok());
        create(*store, new_run("c", t0 + std::chrono::seconds(2)));
        create(*store, new_run("d", t0 + std::chrono::seconds(3)));

        RunUpdate a1 = step_update("a", "triage", 1);
        a1.state.reset();
        for (const auto& [key, value] : every_json_type()) a1.state_set.emplace_back("set_" + std::string(key), value);
        append_ok(*store, std::move(a1));
        RunUpdate a2 = one_event("a", "approve", {{"question", "ship it?"}});
        a2.status = RunStatus::waiting;
        a2.state_set.emplace_back("sum", 0.1 + 0.2);
        append_ok(*store, std::move(a2));
        append_ok(*store, step_update("b", "s", 1));
        append_ok(*store, step_update("b", "s", 2));
        RunUpdate b3 = one_event("b", "end");
        b3.status = RunStatus::failed;
        b3.error = boost::json::parse(R"({"code": "agent_failed", "detail": {"attempts": [1, 2]}})");
        append_ok(*store, std::move(b3));
        RunUpdate c1 = one_event("c", "s");
        c1.state = boost::json::object{{"replaced", true}};
        c1.state_set.emplace_back("then", nullptr);
        c1.status = RunStatus::cancelled;
        c1.tokens = 123456789;
        c1.cost_usd = 12.345;
        append_ok(*store, std::move(c1));

        for (const std::string& id : ids) before.push_back(load(*store, id));
        listed = store->list_runs({}).value();
        unfinished = store->unfinished_runs().value();
    }
    auto store = open_file(file);
    for (const StoredRun& want : before) check_same(load(*store, want.run.id), want);
    const auto listed_again = store->list_runs({}).value();
    BOOST_TEST_REQUIRE(listed_again.size() == listed.size());
    for (std::size_t i = 0; i < listed.size(); ++i) check_same_record(listed_again[i], listed[i]);
    const auto unfinished_again = store->unfinished_runs().value();
    BOOST_TEST_REQUIRE(unfinished_again.size() == 2u);
    BOOST_TEST(unfinished_again[0].id == "a");
    BOOST_TEST(unfinished_again[1].id == "d");
    BOOST_TEST_REQUIRE(unfinished.size() == 2u);
    auto config_b = store->load_config(sha_b);
    BOOST_TEST_REQUIRE(config_b.ok());
    BOOST_TEST(config_b.value().file == "config/support.json");
    BOOST_TEST(config_b.value().text == "{\"workflow\": \"support\"}\n");
    BOOST_TEST(store->load_config(sha_c).value().text == "other");
    // And it goes on where it stopped.
    RunUpdate resume = one_event("a", "approve", {{"decision", "approve"}});
    resume.expect_last_seq = before[0].run.last_seq;
    BOOST_TEST(append_ok(*store, std::move(resume)) == before[0].run.last_seq + 1);
}

BOOST_AUTO_TEST_CASE(checkpoints_on_the_stores_own_thread_lose_nothing) {
    // Enough to pass the 1000 pages of write-ahead log at which the store
    // checkpoints, while appends go on committing.
    constexpr int runs = 6;
    constexpr int per_run = 80;
    constexpr std::size_t payload_size = 24 * 1024;
    constexpr std::size_t state_size = 6 * 1024;
    const auto text_of = [](int r, int n, std::size_t size) {
        return std::string(size, static_cast<char>('a' + (r * per_run + n) % 26)) + "#" + std::to_string(r) + "/" + std::to_string(n);
    };
    const auto check_all = [&](RunStore& store) {
        for (int r = 0; r < runs; ++r) {
            BOOST_TEST_CONTEXT("run w" << r) {
                const StoredRun run = load(store, "w" + std::to_string(r));
                BOOST_TEST_REQUIRE(run.events.size() == static_cast<std::size_t>(per_run));
                bool all_there = true;
                for (int n = 0; n < per_run; ++n) {
                    const RunEvent& e = run.events[static_cast<std::size_t>(n)];
                    all_there = all_there && e.seq == static_cast<uint64_t>(n + 1) && e.payload.at("text") == boost::json::value(text_of(r, n, payload_size));
                }
                BOOST_TEST(all_there);
                for (int k = 0; k < 4; ++k) {
                    const int last = per_run - 4 + k;  // the key each append wrote last
                    BOOST_TEST(run.state.at("k" + std::to_string(k)) == boost::json::value(text_of(r, last, state_size)));
                }
            }
        }
    };
    TempDir dir;
    const fs::path file = dir.file("runs.db");
    {
        auto store = open_file(file);
        for (int r = 0; r < runs; ++r) create(*store, new_run("w" + std::to_string(r)));
        std::atomic<int> failures{0};
        std::latch answered(runs * per_run);
        for (int n = 0; n < per_run; ++n)
            for (int r = 0; r < runs; ++r) {
                RunUpdate u = one_event("w" + std::to_string(r), "s", {{"text", text_of(r, n, payload_size)}});
                u.state_set.emplace_back("k" + std::to_string(n % 4), text_of(r, n, state_size));
                store->append_async(std::move(u), [&](Result<uint64_t> res) {
                    if (!res.ok()) ++failures;
                    answered.count_down();
                });
            }
        answered.wait();
        BOOST_TEST(failures.load() == 0);
        {
            RawFile other(file);
            const int64_t page_size = other.scalar("PRAGMA page_size");
            const int64_t written = other.scalar("SELECT sum(length(payload)) FROM run_events") +
                                    other.scalar("SELECT sum(length(value)) FROM run_state");
            BOOST_TEST_REQUIRE(written > 2 * 1000 * page_size);  // the log passed the checkpoint size at least twice
            // Another connection sees every commit.
            BOOST_TEST(other.scalar("SELECT count(*) FROM run_events") == runs * per_run);
        }
        check_all(*store);
        BOOST_TEST_MESSAGE("database file " << fs::file_size(file) << " bytes, write-ahead log "
                                            << fs::file_size(fs::path(file.string() + "-wal")) << " bytes before closing");
    }
    auto reopened = open_file(file);
    check_all(*reopened);
}

// Migration 4 moves each top-level state value into a row of its own; a real
// keeps every digit on the way (SQLite would render a REAL with 15).
BOOST_AUTO_TEST_CASE(a_migrated_top_level_real_keeps_every_digit) {
    TempDir dir;
    const fs::path file = dir.file("runs.db");
    StoredRun run = run_store::old_runs()[2];  // "idle", written as an old agenthost did
    run.state = {{"sum", 0.1 + 0.2}, {"third", 1.0 / 3.0}, {"pi", 3.141592653589793}};
    {
        RawFile raw(file);
        write_old_schema(raw, 3);
        insert_old_run(raw, run);
    }
    auto store = open_file(file);
    const StoredRun migrated = load(*store, run.run.id);
    BOOST_TEST(migrated.state == run.state);
}

// A create refused because its id is taken stores nothing, its config neither.
BOOST_AUTO_TEST_CASE(a_refused_create_stores_no_config) {
    for_each_store([](RunStore& store) {
        create(store, new_run("r"));
        NewRun again = new_run("r");
        again.config_sha256 = sha_c;
        again.config_file = "config/again.json";
        again.config_text = "again";
        auto refused = store.create_run(again);
        BOOST_TEST_REQUIRE(!refused.ok());
        BOOST_TEST(has(refused.error().message, "already stored"));
        BOOST_TEST(!store.load_config(sha_c).ok());
    });
}

// The memory store forgets only finished runs: a pruned run's id used again
// names a new run, which the old one's place among the finished never evicts.
BOOST_AUTO_TEST_CASE(a_pruned_runs_id_used_again_is_kept_while_unfinished) {
    auto store = make_memory_run_store(1);
    create(*store, new_run("x"));
    BOOST_TEST(store->set_status("x", RunStatus::succeeded).ok());
    BOOST_TEST(store->prune(StoreClock::now() + std::chrono::hours(1)).value() == 1u);
    create(*store, new_run("x"));  // the id is free again
    create(*store, new_run("y"));
    BOOST_TEST(store->set_status("y", RunStatus::succeeded).ok());
    auto x = store->load_run("x");
    BOOST_TEST_REQUIRE(x.ok(), "the running run x was forgotten");
    BOOST_TEST((x.value().run.status == RunStatus::running));
}

// The checkpointer copies the write-ahead log into the database file while
// the store is open. Appends go on, at most `more` of them, until the
// database file grows: a checkpoint is asked for at every one of those commits.
BOOST_AUTO_TEST_CASE(the_checkpointer_copies_the_log_into_the_database_file_while_the_store_is_open) {
    TempDir dir;
    const fs::path file = dir.file("runs.db");
    auto store = open_file(file);
    create(*store, new_run("r"));
    const auto start_size = fs::file_size(file);
    const std::string payload(16 * 1024, 'x');
    int appended = 0;
    // Past the 1000 pages of log (4 MiB at the default page size) at which the store checkpoints.
    for (; appended < 400; ++appended) append_ok(*store, one_event("r", "s", {{"text", payload}}));
    constexpr int more = 2000;
    for (int i = 0; i < more && fs::file_size(file) == start_size; ++i, ++appended)
        append_ok(*store, one_event("r", "s", {{"text", payload}}));
    BOOST_TEST(fs::file_size(file) > start_size, "after " << appended << " appends of 16 KiB the database file is still "
                                                         << fs::file_size(file) << " bytes, the log "
                                                         << fs::file_size(fs::path(file.string() + "-wal")) << " bytes");
    store.reset();
    BOOST_TEST(load(*open_file(file), "r").events.size() == static_cast<std::size_t>(appended));
}

BOOST_AUTO_TEST_SUITE_END()
