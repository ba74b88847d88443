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

StepRecord StepRecord::from_json(const boost::json::object& json) {
    StepRecord r;
    const auto text = [&](std::string_view key) {
        const boost::json::value* v = json.if_contains(key);
        return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
    };
    const auto count = [&](std::string_view key) -> uint64_t {
        const boost::json::value* v = json.if_contains(key);
        if (v == nullptr) return 0;
        if (v->is_uint64()) return v->get_uint64();
        if (v->is_int64() && v->get_int64() >= 0) return static_cast<uint64_t>(v->get_int64());
        return 0;
    };
    const auto flag = [&](std::string_view key, bool fallback) {
        const boost::json::value* v = json.if_contains(key);
        return v != nullptr && v->is_bool() ? v->get_bool() : fallback;
    };
    r.step = text("step");
    r.kind = text("kind");
    r.agent = text("agent");
    r.plugin = text("plugin");
    r.ok = flag("ok", true);
    r.attempts = static_cast<uint32_t>(count("attempts"));
    r.fallback_used = flag("fallback_used", false);
    r.rounds = static_cast<uint32_t>(count("rounds"));
    r.next = text("next");
    r.detail = text("detail");
    r.latency = std::chrono::microseconds(count("latency_us"));
    r.error = text("error");
    if (const boost::json::value* b = json.if_contains("branches"); b != nullptr && b->is_array())
        for (const boost::json::value& branch : b->get_array())
            if (branch.is_object()) r.branches.push_back(from_json(branch.get_object()));
    return r;
}

boost::json::object RunResult::to_json() const {
    boost::json::object o{{"run_id", run_id}, {"workflow", workflow}, {"ok", ok}, {"status", status()}};
    if (ok) o["output"] = output;
    if (waiting) o["waiting"] = approval;
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
