// cli_runs_test.cpp: durable runs through the real binary: `run --store` and
// `batch --store` record runs, `runs list` / `runs show` read them back (text
// and JSON), `runs prune --older-than` removes finished ones, the store may
// come from AGENTHOST_STORE, and the command line's mistakes are usage errors.
#include "cli_process.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include "temp_dir.hpp"

#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <unistd.h>
#include <vector>

namespace {

using agenthost::test::TempDir;

namespace fs = std::filesystem;
namespace json = boost::json;
using agenthost::test::CliOutcome;
using agenthost::test::run_cli;

const fs::path source_dir = AGENTHOST_SOURCE_DIR;
const std::string pipeline_config = (source_dir / "tests/fixtures/configs/engine/pipeline.json").string();
const std::string engine_fixtures = (fs::path(AGENTHOST_FIXTURE_PLUGIN_DIR) / "engine").string();


bool contains(std::string_view haystack, std::string_view needle) { return haystack.find(needle) != std::string_view::npos; }

void write_file(const fs::path& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary);
    out << text;
}

std::string describe(const CliOutcome& r) {
    return "exit " + std::to_string(r.exit_code) + "\nstdout:\n" + r.out + "\nstderr:\n" + r.err;
}

//! `run --json --store`; returns the run's result document.
json::object run_stored(const TempDir& dir, const std::string& store, const std::string& input, int expected_exit,
                        std::vector<std::string> env = {}) {
    const fs::path in = dir.path() / "input.json";
    write_file(in, input);
    std::vector<std::string> args{"run", pipeline_config, "--plugin-dir", engine_fixtures, "--input", in.string(), "--json"};
    if (!store.empty()) {
        args.push_back("--store");
        args.push_back(store);
    }
    const CliOutcome r = run_cli(args, std::move(env));
    BOOST_REQUIRE_MESSAGE(r.exit_code == expected_exit, describe(r));
    return json::parse(r.out).as_object();
}

json::array list_json(const std::string& store, std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"runs", "list", "--store", store, "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    const CliOutcome r = run_cli(args);
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, describe(r));
    return json::parse(r.out).as_array();
}

BOOST_AUTO_TEST_SUITE(cli_runs)

BOOST_AUTO_TEST_CASE(run_and_batch_record_runs_that_list_show_and_prune_read) {
    TempDir dir("round-trip");
    const std::string store = (dir.path() / "runs.db").string();

    const json::object ok = run_stored(dir, store, R"({"text": "hello", "n": 3})", 0);
    const json::object failed = run_stored(dir, store, R"({"text": "hello", "n": "three"})", 1);
    const std::string ok_id(ok.at("run_id").as_string());
    const std::string failed_id(failed.at("run_id").as_string());

    const fs::path lines = dir.path() / "inputs.jsonl";
    write_file(lines, R"({"text": "a", "n": 1})" "\n" R"({"text": "b", "n": 2})" "\n" R"({"text": "c", "n": 3})" "\n");
    const CliOutcome batch = run_cli({"batch", pipeline_config, "--plugin-dir", engine_fixtures, "--input", lines.string(),
                                      "--output", (dir.path() / "out.jsonl").string(), "--store", store});
    BOOST_REQUIRE_MESSAGE(batch.exit_code == 0, describe(batch));

    // list: every run, newest first; by status; limited.
    const json::array all = list_json(store);
    BOOST_TEST(all.size() == 5u);
    const json::array failures = list_json(store, {"--status", "failed"});
    BOOST_REQUIRE(failures.size() == 1u);
    BOOST_TEST(failures[0].at("id") == json::value(failed_id));
    BOOST_TEST(failures[0].at("error").at("code") == failed.at("error").at("code"));
    BOOST_TEST(list_json(store, {"--status", "succeeded"}).size() == 4u);
    BOOST_TEST(list_json(store, {"--limit", "2"}).size() == 2u);
    BOOST_TEST(list_json(store, {"--status", "waiting"}).empty());

    const CliOutcome text_list = run_cli({"runs", "list", "--store", store});
    BOOST_REQUIRE_MESSAGE(text_list.exit_code == 0, describe(text_list));
    BOOST_TEST(contains(text_list.out, ok_id));
    BOOST_TEST(contains(text_list.out, "engine-pipeline"));
    BOOST_TEST(contains(text_list.out, "failed"));

    // show: the path of steps, the state, status, tokens and cost.
    const CliOutcome shown = run_cli({"runs", "show", ok_id, "--store", store});
    BOOST_REQUIRE_MESSAGE(shown.exit_code == 0, describe(shown));
    BOOST_TEST(contains(shown.out, "run " + ok_id + " (engine-pipeline): succeeded"));
    BOOST_TEST(contains(shown.out, "path:"));
    BOOST_TEST(contains(shown.out, "first"));
    BOOST_TEST(contains(shown.out, "-> second"));
    BOOST_TEST(contains(shown.out, "state:"));
    BOOST_TEST(contains(shown.out, "\"answer\""));

    const CliOutcome shown_json = run_cli({"runs", "show", ok_id, "--store", store, "--json"});
    BOOST_REQUIRE_MESSAGE(shown_json.exit_code == 0, describe(shown_json));
    const json::object doc = json::parse(shown_json.out).as_object();
    BOOST_TEST(doc.at("status") == "succeeded");
    BOOST_TEST(doc.at("tokens") == ok.at("tokens"));
    BOOST_TEST(doc.at("input") == json::parse(R"({"text": "hello", "n": 3})"));
    std::vector<std::string> path;
    for (const json::value& e : doc.at("events").as_array()) {
        if (e.at("kind") == "output") path.emplace_back(e.at("step").as_string());
    }
    BOOST_TEST(path == (std::vector<std::string>{"first", "second", "done"}), boost::test_tools::per_element());
    BOOST_TEST(doc.at("events").as_array().back().at("kind") == "run_finished");

    const CliOutcome shown_failed = run_cli({"runs", "show", failed_id, "--store", store});
    BOOST_REQUIRE_MESSAGE(shown_failed.exit_code == 0, describe(shown_failed));
    BOOST_TEST(contains(shown_failed.out, ": failed"));
    BOOST_TEST(contains(shown_failed.out, "error: "));

    const CliOutcome unknown = run_cli({"runs", "show", "0123456789abcdef0123456789abcdef", "--store", store});
    BOOST_TEST(unknown.exit_code == 1, describe(unknown));

    // prune: nothing is 30 days old; every finished run is older than 0 s.
    const CliOutcome keep = run_cli({"runs", "prune", "--older-than", "30d", "--store", store});
    BOOST_REQUIRE_MESSAGE(keep.exit_code == 0, describe(keep));
    BOOST_TEST(contains(keep.out, "pruned 0 runs"));
    BOOST_TEST(list_json(store).size() == 5u);
    const CliOutcome drop = run_cli({"runs", "prune", "--older-than", "0s", "--store", store, "--json"});
    BOOST_REQUIRE_MESSAGE(drop.exit_code == 0, describe(drop));
    BOOST_TEST(json::parse(drop.out).at("pruned") == 5);
    BOOST_TEST(list_json(store).empty());
}

BOOST_AUTO_TEST_CASE(the_store_may_come_from_the_environment) {
    TempDir dir("env");
    const std::string store = (dir.path() / "env.db").string();
    const json::object ok = run_stored(dir, "", R"({"text": "hi", "n": 1})", 0, {"AGENTHOST_STORE=" + store});
    const CliOutcome listed = run_cli({"runs", "list", "--json"}, {"AGENTHOST_STORE=" + store});
    BOOST_REQUIRE_MESSAGE(listed.exit_code == 0, describe(listed));
    const json::array runs = json::parse(listed.out).as_array();
    BOOST_REQUIRE(runs.size() == 1u);
    BOOST_TEST(runs[0].at("id") == ok.at("run_id"));
}

BOOST_AUTO_TEST_CASE(mistakes_are_usage_errors_or_clear_failures) {
    TempDir dir("mistakes");
    const std::string store = (dir.path() / "runs.db").string();
    const std::string missing = (dir.path() / "missing.db").string();

    const CliOutcome no_store = run_cli({"runs", "list"});
    BOOST_TEST(no_store.exit_code == 2, describe(no_store));
    BOOST_TEST(contains(no_store.err, "--store"));

    const CliOutcome not_there = run_cli({"runs", "list", "--store", missing});
    BOOST_TEST(not_there.exit_code == 1, describe(not_there));
    BOOST_TEST(contains(not_there.err, "no run store at " + missing));
    BOOST_TEST(!fs::exists(missing));  // reading never creates a store

    run_stored(dir, store, R"({"text": "hi", "n": 1})", 0);
    for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
             {"runs", "prune", "--store", store},
             {"runs", "prune", "--older-than", "30x", "--store", store},
             {"runs", "prune", "--older-than", "d", "--store", store},
             {"runs", "list", "--status", "done", "--store", store},
             {"runs", "list", "--limit", "0", "--store", store},
             {"runs", "show", "--store", store}}) {
        const CliOutcome r = run_cli(args);
        BOOST_TEST(r.exit_code == 2, describe(r));
    }

    // A store path the host cannot open stops `run` before any run, with the reason.
    const CliOutcome bad = run_cli({"run", pipeline_config, "--plugin-dir", engine_fixtures, "--input",
                                    (dir.path() / "input.json").string(), "--store", dir.path().string()});
    BOOST_TEST(bad.exit_code == 1, describe(bad));
    BOOST_TEST(contains(bad.err, "cannot open the run store"));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
