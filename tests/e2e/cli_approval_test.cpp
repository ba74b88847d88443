// cli_approval_test.cpp: an approval round trip through the real binary,
// across host restarts (each command is a process of its own, on one SQLite
// store): `run --store` leaves the run waiting at its approval step and says
// what it asks; `runs list --status waiting` lists it; `resume RUN` refuses a
// run that still waits for a decision; `approve` refuses a patch that does not
// fit and records one that does; `resume --all` finishes the run; `runs show`
// shows it succeeded, with the decision in its state and its event log.
#include "cli_process.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include "temp_dir.hpp"

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using agenthost::test::CliOutcome;
using agenthost::test::run_cli;
using agenthost::test::TempDir;

const std::string engine_fixtures = (fs::path(AGENTHOST_FIXTURE_PLUGIN_DIR) / "engine").string();

// fixture-echo drafts tickets, a person signs them off (an edit patches the
// draft's tickets within the schema), and fixture-echo "files" what the
// approval step wrote.
constexpr const char* approval_config = R"json({
  "name": "cli-approval",
  "agents": {
    "draft": {"plugin": "fixture-echo"},
    "file": {"plugin": "fixture-echo"}
  },
  "start": "draft",
  "steps": {
    "draft": {"kind": "agent", "agent": "draft", "reads": {"summary": "/input/summary", "tickets": "/input/tickets"},
              "next": "sign-off"},
    "sign-off": {
      "kind": "approval",
      "question": "File these tickets?",
      "shows": {"summary": "/draft/summary"},
      "edits": "/draft/tickets",
      "schema": {"type": "array", "minItems": 1,
                 "items": {"type": "object", "required": ["id", "priority"],
                           "properties": {"id": {"type": "string"}, "priority": {"enum": ["P1", "P2", "P3"]}}}},
      "writes": "approval",
      "next": "file",
      "on_reject": "dropped"
    },
    "file": {"kind": "agent", "agent": "file", "reads": {"tickets": "/approval/value"}, "next": "done"},
    "done": {"kind": "end", "result": "/file"},
    "dropped": {"kind": "end", "result": "/approval"}
  }
})json";

constexpr const char* approval_input =
    R"({"summary": "two tickets", "score": 0.93, "tickets": [{"id": "T-1", "priority": "P1"}, {"id": "T-2", "priority": "P2"}]})";

bool contains(std::string_view haystack, std::string_view needle) { return haystack.find(needle) != std::string_view::npos; }

std::string describe(const CliOutcome& r) {
    return "exit " + std::to_string(r.exit_code) + "\nstdout:\n" + r.out + "\nstderr:\n" + r.err;
}

//! Runs the CLI with `args` and --plugin-dir for the fixtures; requires exit code `expected`.
CliOutcome cli(std::vector<std::string> args, int expected) {
    args.push_back("--plugin-dir");
    args.push_back(engine_fixtures);
    const CliOutcome r = run_cli(args);
    BOOST_REQUIRE_MESSAGE(r.exit_code == expected, "agenthost " << args.front() << ": " << describe(r));
    return r;
}

json::object show(const std::string& store, const std::string& id) {
    const CliOutcome r = run_cli({"runs", "show", id, "--store", store, "--json"});
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, describe(r));
    return json::parse(r.out).as_object();
}

std::size_t count_events(const json::object& shown, std::string_view kind) {
    std::size_t n = 0;
    for (const json::value& e : shown.at("events").as_array())
        if (e.at("kind") == json::value(std::string(kind))) ++n;
    return n;
}

BOOST_AUTO_TEST_SUITE(cli_approval)

BOOST_AUTO_TEST_CASE(a_run_waits_for_an_edit_and_finishes_after_a_restart) {
    TempDir dir("cli-approval");
    const std::string config = dir.write("approval.json", approval_config).string();
    const std::string input = dir.write("input.json", approval_input).string();
    const std::string store = dir.file("runs.db").string();

    // run: exit 0, waiting, with what it asks.
    const CliOutcome ran = cli({"run", config, "--store", store, "--input", input, "--json"}, 0);
    const json::object result = json::parse(ran.out).as_object();
    BOOST_TEST(result.at("status") == "waiting");
    BOOST_TEST(result.at("ok") == false);
    BOOST_TEST(!result.contains("error"));
    const std::string id(result.at("run_id").as_string());
    const json::value& asked = result.at("waiting");
    BOOST_TEST(asked.at("step") == "sign-off");
    BOOST_TEST(asked.at("question") == "File these tickets?");
    BOOST_TEST(asked.at("shows") == json::parse(R"({"summary": "two tickets"})"));
    BOOST_TEST(asked.at("value") == json::parse(approval_input).at("tickets"));

    // runs list --status waiting lists it.
    {
        const CliOutcome listed = run_cli({"runs", "list", "--store", store, "--status", "waiting", "--json"});
        BOOST_REQUIRE_MESSAGE(listed.exit_code == 0, describe(listed));
        const json::array runs = json::parse(listed.out).as_array();
        BOOST_REQUIRE(runs.size() == 1u);
        BOOST_TEST(runs[0].at("id") == json::value(id));
        BOOST_TEST(runs[0].at("status") == "waiting");
        BOOST_TEST(runs[0].at("workflow") == "cli-approval");
        const CliOutcome text = run_cli({"runs", "list", "--store", store, "--status", "waiting"});
        BOOST_REQUIRE_MESSAGE(text.exit_code == 0, describe(text));
        BOOST_TEST(contains(text.out, id), describe(text));
        BOOST_TEST(contains(text.out, "waiting"), describe(text));
    }

    // resume RUN without a decision: exit 1, it waits for one.
    {
        const CliOutcome early = cli({"resume", id, "--store", store}, 1);
        BOOST_TEST(contains(early.err, "waits for a decision"), describe(early));
        BOOST_TEST(contains(early.err, "sign-off"), describe(early));
    }

    // approve with patches that do not fit: exit 1, saying why; nothing recorded.
    const uint64_t events_before = show(store, id).at("events").as_array().size();
    {
        const std::string breaks = dir.write("breaks.patch.json", R"([{"op": "replace", "path": "/1/priority", "value": "P9"}])").string();
        const CliOutcome refused = cli({"approve", id, "--store", store, "--decision", "edit", "--patch", breaks}, 1);
        BOOST_TEST(contains(refused.err, "breaks the step's schema"), describe(refused));
        BOOST_TEST(contains(refused.err, "/1/priority"), describe(refused));

        const std::string misses = dir.write("misses.patch.json", R"([{"op": "remove", "path": "/5"}])").string();
        const CliOutcome missed = cli({"approve", id, "--store", store, "--decision", "edit", "--patch", misses}, 1);
        BOOST_TEST(contains(missed.err, "does not apply to /draft/tickets"), describe(missed));

        const std::string garbled = dir.write("garbled.patch.json", "[{\"op\": ").string();
        const CliOutcome unparsable = cli({"approve", id, "--store", store, "--decision", "edit", "--patch", garbled}, 1);
        BOOST_TEST(contains(unparsable.err, "garbled.patch.json"), describe(unparsable));

        const json::object shown = show(store, id);
        BOOST_TEST(shown.at("status") == "waiting");
        BOOST_TEST(shown.at("events").as_array().size() == events_before);
        BOOST_TEST(count_events(shown, "decision") == 0u);
    }

    // approve --decision edit with a patch that fits: recorded.
    const std::string patch = dir.write("lower.patch.json", R"([{"op": "replace", "path": "/1/priority", "value": "P3"}])").string();
    {
        const CliOutcome approved = cli({"approve", id, "--store", store, "--decision", "edit", "--patch", patch, "--note",
                                         "T-2 can wait", "--by", "lead"},
                                        0);
        BOOST_TEST(contains(approved.out, "decision edit recorded"), describe(approved));
        const json::object shown = show(store, id);
        BOOST_TEST(shown.at("status") == "waiting");  // until it is resumed
        BOOST_TEST(count_events(shown, "decision") == 1u);
        // A second decision is refused.
        const CliOutcome second = cli({"approve", id, "--store", store, "--decision", "reject"}, 1);
        BOOST_TEST(contains(second.err, "has a decision already"), describe(second));
    }

    // resume --all: a new host takes it up and finishes it.
    {
        const CliOutcome resumed = cli({"resume", "--all", "--store", store}, 0);
        BOOST_TEST(contains(resumed.out, "run " + id + " (cli-approval): succeeded"), describe(resumed));
        BOOST_TEST(contains(resumed.out, "1 resumed: 1 succeeded, 0 waiting, 0 failed"), describe(resumed));
    }

    // runs show: succeeded, with the decision in state and in the event log.
    const json::object shown = show(store, id);
    BOOST_TEST(shown.at("status") == "succeeded");
    const json::value& written = shown.at("state").at("approval");
    BOOST_TEST(written.at("decision") == "edit");
    BOOST_TEST(written.at("note") == "T-2 can wait");
    BOOST_TEST(written.at("by") == "lead");
    BOOST_TEST(written.at("timed_out") == false);
    const json::value edited = json::parse(R"([{"id": "T-1", "priority": "P1"}, {"id": "T-2", "priority": "P3"}])");
    BOOST_TEST(written.at("value") == edited);
    BOOST_TEST(shown.at("state").at("file") == json::value(json::object{{"tickets", edited}}));
    BOOST_TEST(count_events(shown, "decision") == 1u);
    BOOST_TEST(count_events(shown, "resumed") == 1u);
    const json::array& events = shown.at("events").as_array();
    BOOST_REQUIRE(!events.empty());
    BOOST_TEST(events.back().at("kind") == "run_finished");
    BOOST_TEST(events.back().at("payload").at("output") == json::value(json::object{{"tickets", edited}}));
    for (const json::value& e : events) {
        if (e.at("kind") != "decision") continue;
        BOOST_TEST(e.at("step") == "sign-off");
        BOOST_TEST(e.at("payload").at("decision") == "edit");
        BOOST_TEST(e.at("payload").at("patch") == json::parse(R"([{"op": "replace", "path": "/1/priority", "value": "P3"}])"));
    }

    // Nothing is left to resume.
    const CliOutcome again = cli({"resume", "--all", "--store", store}, 0);
    BOOST_TEST(contains(again.out, "0 resumed"), describe(again));
    const CliOutcome finished = cli({"resume", id, "--store", store}, 1);
    BOOST_TEST(contains(finished.err, "has finished"), describe(finished));
}

BOOST_AUTO_TEST_CASE(run_prints_the_question_and_how_to_decide) {
    TempDir dir("cli-approval-text");
    const std::string config = dir.write("approval.json", approval_config).string();
    const std::string input = dir.write("input.json", approval_input).string();
    const std::string store = dir.file("runs.db").string();

    const CliOutcome ran = cli({"run", config, "--store", store, "--input", input}, 0);
    BOOST_TEST(contains(ran.out, "waits for a decision at step sign-off"), describe(ran));
    BOOST_TEST(contains(ran.out, "File these tickets?"), describe(ran));
    BOOST_TEST(contains(ran.out, "agenthost approve "), describe(ran));
    BOOST_TEST(contains(ran.out, "--decision approve|reject|edit"), describe(ran));
    BOOST_TEST(contains(ran.out, "agenthost resume "), describe(ran));

    // runs list says what each waiting run asks.
    const CliOutcome waiting = run_cli({"runs", "list", "--store", store, "--status", "waiting"});
    BOOST_REQUIRE_MESSAGE(waiting.exit_code == 0, describe(waiting));
    BOOST_TEST(contains(waiting.out, "at sign-off: File these tickets?"), describe(waiting));

    // A reject, then `resume RUN`: the run ends on on_reject, and resume prints its result.
    const CliOutcome listed = run_cli({"runs", "list", "--store", store, "--status", "waiting", "--json"});
    BOOST_REQUIRE_MESSAGE(listed.exit_code == 0, describe(listed));
    const json::array runs = json::parse(listed.out).as_array();
    BOOST_REQUIRE(runs.size() == 1u);
    const std::string id(runs[0].at("id").as_string());
    cli({"approve", id, "--store", store, "--decision", "reject", "--note", "not today"}, 0);
    const CliOutcome resumed = cli({"resume", id, "--store", store, "--json"}, 0);
    const json::object result = json::parse(resumed.out).as_object();
    BOOST_TEST(result.at("status") == "succeeded");
    BOOST_TEST(result.at("output").at("decision") == "reject");
    BOOST_TEST(result.at("output").at("note") == "not today");
    BOOST_TEST(show(store, id).at("status") == "succeeded");

    // runs show prints the state as people write JSON: numbers in decimal.
    const CliOutcome shown = run_cli({"runs", "show", id, "--store", store});
    BOOST_REQUIRE_MESSAGE(shown.exit_code == 0, describe(shown));
    BOOST_TEST(contains(shown.out, "\"score\": 0.93"), describe(shown));
    BOOST_TEST(!contains(shown.out, "E-1"), describe(shown));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
