// run_result.cpp: JSON forms of run results, for the CLI and the trace.
#include <agenthost/host/run_result.hpp>

namespace agenthost {

boost::json::object RunError::to_json() const {
    return {{"code", code}, {"step", step}, {"agent", agent}, {"message", message}};
}

boost::json::object StepRecord::to_json() const {
    boost::json::object o{{"step", step},       {"kind", kind},     {"ok", ok},
                          {"attempts", attempts}, {"latency_us", latency.count()}};
    if (!agent.empty()) o["agent"] = agent;
    if (!plugin.empty()) o["plugin"] = plugin;
    if (fallback_used) o["fallback_used"] = true;
    if (rounds > 0) o["rounds"] = rounds;
    if (!next.empty()) o["next"] = next;
    if (!detail.empty()) o["detail"] = detail;
    if (!error.empty()) o["error"] = error;
    if (!branches.empty()) {
        boost::json::array b;
        for (const StepRecord& r : branches) b.push_back(r.to_json());
        o["branches"] = std::move(b);
    }
    return o;
}

boost::json::object RunResult::to_json() const {
    boost::json::object o{{"run_id", run_id}, {"workflow", workflow}, {"ok", ok}};
    if (ok) o["output"] = output;
    if (error) o["error"] = error->to_json();
    boost::json::array path;
    for (const StepRecord& s : steps) path.push_back(s.to_json());
    o["steps"] = std::move(path);
    o["duration_us"] = duration.count();
    o["tokens"] = tokens;
    o["cost_usd"] = cost_usd;
    return o;
}

}  // namespace agenthost
