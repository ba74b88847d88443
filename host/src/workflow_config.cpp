// workflow_config.cpp: lookups by name and located issues over a loaded config.
#include <agenthost/host/source_map.hpp>
#include <agenthost/host/workflow_config.hpp>

#include <algorithm>

namespace agenthost {

const AgentConfig* WorkflowConfig::agent(std::string_view wanted) const noexcept {
    const auto it = std::find_if(agents.begin(), agents.end(), [&](const AgentConfig& a) { return a.name == wanted; });
    return it == agents.end() ? nullptr : &*it;
}

const StepConfig* WorkflowConfig::step(std::string_view wanted) const noexcept {
    const auto it = std::find_if(steps.begin(), steps.end(), [&](const StepConfig& s) { return s.name == wanted; });
    return it == steps.end() ? nullptr : &*it;
}

ConfigIssue WorkflowConfig::issue_at(std::string_view pointer, std::string message, std::string hint) const {
    ConfigIssue issue{file.string(), 0, 0, std::string(pointer), std::move(message), std::move(hint)};
    if (source) {
        const TextPosition position = source->at(pointer);
        issue.line = position.line;
        issue.column = position.column;
    }
    return issue;
}

}  // namespace agenthost

namespace agenthost {

std::string_view to_string(Decision decision) noexcept {
    switch (decision) {
        case Decision::approve: return "approve";
        case Decision::reject: return "reject";
        case Decision::edit: return "edit";
    }
    return "reject";
}

std::optional<Decision> parse_decision(std::string_view text) noexcept {
    for (Decision d : {Decision::approve, Decision::reject, Decision::edit})
        if (to_string(d) == text) return d;
    return std::nullopt;
}

bool ApprovalStep::allows(Decision d) const noexcept {
    return std::find(decisions.begin(), decisions.end(), d) != decisions.end();
}

}  // namespace agenthost
