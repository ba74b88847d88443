// runs_command.cpp: `agenthost runs list|show|prune`: reading the runs that a
// run store (--store, AGENTHOST_STORE) recorded, and pruning finished ones.
#include "command.hpp"
#include "host_options.hpp"
#include "pretty_json.hpp"

#include <agenthost/host/run_store.hpp>

#include <boost/json/serialize.hpp>

#include <charconv>
#include <ctime>
#include <filesystem>
#include <iomanip>
#include <optional>
#include <ostream>
#include <sstream>

namespace agenthost::cli {
namespace {

namespace json = boost::json;

//! The store the command reads; nullptr, with the reason printed, when there is none.
std::unique_ptr<RunStore> open_store(const Invocation& inv) {
    auto path = cli_store_path(inv);
    if (!path) throw UsageError("missing --store FILE (or set AGENTHOST_STORE).");
    std::error_code ec;
    if (!std::filesystem::is_regular_file(*path, ec)) {
        inv.err << "agenthost: error: no run store at " << *path
                << " (a store is created by 'agenthost run --store FILE' or 'agenthost batch --store FILE')\n";
        return nullptr;
    }
    auto opened = open_sqlite_run_store(*path);
    if (!opened) {
        inv.err << "agenthost: error: cannot open the run store " << *path << ": " << opened.error().to_string() << '\n';
        return nullptr;
    }
    return std::move(opened).value();
}

std::string iso_time(StoreTime t) {
    const std::time_t seconds = StoreClock::to_time_t(t);
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    std::ostringstream s;
    s << std::put_time(&utc, "%Y-%m-%dT%H:%M:%SZ");
    return s.str();
}

std::string dollars(double cost) {
    std::ostringstream s;
    s << '$' << std::fixed << std::setprecision(6) << cost;
    return s.str();
}

json::object record_json(const RunRecord& r) {
    json::object o{{"id", r.id},
                   {"workflow", r.workflow},
                   {"status", to_string(r.status)},
                   {"config_sha256", r.config_sha256},
                   {"plugins", r.plugins},
                   {"tokens", r.tokens},
                   {"cost_usd", r.cost_usd},
                   {"created", iso_time(r.created)},
                   {"updated", iso_time(r.updated)},
                   {"events", r.last_seq}};
    if (!r.error.is_null()) o["error"] = r.error;
    return o;
}

// What a waiting run asks: its last waiting event, when nothing was decided since.
std::optional<json::object> open_question(RunStore& store, const RunRecord& r) {
    if (r.status != RunStatus::waiting) return std::nullopt;
    auto loaded = store.load_run(r.id);
    if (!loaded) return std::nullopt;
    std::optional<json::object> asked;
    for (const RunEvent& e : loaded->events) {
        if (e.kind == "waiting" && e.payload.is_object()) asked = e.payload.get_object();
        else if (e.kind == event_kind::decision) asked.reset();
    }
    return asked;
}

int list(const Invocation& inv) {
    RunFilter filter;
    if (auto status = inv.args.value("--status")) {
        filter.status = parse_run_status(*status);
        if (!filter.status) {
            throw UsageError("--status: unknown status '" + *status +
                             "'; expected running, waiting, succeeded, failed or cancelled.");
        }
    }
    if (auto limit = inv.args.value("--limit")) {
        std::size_t n = 0;
        const auto [end, ec] = std::from_chars(limit->data(), limit->data() + limit->size(), n);
        if (ec != std::errc() || end != limit->data() + limit->size() || n == 0) {
            throw UsageError("--limit: expected a positive whole number, not '" + *limit + "'.");
        }
        filter.limit = n;
    }
    auto store = open_store(inv);
    if (!store) return exit_failure;
    auto runs = store->list_runs(filter);
    if (!runs) {
        inv.err << "agenthost: error: " << runs.error().to_string() << '\n';
        return exit_failure;
    }
    if (inv.args.has("--json")) {
        json::array list;
        for (const RunRecord& r : runs.value()) {
            json::object o = record_json(r);
            if (auto asked = open_question(*store, r)) o["waiting"] = std::move(*asked);
            list.push_back(std::move(o));
        }
        inv.out << json::serialize(list) << '\n';
        return exit_ok;
    }
    for (const RunRecord& r : runs.value()) {
        inv.out << r.id << "  " << std::left << std::setw(9) << to_string(r.status) << "  " << iso_time(r.created)
                << "  " << r.workflow << "  " << r.tokens << " tokens  " << dollars(r.cost_usd);
        if (auto asked = open_question(*store, r))
            inv.out << "  at " << string_at(&*asked, "step") << ": " << string_at(&*asked, "question");
        inv.out << '\n';
    }
    if (runs->empty()) inv.err << "no runs\n";
    return exit_ok;
}

// One line of the path: a step as its output (or step_failed) event tells it.
void print_step(std::ostream& out, const RunEvent& event) {
    const json::object* p = event.payload.if_object();
    const auto text = [&](std::string_view key) { return string_at(p, key); };
    out << "  " << std::left << std::setw(14) << event.step << ' ' << std::setw(8) << text("kind");
    if (const std::string agent = text("agent"); !agent.empty()) out << "  " << agent << " (" << text("plugin") << ")";
    if (p != nullptr) {
        if (const json::value* a = p->if_contains("attempts"); a != nullptr && a->is_number() && a->to_number<uint64_t>() > 1)
            out << "  attempts=" << a->to_number<uint64_t>();
        if (const json::value* f = p->if_contains("fallback_used"); f != nullptr && f->is_bool() && f->get_bool())
            out << "  fallback";
    }
    if (const std::string detail = text("detail"); !detail.empty()) out << "  " << detail;
    if (const std::string next = text("next"); !next.empty()) out << "  -> " << next;
    if (event.kind != event_kind::output) out << "  failed: " << text("error");
    out << '\n';
}

// What one event says, in a few words, for the events list.
std::string summary(const RunEvent& event) {
    const json::object* p = event.payload.if_object();
    if (p == nullptr) return {};
    const auto text = [&](std::string_view key) { return string_at(p, key); };
    if (event.kind == "waiting") return text("question");
    if (event.kind == event_kind::decision) {
        std::string s = text("decision");
        if (!text("by").empty()) s += " by " + text("by");
        if (!text("note").empty()) s += ": " + text("note");
        return s;
    }
    if (event.kind == "resumed") return "at " + text("at_step");
    if (event.kind == event_kind::attempt) {
        const json::value* n = p->if_contains("attempt");
        const json::value* ok = p->if_contains("ok");
        std::string s = text("agent") + "#" + (n && n->is_number() ? std::to_string(n->to_number<uint64_t>()) : "?");
        if (const json::value* f = p->if_contains("fallback"); f && f->is_bool() && f->get_bool()) s += " (fallback)";
        s += ok && ok->is_bool() && ok->get_bool() ? " ok" : " failed: " + text("error");
        return s;
    }
    if (event.kind == event_kind::usage) {
        std::ostringstream s;
        if (const json::value* t = p->if_contains("tokens"); t && t->is_number()) s << t->to_number<uint64_t>() << " tokens";
        if (const json::value* c = p->if_contains("cost_usd"); c && c->is_number()) s << ", " << dollars(c->to_number<double>());
        return s.str();
    }
    if (event.kind == event_kind::run_finished) {
        const json::value* ok = p->if_contains("ok");
        return ok && ok->is_bool() && ok->get_bool() ? "ok" : "failed";
    }
    if (event.kind == event_kind::output || event.kind == "step_failed") {
        std::string s = text("detail");
        if (!text("next").empty()) s += (s.empty() ? "-> " : "  -> ") + text("next");
        return s;
    }
    return {};
}

int show(const Invocation& inv) {
    auto store = open_store(inv);
    if (!store) return exit_failure;
    const std::string& id = inv.args.positionals().front();
    auto loaded = store->load_run(id);
    if (!loaded) {
        inv.err << "agenthost: error: " << loaded.error().to_string() << '\n';
        return exit_failure;
    }
    const StoredRun& stored = loaded.value();
    if (inv.args.has("--json")) {
        json::object o = record_json(stored.run);
        o["input"] = stored.run.input;
        o["state"] = stored.state;
        json::array events;
        for (const RunEvent& e : stored.events) {
            events.push_back(json::object{{"seq", e.seq}, {"kind", e.kind}, {"step", e.step},
                                          {"payload", e.payload}, {"at", iso_time(e.at)}});
        }
        o["events"] = std::move(events);
        inv.out << json::serialize(o) << '\n';
        return exit_ok;
    }
    const RunRecord& r = stored.run;
    inv.out << "run " << r.id << " (" << r.workflow << "): " << to_string(r.status) << ", " << r.tokens << " tokens, "
            << dollars(r.cost_usd) << '\n'
            << "created " << iso_time(r.created) << ", updated " << iso_time(r.updated) << ", config sha256 "
            << r.config_sha256 << '\n';
    if (!r.plugins.empty()) {
        inv.out << "plugins:";
        for (const auto& [agent, plugin] : r.plugins) {
            inv.out << ' ' << std::string_view(agent) << '=' << (plugin.is_string() ? std::string(plugin.get_string()) : json::serialize(plugin));
        }
        inv.out << '\n';
    }
    if (const json::object* e = r.error.if_object()) {
        inv.out << "error: " << string_at(e, "code") << " at step " << string_at(e, "step") << ": "
                << string_at(e, "message") << '\n';
    }
    inv.out << "path:\n";
    for (const RunEvent& event : stored.events) {
        if (event.kind == event_kind::output || event.kind == "step_failed") print_step(inv.out, event);
    }
    inv.out << "events:\n";
    const RunEvent* open_question = nullptr;
    for (const RunEvent& event : stored.events) {
        inv.out << "  " << std::right << std::setw(4) << event.seq << "  " << iso_time(event.at) << "  " << std::left
                << std::setw(12) << event.kind << ' ' << std::setw(14) << event.step << summary(event) << '\n';
        if (event.kind == "waiting") open_question = &event;
        else if (event.kind == event_kind::decision || event.kind == event_kind::output) open_question = nullptr;
    }
    inv.out << "state:\n" << pretty_json(stored.state) << '\n';
    if (r.status == RunStatus::waiting && open_question != nullptr) {
        const std::string store_file = cli_store_path(inv).value_or("");
        inv.out << "waits for a decision at step " << open_question->step << "; decide with:\n  agenthost approve " << r.id
                << " --store " << store_file << " --decision approve|reject|edit [--patch FILE] [--note TEXT]\n";
    }
    return exit_ok;
}

//! "30d", "12h", "90m", "45s".
std::optional<std::chrono::seconds> parse_age(std::string_view text) {
    if (text.size() < 2) return std::nullopt;
    uint64_t n = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size() - 1, n);
    if (ec != std::errc() || end != text.data() + text.size() - 1) return std::nullopt;
    uint64_t unit = 0;
    switch (text.back()) {
        case 's': unit = 1; break;
        case 'm': unit = 60; break;
        case 'h': unit = 3600; break;
        case 'd': unit = 86400; break;
        default: return std::nullopt;
    }
    constexpr uint64_t max_seconds = uint64_t{100} * 365 * 86400;  // far beyond any store's age
    if (n > max_seconds / unit) return std::nullopt;
    return std::chrono::seconds(static_cast<int64_t>(n * unit));
}

int prune(const Invocation& inv) {
    const auto text = inv.args.value("--older-than");
    if (!text) throw UsageError("missing --older-than AGE.");
    const auto age = parse_age(*text);
    if (!age) throw UsageError("--older-than: expected a number and a unit (s, m, h or d), e.g. 30d; not '" + *text + "'.");
    auto store = open_store(inv);
    if (!store) return exit_failure;
    auto pruned = store->prune(StoreClock::now() - *age);
    if (!pruned) {
        inv.err << "agenthost: error: " << pruned.error().to_string() << '\n';
        return exit_failure;
    }
    if (inv.args.has("--json")) {
        inv.out << json::serialize(json::object{{"pruned", pruned.value()}}) << '\n';
    } else {
        inv.out << "pruned " << pruned.value() << (pruned.value() == 1 ? " run" : " runs") << '\n';
    }
    return exit_ok;
}

}  // namespace

std::vector<Command> runs_commands() {
    const OptionSpec json_option{"--json", "", "print JSON instead of text"};
    return {
        Command{{"runs", "list"}, "", "list the runs a run store recorded, newest first",
                {store_option,
                 {"--status", "STATUS", "only runs with this status: running, waiting, succeeded, failed, cancelled"},
                 {"--limit", "N", "at most N runs (default: 100)"},
                 json_option},
                0, 0, &list},
        Command{{"runs", "show"}, "RUN", "show one recorded run: its status, path of steps, state, tokens and cost",
                {store_option, json_option}, 1, 1, &show},
        Command{{"runs", "prune"}, "", "remove finished runs last updated longer ago than AGE",
                {store_option, {"--older-than", "AGE", "a number and a unit: s, m, h or d (e.g. 30d)"}, json_option},
                0, 0, &prune},
    };
}

}  // namespace agenthost::cli
