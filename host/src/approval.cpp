// approval.cpp: approval steps' questions and decisions.
#include <agenthost/host/approval.hpp>
#include <agenthost/host/json_patch.hpp>

#include <ctime>
#include <iomanip>
#include <sstream>

namespace agenthost {

namespace {

namespace json = boost::json;

std::string allowed(const ApprovalStep& step) {
    std::string out;
    for (Decision d : step.decisions) out += (out.empty() ? "" : ", ") + std::string(to_string(d));
    return out;
}

}  // namespace

std::string iso_utc(StoreTime time) {
    const std::time_t seconds = StoreClock::to_time_t(time);
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    std::ostringstream s;
    s << std::put_time(&utc, "%Y-%m-%dT%H:%M:%SZ");
    return s.str();
}

json::object ApprovalDecision::to_json() const {
    json::object o{{"decision", to_string(decision)}, {"note", note}};
    if (!patch.is_null()) o["patch"] = patch;
    if (!by.empty()) o["by"] = by;
    if (timed_out) o["timed_out"] = true;
    return o;
}

Result<ApprovalDecision> ApprovalDecision::from_json(const json::value& value) {
    const json::object* o = value.if_object();
    const json::value* d = o ? o->if_contains("decision") : nullptr;
    auto parsed = d && d->is_string() ? parse_decision(d->get_string()) : std::nullopt;
    if (!parsed) return Error{"decision", "a decision needs \"decision\": approve, reject or edit", {}, "/decision"};
    ApprovalDecision out;
    out.decision = *parsed;
    if (const json::value* n = o->if_contains("note"); n && n->is_string()) out.note = n->get_string();
    if (const json::value* p = o->if_contains("patch")) out.patch = *p;
    if (const json::value* b = o->if_contains("by"); b && b->is_string()) out.by = b->get_string();
    if (const json::value* t = o->if_contains("timed_out"); t && t->is_bool()) out.timed_out = t->get_bool();
    return out;
}

json::object waiting_payload(const ApprovalStep& step, const std::string& name, const json::object& state,
                             uint32_t step_number, const std::optional<json::object>& escalation, StoreTime now) {
    const json::value document(state);
    const auto find = [&](std::string_view pointer) -> const json::value* {
        boost::system::error_code ec;
        return document.find_pointer(pointer, ec);
    };
    json::object shows;
    for (const InputBinding& b : step.shows) {
        const json::value* v = find(b.pointer);
        for (std::size_t i = 0; v == nullptr && i < b.otherwise.size(); ++i) v = find(b.otherwise[i]);
        shows[b.field] = v ? *v : json::value();
    }
    json::array decisions;
    for (Decision d : step.decisions) decisions.emplace_back(to_string(d));
    json::object o{{"step", name}, {"question", step.question}, {"shows", std::move(shows)},
                   {"decisions", std::move(decisions)}, {"step_number", step_number}};
    if (!step.edits.empty()) {
        o["edits"] = step.edits;
        const json::value* v = find(step.edits);
        o["value"] = v ? *v : json::value();
    }
    if (step.timeout) {
        const auto at = now + *step.timeout;
        o["timeout_at"] = std::chrono::duration_cast<std::chrono::milliseconds>(at.time_since_epoch()).count();
        o["timeout_at_utc"] = iso_utc(at);
        o["default"] = to_string(step.default_decision);
    }
    if (escalation) o["escalation"] = *escalation;
    return o;
}

std::optional<StoreTime> timeout_at(const json::object& waiting) {
    const json::value* t = waiting.if_contains("timeout_at");
    if (t == nullptr || !t->is_int64()) return std::nullopt;
    return StoreTime(std::chrono::duration_cast<StoreClock::duration>(std::chrono::milliseconds(t->get_int64())));
}

Result<json::object> apply_decision(const ApprovalStep& step, const JsonSchema* schema, const json::object& state,
                                    const ApprovalDecision& decision, StoreTime at) {
    const std::string name(to_string(decision.decision));
    if (!step.allows(decision.decision))
        return Error{"decision", "this approval does not allow " + name, "decide one of: " + allowed(step), "/decision"};
    if (decision.decision != Decision::edit && !decision.patch.is_null())
        return Error{"decision", "a patch goes with the decision edit, not " + name, "use --decision edit", "/patch"};
    json::object written{{"decision", name}, {"note", decision.note}, {"decided_at", iso_utc(at)}, {"timed_out", decision.timed_out}};
    if (!decision.by.empty()) written["by"] = decision.by;
    if (step.edits.empty()) return written;

    const json::value document(state);
    boost::system::error_code ec;
    const json::value* shown = document.find_pointer(step.edits, ec);
    json::value value = shown ? *shown : json::value();
    if (decision.decision == Decision::edit) {
        if (shown == nullptr)
            return Error{"decision", "there is nothing at " + step.edits + " to edit: the run's state has no value there",
                         "approve or reject instead", "/decision"};
        if (decision.patch.is_null())
            return Error{"decision", "an edit needs a patch: an RFC 6902 JSON Patch relative to " + step.edits,
                         "e.g. [{\"op\": \"replace\", \"path\": \"/0/priority\", \"value\": \"P3\"}]", "/patch"};
        auto patched = apply_json_patch(value, decision.patch);
        if (!patched) {
            Error e = patched.error();
            e.where = "patch";
            e.message = "the patch does not apply to " + step.edits + ": " + e.message;
            return e;
        }
        value = std::move(patched).value();
        if (schema != nullptr) {
            if (auto violations = schema->validate(value); !violations.empty())
                return Error{"patch", "the edited value breaks the step's schema:\n" + describe(violations),
                             "change the patch so that the result still has the shape the next steps need", "/patch"};
        }
    }
    written["value"] = std::move(value);
    return written;
}

}  // namespace agenthost
