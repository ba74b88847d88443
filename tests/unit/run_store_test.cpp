// run_store_test.cpp: the run stores' contract (transactions, event replay,
// filters, pruning, concurrent appends), proved the same way against the
// in-memory store and the SQLite store; and what only a file can show:
// reopening, schema migrations, and group-commit throughput.
#include <agenthost/host/run_store.hpp>

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include "temp_dir.hpp"

#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <future>
#include <random>
#include <set>
#include <string>
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

BOOST_AUTO_TEST_SUITE_END()
