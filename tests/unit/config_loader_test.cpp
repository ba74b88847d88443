// config_loader_test.cpp: what a good config becomes: the model the engine runs,
// with defaults filled in, names resolved and ${ENV} expanded; and the secret
// values loading it reads.
#include <agenthost/host/config_loader.hpp>
#include <agenthost/host/secret_store.hpp>
#include <agenthost/host/source_map.hpp>
#include <agenthost/registry/sha256.hpp>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <optional>

namespace fs = std::filesystem;
using namespace agenthost;

namespace {

const fs::path good_dir = fs::path(AGENTHOST_SOURCE_DIR) / "tests/fixtures/configs/good";

EnvLookup fake_env(std::map<std::string, std::string> vars) {
    return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
        const auto it = vars.find(std::string(name));
        return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
    };
}

const EnvLookup full_env = fake_env(
    {{"PLUGIN_HOME", "/srv/plugins"}, {"KB_BASE", "https://kb.example.com"}, {"KEY_NAME", "KB_API_KEY"}});

std::string all_issues(const ConfigResult& result) {
    std::string text;
    if (const auto* issues = std::get_if<ConfigIssues>(&result))
        for (const ConfigIssue& issue : *issues) text += issue.to_string() + '\n';
    return text;
}

// Loads a config that must be valid; a failed load prints every issue.
WorkflowConfig load_good(const fs::path& file, const EnvLookup& env = full_env) {
    ConfigResult result = load_config(file, env);
    BOOST_TEST_REQUIRE(std::holds_alternative<WorkflowConfig>(result), all_issues(result));
    return std::get<WorkflowConfig>(std::move(result));
}

WorkflowConfig parse_good(std::string_view text) {
    ConfigResult result = parse_config(text, "mem/test.json", fake_env({}));
    BOOST_TEST_REQUIRE(std::holds_alternative<WorkflowConfig>(result), all_issues(result));
    return std::get<WorkflowConfig>(std::move(result));
}

// Sets a process environment variable for one scope, then restores it.
class ScopedEnv {
public:
    ScopedEnv(const char* name, const char* value) : name_(name) {
        if (const char* old = std::getenv(name)) old_ = old;
        ::setenv(name, value, 1);
    }
    ~ScopedEnv() {
        if (old_) ::setenv(name_, old_->c_str(), 1);
        else ::unsetenv(name_);
    }
    ScopedEnv(const ScopedEnv&) = delete;
    ScopedEnv& operator=(const ScopedEnv&) = delete;

private:
    const char* name_;
    std::optional<std::string> old_;
};

template <class Body>
const Body& body_of(const WorkflowConfig& config, std::string_view step) {
    const StepConfig* found = config.step(step);
    BOOST_TEST_REQUIRE(found != nullptr, std::string(step));
    const Body* body = std::get_if<Body>(&found->body);
    BOOST_TEST_REQUIRE(body != nullptr, std::string(step));
    return *body;
}

constexpr std::string_view minimal = R"({
  "name": "tiny",
  "agents": {"echo": {"plugin": "echo"}},
  "start": "say",
  "steps": {
    "say": {"kind": "agent", "agent": "echo", "next": "check"},
    "check": {"kind": "review", "worker": "echo", "reviewer": "echo", "next": "pick"},
    "pick": {"kind": "parallel", "branches": [{"agent": "echo"}], "next": "done"},
    "done": {"kind": "end", "result": "/say"}
  }
})";

}  // namespace

BOOST_AUTO_TEST_SUITE(config_loader)

BOOST_AUTO_TEST_CASE(the_workflow_level_fields_are_read) {
    const WorkflowConfig c = load_good(good_dir / "full.json");
    BOOST_TEST(c.name == "support");
    BOOST_TEST(c.description == "Triage, research, respond, review.");
    BOOST_TEST(c.start == "triage");
    BOOST_TEST(c.file == good_dir / "full.json");
    BOOST_TEST(c.limits.max_steps == 20u);
    BOOST_TEST(c.limits.deadline.count() == 10000);
    BOOST_TEST(c.limits.max_tokens.value_or(0) == 50000u);
    BOOST_TEST(c.limits.max_cost_usd.value_or(0) == 0.5);
    BOOST_TEST(c.agents.size() == 7u);
    BOOST_TEST(c.steps.size() == 9u);
    BOOST_TEST(c.steps.front().name == "triage");
    BOOST_TEST(c.steps.back().name == "done");
    BOOST_TEST(c.steps[1].pointer == "/steps/route");
}

BOOST_AUTO_TEST_CASE(plugin_dirs_are_relative_to_the_config_file_and_expanded) {
    const WorkflowConfig c = load_good(good_dir / "full.json");
    BOOST_TEST_REQUIRE(c.plugin_dirs.size() == 3u);
    BOOST_TEST(c.plugin_dirs[0] == (good_dir / "../build/plugins").lexically_normal());
    BOOST_TEST(c.plugin_dirs[1] == fs::path("/opt/agenthost/plugins"));
    BOOST_TEST(c.plugin_dirs[2] == fs::path("/srv/plugins/extra"));
}

BOOST_AUTO_TEST_CASE(an_agent_keeps_everything_it_was_given) {
    const WorkflowConfig c = load_good(good_dir / "full.json");
    const AgentConfig* a = c.agent("triage");
    BOOST_TEST_REQUIRE(a != nullptr);
    BOOST_TEST(a->pointer == "/agents/triage");
    BOOST_TEST(a->plugin == "keyword-classifier@^1");
    BOOST_TEST(a->sha256.value_or("") == "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
    BOOST_TEST(a->timeout.count() == 2000);
    BOOST_TEST(a->retry.max_attempts == 3u);
    BOOST_TEST(a->retry.initial_backoff.count() == 50);
    BOOST_TEST(a->retry.max_backoff.count() == 1000);
    BOOST_TEST(a->retry.multiplier == 3.0);
    BOOST_TEST(a->retry.jitter == 0.1);
    BOOST_TEST(a->fallback == std::vector<std::string>{"triage-rules"});
    BOOST_TEST_REQUIRE(a->error_budget.has_value());
    BOOST_TEST(a->error_budget->window == 10u);
    BOOST_TEST(a->error_budget->min_calls == 4u);
    BOOST_TEST(a->error_budget->max_failure_rate == 0.25);
    BOOST_TEST(a->error_budget->cooldown.count() == 1500);
    BOOST_TEST(a->grants.services == std::vector<std::string>{"ah.http/1"});
    BOOST_TEST(a->grants.context_read == std::vector<std::string>{"/input"});
    BOOST_TEST(a->grants.context_write.empty());
}

BOOST_AUTO_TEST_CASE(an_agent_left_unset_gets_the_documented_defaults) {
    const WorkflowConfig c = load_good(good_dir / "full.json");
    const AgentConfig* a = c.agent("triage-rules");
    BOOST_TEST_REQUIRE(a != nullptr);
    BOOST_TEST(a->plugin == "keyword-classifier");
    BOOST_TEST(!a->sha256.has_value());
    BOOST_TEST(a->config == boost::json::value(boost::json::object()));
    BOOST_TEST(a->timeout.count() == 30000);
    BOOST_TEST(a->retry.max_attempts == 1u);
    BOOST_TEST(a->retry.initial_backoff.count() == 100);
    BOOST_TEST(a->retry.max_backoff.count() == 5000);
    BOOST_TEST(a->retry.multiplier == 2.0);
    BOOST_TEST(a->retry.jitter == 0.2);
    BOOST_TEST(a->fallback.empty());
    BOOST_TEST(!a->error_budget.has_value());
    BOOST_TEST(a->grants.network.empty());
    BOOST_TEST(c.agent("nobody") == nullptr);
}

BOOST_AUTO_TEST_CASE(an_error_budget_fills_the_fields_it_does_not_set) {
    const WorkflowConfig c = parse_good(R"({"name": "b", "start": "e", "steps": {"e": {"kind": "end", "result": "/input"}},
        "agents": {"a": {"plugin": "p", "error_budget": {"max_failure_rate": 0.1}}}})");
    const auto& budget = c.agent("a")->error_budget;
    BOOST_TEST_REQUIRE(budget.has_value());
    BOOST_TEST(budget->window == 20u);
    BOOST_TEST(budget->min_calls == 5u);
    BOOST_TEST(budget->max_failure_rate == 0.1);
    BOOST_TEST(budget->cooldown.count() == 30000);
}

BOOST_AUTO_TEST_CASE(env_variables_are_expanded_in_config_grants_and_plugin_dirs_only) {
    const WorkflowConfig c = load_good(good_dir / "full.json");
    const AgentConfig* a = c.agent("triage");
    BOOST_TEST(a->config.at("endpoint") == "https://kb.example.com/classify");
    BOOST_TEST(a->config.at("literal") == "${NOT_EXPANDED}");
    BOOST_TEST(a->config.at("nested").at(0).at("url") == "https://kb.example.com");
    BOOST_TEST(a->grants.network == std::vector<std::string>{"https://kb.example.com/*"});
    BOOST_TEST(a->grants.secrets == std::vector<std::string>{"KB_API_KEY"});
    // The text is the file as written: it is what is safe to show.
    BOOST_TEST(c.text.find("${KB_BASE}/classify") != std::string::npos);
    BOOST_TEST(c.text.find("kb.example.com") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(prices_are_read_in_config_order_and_cached_input_is_free_unless_priced) {
    const WorkflowConfig c = load_good(good_dir / "full.json");
    BOOST_TEST_REQUIRE(c.prices.size() == 3u);
    BOOST_TEST(c.prices[0].model == "gpt-4o");
    BOOST_TEST(c.prices[0].input_per_mtok == 2.5);
    BOOST_TEST(c.prices[0].output_per_mtok == 10.0);
    BOOST_TEST(c.prices[0].cached_input_per_mtok == 1.25);
    BOOST_TEST(c.prices[1].model == "claude-haiku");
    BOOST_TEST(c.prices[1].input_per_mtok == 0.8);
    BOOST_TEST(c.prices[1].output_per_mtok == 4.0);
    BOOST_TEST(c.prices[1].cached_input_per_mtok == 0.0);  // not set: cached input costs nothing
    BOOST_TEST(c.prices[2].model == "local-llama");
    BOOST_TEST(c.prices[2].input_per_mtok == 0.0);
    BOOST_TEST(c.prices[2].output_per_mtok == 0.0);
}

BOOST_AUTO_TEST_CASE(config_dir_is_built_in_as_the_absolute_folder_of_the_config_file) {
    const fs::path absolute_dir = fs::absolute(good_dir).lexically_normal();
    // Named relative to the current directory, and with a detour: the value is still absolute and plain.
    const fs::path relative = fs::relative(good_dir, fs::current_path()) / "../good/full.json";
    BOOST_TEST_REQUIRE(relative.is_relative());
    const auto folder = [](const WorkflowConfig& config) {
        return std::string(config.agent("kb-c")->config.at("folder").as_string());
    };
    const WorkflowConfig c = load_good(relative);
    BOOST_TEST(folder(c) == (absolute_dir / "kb").string());
    BOOST_TEST(c.agent("kb-c")->config.at("literal") == "${CONFIG_DIR}");

    // Neither the lookup the embedder passes nor the process environment can move it.
    const WorkflowConfig overridden = load_good(good_dir / "full.json",
        fake_env({{"CONFIG_DIR", "/elsewhere"}, {"PLUGIN_HOME", "/srv/plugins"}, {"KB_BASE", "https://kb.example.com"},
                  {"KEY_NAME", "KB_API_KEY"}}));
    BOOST_TEST(folder(overridden) == (absolute_dir / "kb").string());
    {
        const ScopedEnv env("CONFIG_DIR", "/elsewhere");
        const ScopedEnv plugin_home("PLUGIN_HOME", "/srv/plugins");
        const ScopedEnv kb_base("KB_BASE", "https://kb.example.com");
        const ScopedEnv key_name("KEY_NAME", "KB_API_KEY");
        const WorkflowConfig from_process = load_good(good_dir / "full.json", process_environment());
        BOOST_TEST(folder(from_process) == (absolute_dir / "kb").string());
    }

    // Text in memory is placed by the name it is given, like its relative plugin_dirs.
    const WorkflowConfig parsed = parse_good(R"({"name": "d", "plugin_dirs": ["${CONFIG_DIR}/plugins", "plugins"],
        "agents": {"a": {"plugin": "p", "config": {"dir": "${CONFIG_DIR}"}}},
        "start": "e", "steps": {"e": {"kind": "end", "result": "/input"}}})");
    const fs::path mem_dir = (fs::current_path() / "mem").lexically_normal();
    BOOST_TEST(std::string(parsed.agent("a")->config.at("dir").as_string()) == mem_dir.string());
    BOOST_TEST_REQUIRE(parsed.plugin_dirs.size() == 2u);
    BOOST_TEST(parsed.plugin_dirs[0] == mem_dir / "plugins");
    BOOST_TEST(parsed.plugin_dirs[1] == fs::path("mem/plugins"));
}

BOOST_AUTO_TEST_CASE(the_digest_is_of_the_file_as_written) {
    const WorkflowConfig c = load_good(good_dir / "full.json");
    const auto digest = sha256_file(good_dir / "full.json");
    BOOST_TEST_REQUIRE(digest.ok());
    BOOST_TEST(c.sha256 == digest.value());
    BOOST_TEST(parse_good(minimal).sha256.size() == 64u);
}

BOOST_AUTO_TEST_CASE(agent_steps_keep_their_reads_in_order_and_write_their_own_name_by_default) {
    const WorkflowConfig c = load_good(good_dir / "full.json");
    const auto& triage = body_of<AgentStep>(c, "triage");
    BOOST_TEST(triage.agent == "triage");
    BOOST_TEST_REQUIRE(triage.reads.size() == 2u);
    BOOST_TEST(triage.reads[0].field == "text");
    BOOST_TEST(triage.reads[0].pointer == "/input/body");
    BOOST_TEST(triage.reads[1].field == "subject");
    BOOST_TEST(triage.writes == "triage");
    BOOST_TEST(triage.next == "route");
    BOOST_TEST(body_of<AgentStep>(c, "respond").writes == "respond");
}

BOOST_AUTO_TEST_CASE(every_switch_operator_is_read_in_order) {
    const WorkflowConfig c = load_good(good_dir / "full.json");
    const auto& route = body_of<SwitchStep>(c, "route");
    BOOST_TEST(route.on == "/triage/category");
    BOOST_TEST(route.default_next == "respond");
    BOOST_TEST_REQUIRE(route.cases.size() == 7u);
    const SwitchOp ops[] = {SwitchOp::equals, SwitchOp::one_of, SwitchOp::above,  SwitchOp::at_least,
                            SwitchOp::below,  SwitchOp::at_most, SwitchOp::matches};
    for (std::size_t i = 0; i < 7; ++i) BOOST_TEST((route.cases[i].op == ops[i]), "case " << i);
    BOOST_TEST(route.cases[0].value == "billing");
    BOOST_TEST(route.cases[0].next == "research");
    BOOST_TEST(route.cases[1].value == boost::json::parse(R"(["a", "b"])"));
    BOOST_TEST(route.cases[2].value.to_number<double>() == 0.7);
    BOOST_TEST(route.cases[3].value.to_number<double>() == 1.0);
    BOOST_TEST(route.cases[6].value == "^re");
    BOOST_TEST(route.cases[6].next == "review");
}

BOOST_AUTO_TEST_CASE(every_join_policy_is_read) {
    const WorkflowConfig c = load_good(good_dir / "full.json");
    const auto& research = body_of<ParallelStep>(c, "research");
    BOOST_TEST((research.join == JoinPolicy::all));
    BOOST_TEST(research.writes == "research");
    BOOST_TEST_REQUIRE(research.branches.size() == 2u);
    BOOST_TEST(research.branches[0].name == "a");
    BOOST_TEST(research.branches[1].name == "kb-b");  // defaults to the agent's name
    BOOST_TEST(research.branches[1].reads.at(0).pointer == "/triage/category");

    const auto& vote = body_of<ParallelStep>(c, "vote");
    BOOST_TEST((vote.join == JoinPolicy::vote));
    BOOST_TEST(vote.vote_field == "/category");
    BOOST_TEST((vote.tie == TieRule::fail));
    BOOST_TEST(vote.writes == "voted");
    BOOST_TEST((body_of<ParallelStep>(c, "first").join == JoinPolicy::first_success));
    BOOST_TEST((body_of<ParallelStep>(c, "priority").join == JoinPolicy::priority));
}

BOOST_AUTO_TEST_CASE(a_review_step_keeps_its_fields) {
    const WorkflowConfig c = load_good(good_dir / "full.json");
    const auto& review = body_of<ReviewStep>(c, "review");
    BOOST_TEST(review.worker == "responder");
    BOOST_TEST(review.reviewer == "qa");
    BOOST_TEST(review.reads.at(0).pointer == "/input");
    BOOST_TEST(review.reviewer_reads.at(0).field == "ticket");
    BOOST_TEST(review.draft_field == "text");
    BOOST_TEST(review.feedback_field == "notes");
    BOOST_TEST(review.approved == "/verdict/ok");
    BOOST_TEST(review.max_rounds == 5u);
    BOOST_TEST(!review.accept_last);
    BOOST_TEST(review.writes == "response");
    BOOST_TEST(body_of<EndStep>(c, "done").result == "/response");
}

BOOST_AUTO_TEST_CASE(a_minimal_config_gets_the_documented_defaults) {
    const WorkflowConfig c = parse_good(minimal);
    BOOST_TEST(c.limits.max_steps == 50u);
    BOOST_TEST(c.limits.deadline.count() == 60000);
    BOOST_TEST(!c.limits.max_tokens.has_value());
    BOOST_TEST(!c.limits.max_cost_usd.has_value());
    BOOST_TEST(c.plugin_dirs.empty());
    BOOST_TEST(c.prices.empty());
    BOOST_TEST(c.description.empty());
    const auto& review = body_of<ReviewStep>(c, "check");
    BOOST_TEST(review.draft_field == "draft");
    BOOST_TEST(review.feedback_field == "feedback");
    BOOST_TEST(review.approved == "/approved");
    BOOST_TEST(review.max_rounds == 3u);
    BOOST_TEST(review.accept_last);
    BOOST_TEST(review.writes == "check");
    const auto& pick = body_of<ParallelStep>(c, "pick");
    BOOST_TEST((pick.join == JoinPolicy::all));
    BOOST_TEST((pick.tie == TieRule::first));
    BOOST_TEST(pick.writes == "pick");
}

BOOST_AUTO_TEST_CASE(a_loop_is_fine_once_max_steps_bounds_it) {
    const WorkflowConfig c = parse_good(R"({"name": "loop", "limits": {"max_steps": 8}, "agents": {"a": {"plugin": "p"}},
        "start": "ask", "steps": {
          "ask": {"kind": "agent", "agent": "a", "next": "again"},
          "again": {"kind": "switch", "on": "/ask/done", "cases": [{"equals": true, "next": "done"}], "default": "ask"},
          "done": {"kind": "end", "result": "/ask"}}})");
    BOOST_TEST(c.limits.max_steps == 8u);
}

BOOST_AUTO_TEST_CASE(issues_are_located_in_the_text) {
    const WorkflowConfig c = parse_good(minimal);
    const ConfigIssue issue = c.issue_at("/steps/say/next", "a message", "a hint");
    BOOST_TEST(issue.file == "mem/test.json");
    BOOST_TEST(issue.line == 6u);
    BOOST_TEST(issue.column == 55u);
    BOOST_TEST(issue.to_string() == "mem/test.json:6:55: /steps/say/next: a message (a hint)");
    // A pointer to nothing lands on its nearest ancestor that exists.
    const ConfigIssue missing = c.issue_at("/steps/say/nothing/here", "m");
    BOOST_TEST(missing.line == 6u);
    BOOST_TEST(missing.column == 12u);
    BOOST_TEST(c.source->size() > 10u);
}

BOOST_AUTO_TEST_CASE(an_issue_prints_as_file_line_column_pointer_message_hint) {
    BOOST_TEST((ConfigIssue{"a.json", 3, 7, "/x", "bad", ""}.to_string()) == "a.json:3:7: /x: bad");
    BOOST_TEST((ConfigIssue{"a.json", 1, 1, "", "bad", "fix"}.to_string()) == "a.json:1:1: bad (fix)");
    BOOST_TEST((ConfigIssue{"a.json", 0, 0, "", "unreadable", ""}.to_string()) == "a.json: unreadable");
}

BOOST_AUTO_TEST_CASE(an_unreadable_file_is_one_issue_without_a_position) {
    for (const fs::path& file : {good_dir / "no-such-file.json", good_dir}) {
        const ConfigResult result = load_config(file, fake_env({}));
        const auto* issues = std::get_if<ConfigIssues>(&result);
        BOOST_TEST_REQUIRE(issues != nullptr);
        BOOST_TEST_REQUIRE(issues->size() == 1u);
        BOOST_TEST(issues->front().line == 0u);
        BOOST_TEST(issues->front().message.starts_with("cannot read the config: "), issues->front().message);
    }
}

BOOST_AUTO_TEST_CASE(the_process_environment_is_the_default) {
    const char* path = std::getenv("PATH");
    BOOST_TEST_REQUIRE(path != nullptr);
    BOOST_TEST(process_environment()("PATH").value_or("") == path);
    BOOST_TEST(!process_environment()("AGENTHOST_SURELY_UNSET_VARIABLE").has_value());
}

BOOST_AUTO_TEST_CASE(secrets_are_read_in_order_with_files_resolved_against_the_config) {
    const WorkflowConfig c = load_good(good_dir / "full.json");
    BOOST_TEST_REQUIRE(c.secrets.size() == 3u);
    BOOST_TEST(c.secrets[0].name == "KB_API_KEY");
    BOOST_TEST(c.secrets[0].env == "KB_API_KEY");
    BOOST_TEST(c.secrets[0].file.empty());
    BOOST_TEST(c.secrets[0].pointer == "/secrets/KB_API_KEY");
    BOOST_TEST(c.secrets[1].name == "db.password-2");
    BOOST_TEST(c.secrets[1].env.empty());
    BOOST_TEST(c.secrets[1].file == (good_dir / "secrets/db.txt").lexically_normal());
    BOOST_TEST(c.secrets[2].file.is_absolute());
    BOOST_TEST(c.secrets[2].file.filename() == "beside.txt");
    BOOST_TEST(c.secrets[2].file.parent_path().parent_path() == fs::absolute(good_dir).lexically_normal());
}

BOOST_AUTO_TEST_CASE(the_response_cache_is_off_unless_configured) {
    BOOST_TEST(!parse_good(minimal).response_cache.has_value());
    const WorkflowConfig full = load_good(good_dir / "full.json");
    BOOST_TEST_REQUIRE(full.response_cache.has_value());
    BOOST_TEST(full.response_cache->max_entries == 100u);
    BOOST_TEST(full.response_cache->max_bytes == 1048576u);
    BOOST_TEST((full.response_cache->serve == ResponseCacheConfig::Serve::on_failure));

    std::string text(minimal);
    text.insert(text.find("\"agents\""), "\"response_cache\": {},\n  ");
    const WorkflowConfig defaults = parse_good(text);
    BOOST_TEST_REQUIRE(defaults.response_cache.has_value());
    BOOST_TEST(defaults.response_cache->max_entries == 1024u);
    BOOST_TEST(defaults.response_cache->max_bytes == 64u * 1024u * 1024u);
    BOOST_TEST((defaults.response_cache->serve == ResponseCacheConfig::Serve::always));
}

BOOST_AUTO_TEST_CASE(secret_values_come_from_the_environment_and_from_files) {
    const fs::path dir = fs::temp_directory_path() / ("agenthost-secrets-" + std::to_string(::getpid()));
    fs::create_directories(dir / "keys");
    std::ofstream(dir / "keys/lf.txt", std::ios::binary) << "from-a-file\n";
    std::ofstream(dir / "keys/crlf.txt", std::ios::binary) << "windows-line\r\n";
    std::ofstream(dir / "keys/two.txt", std::ios::binary) << "keeps-one\n\n";
    std::ofstream(dir / "config.json", std::ios::binary) << R"({
      "name": "s",
      "secrets": {"ENV": {"env": "MY_VAR"}, "LF": {"file": "keys/lf.txt"}, "CRLF": {"file": "${CONFIG_DIR}/keys/crlf.txt"},
                  "TWO": {"file": "keys/two.txt"}},
      "agents": {"a": {"plugin": "p", "grants": {"secrets": ["ENV", "LF", "CRLF", "TWO"]}}},
      "start": "go",
      "steps": {"go": {"kind": "agent", "agent": "a", "next": "done"}, "done": {"kind": "end", "result": "/go"}}})";
    const EnvLookup env = fake_env({{"MY_VAR", "from the environment"}});
    const WorkflowConfig c = load_good(dir / "config.json", env);
    const SecretValuesResult values = read_secret_values(c, env);
    fs::remove_all(dir);
    BOOST_TEST_REQUIRE(std::holds_alternative<std::vector<SecretValue>>(values));
    const auto& got = std::get<std::vector<SecretValue>>(values);
    BOOST_TEST_REQUIRE(got.size() == 4u);
    BOOST_TEST(got[0].name == "ENV");
    BOOST_TEST(got[0].value == "from the environment");
    BOOST_TEST(got[1].value == "from-a-file");
    BOOST_TEST(got[2].value == "windows-line");
    BOOST_TEST(got[3].value == "keeps-one\n");  // one trailing newline is the file's, the rest the value's
}

BOOST_AUTO_TEST_SUITE_END()
