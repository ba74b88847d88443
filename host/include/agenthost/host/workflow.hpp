// workflow.hpp: a workflow compiled against the installed plugins: every
// agent instantiated, every name resolved to an index, every check done.
// Immutable once built, except the agents' error budgets, which are shared by
// all runs of the workflow.
#pragma once

#include <agenthost/host/config_issue.hpp>
#include <agenthost/host/error_budget.hpp>
#include <agenthost/host/response_cache.hpp>
#include <agenthost/host/switch_router.hpp>
#include <agenthost/host/workflow_config.hpp>
#include <agenthost/registry/agent_instance.hpp>
#include <agenthost/registry/json_schema.hpp>

#include <boost/json/object.hpp>

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace agenthost {

class Registry;

class Workflow {
public:
    struct Agent {
        const AgentConfig* config;
        std::shared_ptr<AgentInstance> instance;
        std::vector<std::size_t> fallback;     //!< agent indexes, in order
        std::unique_ptr<ErrorBudget> budget;   //!< null without an error budget
    };
    struct Step {
        const StepConfig* config;
        std::size_t index;
        std::optional<SwitchRouter> router;  //!< switch steps
        std::optional<std::size_t> next;     //!< agent, parallel and review steps: the step after this one
        std::optional<std::size_t> agent;    //!< agent steps: the agent called
        std::optional<std::size_t> on_reject;    //!< approval steps: the step after a rejection
        std::optional<std::size_t> escalate_to;  //!< agent steps with escalate_below: the approval step
        std::shared_ptr<const JsonSchema> edit_schema;  //!< approval steps with a "schema"
    };

    //! Instantiates every agent through `registry` and checks what needs the
    //! plugins: that each plugin and version is installed, pins, configs,
    //! grants, and that each fallback's output can stand in for its primary's.
    //! Every problem is located in the config file.
    static std::variant<std::shared_ptr<const Workflow>, ConfigIssues> compile(WorkflowConfig config,
                                                                              const Registry& registry);

    const WorkflowConfig& config() const noexcept { return config_; }
    const std::string& name() const noexcept { return config_.name; }
    const std::vector<Agent>& agents() const noexcept { return agents_; }
    const std::vector<Step>& steps() const noexcept { return steps_; }
    std::size_t start() const noexcept { return start_; }
    //! Agent name -> "plugin@version" of its instance: what a run of this workflow pins.
    const boost::json::object& plugin_pins() const noexcept { return pins_; }
    //! The approval step that a spent budget escalates to (limits.on_budget_spent "escalate").
    std::optional<std::size_t> budget_escalation() const noexcept { return budget_escalation_; }
    std::optional<std::size_t> step_index(std::string_view name) const noexcept;
    std::optional<std::size_t> agent_index(std::string_view name) const noexcept;
    //! The price of `model`, or nullptr when the config has none.
    const ModelPrice* price(std::string_view model) const noexcept;
    //! The cache of HTTP answers that every run of this workflow shares, when
    //! the config turns it on ("response_cache"); else nullptr. Thread-safe.
    std::shared_ptr<ResponseCache> response_cache() const noexcept { return response_cache_; }

    Workflow(const Workflow&) = delete;
    Workflow& operator=(const Workflow&) = delete;
    explicit Workflow(WorkflowConfig config) : config_(std::move(config)) {}

private:
    WorkflowConfig config_;
    std::vector<Agent> agents_;
    std::vector<Step> steps_;
    std::size_t start_ = 0;
    std::optional<std::size_t> budget_escalation_;
    boost::json::object pins_;
    std::shared_ptr<ResponseCache> response_cache_;  //!< shared with HTTP transfers that outlive a run
};

//! Whether output valid against `fallback` is always acceptable where output
//! valid against `primary` is expected: it requires at least what the primary
//! requires, and declares the same type for every property both declare.
//! Returns the first reason it is not, or nothing.
std::optional<std::string> fallback_incompatibility(const boost::json::value& primary,
                                                    const boost::json::value& fallback);

}  // namespace agenthost
