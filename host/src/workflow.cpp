// workflow.cpp: compiling a WorkflowConfig against the registry.
#include <agenthost/host/workflow.hpp>
#include <agenthost/registry/registry.hpp>

#include <boost/json/serialize.hpp>

#include <algorithm>

namespace agenthost {

namespace {

const boost::json::object* object_at(const boost::json::value& v, std::string_view key) {
    if (!v.is_object()) return nullptr;
    const boost::json::value* m = v.get_object().if_contains(key);
    return m && m->is_object() ? &m->get_object() : nullptr;
}

}  // namespace

std::optional<std::string> fallback_incompatibility(const boost::json::value& primary,
                                                    const boost::json::value& fallback) {
    if (!primary.is_object()) return std::nullopt;
    const auto& p = primary.get_object();
    if (const boost::json::value* required = p.if_contains("required"); required && required->is_array()) {
        const boost::json::value* theirs = fallback.is_object() ? fallback.get_object().if_contains("required") : nullptr;
        for (const auto& name : required->get_array()) {
            const bool covered = theirs && theirs->is_array() &&
                                 std::find(theirs->get_array().begin(), theirs->get_array().end(), name) !=
                                     theirs->get_array().end();
            if (!covered) {
                return "its output_schema does not require " + boost::json::serialize(name) +
                       ", which the primary's output_schema requires";
            }
        }
    }
    const boost::json::object* ours = object_at(primary, "properties");
    const boost::json::object* theirs = object_at(fallback, "properties");
    if (ours && theirs) {
        for (const auto& [name, schema] : *ours) {
            const boost::json::value* other = theirs->if_contains(name);
            if (!other || !schema.is_object() || !other->is_object()) continue;
            const boost::json::value* a = schema.get_object().if_contains("type");
            const boost::json::value* b = other->get_object().if_contains("type");
            if (a && b && *a != *b) {
                return "property \"" + std::string(name) + "\" has type " + boost::json::serialize(*b) +
                       " where the primary's has " + boost::json::serialize(*a);
            }
        }
    }
    return std::nullopt;
}

std::variant<std::shared_ptr<const Workflow>, ConfigIssues> Workflow::compile(WorkflowConfig config,
                                                                             const Registry& registry) {
    auto workflow = std::make_shared<Workflow>(std::move(config));
    const WorkflowConfig& cfg = workflow->config_;
    if (cfg.response_cache) workflow->response_cache_ = std::make_shared<ResponseCache>(*cfg.response_cache);
    ConfigIssues issues;

    for (const AgentConfig& a : cfg.agents) {
        AgentSpec spec{a.name, a.plugin, a.sha256, a.config, a.grants};
        auto instance = registry.create_agent(spec);
        if (!instance) {
            const Error& e = instance.error();
            std::string pointer = a.pointer + (e.pointer.empty() ? "/plugin" : e.pointer);
            issues.push_back(cfg.issue_at(pointer, e.message, e.hint));
        }
        workflow->agents_.push_back(Agent{&a, instance ? instance.value() : nullptr, {}, nullptr});
        if (a.error_budget) workflow->agents_.back().budget = std::make_unique<ErrorBudget>(*a.error_budget);
    }

    for (const Agent& agent : workflow->agents_)
        if (agent.instance) workflow->pins_[agent.config->name] = agent.instance->plugin().id();

    for (Agent& agent : workflow->agents_) {
        for (std::size_t i = 0; i < agent.config->fallback.size(); ++i) {
            auto index = workflow->agent_index(agent.config->fallback[i]);
            if (!index) continue;  // the loader reported the unknown name
            agent.fallback.push_back(*index);
            const Agent& stand_in = workflow->agents_[*index];
            if (!agent.instance || !stand_in.instance) continue;
            auto why = fallback_incompatibility(agent.instance->output_schema().source(),
                                                stand_in.instance->output_schema().source());
            if (why) {
                issues.push_back(cfg.issue_at(agent.config->pointer + "/fallback/" + std::to_string(i),
                                              "fallback \"" + stand_in.config->name + "\" (" +
                                                  stand_in.instance->plugin().id() + ") cannot stand in for \"" +
                                                  agent.config->name + "\" (" + agent.instance->plugin().id() +
                                                  "): " + *why,
                                              "pick a fallback whose output has the same shape"));
            }
        }
    }

    // Names resolved once here, so that a run never looks one up.
    for (std::size_t i = 0; i < cfg.steps.size(); ++i) {
        Step step{&cfg.steps[i], i, std::nullopt, std::nullopt, std::nullopt, std::nullopt, std::nullopt, nullptr};
        std::visit(
            [&](const auto& body) {
                using T = std::decay_t<decltype(body)>;
                if constexpr (std::is_same_v<T, SwitchStep>) step.router.emplace(body);
                if constexpr (std::is_same_v<T, AgentStep>) {
                    step.agent = workflow->agent_index(body.agent);
                    if (body.escalate_below)
                        step.escalate_to = workflow->step_index(body.escalate_to.empty() ? cfg.escalate_to : body.escalate_to);
                }
                if constexpr (std::is_same_v<T, AgentStep> || std::is_same_v<T, ParallelStep> ||
                              std::is_same_v<T, ReviewStep> || std::is_same_v<T, ApprovalStep>) {
                    step.next = workflow->step_index(body.next);
                }
                if constexpr (std::is_same_v<T, ApprovalStep>) {
                    if (!body.on_reject.empty()) step.on_reject = workflow->step_index(body.on_reject);
                    if (body.schema) {
                        auto compiled = JsonSchema::compile(*body.schema);
                        if (compiled) {
                            step.edit_schema = std::make_shared<const JsonSchema>(std::move(compiled).value());
                        } else {
                            issues.push_back(cfg.issue_at(cfg.steps[i].pointer + "/schema" + compiled.error().where,
                                                          "not a usable JSON Schema: " + compiled.error().message,
                                                          compiled.error().hint));
                        }
                    }
                }
            },
            cfg.steps[i].body);
        workflow->steps_.push_back(std::move(step));
    }
    if (auto start = workflow->step_index(cfg.start)) workflow->start_ = *start;
    if (cfg.limits.escalate_on_budget) workflow->budget_escalation_ = workflow->step_index(cfg.escalate_to);

    if (!issues.empty()) return issues;
    return std::shared_ptr<const Workflow>(std::move(workflow));
}

std::optional<std::size_t> Workflow::step_index(std::string_view name) const noexcept {
    for (std::size_t i = 0; i < config_.steps.size(); ++i)
        if (config_.steps[i].name == name) return i;
    return std::nullopt;
}

std::optional<std::size_t> Workflow::agent_index(std::string_view name) const noexcept {
    for (std::size_t i = 0; i < config_.agents.size(); ++i)
        if (config_.agents[i].name == name) return i;
    return std::nullopt;
}

const ModelPrice* Workflow::price(std::string_view model) const noexcept {
    for (const ModelPrice& p : config_.prices)
        if (p.model == model) return &p;
    return nullptr;
}

}  // namespace agenthost
