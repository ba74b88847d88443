// The first-party ticket-writer plugin: the ticket lands as a JSON file and
// its side effect in applied.jsonl; one idempotency key writes once however
// often it is called (and across instances); a torn last line of applied.jsonl
// is tolerated; concurrent calls on one instance each land exactly once; and
// file names, configs and ledgers it cannot trust are refused, saying where.
// List mode ({"tickets": [...]}): each ticket once under <key>/<id>, a
// repeated call writes nothing new, a call after a crash part-way through the
// list writes only the rest, and a list that cannot be filed whole writes
// nothing.
#include "plugin_agents.hpp"

#include <agenthost/registry/registry.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include "temp_dir.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <latch>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

using namespace agenthost;
using agenthost::testing::why;
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

using agenthost::test::TempDir;


std::string config_for(const fs::path& folder, const std::string& extra = "") {
    return json::serialize(json::object{{"folder", folder.string()}}).insert(1, extra);
}

Result<std::shared_ptr<AgentInstance>> create(const Registry& registry, const std::string& config) {
    return agenthost::testing::try_agent(registry, "ticket-writer@^1", config.c_str());
}

std::shared_ptr<AgentInstance> writer(const Registry& registry, const std::string& config) {
    return agenthost::testing::require_agent(registry, "ticket-writer@^1", config.c_str());
}

CallResult call(AgentInstance& agent, const std::string& ticket, const std::string& key, uint32_t attempt = 1) {
    return agent.invoke_sync({json::serialize(json::parse(ticket)), "", "write", key, attempt});
}

//! Calls the agent, requires success and checks the output against the manifest.
json::object write(AgentInstance& agent, const std::string& ticket, const std::string& key, uint32_t attempt = 1) {
    CallResult result = call(agent, ticket, key, attempt);
    BOOST_TEST_REQUIRE(result.ok(), result.error);
    json::object out = json::parse(result.output_json).as_object();
    auto violations = agent.plugin().manifest().output_schema->validate(out);
    BOOST_TEST(violations.empty(), describe(violations));
    return out;
}

std::string read(const fs::path& file) {
    std::ifstream in(file);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

//! applied.jsonl as records, failing the test on any line that does not parse.
std::vector<json::object> applied(const fs::path& folder) {
    std::vector<json::object> records;
    std::istringstream lines(read(folder / "applied.jsonl"));
    for (std::string line; std::getline(lines, line);) {
        boost::system::error_code ec;
        json::value v = json::parse(line, ec);
        BOOST_TEST_REQUIRE(!ec, "applied.jsonl line: " << line);
        records.push_back(v.as_object());
    }
    return records;
}

std::set<std::string> files_in(const fs::path& folder) {
    std::set<std::string> names;
    for (const auto& entry : fs::directory_iterator(folder)) names.insert(entry.path().filename().string());
    return names;
}

std::string ticket(const std::string& id, const std::string& title = "Add a disk-space alert on db-primary") {
    return json::serialize(json::object{{"id", id},
                                        {"title", title},
                                        {"body", "The disk filled up unnoticed for 40 minutes."},
                                        {"owner", "sre-oncall"},
                                        {"priority", "P2"},
                                        {"incident", "INC-2041"}});
}

std::string ticket_list(const std::vector<std::string>& tickets) {
    json::array items;
    for (const std::string& t : tickets) items.push_back(json::parse(t));
    return json::serialize(json::object{{"tickets", std::move(items)}});
}

std::vector<std::string> paths(const json::object& out) {
    std::vector<std::string> files;
    for (const json::value& f : out.at("files").as_array()) files.emplace_back(f.as_string());
    return files;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(ticket_writer)

BOOST_AUTO_TEST_CASE(writes_the_ticket_and_records_its_key) {
    Registry registry = agenthost::testing::first_party_registry();
    TempDir tmp;
    const fs::path folder = tmp.path() / "tickets";  // created on the first call
    auto agent = writer(registry, config_for(folder));
    const json::object out = write(*agent, ticket("INC-2041-1"), "run-a/write/0", 2);
    BOOST_TEST(out.at("file").as_string() == (folder / "INC-2041-1.json").string());
    BOOST_TEST(out.at("already_applied").as_bool() == false);
    BOOST_TEST(json::parse(read(folder / "INC-2041-1.json")) == json::parse(ticket("INC-2041-1")));
    const auto records = applied(folder);
    BOOST_TEST_REQUIRE(records.size() == 1u);
    BOOST_TEST(records[0] == json::parse(R"({"idempotency_key": "run-a/write/0", "file": "INC-2041-1.json",
                                             "attempt": 2})"));
    // No temporary file is left behind.
    BOOST_TEST((files_in(folder) == std::set<std::string>{"INC-2041-1.json", "applied.jsonl"}));
}

BOOST_AUTO_TEST_CASE(one_key_writes_once_and_answers_already_applied) {
    Registry registry = agenthost::testing::first_party_registry();
    TempDir tmp;
    auto agent = writer(registry, config_for(tmp.path()));
    BOOST_TEST(write(*agent, ticket("INC-2041-1"), "k1").at("already_applied").as_bool() == false);
    // The retry carries the same key; even with another input it writes nothing.
    const json::object again = write(*agent, ticket("INC-2041-1", "a changed title"), "k1", 2);
    BOOST_TEST(again.at("already_applied").as_bool() == true);
    BOOST_TEST(again.at("file").as_string() == (tmp.path() / "INC-2041-1.json").string());
    const json::object renamed = write(*agent, ticket("INC-2041-9"), "k1", 3);
    BOOST_TEST(renamed.at("file").as_string() == (tmp.path() / "INC-2041-1.json").string());  // the earlier result
    BOOST_TEST(!fs::exists(tmp.path() / "INC-2041-9.json"));
    BOOST_TEST(json::parse(read(tmp.path() / "INC-2041-1.json")) == json::parse(ticket("INC-2041-1")));
    // A new instance (a restarted host) reads the same record.
    auto restarted = writer(registry, config_for(tmp.path()));
    BOOST_TEST(write(*restarted, ticket("INC-2041-1"), "k1", 4).at("already_applied").as_bool() == true);
    const auto records = applied(tmp.path());
    BOOST_TEST_REQUIRE(records.size() == 1u);
    BOOST_TEST(records[0].at("attempt").as_int64() == 1);
}

BOOST_AUTO_TEST_CASE(different_keys_write_separately_and_never_over_each_other) {
    Registry registry = agenthost::testing::first_party_registry();
    TempDir tmp;
    auto agent = writer(registry, config_for(tmp.path()));
    BOOST_TEST(write(*agent, ticket("INC-2041-1"), "k1").at("already_applied").as_bool() == false);
    BOOST_TEST(write(*agent, ticket("INC-2041-2"), "k2").at("already_applied").as_bool() == false);
    BOOST_TEST((files_in(tmp.path()) == std::set<std::string>{"INC-2041-1.json", "INC-2041-2.json", "applied.jsonl"}));
    BOOST_TEST(applied(tmp.path()).size() == 2u);

    // Another key on a file that k1 wrote is refused, naming the file, the key and the way out.
    CallResult clash = call(*agent, ticket("INC-2041-1", "another ticket"), "k3");
    BOOST_TEST_REQUIRE(!clash.ok());
    BOOST_TEST(clash.error.find((tmp.path() / "INC-2041-1.json").string()) != std::string::npos, clash.error);
    BOOST_TEST(clash.error.find("\"k1\"") != std::string::npos, clash.error);
    BOOST_TEST(clash.error.find("\"replace\": true") != std::string::npos, clash.error);
    // So is a file that ticket-writer never wrote.
    std::ofstream(tmp.path() / "INC-7.json") << "{\"mine\": true}\n";
    CallResult foreign = call(*agent, ticket("INC-7"), "k4");
    BOOST_TEST_REQUIRE(!foreign.ok());
    BOOST_TEST(foreign.error.find("did not write it") != std::string::npos, foreign.error);
    BOOST_TEST(read(tmp.path() / "INC-7.json") == "{\"mine\": true}\n");
    BOOST_TEST(applied(tmp.path()).size() == 2u);

    // With "replace": true the new key takes the file over.
    auto replacing = writer(registry, config_for(tmp.path(), R"("replace": true, )"));
    BOOST_TEST(write(*replacing, ticket("INC-2041-1", "another ticket"), "k3").at("already_applied").as_bool() == false);
    BOOST_TEST(json::parse(read(tmp.path() / "INC-2041-1.json")).at("title").as_string() == "another ticket");
    BOOST_TEST(applied(tmp.path()).size() == 3u);

    // file_name picks the name from the input.
    auto by_incident = writer(registry, config_for(tmp.path(), R"("file_name": "{{/incident}}-{{ /id }}.ticket.json", )"));
    BOOST_TEST(write(*by_incident, ticket("A1"), "k5").at("file").as_string() == (tmp.path() / "INC-2041-A1.ticket.json").string());
}

BOOST_AUTO_TEST_CASE(a_torn_last_line_is_ignored_and_cut_before_the_next_append) {
    Registry registry = agenthost::testing::first_party_registry();
    TempDir tmp;
    // k1 was applied; the host died while appending k2's line, after k2's file was renamed into place.
    std::ofstream(tmp.path() / "INC-2041-1.json") << json::serialize(json::parse(ticket("INC-2041-1"))) << "\n";
    std::ofstream(tmp.path() / "INC-2041-2.json") << json::serialize(json::parse(ticket("INC-2041-2"))) << "\n";
    std::ofstream(tmp.path() / "applied.jsonl")
        << R"({"idempotency_key":"k1","file":"INC-2041-1.json","attempt":1})" << "\n"
        << R"({"idempotency_key":"k2","file":"INC-20)";
    auto agent = writer(registry, config_for(tmp.path()));
    BOOST_TEST(write(*agent, ticket("INC-2041-1"), "k1", 2).at("already_applied").as_bool() == true);
    // k2 is not applied: the retry writes the same content again and records it.
    BOOST_TEST(write(*agent, ticket("INC-2041-2"), "k2", 2).at("already_applied").as_bool() == false);
    BOOST_TEST(write(*agent, ticket("INC-2041-2"), "k2", 3).at("already_applied").as_bool() == true);
    const auto records = applied(tmp.path());  // every line parses: the torn one is gone
    BOOST_TEST_REQUIRE(records.size() == 2u);
    BOOST_TEST(records[1].at("idempotency_key").as_string() == "k2");
    BOOST_TEST(records[1].at("attempt").as_int64() == 2);

    // A broken line that is not the last one is not a crash: it is refused, naming the line.
    std::ofstream(tmp.path() / "applied.jsonl", std::ios::app) << "not json\n"
                                                            << R"({"idempotency_key":"k9","file":"x.json"})" << "\n";
    CallResult broken = call(*agent, ticket("INC-2041-3"), "k3");
    BOOST_TEST_REQUIRE(!broken.ok());
    BOOST_TEST(broken.error.find((tmp.path() / "applied.jsonl").string() + " line 3") != std::string::npos, broken.error);
    BOOST_TEST(!fs::exists(tmp.path() / "INC-2041-3.json"));
}

BOOST_AUTO_TEST_CASE(concurrent_calls_on_one_instance_each_land_exactly_once) {
    Registry registry = agenthost::testing::first_party_registry();
    TempDir tmp;
    auto agent = writer(registry, config_for(tmp.path()));
    constexpr int threads = 8;
    constexpr int per_thread = 6;
    // Each thread writes its own tickets (distinct keys), then every thread
    // writes the same shared tickets (the same keys, as a retry racing the
    // original would): each key must land exactly once either way.
    std::vector<std::vector<CallResult>> own(threads);
    std::vector<std::vector<CallResult>> shared(threads);
    {
        std::latch start(threads);
        std::vector<std::jthread> workers;
        for (int t = 0; t < threads; ++t) {
            workers.emplace_back([&, t] {
                const auto slot = static_cast<std::size_t>(t);
                start.arrive_and_wait();
                for (int i = 0; i < per_thread; ++i) {
                    const std::string id = "T-" + std::to_string(t) + "-" + std::to_string(i);
                    own[slot].push_back(call(*agent, ticket(id), "key-" + id));
                }
                for (int i = 0; i < per_thread; ++i) {
                    const std::string id = "S-" + std::to_string(i);
                    shared[slot].push_back(call(*agent, ticket(id), "key-" + id, static_cast<uint32_t>(t + 1)));
                }
            });
        }
    }
    std::map<std::string, int> fresh;  // by file: calls that wrote it
    for (const auto* results : {&own, &shared}) {
        for (const auto& per : *results) {
            for (const CallResult& r : per) {
                BOOST_TEST_REQUIRE(r.ok(), r.error);
                const json::value out = json::parse(r.output_json);
                fresh[std::string(out.at("file").as_string())] += out.at("already_applied").as_bool() ? 0 : 1;
            }
        }
    }
    BOOST_TEST(fresh.size() == static_cast<std::size_t>(threads * per_thread + per_thread));
    for (const auto& [file, n] : fresh) BOOST_TEST(n == 1, file);
    std::map<std::string, int> times;
    for (const json::object& record : applied(tmp.path())) times[std::string(record.at("idempotency_key").as_string())]++;
    BOOST_TEST(times.size() == static_cast<std::size_t>(threads * per_thread + per_thread));
    for (const auto& [key, n] : times) BOOST_TEST(n == 1, key);
    BOOST_TEST(files_in(tmp.path()).size() == static_cast<std::size_t>(threads * per_thread + per_thread + 1));
}

BOOST_AUTO_TEST_CASE(what_it_cannot_write_safely_is_refused_saying_what_to_do) {
    Registry registry = agenthost::testing::first_party_registry();
    TempDir tmp;
    auto agent = writer(registry, config_for(tmp.path()));
    const std::pair<std::string, std::string> calls[] = {
        {ticket("../escape"), "is not a plain file name"},
        {ticket(".hidden"), "is not a plain file name"},
        {ticket("applied"), ""},  // applied.json is fine; only applied.jsonl is reserved
    };
    for (const auto& [input, message] : calls) {
        BOOST_TEST_CONTEXT(input) {
            CallResult r = call(*agent, input, "key-" + input);
            BOOST_TEST(r.ok() == message.empty(), r.error);
            BOOST_TEST(r.error.find(message) != std::string::npos, r.error);
        }
    }
    BOOST_TEST(!fs::exists(tmp.path().parent_path() / "escape.json"));
    CallResult keyless = call(*agent, ticket("INC-1"), "");
    BOOST_TEST_REQUIRE(!keyless.ok());
    BOOST_TEST(keyless.error.find("no idempotency key") != std::string::npos, keyless.error);

    const std::pair<std::string, std::string> configs[] = {
        {config_for(tmp.path(), R"("file_name": "tickets/{{/id}}.json", )"), "holds a '/'"},
        {config_for(tmp.path(), R"("file_name": "ticket.json", )"), "has no {{/pointer}}"},
        {config_for(tmp.path(), R"("file_name": "{{id}}.json", )"), "is not a JSON pointer"},
        {config_for(tmp.path(), R"("file_name": "{{/id.json", )"), "is never closed"},
        {config_for(tmp.path(), R"("replace": "yes", )"), "config_schema"},
        {config_for(tmp.path(), R"("path": "x", )"), "config_schema"},
        {R"({"file_name": "{{/id}}.json"})", "config_schema"},
    };
    for (const auto& [config, message] : configs) {
        BOOST_TEST_CONTEXT(config) {
            auto made = create(registry, config);
            BOOST_TEST_REQUIRE(!made.ok());
            BOOST_TEST(made.error().to_string().find(message) != std::string::npos, made.error().to_string());
        }
    }
    auto by_owner = writer(registry, config_for(tmp.path(), R"("file_name": "{{/owner}}-{{/id}}.json", )"));
    CallResult ownerless = call(*by_owner, R"({"id": "INC-2", "title": "t"})", "k-ownerless");
    BOOST_TEST_REQUIRE(!ownerless.ok());
    BOOST_TEST(ownerless.error.find("{{/owner}} finds nothing") != std::string::npos, ownerless.error);

    // The input schema is strict: unknown fields and malformed priorities or dates are refused before a call.
    const auto& input_schema = *agent->plugin().manifest().input_schema;
    BOOST_TEST(input_schema.validate(json::parse(ticket("INC-1"))).empty());
    BOOST_TEST(!input_schema.validate(json::parse(R"({"id": "INC-1"})")).empty());
    BOOST_TEST(!input_schema.validate(json::parse(R"({"id": "INC-1", "title": "t", "extra": 1})")).empty());
    BOOST_TEST(!input_schema.validate(json::parse(R"({"id": "INC-1", "title": "t", "priority": "urgent"})")).empty());
    BOOST_TEST(!input_schema.validate(json::parse(R"({"id": "INC-1", "title": "t", "due": "next week"})")).empty());
}

BOOST_AUTO_TEST_CASE(a_list_writes_each_ticket_once_under_the_key_and_its_id) {
    Registry registry = agenthost::testing::first_party_registry();
    TempDir tmp;
    const fs::path folder = tmp.path() / "tickets";
    auto agent = writer(registry, config_for(folder));
    BOOST_TEST(agent->plugin().id() == "ticket-writer@1.1.0");
    const std::string tickets = ticket_list({ticket("INC-2041-1"), ticket("INC-2041-2", "Alert when WAL cleanup fails"),
                                      ticket("INC-2041-3", "Move export temp files to scratch storage")});
    const json::object out = write(*agent, tickets, "run-b:file", 2);
    BOOST_TEST(out.at("applied").as_int64() == 3);
    BOOST_TEST(out.at("already_applied").as_int64() == 0);
    const std::vector<std::string> expected{(folder / "INC-2041-1.json").string(), (folder / "INC-2041-2.json").string(),
                                            (folder / "INC-2041-3.json").string()};
    BOOST_TEST(paths(out) == expected, boost::test_tools::per_element());
    BOOST_TEST(json::parse(read(folder / "INC-2041-2.json")) == json::parse(ticket("INC-2041-2", "Alert when WAL cleanup fails")));
    const auto records = applied(folder);
    BOOST_TEST_REQUIRE(records.size() == 3u);
    BOOST_TEST(records[0] == json::parse(R"({"idempotency_key": "run-b:file/INC-2041-1", "file": "INC-2041-1.json",
                                             "attempt": 2})"));
    BOOST_TEST(records[2].at("idempotency_key").as_string() == "run-b:file/INC-2041-3");
    BOOST_TEST((files_in(folder) == std::set<std::string>{"INC-2041-1.json", "INC-2041-2.json", "INC-2041-3.json",
                                                          "applied.jsonl"}));

    // A single ticket under the bare key is another side effect: it does not collide with the list's keys.
    BOOST_TEST(write(*agent, ticket("INC-2041-4"), "run-b:file").at("already_applied").as_bool() == false);
    BOOST_TEST(applied(folder).size() == 4u);
}

BOOST_AUTO_TEST_CASE(a_list_called_again_with_the_same_key_writes_nothing_new) {
    Registry registry = agenthost::testing::first_party_registry();
    TempDir tmp;
    auto agent = writer(registry, config_for(tmp.path()));
    const std::string tickets = ticket_list({ticket("INC-2041-1"), ticket("INC-2041-2")});
    BOOST_TEST(write(*agent, tickets, "k1").at("applied").as_int64() == 2);
    const std::string first = read(tmp.path() / "INC-2041-1.json");

    // The retry, even with changed content, is answered from applied.jsonl.
    const json::object again =
        write(*agent, ticket_list({ticket("INC-2041-1", "a changed title"), ticket("INC-2041-2")}), "k1", 2);
    BOOST_TEST(again.at("applied").as_int64() == 0);
    BOOST_TEST(again.at("already_applied").as_int64() == 2);
    const std::vector<std::string> expected{(tmp.path() / "INC-2041-1.json").string(),
                                            (tmp.path() / "INC-2041-2.json").string()};
    BOOST_TEST(paths(again) == expected, boost::test_tools::per_element());
    BOOST_TEST(read(tmp.path() / "INC-2041-1.json") == first);

    // So is a restarted host's; the records keep the first attempt.
    auto restarted = writer(registry, config_for(tmp.path()));
    BOOST_TEST(write(*restarted, tickets, "k1", 3).at("already_applied").as_int64() == 2);
    const auto records = applied(tmp.path());
    BOOST_TEST_REQUIRE(records.size() == 2u);
    for (const json::object& record : records) BOOST_TEST(record.at("attempt").as_int64() == 1);
    BOOST_TEST((files_in(tmp.path()) == std::set<std::string>{"INC-2041-1.json", "INC-2041-2.json", "applied.jsonl"}));

    // Another key files the same ids again only where nothing stands in the way: here, k1's files do.
    CallResult clash = call(*agent, tickets, "k2");
    BOOST_TEST_REQUIRE(!clash.ok());
    BOOST_TEST(clash.error.find("\"k1/INC-2041-1\"") != std::string::npos, clash.error);
}

BOOST_AUTO_TEST_CASE(a_list_cut_short_by_a_crash_is_finished_by_the_retry) {
    Registry registry = agenthost::testing::first_party_registry();
    TempDir tmp;
    // The first call applied INC-2041-1, renamed INC-2041-2 into place and died while appending its line;
    // INC-2041-3 was never started.
    std::ofstream(tmp.path() / "INC-2041-1.json") << json::serialize(json::parse(ticket("INC-2041-1"))) << "\n";
    std::ofstream(tmp.path() / "INC-2041-2.json") << json::serialize(json::parse(ticket("INC-2041-2"))) << "\n";
    std::ofstream(tmp.path() / "applied.jsonl")
        << R"({"idempotency_key":"run-c:file/INC-2041-1","file":"INC-2041-1.json","attempt":1})" << "\n"
        << R"({"idempotency_key":"run-c:file/INC-2041-2","fi)";
    auto agent = writer(registry, config_for(tmp.path()));
    const std::string tickets = ticket_list({ticket("INC-2041-1"), ticket("INC-2041-2"), ticket("INC-2041-3")});
    const json::object out = write(*agent, tickets, "run-c:file", 2);
    BOOST_TEST(out.at("applied").as_int64() == 2);
    BOOST_TEST(out.at("already_applied").as_int64() == 1);
    BOOST_TEST(paths(out).size() == 3u);
    BOOST_TEST(json::parse(read(tmp.path() / "INC-2041-3.json")) == json::parse(ticket("INC-2041-3")));

    const auto records = applied(tmp.path());  // every line parses: the torn one is gone
    BOOST_TEST_REQUIRE(records.size() == 3u);
    BOOST_TEST(records[0].at("attempt").as_int64() == 1);
    BOOST_TEST(records[1] == json::parse(R"({"idempotency_key": "run-c:file/INC-2041-2", "file": "INC-2041-2.json",
                                             "attempt": 2})"));
    BOOST_TEST(records[2].at("idempotency_key").as_string() == "run-c:file/INC-2041-3");
    BOOST_TEST(files_in(tmp.path()).size() == 4u);  // three tickets and applied.jsonl, no temporary file

    // Now the whole list is applied.
    const json::object again = write(*agent, tickets, "run-c:file", 3);
    BOOST_TEST(again.at("applied").as_int64() == 0);
    BOOST_TEST(again.at("already_applied").as_int64() == 3);
    BOOST_TEST(applied(tmp.path()).size() == 3u);
}

BOOST_AUTO_TEST_CASE(an_empty_list_writes_nothing) {
    Registry registry = agenthost::testing::first_party_registry();
    TempDir tmp;
    const fs::path folder = tmp.path() / "tickets";
    auto agent = writer(registry, config_for(folder));
    const json::object out = write(*agent, R"({"tickets": []})", "run-d:file");
    BOOST_TEST(out == json::parse(R"({"files": [], "applied": 0, "already_applied": 0})"));
    BOOST_TEST(!fs::exists(folder));
}

BOOST_AUTO_TEST_CASE(a_list_that_cannot_be_filed_whole_writes_nothing) {
    Registry registry = agenthost::testing::first_party_registry();
    TempDir tmp;
    auto agent = writer(registry, config_for(tmp.path()));
    const std::pair<std::string, std::string> lists[] = {
        {ticket_list({ticket("INC-1"), ticket("INC-2"), ticket("INC-1", "again")}),
         "tickets/2 (INC-1) has the same id as tickets/0"},
        {ticket_list({ticket("INC-1"), ticket("../escape")}), "tickets/1 (../escape)"},
    };
    for (const auto& [input, message] : lists) {
        BOOST_TEST_CONTEXT(input) {
            CallResult r = call(*agent, input, "k-bad");
            BOOST_TEST_REQUIRE(!r.ok());
            BOOST_TEST(r.error.find(message) != std::string::npos, r.error);
        }
    }
    BOOST_TEST(files_in(tmp.path()).empty());

    // A file that ticket-writer did not write, in the way of the last ticket: the first two are not written either.
    std::ofstream(tmp.path() / "INC-3.json") << "{\"mine\": true}\n";
    CallResult foreign = call(*agent, ticket_list({ticket("INC-1"), ticket("INC-2"), ticket("INC-3")}), "k-foreign");
    BOOST_TEST_REQUIRE(!foreign.ok());
    BOOST_TEST(foreign.error.find("tickets/2 (INC-3)") != std::string::npos, foreign.error);
    BOOST_TEST(foreign.error.find("did not write it") != std::string::npos, foreign.error);
    BOOST_TEST((files_in(tmp.path()) == std::set<std::string>{"INC-3.json", "applied.jsonl"}));
    BOOST_TEST(read(tmp.path() / "applied.jsonl").empty());

    // Two ids that config file_name maps to one file.
    auto by_incident = writer(registry, config_for(tmp.path(), R"("file_name": "{{/incident}}.json", )"));
    CallResult same_file = call(*by_incident, ticket_list({ticket("INC-1"), ticket("INC-2")}), "k-same-file");
    BOOST_TEST_REQUIRE(!same_file.ok());
    BOOST_TEST(same_file.error.find("would both be written to") != std::string::npos, same_file.error);
    BOOST_TEST(!fs::exists(tmp.path() / "INC-2041.json"));
}

BOOST_AUTO_TEST_CASE(the_schemas_take_one_ticket_or_a_list_of_them) {
    Registry registry = agenthost::testing::first_party_registry();
    TempDir tmp;
    auto agent = writer(registry, config_for(tmp.path()));
    const auto& input_schema = *agent->plugin().manifest().input_schema;
    BOOST_TEST(input_schema.validate(json::parse(ticket("INC-1"))).empty());
    BOOST_TEST(input_schema.validate(json::parse(ticket_list({}))).empty());
    BOOST_TEST(input_schema.validate(json::parse(ticket_list({ticket("INC-1"), ticket("INC-2")}))).empty());
    const char* refused[] = {
        R"({"tickets": [{"id": "INC-1"}]})",                                         // a ticket without a title
        R"({"tickets": [{"id": "INC-1", "title": "t", "priority": "urgent"}]})",     // a malformed priority
        R"({"tickets": [], "incident": "INC-1"})",                                   // a field beside the list
        R"({"tickets": {"id": "INC-1", "title": "t"}})",                             // not a list
        R"({"id": "INC-1", "title": "t", "tickets": []})",                           // both at once
    };
    for (const char* input : refused) BOOST_TEST(!input_schema.validate(json::parse(input)).empty(), input);

    const auto& output_schema = *agent->plugin().manifest().output_schema;
    BOOST_TEST(output_schema.validate(json::parse(R"({"file": "a.json", "already_applied": false})")).empty());
    BOOST_TEST(output_schema.validate(json::parse(R"({"files": ["a.json"], "applied": 1, "already_applied": 0})")).empty());
    BOOST_TEST(!output_schema.validate(json::parse(R"({"files": ["a.json"], "applied": 1, "already_applied": false})")).empty());
}

BOOST_AUTO_TEST_SUITE_END()
