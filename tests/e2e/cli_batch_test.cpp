// cli_batch_test.cpp: `agenthost batch` as an operator runs it, through the
// real binary: the support demo over a JSON Lines file of the sample tickets
// (one result line per input line, each with its run id and the route and
// category each ticket expects), bad input lines, resuming from an output
// with a torn last line, the same results at any concurrency, the progress
// and summary on a non-terminal, and an interrupt that lets the runs in
// flight finish and leaves an output a rerun completes.
#include "cli_background.hpp"
#include "cli_process.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include "temp_dir.hpp"

#include <algorithm>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <unistd.h>
#include <vector>

namespace {

using agenthost::test::TempDir;

namespace fs = std::filesystem;
namespace json = boost::json;
using agenthost::test::BackgroundCli;
using agenthost::test::CliOutcome;
using agenthost::test::read_whole_file;
using agenthost::test::run_cli;
using agenthost::test::wait_until;
using namespace std::chrono_literals;

const fs::path source_dir = AGENTHOST_SOURCE_DIR;
const std::string support_config = (source_dir / "config/support.json").string();
const std::string slow_config = (source_dir / "tests/e2e/data/batch/slow.json").string();
const std::string engine_fixtures = (fs::path(AGENTHOST_FIXTURE_PLUGIN_DIR) / "engine").string();


bool contains(std::string_view haystack, std::string_view needle) { return haystack.find(needle) != std::string_view::npos; }

std::vector<std::string> split_lines(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

//! The sample tickets, each as one line of JSON, in file-name order.
std::vector<json::object> tickets() {
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(source_dir / "examples/tickets"))
        if (entry.path().extension() == ".json") files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    std::vector<json::object> out;
    for (const fs::path& f : files) out.push_back(json::parse(read_whole_file(f)).as_object());
    return out;
}

void write_file(const fs::path& file, std::string_view text) {
    std::ofstream out(file, std::ios::binary);
    out << text;
}

//! `copies` passes over the sample tickets as JSON Lines; returns the ticket at each input line.
std::map<std::size_t, json::object> write_tickets(const fs::path& file, int copies) {
    std::string text;
    std::map<std::size_t, json::object> at;
    std::size_t line = 0;
    for (int c = 0; c < copies; ++c) {
        for (const json::object& t : tickets()) {
            text += json::serialize(t) + "\n";
            at[++line] = t;
        }
    }
    write_file(file, text);
    return at;
}

//! Every line of a batch output, parsed, by input line number; fails the test
//! on a line that is not whole JSON or an input line answered twice.
std::map<std::size_t, json::object> results(const fs::path& output) {
    std::map<std::size_t, json::object> by_line;
    const std::string text = read_whole_file(output);
    BOOST_TEST_REQUIRE((text.empty() || text.back() == '\n'), "the output ends inside a line:\n" << text);
    for (const std::string& line : split_lines(text)) {
        boost::system::error_code ec;
        json::value v = json::parse(line, ec);
        BOOST_TEST_REQUIRE(!ec, "not a whole JSON line: " << line);
        const auto n = v.at("line").to_number<std::size_t>();
        BOOST_TEST_REQUIRE(by_line.count(n) == 0u, "input line " << n << " answered twice");
        by_line[n] = v.as_object();
    }
    return by_line;
}

bool is_run_id(const json::value& v) {
    return v.is_string() && std::regex_match(std::string(v.as_string()), std::regex("[0-9a-f]{32}"));
}

//! The checks every answer to a sample ticket passes: ok, its id, a run id,
//! the route the ticket expects, and the reply its category calls for.
void check_ticket_result(const json::object& result, const json::object& ticket) {
    const json::object& expected = ticket.at("expected").as_object();
    BOOST_TEST(result.at("ok").as_bool(), json::serialize(result));
    BOOST_TEST(result.at("id") == ticket.at("id"));
    BOOST_TEST(is_run_id(result.at("run_id")), json::serialize(result));
    BOOST_TEST(result.at("path") == expected.at("route"), json::serialize(result));
    const std::string category(expected.at("category").as_string());
    const json::object& output = result.at("output").as_object();
    if (category == "outage") {
        BOOST_TEST(contains(output.at("text").as_string(), "incident"), json::serialize(output));
    } else {
        // The responder picks its template by category; "general" has none of its own.
        BOOST_TEST(output.at("template").as_string() == (category == "general" ? "default" : category));
    }
    BOOST_TEST(result.at("tokens").to_number<long>() == 0);
    BOOST_TEST(result.at("cost_usd").to_number<double>() == 0.0);
    BOOST_TEST(result.at("duration_ms").to_number<double>() > 0.0);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(cli_batch)

BOOST_AUTO_TEST_CASE(every_input_line_gets_one_result_line_with_its_run_id_and_expected_route) {
    TempDir dir("all");
    const auto at = write_tickets(dir.path() / "tickets.jsonl", 3);
    // Blank lines are skipped, but still count as lines of the file.
    std::string text = read_whole_file(dir.path() / "tickets.jsonl");
    text.insert(text.find('\n') + 1, "\n   \n");
    write_file(dir.path() / "tickets.jsonl", text);

    const CliOutcome r = run_cli({"batch", support_config, "--input", (dir.path() / "tickets.jsonl").string(), "--output",
                                  (dir.path() / "out.jsonl").string()});
    BOOST_TEST_INFO("stdout: " << r.out << "\nstderr: " << r.err);
    BOOST_TEST_REQUIRE(r.exit_code == 0);
    BOOST_TEST(r.out.empty());  // results go to the output file; stdout stays clean
    const auto by_line = results(dir.path() / "out.jsonl");
    BOOST_TEST_REQUIRE(by_line.size() == at.size());
    std::set<std::string> run_ids;
    for (const auto& [n, ticket] : at) {
        const std::size_t input_line = n == 1 ? 1 : n + 2;  // after the two blank lines
        BOOST_TEST_CONTEXT("input line " << input_line) {
            BOOST_TEST_REQUIRE(by_line.count(input_line) == 1u);
            check_ticket_result(by_line.at(input_line), ticket);
            run_ids.insert(std::string(by_line.at(input_line).at("run_id").as_string()));
        }
    }
    BOOST_TEST(run_ids.size() == at.size());  // one run per line
}

BOOST_AUTO_TEST_CASE(a_bad_line_gets_a_bad_input_error_and_the_others_still_run) {
    TempDir dir("bad");
    const auto all = tickets();
    const fs::path input = dir.path() / "mixed.jsonl";
    write_file(input, json::serialize(all[0]) + "\n" + "this is not JSON\n" + json::serialize(all[1]) + "\n" +
                          R"({"id": "T-9", "body": "cut short)" + "\n" + json::serialize(all[2]) + "\n");

    const CliOutcome r = run_cli({"batch", support_config, "--input", input.string(), "--output",
                                  (dir.path() / "out.jsonl").string(), "--concurrency", "2"});
    BOOST_TEST_INFO("stderr: " << r.err);
    BOOST_TEST(r.exit_code == 1);
    const auto by_line = results(dir.path() / "out.jsonl");
    BOOST_TEST_REQUIRE(by_line.size() == 5u);
    check_ticket_result(by_line.at(1), all[0]);
    check_ticket_result(by_line.at(3), all[1]);
    check_ticket_result(by_line.at(5), all[2]);
    for (const std::size_t n : {2u, 4u}) {
        BOOST_TEST_CONTEXT("input line " << n) {
            const json::object& bad = by_line.at(n);
            BOOST_TEST(!bad.at("ok").as_bool());
            BOOST_TEST(bad.at("error").at("code").as_string() == "bad_input");
            const std::string message(bad.at("error").at("message").as_string());
            // Located at the input file's line, with the column and the parser's reason.
            BOOST_TEST(contains(message, input.string() + ":" + std::to_string(n) + ":"), message);
            BOOST_TEST(contains(message, "invalid JSON"), message);
            BOOST_TEST(!bad.contains("run_id"));
        }
    }
    BOOST_TEST(contains(r.err, "3 ok, 2 failed"), r.err);
}

BOOST_AUTO_TEST_CASE(resume_keeps_the_lines_done_and_redoes_a_torn_last_line) {
    TempDir dir("resume");
    const fs::path input = dir.path() / "tickets.jsonl";
    const fs::path output = dir.path() / "out.jsonl";
    const auto at = write_tickets(input, 1);
    // Lines 1 and 3 "done" with answers the workflow would never give, so
    // that keeping them (not rerunning them) shows; then what a kill in the
    // middle of writing line 2 leaves.
    const std::string kept = R"({"line":1,"id":"T-1001","ok":true,"run_id":"kept-one","output":{"kept":1}})" "\n"
                             R"({"line":3,"ok":false,"run_id":"kept-three","error":{"code":"agent_failed"}})" "\n";
    write_file(output, kept + R"({"line":2,"id":"T-1004","ok":tr)");

    const CliOutcome r = run_cli({"batch", support_config, "--input", input.string(), "--output", output.string()});
    BOOST_TEST_INFO("stderr: " << r.err);
    // Line 3 failed in the earlier batch, so the whole batch is still a failure.
    BOOST_TEST(r.exit_code == 1);
    BOOST_TEST(contains(r.err, "warning: " + output.string() + ":3: the last line has no newline"), r.err);
    BOOST_TEST(contains(r.err, "resuming: 2 of 6 lines are already in " + output.string()), r.err);
    BOOST_TEST(contains(r.err, "4 ok, 0 failed, 2 skipped (already in " + output.string() + ", 1 of them failed)"), r.err);

    const std::string text = read_whole_file(output);
    BOOST_TEST(text.starts_with(kept), text);  // byte for byte
    const auto by_line = results(output);
    BOOST_TEST_REQUIRE(by_line.size() == at.size());
    BOOST_TEST(split_lines(text).size() == at.size());
    BOOST_TEST(by_line.at(1).at("run_id").as_string() == "kept-one");
    BOOST_TEST(by_line.at(3).at("run_id").as_string() == "kept-three");
    for (const std::size_t n : {2u, 4u, 5u, 6u}) {
        BOOST_TEST_CONTEXT("input line " << n) { check_ticket_result(by_line.at(n), at.at(n)); }
    }

    // Everything is done now: a rerun runs nothing and changes nothing.
    const CliOutcome again = run_cli({"batch", support_config, "--input", input.string(), "--output", output.string()});
    BOOST_TEST(contains(again.err, "resuming: 6 of 6 lines"), again.err);
    BOOST_TEST(contains(again.err, "0 ok, 0 failed, 6 skipped"), again.err);
    BOOST_TEST(read_whole_file(output) == text);
}

BOOST_AUTO_TEST_CASE(an_output_file_that_is_not_batch_output_is_left_alone) {
    TempDir dir("foreign");
    const fs::path input = dir.path() / "tickets.jsonl";
    const fs::path output = dir.path() / "notes.txt";
    write_tickets(input, 1);
    const std::string notes = "my notes\n" R"({"line":2,"ok":true})" "\n";
    write_file(output, notes);

    const CliOutcome r = run_cli({"batch", support_config, "--input", input.string(), "--output", output.string()});
    BOOST_TEST(r.exit_code == 1);
    BOOST_TEST(contains(r.err, output.string() + ":1: not an agenthost batch output line"), r.err);
    BOOST_TEST(read_whole_file(output) == notes);
}

BOOST_AUTO_TEST_CASE(concurrency_1_and_8_give_the_same_results) {
    TempDir dir("concurrency");
    const fs::path input = dir.path() / "tickets.jsonl";
    write_tickets(input, 4);
    std::map<std::string, std::map<std::size_t, json::object>> by_concurrency;
    for (const std::string n : {"1", "8"}) {
        const fs::path output = dir.path() / ("out-" + n + ".jsonl");
        const CliOutcome r =
            run_cli({"batch", support_config, "--input", input.string(), "--output", output.string(), "--concurrency", n});
        BOOST_TEST_INFO("stderr: " << r.err);
        BOOST_TEST_REQUIRE(r.exit_code == 0);
        auto lines = results(output);
        if (n == "1") {
            // One at a time: the output is in input order.
            std::size_t expected = 0;
            for (const std::string& line : split_lines(read_whole_file(output)))
                BOOST_TEST(json::parse(line).at("line").to_number<std::size_t>() == ++expected);
        }
        for (auto& [line, result] : lines) {
            // What differs from run to run by nature.
            result.erase("run_id");
            result.erase("duration_ms");
        }
        by_concurrency[n] = std::move(lines);
    }
    BOOST_TEST(by_concurrency["1"].size() == 24u);
    BOOST_TEST((by_concurrency["1"] == by_concurrency["8"]));
}

BOOST_AUTO_TEST_CASE(progress_off_a_terminal_is_plain_lines_and_a_summary) {
    TempDir dir("progress");
    const fs::path input = dir.path() / "tickets.jsonl";
    write_tickets(input, 2);
    const CliOutcome r = run_cli({"batch", support_config, "--input", input.string(), "--output",
                                  (dir.path() / "out.jsonl").string()});
    BOOST_TEST_REQUIRE(r.exit_code == 0);
    BOOST_TEST(!contains(r.err, "\r"), r.err);  // stderr is a pipe here: nothing is redrawn
    const std::regex summary(R"(agenthost: batch: 12 of 12 lines done: 12 ok, 0 failed, 0 skipped \(already in )" +
                             std::regex_replace((dir.path() / "out.jsonl").string(), std::regex(R"([.^$|()\[\]{}*+?\\])"), R"(\$&)") +
                             R"(\); [0-9]+\.[0-9]{2} s, [0-9]+\.[0-9] runs/s, 0 tokens, \$0\.000000\n$)");
    BOOST_TEST(std::regex_search(r.err, summary), r.err);
}

BOOST_AUTO_TEST_CASE(help_documents_the_command) {
    const CliOutcome r = run_cli({"batch", "--help"});
    BOOST_TEST_REQUIRE(r.exit_code == 0);
    for (const char* word : {"usage: agenthost batch", "--input FILE", "--output FILE", "--concurrency N", "--workers N",
                             "--trace FILE", "--plugin-dir DIR", "resum"})
        BOOST_TEST(contains(r.out, word), word << " missing from:\n" << r.out);

    const CliOutcome missing = run_cli({"batch", support_config, "--input", "x.jsonl"});
    BOOST_TEST(missing.exit_code == 2);
    BOOST_TEST(contains(missing.err, "missing --output FILE"), missing.err);
    const CliOutcome zero = run_cli({"batch", support_config, "--input", "x", "--output", "y", "--concurrency", "0"});
    BOOST_TEST(zero.exit_code == 2);
    BOOST_TEST(contains(zero.err, "--concurrency: expected a whole number from 1"), zero.err);
}

BOOST_AUTO_TEST_CASE(a_config_with_problems_is_reported_as_validate_reports_it) {
    TempDir dir("config");
    const fs::path input = dir.path() / "tickets.jsonl";
    write_tickets(input, 1);
    std::string text = read_whole_file(slow_config);
    text.replace(text.find(R"("next": "done")"), 14, R"("next": "dnoe")");
    write_file(dir.path() / "broken.json", text);
    const CliOutcome r = run_cli({"batch", (dir.path() / "broken.json").string(), "--input", input.string(), "--output",
                                  (dir.path() / "out.jsonl").string(), "--plugin-dir", engine_fixtures});
    BOOST_TEST(r.exit_code == 1);
    BOOST_TEST(contains(r.err, (dir.path() / "broken.json").string() + ":"), r.err);
    BOOST_TEST(contains(r.err, "/steps/wait/next"), r.err);
    BOOST_TEST(contains(r.err, "problems found"), r.err);
    BOOST_TEST(read_whole_file(dir.path() / "out.jsonl").empty());
}

//! 20 inputs for the slow workflow, whose runs take about half a second each.
fs::path write_slow_input(const fs::path& dir) {
    std::string text;
    for (int i = 1; i <= 20; ++i) text += R"({"id": "s-)" + std::to_string(i) + R"(", "n": )" + std::to_string(i) + "}\n";
    write_file(dir / "slow.jsonl", text);
    return dir / "slow.jsonl";
}

BOOST_AUTO_TEST_CASE(an_interrupt_finishes_the_runs_in_flight_and_a_rerun_completes) {
    TempDir dir("interrupt");
    const fs::path input = write_slow_input(dir.path());
    const fs::path output = dir.path() / "out.jsonl";
    const std::vector<std::string> args{"batch", slow_config, "--input", input.string(), "--output", output.string(),
                                        "--concurrency", "2", "--plugin-dir", engine_fixtures};
    {
        BackgroundCli batch(args, dir.path() / "stdout", dir.path() / "stderr");
        const bool first_line = wait_until([&] { return contains(read_whole_file(output), "\n"); }, 30s);
        BOOST_TEST_REQUIRE(first_line, "no output line within 30 s; stderr:\n" << batch.err());
        batch.signal(SIGINT);
        const int code = batch.wait();
        const std::string err = batch.err();
        BOOST_TEST_INFO("stderr: " << err);
        BOOST_TEST(code == 130);
        BOOST_TEST(contains(err, "interrupted: finishing the runs in flight"), err);
        const auto by_line = results(output);  // every line whole JSON
        BOOST_TEST(by_line.size() < 20u);
        BOOST_TEST(contains(err, "interrupted after " + std::to_string(by_line.size()) +
                                     " of 20 lines; run the same command again to resume"),
                   err);
        for (const auto& [n, result] : by_line) BOOST_TEST(result.at("ok").as_bool(), json::serialize(result));
    }

    auto rerun = args;
    rerun[7] = "8";  // more at once, to finish sooner
    const CliOutcome r = run_cli(rerun);
    BOOST_TEST_INFO("stderr: " << r.err);
    BOOST_TEST(r.exit_code == 0);
    BOOST_TEST(contains(r.err, "resuming: "), r.err);
    const auto by_line = results(output);
    BOOST_TEST_REQUIRE(by_line.size() == 20u);
    for (const auto& [n, result] : by_line) {
        BOOST_TEST(result.at("ok").as_bool());
        BOOST_TEST(result.at("id").as_string() == "s-" + std::to_string(n));
        BOOST_TEST(result.at("output").at("n").to_number<std::size_t>() == n);  // the run's own input
    }
}

BOOST_AUTO_TEST_CASE(a_second_interrupt_stops_at_once_with_whole_lines) {
    TempDir dir("interrupt-twice");
    const fs::path input = write_slow_input(dir.path());
    const fs::path output = dir.path() / "out.jsonl";
    BackgroundCli batch({"batch", slow_config, "--input", input.string(), "--output", output.string(), "--concurrency",
                         "4", "--plugin-dir", engine_fixtures},
                        dir.path() / "stdout", dir.path() / "stderr");
    BOOST_TEST_REQUIRE(wait_until([&] { return contains(read_whole_file(output), "\n"); }, 30s),
                       "no output line within 30 s; stderr:\n" << batch.err());
    batch.signal(SIGINT);
    // Signals of one kind do not queue: the second must come after the first was taken.
    BOOST_TEST_REQUIRE(wait_until([&] { return contains(batch.err(), "interrupt again to stop at once"); }, 10s),
                       batch.err());
    batch.signal(SIGINT);
    BOOST_TEST(batch.wait() == 130);
    BOOST_TEST(contains(batch.err(), "interrupted again: stopped at once"), batch.err());
    results(output);  // every line whole JSON
}

BOOST_AUTO_TEST_SUITE_END()
