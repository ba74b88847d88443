// run_store.cpp: the parts of the run store that do not depend on where runs
// are kept: statuses, input checks, and the blocking forms of append.
#include <agenthost/host/run_store.hpp>

#include "run_store_internal.hpp"

#include <cmath>
#include <future>
#include <limits>

namespace agenthost {

namespace {

constexpr std::size_t max_id_length = 128;
constexpr std::size_t max_kind_length = 64;
constexpr std::size_t max_step_length = 256;

bool is_hex(std::string_view text) {
    for (char c : text)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    return true;
}

Error bad_input(std::string_view run_id, std::string message, std::string hint = {}) {
    return Error{"run " + std::string(run_id), std::move(message), std::move(hint), {}};
}

Result<std::monostate> check_run_id(std::string_view id) {
    if (id.empty()) return Error{"run store", "a run id is empty", "pass the run's trace id", {}};
    if (id.size() > max_id_length)
        return Error{"run store", "a run id is " + std::to_string(id.size()) + " characters long; at most " +
                                      std::to_string(max_id_length) + " are allowed", {}, {}};
    for (char c : id)
        if (c <= ' ' || c > '~')
            return Error{"run store", "run id \"" + std::string(id) + "\" has a space or a character outside printable ASCII", {}, {}};
    return std::monostate{};
}

}  // namespace

std::string_view to_string(RunStatus status) noexcept {
    switch (status) {
        case RunStatus::running: return "running";
        case RunStatus::waiting: return "waiting";
        case RunStatus::succeeded: return "succeeded";
        case RunStatus::failed: return "failed";
        case RunStatus::cancelled: return "cancelled";
    }
    return "running";
}

std::optional<RunStatus> parse_run_status(std::string_view text) noexcept {
    for (RunStatus s : {RunStatus::running, RunStatus::waiting, RunStatus::succeeded, RunStatus::failed, RunStatus::cancelled})
        if (to_string(s) == text) return s;
    return std::nullopt;
}

bool is_finished(RunStatus status) noexcept {
    return status == RunStatus::succeeded || status == RunStatus::failed || status == RunStatus::cancelled;
}

void RunStore::create_run_async(NewRun run, std::function<void(Result<std::monostate>)> done) {
    done(create_run(run));
}

Result<uint64_t> RunStore::append(RunUpdate update) {
    std::promise<Result<uint64_t>> promise;
    auto outcome = promise.get_future();
    append_async(std::move(update), [&promise](Result<uint64_t> result) { promise.set_value(std::move(result)); });
    return outcome.get();
}

Result<std::monostate> RunStore::set_status(std::string run_id, RunStatus status, std::optional<boost::json::value> error) {
    RunUpdate update;
    update.run_id = std::move(run_id);
    update.status = status;
    update.error = std::move(error);
    auto appended = append(std::move(update));
    if (!appended) return appended.error();
    return std::monostate{};
}

namespace run_store_detail {

Result<std::monostate> check_new_run(const NewRun& run) {
    if (auto id = check_run_id(run.id); !id) return id;
    if (run.workflow.empty()) return bad_input(run.id, "the workflow name is empty");
    if (!run.config_sha256.empty() && (run.config_sha256.size() != 64 || !is_hex(run.config_sha256)))
        return bad_input(run.id, "config_sha256 \"" + run.config_sha256 + "\" is not 64 lower-case hex digits",
                         "pass the SHA-256 of the config, or leave it empty when there is no config file");
    if (!run.config_text.empty() && run.config_sha256.empty())
        return bad_input(run.id, "a config text is given without its config_sha256");
    for (const auto& pin : run.plugins)
        if (!pin.value().is_string())
            return bad_input(run.id, "plugin \"" + std::string(pin.key()) + "\" is pinned to a non-string",
                             "pin each plugin to its version, e.g. \"1.4.0\"");
    return std::monostate{};
}

Result<std::monostate> check_update(const RunUpdate& update) {
    if (auto id = check_run_id(update.run_id); !id) return id;
    for (std::size_t i = 0; i < update.events.size(); ++i) {
        const NewEvent& event = update.events[i];
        const std::string where = "event " + std::to_string(i);
        if (event.kind.empty() || event.kind.size() > max_kind_length)
            return bad_input(update.run_id, where + ": its kind must be 1 to " + std::to_string(max_kind_length) + " characters");
        for (char c : event.kind)
            if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
                return bad_input(update.run_id, where + ": kind \"" + event.kind + "\" may use only a-z, 0-9 and _",
                                 "e.g. step_started, attempt, output");
        if (event.step.size() > max_step_length)
            return bad_input(update.run_id, where + ": its step name is longer than " + std::to_string(max_step_length) + " characters");
    }
    if (update.cost_usd && (!std::isfinite(*update.cost_usd) || *update.cost_usd < 0.0))
        return bad_input(update.run_id, "the cost spent must be a finite, non-negative number");
    if (update.error && !update.error->is_object() && !update.error->is_null())
        return bad_input(update.run_id, "a run's error must be a JSON object (or null to clear it)");
    for (const auto& [key, value] : update.state_set)
        if (key.empty()) return bad_input(update.run_id, "a state key to set is empty");
    if (update.tokens && *update.tokens > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
        return bad_input(update.run_id, "the token count is out of range");
    return std::monostate{};
}

Error unknown_run(std::string_view run_id) {
    return Error{"run " + std::string(run_id), "no such run in the store", "check the run id; a pruned run is gone for good", {}};
}

Error changed_run(std::string_view run_id, uint64_t expected, uint64_t actual) {
    return Error{"run " + std::string(run_id),
                 "the run changed meanwhile (its newest event is " + std::to_string(actual) + ", expected " +
                     std::to_string(expected) + "): another host or person acted on it first",
                 "look at it again with 'agenthost runs show " + std::string(run_id) + "'", {}};
}

Error unknown_config(std::string_view sha256) {
    return Error{"config " + std::string(sha256), "no config with this SHA-256 is stored",
                 "the run was recorded without its config and cannot be resumed", {}};
}

Error finished_run(std::string_view run_id, RunStatus status) {
    return Error{"run " + std::string(run_id),
                 "the run has finished (" + std::string(to_string(status)) + "); a finished run takes no more appends", {}, {}};
}

}  // namespace run_store_detail

}  // namespace agenthost
