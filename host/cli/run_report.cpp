// run_report.cpp: printing a run's outcome for run and resume.
#include "run_report.hpp"

#include "pretty_json.hpp"

#include <boost/json/serialize.hpp>

#include <iomanip>
#include <sstream>

namespace agenthost::cli {
namespace {

namespace json = boost::json;

void explain_step(std::ostream& out, const StepRecord& r, const std::string& indent) {
    out << indent << std::left << std::setw(14) << r.step << ' ' << std::setw(8) << r.kind << ' '
        << std::setw(10) << millis(r.latency);
    if (!r.agent.empty()) out << "  " << r.agent << " (" << r.plugin << ")";
    if (r.attempts > 1) out << "  attempts=" << r.attempts;
    if (r.fallback_used) out << "  fallback";
    if (r.rounds > 0) out << "  rounds=" << r.rounds;
    if (!r.detail.empty()) out << "  " << r.detail;
    if (!r.next.empty()) out << "  -> " << r.next;
    if (!r.ok && !r.error.empty()) out << "  error: " << r.error;
    out << '\n';
    for (const StepRecord& b : r.branches) explain_step(out, b, indent + "  ");
}

void print_question(std::ostream& out, const RunResult& result, const std::string& store) {
    const json::object& asked = result.approval;
    out << "run " << result.run_id << " waits for a decision at step " << string_at(&asked, "step") << ":\n  "
        << string_at(&asked, "question") << '\n';
    if (const json::object* e = asked.contains("escalation") ? asked.at("escalation").if_object() : nullptr)
        out << "escalated: " << string_at(e, "why") << " (step " << string_at(e, "step") << ")\n";
    if (const json::value* shows = asked.if_contains("shows"); shows && shows->is_object() && !shows->get_object().empty())
        out << "shows:\n" << pretty_json(*shows) << '\n';
    std::string decisions;
    if (const json::value* d = asked.if_contains("decisions"); d && d->is_array())
        for (const json::value& one : d->get_array())
            if (one.is_string()) decisions += (decisions.empty() ? "" : "|") + std::string(one.get_string());
    if (!string_at(&asked, "timeout_at_utc").empty())
        out << "timeout: " << string_at(&asked, "timeout_at_utc") << ", then " << string_at(&asked, "default") << '\n';
    out << "decide:  agenthost approve " << result.run_id << (store.empty() ? "" : " --store " + store)
        << " --decision " << decisions << (decisions.find("edit") != std::string::npos ? " [--patch FILE]" : "")
        << " [--note TEXT]\n";
    out << "then:    agenthost resume " << result.run_id << (store.empty() ? "" : " --store " + store) << '\n';
}

}  // namespace

std::string millis(std::chrono::microseconds us) {
    std::ostringstream s;
    s << std::fixed << std::setprecision(1) << static_cast<double>(us.count()) / 1000.0 << " ms";
    return s.str();
}

void explain(std::ostream& out, const RunResult& result) {
    out << "run " << result.run_id << " (" << result.workflow << "): "
        << (result.ok ? "ok" : result.waiting ? "waiting" : "failed") << " in " << millis(result.duration) << ", "
        << result.tokens << " tokens, $" << std::fixed << std::setprecision(6) << result.cost_usd << '\n';
    out << "path:\n";
    for (const StepRecord& r : result.steps) explain_step(out, r, "  ");
}

int report_run(const Invocation& inv, const RunResult& result, const std::string& store) {
    if (inv.args.has("--json")) {
        inv.out << json::serialize(result.to_json()) << '\n';
    } else if (result.ok) {
        inv.out << pretty_json(result.output) << '\n';
    } else if (result.waiting) {
        print_question(inv.out, result, store);
    }
    if (inv.args.has("--explain")) explain(inv.args.has("--json") ? inv.err : inv.out, result);
    if (!result.ok && !result.waiting) {
        const RunError& e = *result.error;
        inv.err << "agenthost: run " << result.run_id << " failed at step " << e.step
                << (e.agent.empty() ? "" : " (agent " + e.agent + ")") << ": " << e.code << ": " << e.message << '\n';
        return exit_failure;
    }
    return exit_ok;
}

void report_resumed(const Invocation& inv, const ResumeReport& report) {
    if (!report.resumed.empty())
        inv.err << "agenthost: resumed " << report.resumed.size() << " unfinished run"
                << (report.resumed.size() == 1 ? "" : "s") << " from the store\n";
    if (!report.waiting.empty())
        inv.err << "agenthost: " << report.waiting.size() << " run" << (report.waiting.size() == 1 ? " waits" : "s wait")
                << " for a decision (agenthost runs list --status waiting)\n";
    if (!report.elsewhere.empty())
        inv.err << "agenthost: " << report.elsewhere.size() << " unfinished run"
                << (report.elsewhere.size() == 1 ? " is" : "s are") << " in flight in another agenthost on this store\n";
    for (const auto& [id, error] : report.failed)
        inv.err << "agenthost: cannot resume " << (id.empty() ? std::string("runs") : "run " + id) << ": "
                << error.to_string() << '\n';
}

}  // namespace agenthost::cli
