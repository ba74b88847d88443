// crash_resume_test.cpp: durable runs survive SIGKILL. The real binary runs a
// batch of 200 durable runs (tests/e2e/data/crash/durable-tickets.json: each
// run files a ticket in two folders through ticket-writer, which records every
// side effect with its idempotency key). The host is killed with SIGKILL 20
// times, each time while runs are in flight, and started again on the same
// store; then it runs to the end. Every run must have finished, none may be
// lost or started twice, and no idempotency key may have been applied twice.
#include "cli_background.hpp"
#include "cli_process.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include "temp_dir.hpp"

#include <agenthost/host/run_store.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using agenthost::test::BackgroundCli;
using agenthost::test::CliOutcome;
using agenthost::test::read_whole_file;
using agenthost::test::run_cli;
using agenthost::test::TempDir;
using agenthost::test::wait_until;

constexpr int runs = 200;
constexpr int kills = 20;

std::vector<json::object> json_lines(const fs::path& file) {
    std::vector<json::object> out;
    std::istringstream lines(read_whole_file(file));
    std::string line;
    while (std::getline(lines, line)) {
        if (line.empty()) continue;
        boost::system::error_code ec;
        json::value v = json::parse(line, ec);
        if (!ec && v.is_object()) out.push_back(std::move(v.as_object()));  // a torn last line is not a result yet
    }
    return out;
}

std::size_t line_count(const fs::path& file) { return json_lines(file).size(); }

struct Batch {
    fs::path dir;
    std::vector<std::string> args() const {
        return {"batch", (dir / "durable-tickets.json").string(), "--input", (dir / "in.jsonl").string(),
                "--output", (dir / "out.jsonl").string(), "--store", (dir / "runs.db").string(), "--concurrency", "4"};
    }
};

BOOST_AUTO_TEST_SUITE(crash_resume)

BOOST_AUTO_TEST_CASE(sigkilled_batches_finish_every_run_once_and_apply_no_key_twice) {
    TempDir tmp("agenthost-crash");
    const Batch batch{tmp.path()};
    fs::copy_file(fs::path(AGENTHOST_SOURCE_DIR) / "tests/e2e/data/crash/durable-tickets.json",
                  tmp.path() / "durable-tickets.json");
    {
        std::ofstream in(tmp.path() / "in.jsonl");
        for (int i = 1; i <= runs; ++i) in << R"({"id": "T-)" << i << R"(", "title": "Ticket )" << i << "\"}\n";
    }

    std::mt19937 random(std::random_device{}());
    int landed = 0;  // kills that found runs unfinished in the store
    for (int k = 1; k <= kills; ++k) {
        const std::size_t before = line_count(tmp.path() / "out.jsonl");
        BackgroundCli host(batch.args(), tmp.path() / ("out." + std::to_string(k)), tmp.path() / ("err." + std::to_string(k)));
        // Some progress first, so that every start has to take up what the last kill left, then a random moment.
        const bool progressed = wait_until([&] { return line_count(tmp.path() / "out.jsonl") >= before + 3; },
                                           std::chrono::seconds(60));
        BOOST_REQUIRE_MESSAGE(progressed, "kill " << k << ": the batch made no progress:\n" << host.err());
        std::this_thread::sleep_for(std::chrono::microseconds(std::uniform_int_distribution<int>(0, 20000)(random)));
        host.signal(SIGKILL);
        const int status = host.wait();
        BOOST_REQUIRE_MESSAGE(status == 128 + SIGKILL, "kill " << k << ": the batch ended on its own (exit " << status
                                                               << ") before it was killed; too few runs for " << kills
                                                               << " kills?\n" << host.err());
        auto store = agenthost::open_sqlite_run_store(tmp.path() / "runs.db");
        BOOST_REQUIRE_MESSAGE(static_cast<bool>(store), (store ? std::string() : store.error().to_string()));
        auto unfinished = store.value()->unfinished_runs();
        BOOST_REQUIRE(unfinished);
        if (!unfinished->empty()) ++landed;
    }
    BOOST_TEST(landed > kills / 2, landed << " of " << kills << " kills found runs in flight");
    BOOST_TEST_MESSAGE(line_count(tmp.path() / "out.jsonl") << " of " << runs << " lines answered after " << kills
                                                            << " kills; " << landed << " kills found runs in flight");

    const CliOutcome last = run_cli(batch.args());
    BOOST_REQUIRE_MESSAGE(last.exit_code == 0, "the last batch failed:\n" << last.err);

    // Every input line has a result, and every result is a success.
    std::map<int, json::object> by_line;
    for (json::object& line : json_lines(tmp.path() / "out.jsonl")) by_line[static_cast<int>(line.at("line").as_int64())] = line;
    BOOST_TEST(by_line.size() == static_cast<std::size_t>(runs));
    std::set<std::string> run_ids;
    for (const auto& [number, line] : by_line) {
        BOOST_TEST(line.at("ok").as_bool(), "line " << number << ": " << json::serialize(line));
        run_ids.insert(std::string(line.at("run_id").as_string()));
    }
    BOOST_TEST(run_ids.size() == static_cast<std::size_t>(runs), "each line has a run of its own");

    // The store holds exactly those runs, all succeeded: none lost, none started twice.
    auto store = agenthost::open_sqlite_run_store(tmp.path() / "runs.db");
    BOOST_REQUIRE(store);
    agenthost::RunFilter all;
    all.limit = 10 * runs;
    auto stored = store.value()->list_runs(all);
    BOOST_REQUIRE(stored);
    BOOST_TEST(stored->size() == static_cast<std::size_t>(runs));
    for (const agenthost::RunRecord& r : stored.value()) {
        BOOST_TEST(agenthost::to_string(r.status) == "succeeded", r.id);
        BOOST_TEST(run_ids.contains(r.id), r.id << " is not a batch line's run");
    }

    // Each folder: one applied key per run, the key of that run's step, and one ticket file per run.
    for (const auto& [folder, step] : {std::pair{"tickets-a", "file_a"}, std::pair{"tickets-b", "file_b"}}) {
        std::map<std::string, int> applied;
        for (const json::object& record : json_lines(tmp.path() / folder / "applied.jsonl"))
            ++applied[std::string(record.at("idempotency_key").as_string())];
        BOOST_TEST(applied.size() == static_cast<std::size_t>(runs), folder);
        std::set<std::string> runs_applied;
        for (const auto& [key, times] : applied) {
            BOOST_TEST(times == 1, folder << ": key " << key << " applied " << times << " times");
            // <run id>/<step>/<step number>: the host's key, the same on every attempt of the step.
            const std::string run = key.substr(0, key.find('/'));
            BOOST_TEST(key == run + "/" + step + "/" + (std::string(step) == "file_a" ? "2" : "3"), key);
            runs_applied.insert(run);
        }
        BOOST_TEST((runs_applied == run_ids), folder << ": the keys belong to the batch's runs, one each");
        std::size_t tickets = 0;
        for (const auto& entry : fs::directory_iterator(tmp.path() / folder))
            if (entry.path().extension() == ".json") ++tickets;
        BOOST_TEST(tickets == static_cast<std::size_t>(runs), folder);
    }
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
