// config_model.cpp: the model pass. Reads a config document, already checked
// against the schema and with ${ENV} expanded, into the WorkflowConfig the engine
// runs: defaults filled in, relative plugin folders and secret files resolved,
// prices, secrets, the response cache, agents and steps in config order. It notes what the checks across the config need (names
// used, keys written; see config_meaning.cpp) and checks what needs only the value
// at hand.
#include "config_parts.hpp"

#include <agenthost/registry/semver.hpp>

#include <boost/json.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <map>
#include <utility>

namespace agenthost::config_parts {
namespace {

// ------------------------------------------------------------------ reading values the schema has checked

// Tolerant readers: a value of the wrong type reads as the default, because
// the schema pass has already reported it.
std::string text_of(const json::object& o, std::string_view key, std::string fallback = {}) {
    const json::value* v = o.if_contains(key);
    return v && v->is_string() ? std::string(v->get_string()) : std::move(fallback);
}

uint64_t count_of(const json::object& o, std::string_view key, uint64_t fallback) {
    const json::value* v = o.if_contains(key);
    if (v && v->is_int64() && v->get_int64() >= 0) return static_cast<uint64_t>(v->get_int64());
    if (v && v->is_uint64()) return v->get_uint64();
    return fallback;
}

uint32_t small_count_of(const json::object& o, std::string_view key, uint32_t fallback) {
    return static_cast<uint32_t>(std::min<uint64_t>(count_of(o, key, fallback), std::numeric_limits<uint32_t>::max()));
}

Milliseconds millis_of(const json::object& o, std::string_view key, Milliseconds fallback) {
    const uint64_t limit = static_cast<uint64_t>(std::numeric_limits<Milliseconds::rep>::max());
    const uint64_t ms = count_of(o, key, static_cast<uint64_t>(fallback.count()));
    return Milliseconds(static_cast<Milliseconds::rep>(std::min(ms, limit)));
}

double number_of(const json::object& o, std::string_view key, double fallback) {
    const json::value* v = o.if_contains(key);
    return v && v->is_number() ? v->to_number<double>() : fallback;
}

const json::object* object_at(const json::object& o, std::string_view key) {
    const json::value* v = o.if_contains(key);
    return v ? v->if_object() : nullptr;
}

const json::array* array_at(const json::object& o, std::string_view key) {
    const json::value* v = o.if_contains(key);
    return v ? v->if_array() : nullptr;
}

std::vector<InputBinding> bindings_of(const json::object& o, std::string_view key) {
    std::vector<InputBinding> out;
    if (const json::object* reads = object_at(o, key)) {
        for (const auto& [field, pointer] : *reads) {
            if (pointer.is_string()) out.push_back({std::string(field), std::string(pointer.get_string()), {}});
            const json::array* choices = pointer.if_array();
            if (choices == nullptr || choices->empty()) continue;
            InputBinding binding{std::string(field), {}, {}};
            for (const json::value& choice : *choices) {
                if (!choice.is_string()) continue;
                if (binding.pointer.empty()) binding.pointer = choice.get_string();
                else binding.otherwise.emplace_back(choice.get_string());
            }
            if (!binding.pointer.empty()) out.push_back(std::move(binding));
        }
    }
    return out;
}

// ------------------------------------------------------------------ the model

class ModelBuilder {
public:
    ModelBuilder(WorkflowConfig& config, Issues& issues) : config_(config), issues_(issues) {}

    Model build(const json::object& root) {
        config_.name = text_of(root, "name");
        config_.description = text_of(root, "description");
        config_.start = text_of(root, "start");
        config_.escalate_to = text_of(root, "escalate_to");
        if (const json::array* dirs = array_at(root, "plugin_dirs"))
            for (const json::value& dir : *dirs)
                if (dir.is_string()) config_.plugin_dirs.push_back(resolve(std::string(dir.get_string())));
        if (const json::object* limits = object_at(root, "limits")) read_limits(*limits);
        if (const json::object* prices = object_at(root, "prices"))
            for (const auto& [model, price] : *prices) add_price(std::string(model), price);
        if (const json::value* secrets = root.if_contains("secrets")) {
            model_.secrets_readable = secrets->is_object();
            if (const json::object* o = secrets->if_object())
                for (const auto& [name, secret] : *o) add_secret(std::string(name), secret);
        }
        if (const json::object* cache = object_at(root, "response_cache")) read_response_cache(*cache);
        if (const json::object* agents = object_at(root, "agents"))
            for (const auto& [name, agent] : *agents) add_agent(std::string(name), agent);
        if (const json::object* steps = object_at(root, "steps"))
            for (const auto& [name, step] : *steps) add_step(std::string(name), step);
        if (!config_.start.empty()) refer_to_step(config_.start, "/start", std::nullopt);
        read_escalations();
        // Without a map of agents or steps every reference would be "unknown": one schema issue says it.
        model_.have_agents = object_at(root, "agents") != nullptr;
        model_.have_steps = object_at(root, "steps") != nullptr;
        return std::move(model_);
    }

private:
    std::filesystem::path resolve(std::string dir) const {
        std::filesystem::path path(std::move(dir));
        if (path.is_relative()) path = config_.file.parent_path() / path;
        return path.lexically_normal();
    }

    void read_limits(const json::object& o) {
        RunLimits& limits = config_.limits;
        model_.max_steps_set = o.contains("max_steps");
        limits.max_steps = small_count_of(o, "max_steps", limits.max_steps);
        limits.deadline = millis_of(o, "deadline_ms", limits.deadline);
        if (o.contains("max_tokens")) limits.max_tokens = count_of(o, "max_tokens", 0);
        if (o.contains("max_cost_usd")) limits.max_cost_usd = number_of(o, "max_cost_usd", 0.0);
        limits.escalate_on_budget = text_of(o, "on_budget_spent") == "escalate";
    }

    // Where runs are escalated to: each must be an approval step, and is an
    // edge of the step graph from every step that may escalate.
    void read_escalations() {
        const std::string& to = config_.escalate_to;
        if (!to.empty()) model_.escalation_refs.push_back({to, "/escalate_to", std::nullopt});
        if (config_.limits.escalate_on_budget && to.empty()) {
            issues_.add(Pass::meaning, "/limits/on_budget_spent", "\"escalate\" needs an approval step to escalate to",
                        "name one in the top-level \"escalate_to\"");
        }
        for (std::size_t i = 0; i < config_.steps.size(); ++i) {
            const StepConfig& step = config_.steps[i];
            const std::size_t index = static_cast<std::size_t>(
                std::find(model_.step_names.begin(), model_.step_names.end(), step.name) - model_.step_names.begin());
            if (const auto* a = std::get_if<AgentStep>(&step.body); a && a->escalate_below) {
                if (!a->escalate_to.empty()) {
                    model_.escalation_refs.push_back({a->escalate_to, step.pointer + "/escalate_to", index});
                    refer_to_step(a->escalate_to, step.pointer + "/escalate_to", index);
                } else if (!to.empty()) {
                    refer_to_step(to, "/escalate_to", index);
                } else {
                    issues_.add(Pass::meaning, step.pointer + "/escalate_below",
                                "escalate_below needs an approval step to escalate to",
                                "add \"escalate_to\" to this step, or a top-level \"escalate_to\"");
                }
            }
            const bool spends = std::holds_alternative<AgentStep>(step.body) ||
                                std::holds_alternative<ParallelStep>(step.body) ||
                                std::holds_alternative<ReviewStep>(step.body);
            if (spends && config_.limits.escalate_on_budget && !to.empty()) refer_to_step(to, "/escalate_to", index);
        }
    }

    // Per million tokens; cached input costs nothing unless priced.
    void add_price(std::string model, const json::value& value) {
        const json::object* o = value.if_object();
        if (o == nullptr) return;  // the schema has reported it
        ModelPrice price;
        price.model = std::move(model);
        price.input_per_mtok = number_of(*o, "input_per_mtok", price.input_per_mtok);
        price.output_per_mtok = number_of(*o, "output_per_mtok", price.output_per_mtok);
        price.cached_input_per_mtok = number_of(*o, "cached_input_per_mtok", price.cached_input_per_mtok);
        config_.prices.push_back(std::move(price));
    }

    // ---- secrets and the response cache

    // Names reach plugins, logs and [REDACTED:<name>] markers: no spaces, quotes or brackets.
    static bool is_secret_name(std::string_view name) {
        const auto letter = [](char c) { return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
        const auto digit = [](char c) { return c >= '0' && c <= '9'; };
        return !name.empty() && letter(name[0]) && std::all_of(name.begin(), name.end(), [&](char c) {
            return letter(c) || digit(c) || c == '.' || c == '-';
        });
    }

    void add_secret(std::string name, const json::value& value) {
        SecretSource secret;
        secret.pointer = member("/secrets", name);
        secret.name = std::move(name);
        model_.secret_names.push_back(secret.name);
        const std::string& at = secret.pointer;
        bool usable = true;
        if (!is_secret_name(secret.name)) {
            issues_.add_at_key(Pass::meaning, at,
                               "secret name " + quote(secret.name) +
                                   " is not valid: expected letters, digits, _, . and -, starting with a letter or _",
                               "rename it here and in the grants that name it");
            usable = false;
        }
        const json::object* o = value.if_object();
        if (o == nullptr || issues_.schema_found_under(at)) return;  // the schema has said what is wrong
        const bool env = o->contains("env");
        const bool file = o->contains("file");
        if (env && file) {
            issues_.add(Pass::meaning, at, "secret " + quote(secret.name) + " has both \"env\" and \"file\"",
                        "a value comes from one place: keep one of them");
            return;
        }
        if (!env && !file) {
            issues_.add(Pass::meaning, at, "secret " + quote(secret.name) + " does not say where its value is",
                        "add \"env\": \"VARIABLE\" to read an environment variable, or \"file\": \"path\" to read a file");
            return;
        }
        if (!usable) return;
        if (env) secret.env = text_of(*o, "env");
        if (file) secret.file = resolve(text_of(*o, "file"));
        config_.secrets.push_back(std::move(secret));
    }

    void read_response_cache(const json::object& o) {
        ResponseCacheConfig cache;
        cache.max_entries = static_cast<std::size_t>(count_of(o, "max_entries", cache.max_entries));
        cache.max_bytes = static_cast<std::size_t>(count_of(o, "max_bytes", cache.max_bytes));
        if (text_of(o, "serve") == "on_failure") cache.serve = ResponseCacheConfig::Serve::on_failure;
        config_.response_cache = cache;
    }

    // ---- agents

    void add_agent(std::string name, const json::value& value) {
        AgentConfig agent;
        agent.pointer = member("/agents", name);
        agent.name = std::move(name);
        model_.agent_names.push_back(agent.name);
        const json::object* o = value.if_object();
        if (o == nullptr) return config_.agents.push_back(std::move(agent));
        const std::string& at = agent.pointer;

        agent.plugin = text_of(*o, "plugin");
        if (!agent.plugin.empty())
            if (auto ref = PluginRef::parse(agent.plugin); !ref)
                issues_.add(Pass::meaning, at + "/plugin", ref.error().message, ref.error().hint);
        if (o->contains("sha256")) agent.sha256 = text_of(*o, "sha256");
        if (const json::object* config = object_at(*o, "config")) agent.config = *config;
        if (const json::value* grants = o->if_contains("grants")) {
            auto permissions = Permissions::from_json(*grants, at + "/grants");
            if (permissions) {
                agent.grants = std::move(permissions).value();
            } else {
                const Error& e = permissions.error();
                issues_.add(Pass::meaning, e.where.starts_with('/') ? e.where : at + "/grants", e.message, e.hint);
            }
        }
        agent.timeout = millis_of(*o, "timeout_ms", agent.timeout);
        if (const json::object* retry = object_at(*o, "retry")) read_retry(*retry, agent.retry);
        if (const json::object* budget = object_at(*o, "error_budget")) read_budget(*budget, at, agent.error_budget);
        if (const json::array* fallback = array_at(*o, "fallback")) {
            for (std::size_t i = 0; i < fallback->size(); ++i) {
                if (!(*fallback)[i].is_string()) continue;
                const std::string target((*fallback)[i].get_string());
                if (target == agent.name) {
                    issues_.add(Pass::meaning, element(at + "/fallback", i),
                                "agent " + quote(target) + " lists itself as a fallback",
                                "a fallback must be another agent");
                    continue;
                }
                agent.fallback.push_back(target);
                model_.agent_refs.push_back({target, element(at + "/fallback", i), std::nullopt});
            }
        }
        config_.agents.push_back(std::move(agent));
    }

    static void read_retry(const json::object& o, RetryPolicy& retry) {
        retry.max_attempts = small_count_of(o, "max_attempts", retry.max_attempts);
        retry.initial_backoff = millis_of(o, "initial_backoff_ms", retry.initial_backoff);
        retry.max_backoff = millis_of(o, "max_backoff_ms", retry.max_backoff);
        retry.multiplier = number_of(o, "multiplier", retry.multiplier);
        retry.jitter = number_of(o, "jitter", retry.jitter);
    }

    void read_budget(const json::object& o, const std::string& at, std::optional<ErrorBudgetPolicy>& out) {
        ErrorBudgetPolicy budget;
        budget.window = small_count_of(o, "window", budget.window);
        budget.min_calls = small_count_of(o, "min_calls", budget.min_calls);
        budget.max_failure_rate = number_of(o, "max_failure_rate", budget.max_failure_rate);
        budget.cooldown = millis_of(o, "cooldown_ms", budget.cooldown);
        if (budget.min_calls > budget.window) {
            const auto value = [&](const char* key, uint32_t n) {
                return std::string(key) + ' ' + std::to_string(n) + (o.contains(key) ? "" : " (the default)");
            };
            issues_.add(Pass::meaning, at + (o.contains("min_calls") ? "/error_budget/min_calls" : "/error_budget/window"),
                        value("min_calls", budget.min_calls) + " is more than " + value("window", budget.window) +
                            ": the budget could never reach a verdict",
                        "set min_calls at most window");
        }
        out = budget;
    }

    // ---- steps

    void add_step(std::string name, const json::value& value) {
        const std::string at = member("/steps", name);
        const std::size_t index = model_.step_names.size();
        model_.step_names.push_back(name);
        const json::object* o = value.if_object();
        const std::string kind = o ? text_of(*o, "kind") : std::string();
        StepConfig step{name, EndStep{}, at};
        if (kind == "agent") {
            AgentStep body;
            body.agent = agent_field(*o, at, "agent");
            body.reads = bindings_of(*o, "reads");
            body.writes = owned_key(*o, at, name, index);
            body.next = next_field(*o, at, "next", index);
            if (o->contains("escalate_below")) body.escalate_below = number_of(*o, "escalate_below", 0.0);
            body.escalate_to = text_of(*o, "escalate_to");
            if (!body.escalate_to.empty() && !body.escalate_below) {
                issues_.add(Pass::meaning, at + "/escalate_to", "escalate_to has no effect without escalate_below",
                            "add \"escalate_below\": the confidence under which the step escalates");
            }
            step.body = std::move(body);
        } else if (kind == "switch") {
            step.body = switch_step(*o, at, index);
        } else if (kind == "parallel") {
            step.body = parallel_step(*o, at, name, index);
        } else if (kind == "review") {
            step.body = review_step(*o, at, name, index);
        } else if (kind == "end") {
            step.body = EndStep{text_of(*o, "result")};
        } else if (kind == "approval") {
            step.body = approval_step(*o, at, name, index);
        } else {
            model_.all_steps_built = false;  // the schema has said what is wrong with the kind
            return;
        }
        config_.steps.push_back(std::move(step));
    }

    std::string agent_field(const json::object& o, const std::string& at, std::string_view key) {
        std::string name = text_of(o, key);
        if (!name.empty()) model_.agent_refs.push_back({name, member(at, key), std::nullopt});
        return name;
    }

    std::string next_field(const json::object& o, const std::string& at, std::string_view key, std::size_t from) {
        std::string name = text_of(o, key);
        if (!name.empty()) refer_to_step(name, member(at, key), from);
        return name;
    }

    void refer_to_step(const std::string& name, std::string pointer, std::optional<std::size_t> from) {
        model_.step_refs.push_back({name, std::move(pointer), from});
    }

    // The key a step writes: "writes", or the step's own name.
    std::string owned_key(const json::object& o, const std::string& at, const std::string& step, std::size_t index) {
        std::string key = text_of(o, "writes", step);
        const bool implicit = !o.contains("writes");
        model_.writers.push_back({key, implicit ? at : at + "/writes", index, implicit});
        return key;
    }

    SwitchStep switch_step(const json::object& o, const std::string& at, std::size_t index) {
        static constexpr std::array<std::pair<std::string_view, SwitchOp>, 7> ops{{
            {"equals", SwitchOp::equals}, {"one_of", SwitchOp::one_of}, {"above", SwitchOp::above},
            {"at_least", SwitchOp::at_least}, {"below", SwitchOp::below}, {"at_most", SwitchOp::at_most},
            {"matches", SwitchOp::matches}}};
        SwitchStep body;
        body.on = text_of(o, "on");
        if (const json::array* cases = array_at(o, "cases")) {
            for (std::size_t i = 0; i < cases->size(); ++i) {
                const json::object* c = (*cases)[i].if_object();
                if (c == nullptr) continue;
                const std::string case_at = element(at + "/cases", i);
                std::vector<std::string> tests;
                SwitchCase built;
                for (const auto& [op_name, op] : ops) {
                    if (!c->contains(op_name)) continue;
                    if (tests.empty()) {
                        built.op = op;
                        built.value = c->at(op_name);
                    }
                    tests.emplace_back(op_name);
                }
                built.next = next_field(*c, case_at, "next", index);
                // A misspelt test ("equal") is already an unknown property; no need to say the case lacks one.
                if (tests.size() != 1 && !issues_.schema_found_under(case_at)) {
                    issues_.add(Pass::meaning, case_at,
                                tests.empty() ? "a case needs a test: equals, one_of, above, at_least, below, at_most or matches"
                                              : "a case has one test; found " + joined(tests, " and "),
                                tests.empty() ? std::string() : std::string("split it into one case per test"));
                    if (tests.empty()) continue;
                }
                if (built.op == SwitchOp::matches && built.value.is_string())
                    check_regex(built.value.get_string(), case_at, issues_);
                body.cases.push_back(std::move(built));
            }
        }
        body.default_next = next_field(o, at, "default", index);
        return body;
    }

    ParallelStep parallel_step(const json::object& o, const std::string& at, const std::string& name, std::size_t index) {
        ParallelStep body;
        if (const json::array* branches = array_at(o, "branches")) {
            std::map<std::string, std::size_t> first_named;
            for (std::size_t i = 0; i < branches->size(); ++i) {
                const json::object* b = (*branches)[i].if_object();
                if (b == nullptr) continue;
                const std::string branch_at = element(at + "/branches", i);
                ParallelBranch branch;
                branch.agent = agent_field(*b, branch_at, "agent");
                branch.name = text_of(*b, "name", branch.agent);
                branch.reads = bindings_of(*b, "reads");
                if (const auto [it, fresh] = first_named.emplace(branch.name, i); !fresh && !branch.name.empty()) {
                    issues_.add(Pass::meaning, b->contains("name") ? branch_at + "/name" : branch_at,
                                "branch name " + quote(branch.name) + " is already used by branch " +
                                    std::to_string(it->second),
                                "give each branch its own \"name\"; it defaults to the agent's name");
                }
                body.branches.push_back(std::move(branch));
            }
        }
        read_join(o, at, body);
        body.writes = owned_key(o, at, name, index);
        body.next = next_field(o, at, "next", index);
        return body;
    }

    void read_join(const json::object& o, const std::string& at, ParallelStep& body) {
        const json::value* join = o.if_contains("join");
        if (join == nullptr) return;
        const json::object* spec = join->if_object();
        const std::string policy = join->is_string() ? std::string(join->get_string()) : spec ? text_of(*spec, "policy") : "";
        if (policy == "first_success") body.join = JoinPolicy::first_success;
        else if (policy == "priority") body.join = JoinPolicy::priority;
        else if (policy == "vote") body.join = JoinPolicy::vote;
        if (spec) {
            body.vote_field = text_of(*spec, "field");
            body.tie = text_of(*spec, "tie") == "fail" ? TieRule::fail : TieRule::first;
        }
        const std::string join_at = at + "/join";
        if (policy == "vote" && (!spec || !spec->contains("field"))) {
            issues_.add(Pass::meaning, join_at, "a vote needs a \"field\": where in each branch's output the vote is",
                        "e.g. {\"policy\": \"vote\", \"field\": \"/category\", \"tie\": \"first\"}");
        }
        if (spec && policy != "vote" && !policy.empty())
            for (const char* key : {"field", "tie"})
                if (spec->contains(key))
                    issues_.add(Pass::meaning, join_at + "/" + key,
                                quote(key) + " applies only to the vote policy, not " + quote(policy));
    }

    ReviewStep review_step(const json::object& o, const std::string& at, const std::string& name, std::size_t index) {
        ReviewStep body;
        body.worker = agent_field(o, at, "worker");
        body.reviewer = agent_field(o, at, "reviewer");
        body.reads = bindings_of(o, "reads");
        body.reviewer_reads = bindings_of(o, "reviewer_reads");
        body.draft_field = text_of(o, "draft_field", body.draft_field);
        body.feedback_field = text_of(o, "feedback_field", body.feedback_field);
        body.approved = text_of(o, "approved", body.approved);
        body.max_rounds = small_count_of(o, "max_rounds", body.max_rounds);
        body.accept_last = text_of(o, "on_exhausted") != "fail";
        body.writes = owned_key(o, at, name, index);
        body.next = next_field(o, at, "next", index);
        return body;
    }

    ApprovalStep approval_step(const json::object& o, const std::string& at, const std::string& name, std::size_t index) {
        ApprovalStep body;
        body.question = text_of(o, "question");
        body.shows = bindings_of(o, "shows");
        body.edits = text_of(o, "edits");
        if (const json::value* schema = o.if_contains("schema")) {
            body.schema = *schema;
            if (body.edits.empty())
                issues_.add(Pass::meaning, at + "/schema", "a schema checks edits, but the step offers none",
                            "add \"edits\": the JSON pointer of the value an edit changes");
        }
        if (const json::array* decisions = array_at(o, "decisions")) {
            for (const json::value& d : *decisions)
                if (auto parsed = d.is_string() ? parse_decision(d.get_string()) : std::nullopt) body.decisions.push_back(*parsed);
        } else {
            body.decisions = {Decision::approve, Decision::reject};
            if (!body.edits.empty()) body.decisions.push_back(Decision::edit);
        }
        if (body.allows(Decision::edit) && body.edits.empty() && o.contains("decisions")) {
            issues_.add(Pass::meaning, at + "/decisions", "the decision edit needs \"edits\"",
                        "add \"edits\": the JSON pointer of the value an edit changes");
        }
        if (o.contains("timeout_ms")) body.timeout = millis_of(o, "timeout_ms", Milliseconds(0));
        if (const std::string d = text_of(o, "default"); !d.empty()) body.default_decision = *parse_decision(d);
        if (body.timeout && !o.contains("default")) {
            issues_.add(Pass::meaning, at + "/timeout_ms", "a timeout needs a \"default\": the decision it takes",
                        "add \"default\": \"approve\" or \"reject\"");
        } else if (!body.timeout && o.contains("default")) {
            issues_.add(Pass::meaning, at + "/default", "\"default\" applies only after a timeout, and the step has none",
                        "add \"timeout_ms\", or remove \"default\"");
        } else if (body.timeout && !body.allows(body.default_decision)) {
            issues_.add(Pass::meaning, at + "/default",
                        "the default decision " + quote(std::string(to_string(body.default_decision))) +
                            " is not one of the step's decisions");
        }
        body.writes = owned_key(o, at, name, index);
        body.next = next_field(o, at, "next", index);
        body.on_reject = next_field(o, at, "on_reject", index);
        return body;
    }

    WorkflowConfig& config_;
    Issues& issues_;
    Model model_;
};

}  // namespace

Model build_model(const json::object& root, WorkflowConfig& config, Issues& issues) {
    return ModelBuilder(config, issues).build(root);
}

}  // namespace agenthost::config_parts
