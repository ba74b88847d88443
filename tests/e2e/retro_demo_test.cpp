// retro_demo_test.cpp: the incident retrospective demo as an operator and an
// approver run it, every command a process of its own on one run store: the
// mock-provider executable with examples/mock-provider/retro-rules.json, and
// `agenthost run config/retro-actions.json --store` on every sample in
// examples/retros/. Each run waits for a person at "approve" (the sample
// without action items ends at once with nothing to file); the db-disk-full
// drafts are edited with examples/retros/lower-priority.patch.json, the
// bad-config-rollout drafts rejected, the rest approved; `resume --all` files
// the approved tickets. The ticket files must match each sample's "expected"
// block, applied.jsonl must hold one line per ticket, and resuming again must
// write nothing. A retrospective the rules do not know comes back with a low
// confidence: it waits at "check-extraction" before anything is drafted, and
// the drafter is given the action items as the person checked them; with rules
// of the test's own that draft tickets for it, the run then goes the common way
// (draft, any-tickets, approve, file): the tickets wait at "approve", which
// shows the checked items, and are filed by "file".
//
// The config is copied into a folder of the test's own, so that its ticket
// folder (${CONFIG_DIR}/../build/retro-tickets) is there too.
#include "cli_process.hpp"
#include "mock_provider/mock_process.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>
#include <curl/curl.h>

#include "temp_dir.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using agenthost::test::CliOutcome;
using agenthost::test::run_cli;
using agenthost::test::TempDir;
using agenthost::testing::MockProcess;

const fs::path source_dir = AGENTHOST_SOURCE_DIR;
const std::string rules = (source_dir / "examples/mock-provider/retro-rules.json").string();
const std::string edit_patch = (source_dir / "examples/retros/lower-priority.patch.json").string();
constexpr const char* demo_key = "retro-demo-key-5d1e";

std::string read_file(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    BOOST_REQUIRE_MESSAGE(in, "cannot read " << file);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

bool contains(std::string_view haystack, std::string_view needle) { return haystack.find(needle) != std::string_view::npos; }

std::string describe(const CliOutcome& r) {
    return "exit " + std::to_string(r.exit_code) + "\nstdout:\n" + r.out + "\nstderr:\n" + r.err;
}

//! The sample retrospectives, in name order (not the edit patch beside them).
std::vector<fs::path> samples() {
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(source_dir / "examples/retros")) {
        const std::string name = entry.path().filename().string();
        if (entry.path().extension() == ".json" && !name.ends_with(".patch.json")) files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    return files;
}

std::size_t append_body(char* data, std::size_t size, std::size_t count, void* body) {
    static_cast<std::string*>(body)->append(data, size * count);
    return size * count;
}

//! GET `url` (the mock's control API); requires 200 and returns the body.
std::string http_get(const std::string& url) {
    std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), &curl_easy_cleanup);
    BOOST_REQUIRE(curl);
    std::string body;
    curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, &append_body);
    curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT_MS, 10000L);
    curl_easy_setopt(curl.get(), CURLOPT_NOPROXY, "*");
    const CURLcode code = curl_easy_perform(curl.get());
    BOOST_REQUIRE_MESSAGE(code == CURLE_OK, "GET " << url << ": " << curl_easy_strerror(code));
    long status = 0;
    curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &status);
    BOOST_REQUIRE_MESSAGE(status == 200, "GET " << url << ": status " << status << ": " << body);
    return body;
}

// One operator's setup: the mock with the retrospective rules (or rules of the
// test's own), the environment the config reads, the config in a folder of its
// own, one run store.
struct RetroDemo {
    TempDir dir{"retro-demo"};
    std::string rules_file;
    MockProcess mock;
    std::string config;
    std::string store;
    fs::path tickets;

    explicit RetroDemo(std::string_view own_rules = {})
        : rules_file(own_rules.empty() ? rules : dir.write("rules.json", own_rules).string()),
          mock(AGENTHOST_MOCK_PROVIDER, {"--rules", rules_file, "--expected-key", demo_key}) {
        fs::create_directories(dir.path() / "config");
        fs::create_directories(dir.path() / "build");
        fs::copy_file(source_dir / "config/retro-actions.json", dir.path() / "config/retro-actions.json");
        config = (dir.path() / "config/retro-actions.json").string();
        store = (dir.path() / "build/demo-store.db").string();
        tickets = dir.path() / "build/retro-tickets";
        ::setenv("OPENAI_BASE_URL", (mock.base_url() + "/v1").c_str(), 1);
        ::setenv("OPENAI_API_KEY", demo_key, 1);
    }
    ~RetroDemo() {
        ::unsetenv("OPENAI_BASE_URL");
        ::unsetenv("OPENAI_API_KEY");
    }

    //! Runs the CLI with `args`; requires exit code `expected`.
    CliOutcome cli(const std::vector<std::string>& args, int expected = 0) const {
        const CliOutcome r = run_cli(args);
        BOOST_REQUIRE_MESSAGE(r.exit_code == expected, "agenthost " << args.front() << ": " << describe(r));
        return r;
    }

    //! `agenthost run CONFIG --input FILE --store STORE --json`: the run's result.
    json::object run(const fs::path& input) const {
        const CliOutcome r = cli({"run", config, "--input", input.string(), "--store", store, "--json"});
        return json::parse(r.out).as_object();
    }

    //! `agenthost approve RUN --store STORE ARGS...`, which must exit `expected`.
    CliOutcome approve(const std::string& id, std::vector<std::string> args, int expected = 0) const {
        args.insert(args.begin(), {"approve", id, "--store", store});
        return cli(args, expected);
    }

    std::set<std::string> waiting_ids() const {
        const CliOutcome r = cli({"runs", "list", "--store", store, "--status", "waiting", "--json"});
        const json::value runs = json::parse(r.out);
        std::set<std::string> ids;
        for (const json::value& run : runs.as_array()) ids.emplace(run.at("id").as_string());
        return ids;
    }

    json::object show(const std::string& id) const {
        const CliOutcome r = cli({"runs", "show", id, "--store", store, "--json"});
        return json::parse(r.out).as_object();
    }

    //! The ticket files written, by file name, with their content.
    std::map<std::string, std::string> ticket_files() const {
        std::map<std::string, std::string> files;
        if (!fs::exists(tickets)) return files;
        for (const auto& entry : fs::directory_iterator(tickets))
            if (entry.path().extension() == ".json") files[entry.path().filename().string()] = read_file(entry.path());
        return files;
    }

    std::string applied() const { return fs::exists(tickets / "applied.jsonl") ? read_file(tickets / "applied.jsonl") : ""; }

    //! The user messages of the model requests the mock received, oldest first.
    std::vector<std::string> prompts() const {
        const json::value requests = json::parse(http_get(mock.base_url() + "/_mock/requests"));
        std::vector<std::string> out;
        for (const json::value& request : requests.as_array()) {
            const json::value body = json::parse(request.at("body").as_string());
            const json::array& messages = body.at("messages").as_array();
            out.emplace_back(messages.back().at("content").as_string());
        }
        return out;
    }

    //! The drafting model's prompts for `incident`.
    std::vector<std::string> draft_prompts(std::string_view incident) const {
        std::vector<std::string> out;
        for (const std::string& p : prompts())
            if (p.starts_with("Draft one ticket per action item") && contains(p, "\nIncident: " + std::string(incident) + "\n"))
                out.push_back(p);
        return out;
    }
};

//! The steps a stored run went through, in order.
std::vector<std::string> route(const json::object& shown) {
    std::vector<std::string> steps;
    for (const json::value& e : shown.at("events").as_array())
        if (e.at("kind") == "output") steps.emplace_back(e.at("step").as_string());
    return steps;
}

std::vector<std::string> strings(const json::value& array) {
    std::vector<std::string> out;
    for (const json::value& v : array.as_array()) out.emplace_back(v.as_string());
    return out;
}

// What a person decides on each sample's drafts.
enum class Verdict { approve, edit, reject };
Verdict verdict_for(const fs::path& sample) {
    if (sample.filename() == "db-disk-full.json") return Verdict::edit;
    if (sample.filename() == "bad-config-rollout.json") return Verdict::reject;
    return Verdict::approve;
}

// A retrospective the rules know nothing of: the mock extracts no action items
// from it, with a confidence of 0.2.
constexpr const char* unknown_retro = R"({
  "incident": "INC-3001",
  "title": "Search results went stale for six hours",
  "summary": "The search index stopped updating at 09:10 UTC; results were six hours stale until the indexer was restarted.",
  "notes": "The indexer's queue consumer died on a malformed document and nothing restarted it. Agreed: make the consumer skip and report malformed documents (owner: search-team, P1); alert when the index is more than 30 minutes behind (owner: sre-oncall, P2)."
})";

// The check a person makes: the two items the notes agree on.
constexpr const char* checked_items_patch = R"([
  {"op": "add", "path": "/-", "value": {"title": "Make the index consumer skip and report malformed documents", "owner": "search-team", "priority": "P1"}},
  {"op": "add", "path": "/-", "value": {"title": "Alert when the search index is more than 30 minutes behind", "owner": "sre-oncall", "priority": "P2"}}
])";

// Rules for a retrospective the model is unsure of, but whose checked items it
// drafts: extract finds one item (P2) with a confidence of 0.35; the drafter
// answers two tickets only when its prompt has the first item at P1, as the
// person corrected it (any other prompt gets no rule, and no valid draft).
constexpr const char* unsure_rules = R"json([
  {"match": "^Extract the action items[\\s\\S]*\\nIncident: INC-3001\\b",
   "content": "{\"action_items\": [{\"title\": \"Make the index consumer skip and report malformed documents\", \"owner\": \"search-team\", \"priority\": \"P2\"}], \"confidence\": 0.35}"},
  {"match": "^Draft one ticket per action item[\\s\\S]*\\nIncident: INC-3001\\b[\\s\\S]*\"owner\":\"search-team\",\"priority\":\"P1\"[\\s\\S]*\"owner\":\"sre-oncall\"",
   "content": "{\"tickets\": [{\"id\": \"INC-3001-1\", \"title\": \"Make the index consumer skip and report malformed documents\", \"body\": \"A malformed document stopped the index consumer and search results were six hours stale. Skip and report such documents.\", \"owner\": \"search-team\", \"priority\": \"P1\", \"incident\": \"INC-3001\", \"labels\": [\"incident-follow-up\", \"INC-3001\", \"search\"]}, {\"id\": \"INC-3001-2\", \"title\": \"Alert when the search index is more than 30 minutes behind\", \"body\": \"Nothing alerted while the index was six hours behind. Alert at 30 minutes.\", \"owner\": \"sre-oncall\", \"priority\": \"P2\", \"incident\": \"INC-3001\", \"labels\": [\"incident-follow-up\", \"INC-3001\", \"monitoring\"]}]}"}
])json";

// The person's correction: the first item is P1, and the alert was agreed too.
constexpr const char* correction_patch = R"([
  {"op": "test", "path": "/0/owner", "value": "search-team"},
  {"op": "replace", "path": "/0/priority", "value": "P1"},
  {"op": "add", "path": "/-", "value": {"title": "Alert when the search index is more than 30 minutes behind", "owner": "sre-oncall", "priority": "P2"}}
])";

}  // namespace

BOOST_AUTO_TEST_SUITE(retro_demo)

BOOST_AUTO_TEST_CASE(the_retro_config_validates) {
    RetroDemo demo;
    const CliOutcome r = run_cli({"validate", demo.config});
    BOOST_TEST(r.exit_code == 0, describe(r));
}

BOOST_AUTO_TEST_CASE(every_sample_is_decided_by_a_person_and_files_its_expected_tickets_once) {
    RetroDemo demo;
    struct Sample {
        fs::path file;
        json::object input;
        std::string run_id;
    };
    std::vector<Sample> runs;
    std::set<std::string> waiting;

    // run: every sample with action items waits at approve with its drafts;
    // the one without ends at once, with nothing to file.
    for (const fs::path& file : samples()) {
        BOOST_TEST_CONTEXT("sample " << file.filename()) {
            const json::object input = json::parse(read_file(file)).as_object();
            const std::size_t expected = input.at("expected").at("action_items").to_number<std::size_t>();
            const json::object result = demo.run(file);
            const std::string id(result.at("run_id").as_string());
            if (expected == 0) {
                BOOST_TEST(result.at("status") == "succeeded", result);
                BOOST_TEST(contains(result.at("output").at("text").as_string(), "nothing to file"), result);
                BOOST_TEST(route(demo.show(id)).back() == "done-nothing");
            } else {
                BOOST_TEST_REQUIRE(result.at("status") == "waiting", result);
                const json::object& asked = result.at("waiting").as_object();
                BOOST_TEST(asked.at("step") == "approve");
                BOOST_TEST(!asked.contains("escalation"), result);
                BOOST_TEST(asked.at("edits") == "/draft/tickets");
                BOOST_TEST(asked.at("value").as_array().size() == expected, result);
                BOOST_TEST(asked.at("shows").at("action_items").as_array().size() == expected, result);
                BOOST_TEST(asked.at("shows").at("incident") == input.at("incident"));
                waiting.insert(id);
            }
            runs.push_back({file, input, id});
        }
    }
    BOOST_TEST_REQUIRE(runs.size() == 4u);
    BOOST_TEST_REQUIRE(waiting.size() == 3u);
    BOOST_TEST(demo.waiting_ids() == waiting);
    BOOST_TEST(demo.ticket_files().empty(), "nothing is filed before a person decides");

    // approve, edit or reject each waiting run.
    for (const Sample& s : runs) {
        if (!waiting.contains(s.run_id)) continue;
        switch (verdict_for(s.file)) {
            case Verdict::edit:
                demo.approve(s.run_id, {"--decision", "edit", "--patch", edit_patch, "--note", "the export fix can wait a sprint"});
                break;
            case Verdict::reject:
                demo.approve(s.run_id, {"--decision", "reject", "--note", "the team files these itself"});
                break;
            case Verdict::approve:
                demo.approve(s.run_id, {"--decision", "approve", "--note", "right as drafted"});
                break;
        }
    }

    // resume: every decided run goes on and succeeds.
    {
        const CliOutcome r = demo.cli({"resume", "--all", "--store", demo.store, "--json"});
        std::size_t resumed = 0;
        std::istringstream lines(r.out);
        for (std::string line; std::getline(lines, line);) {
            if (line.empty()) continue;
            const json::object result = json::parse(line).as_object();
            BOOST_TEST(result.at("ok").as_bool(), line);
            BOOST_TEST(waiting.contains(std::string(result.at("run_id").as_string())), line);
            ++resumed;
        }
        BOOST_TEST(resumed == 3u, describe(r));
    }
    BOOST_TEST(demo.waiting_ids().empty());

    // The tickets written, against each sample's "expected".
    const std::map<std::string, std::string> files = demo.ticket_files();
    std::size_t filed = 0;
    for (const Sample& s : runs) {
        BOOST_TEST_CONTEXT("sample " << s.file.filename()) {
            const std::string incident(s.input.at("incident").as_string());
            const json::object& expected = s.input.at("expected").as_object();
            const std::size_t count = expected.at("action_items").to_number<std::size_t>();
            const json::object shown = demo.show(s.run_id);
            BOOST_TEST(shown.at("status") == "succeeded");
            std::vector<json::object> tickets;  // INC-nnnn-1, -2, ... in order
            for (std::size_t i = 1; files.contains(incident + "-" + std::to_string(i) + ".json"); ++i)
                tickets.push_back(json::parse(files.at(incident + "-" + std::to_string(i) + ".json")).as_object());
            std::size_t of_incident = 0;
            for (const auto& [name, content] : files)
                if (name.starts_with(incident + "-")) ++of_incident;
            BOOST_TEST(of_incident == tickets.size(), "ticket files of " << incident << " are numbered 1 to n");

            if (count == 0 || verdict_for(s.file) == Verdict::reject) {
                BOOST_TEST(tickets.empty(), "nothing is filed for " << incident);
                BOOST_TEST(!shown.at("state").as_object().contains("filed"));
                BOOST_TEST(route(shown).back() == (count == 0 ? "done-nothing" : "rejected"));
                continue;
            }
            BOOST_TEST(route(shown).back() == "done");
            BOOST_TEST(!shown.at("state").as_object().contains("checked"), "a confident extraction is not escalated");
            BOOST_TEST_REQUIRE(tickets.size() == count);
            filed += count;
            std::vector<std::string> owners;  // each once, in order of appearance
            std::vector<std::string> priorities;
            for (const json::object& t : tickets) {
                const std::string owner(t.at("owner").as_string());
                if (std::find(owners.begin(), owners.end(), owner) == owners.end()) owners.push_back(owner);
                priorities.emplace_back(t.at("priority").as_string());
                BOOST_TEST(t.at("incident") == json::value(incident));
                BOOST_TEST(!t.at("title").as_string().empty());
            }
            std::vector<std::string> expected_priorities = strings(expected.at("priorities"));
            if (verdict_for(s.file) == Verdict::edit) {
                // lower-priority.patch.json: the third ticket, INC-2041-3, goes from P2 to P3.
                BOOST_TEST(expected_priorities.at(2) == "P2");
                expected_priorities.at(2) = "P3";
                BOOST_TEST(shown.at("state").at("approval").at("decision") == "edit");
            }
            BOOST_TEST(owners == strings(expected.at("owners")), boost::test_tools::per_element());
            BOOST_TEST(priorities == expected_priorities, boost::test_tools::per_element());
        }
    }
    BOOST_TEST(filed == 6u);
    BOOST_TEST(files.size() == filed);

    // applied.jsonl: one line per ticket, under "<run>/file/<n>/<ticket id>".
    const std::string applied = demo.applied();
    {
        std::istringstream lines(applied);
        std::set<std::string> keys, applied_files;
        std::size_t count = 0;
        for (std::string line; std::getline(lines, line);) {
            const json::object entry = json::parse(line).as_object();
            const std::string key(entry.at("idempotency_key").as_string());
            const std::string file(entry.at("file").as_string());
            BOOST_TEST(waiting.contains(key.substr(0, key.find('/'))), key);
            BOOST_TEST(contains(key, "/file/"), key);
            BOOST_TEST(key.ends_with("/" + file.substr(0, file.size() - 5)), key << " files " << file);
            keys.insert(key);
            applied_files.insert(file);
            ++count;
        }
        BOOST_TEST(count == filed, applied);
        BOOST_TEST(keys.size() == filed, applied);
        std::set<std::string> written;
        for (const auto& [name, content] : files) written.insert(name);
        BOOST_TEST(applied_files == written);
    }

    // Resuming again finds nothing to do, and writes nothing.
    const CliOutcome again = demo.cli({"resume", "--all", "--store", demo.store});
    BOOST_TEST(contains(again.out, "0 resumed"), describe(again));
    BOOST_TEST(!contains(again.out, "(retro-actions)"), describe(again));
    BOOST_TEST(demo.applied() == applied);
    BOOST_TEST((demo.ticket_files() == files));
}

BOOST_AUTO_TEST_CASE(an_extraction_the_model_is_unsure_of_is_checked_by_a_person_before_drafting) {
    RetroDemo demo;
    const json::object input = json::parse(unknown_retro).as_object();
    const fs::path file = demo.dir.write("search-index-stale.json", unknown_retro);

    // The run waits at check-extraction, escalated from extract, before any draft.
    const json::object result = demo.run(file);
    BOOST_TEST_REQUIRE(result.at("status") == "waiting", result);
    const std::string id(result.at("run_id").as_string());
    const json::object& asked = result.at("waiting").as_object();
    BOOST_TEST(asked.at("step") == "check-extraction");
    BOOST_TEST(asked.at("escalation").at("reason") == "low_confidence");
    BOOST_TEST(asked.at("escalation").at("step") == "extract");
    BOOST_TEST(asked.at("edits") == "/extract/action_items");
    BOOST_TEST(asked.at("value") == json::array());
    BOOST_TEST(asked.at("shows").at("notes") == input.at("notes"));
    BOOST_TEST(asked.at("shows").at("extract").at("confidence").to_number<double>() == 0.2);
    BOOST_TEST(demo.draft_prompts("INC-3001").empty(), "nothing is drafted before the person checked the items");
    BOOST_TEST(demo.waiting_ids() == std::set<std::string>{id});

    // An edit whose list the drafter could not take is refused; the run keeps waiting.
    const fs::path bad = demo.dir.write(
        "bad.patch.json", R"([{"op": "add", "path": "/-", "value": {"title": "Fix it", "owner": "search-team", "priority": "P9"}}])");
    const CliOutcome refused = demo.approve(id, {"--decision", "edit", "--patch", bad.string()}, 1);
    BOOST_TEST(contains(refused.err, "schema"), describe(refused));
    BOOST_TEST(demo.waiting_ids() == std::set<std::string>{id});

    // The person adds the two agreed items; the drafter is given exactly those.
    const fs::path patch = demo.dir.write("checked.patch.json", checked_items_patch);
    demo.approve(id, {"--decision", "edit", "--patch", patch.string(), "--note", "the notes agree on two items"});
    demo.cli({"resume", id, "--store", demo.store, "--json"});

    const json::object shown = demo.show(id);
    BOOST_TEST(shown.at("status") == "succeeded");
    const std::vector<std::string> expected_route{"extract",     "check-extraction", "draft",
                                                  "any-tickets", "nothing-to-file",  "done-nothing"};
    BOOST_TEST(route(shown) == expected_route, boost::test_tools::per_element());
    const json::object& state = shown.at("state").as_object();
    const json::value checked_patch = json::parse(checked_items_patch);
    json::value checked_items = json::array();
    for (const json::value& op : checked_patch.as_array()) checked_items.as_array().push_back(op.at("value"));
    BOOST_TEST(state.at("checked").at("decision") == "edit");
    BOOST_TEST(state.at("checked").at("value") == checked_items);
    BOOST_TEST(state.at("extract").at("action_items") == json::array(), "the model's own list stays as it was");

    // The drafter is given the checked items (/checked/value), never the model's own (empty) list.
    const std::vector<std::string> drafts = demo.draft_prompts("INC-3001");
    BOOST_TEST_REQUIRE(drafts.size() == 1u);
    BOOST_TEST(contains(drafts.front(), "\nAction items:\n" + json::serialize(checked_items)), drafts.front());
    BOOST_TEST(!contains(drafts.front(), "\nAction items:\n[]"), drafts.front());
    // The mock drafts no tickets for an incident it does not know: nothing to file.
    BOOST_TEST(state.at("draft").at("tickets") == json::array());
    BOOST_TEST(demo.ticket_files().empty());
}

BOOST_AUTO_TEST_CASE(a_rejected_extraction_ends_the_run_without_drafting_or_filing) {
    RetroDemo demo;
    const fs::path file = demo.dir.write("search-index-stale.json", unknown_retro);

    // As an approver reads it: the question, why it was escalated, how to decide.
    const CliOutcome ran = demo.cli({"run", demo.config, "--input", file.string(), "--store", demo.store});
    BOOST_TEST(contains(ran.out, "waits for a decision at step check-extraction"), ran.out);
    BOOST_TEST(contains(ran.out, "escalated: confidence 0.2 is below 0.5 (step extract)"), ran.out);
    BOOST_TEST(contains(ran.out, "--decision approve|reject|edit"), ran.out);
    const std::set<std::string> waiting = demo.waiting_ids();
    BOOST_TEST_REQUIRE(waiting.size() == 1u);
    const std::string id = *waiting.begin();

    demo.approve(id, {"--decision", "reject", "--note", "needs the full retrospective first"});
    demo.cli({"resume", "--all", "--store", demo.store});
    const json::object shown = demo.show(id);
    BOOST_TEST(shown.at("status") == "succeeded");
    BOOST_TEST(route(shown).back() == "not-checked");
    BOOST_TEST(shown.at("state").at("checked").at("decision") == "reject");
    BOOST_TEST(demo.draft_prompts("INC-3001").empty());
    BOOST_TEST(demo.ticket_files().empty());
    BOOST_TEST(!fs::exists(demo.tickets));
}

BOOST_AUTO_TEST_CASE(an_escalated_run_files_the_tickets_drafted_from_the_checked_items) {
    RetroDemo demo(unsure_rules);
    const fs::path file = demo.dir.write("search-index-stale.json", unknown_retro);

    const json::object first = demo.run(file);
    BOOST_TEST_REQUIRE(first.at("status") == "waiting", first);
    const std::string id(first.at("run_id").as_string());
    BOOST_TEST(first.at("waiting").at("step") == "check-extraction");
    BOOST_TEST(first.at("waiting").at("escalation").at("confidence").to_number<double>() == 0.35);
    BOOST_TEST(first.at("waiting").at("value").as_array().size() == 1u);

    // The person corrects the extraction; the run drafts from it and waits again, for the tickets.
    const fs::path patch = demo.dir.write("correction.patch.json", correction_patch);
    demo.approve(id, {"--decision", "edit", "--patch", patch.string(), "--note", "P1, and the alert was agreed too"});
    const CliOutcome resumed = demo.cli({"resume", id, "--store", demo.store, "--json"});
    const json::object second = json::parse(resumed.out).as_object();
    BOOST_TEST_REQUIRE(second.at("status") == "waiting", resumed.out);
    const json::object& asked = second.at("waiting").as_object();
    BOOST_TEST(asked.at("step") == "approve");
    BOOST_TEST(!asked.contains("escalation"), resumed.out);
    BOOST_TEST(asked.at("edits") == "/draft/tickets");
    // approve shows the action items as checked (/checked/value), not as extracted.
    BOOST_TEST(asked.at("shows").at("action_items").as_array().size() == 2u);
    BOOST_TEST(asked.at("shows").at("action_items").at(0).at("priority") == "P1");
    BOOST_TEST(asked.at("shows").at("confidence").to_number<double>() == 0.35);
    BOOST_TEST(asked.at("value").as_array().size() == 2u);
    BOOST_TEST(demo.ticket_files().empty(), "nothing is filed before the tickets are approved");

    demo.approve(id, {"--decision", "approve", "--note", "right as drafted"});
    demo.cli({"resume", "--all", "--store", demo.store});
    const json::object shown = demo.show(id);
    BOOST_TEST(shown.at("status") == "succeeded");
    const std::vector<std::string> expected_route{"extract", "check-extraction", "draft", "any-tickets",
                                                  "approve", "file",             "done"};
    BOOST_TEST(route(shown) == expected_route, boost::test_tools::per_element());
    const json::object& state = shown.at("state").as_object();
    BOOST_TEST(state.at("checked").at("decision") == "edit");
    BOOST_TEST(state.at("draft").at("tickets").as_array().size() == 2u);
    BOOST_TEST(state.at("approval").at("decision") == "approve");
    BOOST_TEST(state.at("filed").at("applied").to_number<int>() == 2);
    BOOST_TEST(demo.draft_prompts("INC-3001").size() == 1u);

    const std::map<std::string, std::string> files = demo.ticket_files();
    BOOST_TEST_REQUIRE(files.size() == 2u);
    const json::object one = json::parse(files.at("INC-3001-1.json")).as_object();
    const json::object two = json::parse(files.at("INC-3001-2.json")).as_object();
    BOOST_TEST(one.at("owner") == "search-team");
    BOOST_TEST(one.at("priority") == "P1");
    BOOST_TEST(two.at("owner") == "sre-oncall");
    BOOST_TEST(two.at("priority") == "P2");
    const std::string applied = demo.applied();
    BOOST_TEST(contains(applied, id + "/file/"), applied);
    BOOST_TEST(std::count(applied.begin(), applied.end(), '\n') == 2, applied);
}

BOOST_AUTO_TEST_SUITE_END()
