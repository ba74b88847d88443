// secret_store.hpp: the host's secret values by name, and the redactor that
// keeps them out of every log line, trace line and run result the host writes.
//
// Names are host-wide, like environment variables: each workflow the host
// loads adds its "secrets"; a later workflow that gives a name another value
// replaces it. Plugins read values through ah.secrets/1 (host_services.cpp);
// Logger, Tracer and the engine redact against whatever the store holds at the
// moment they write.
#pragma once

#include <agenthost/host/config_issue.hpp>
#include <agenthost/host/config_loader.hpp>

#include <boost/json/value.hpp>

#include <atomic>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace agenthost {

struct SecretValue {
    std::string name;
    std::string value;
};

//! Thread-safe. Readers (values, redaction) never wait for each other: they
//! share an immutable snapshot that `put` swaps atomically.
class SecretStore {
public:
    //! Values shorter than this are served to plugins but not redacted: a
    //! two-letter value would blank out half of every line.
    static constexpr std::size_t min_redacted_size = 4;

    SecretStore();
    ~SecretStore();
    SecretStore(const SecretStore&) = delete;
    SecretStore& operator=(const SecretStore&) = delete;

    //! Adds each secret, replacing a value held under the same name. Returns
    //! the names whose value changed (a name seen before with another value).
    std::vector<std::string> put(const std::vector<SecretValue>& secrets);

    //! Whether `name` is known (with a non-empty value).
    bool contains(std::string_view name) const;
    std::optional<std::string> value(std::string_view name) const;

    //! True once any value long enough to redact is held: one atomic load, so
    //! writers check it before paying for redaction.
    bool redacts() const noexcept { return redacting_.load(std::memory_order_acquire); }

    //! `text` with every occurrence of every held value (of at least
    //! min_redacted_size bytes) replaced by "[REDACTED:<name>]", longest value
    //! first. Where occurrences overlap, the whole stretch they cover becomes
    //! one marker, named after the longest value in it (the first loaded on a
    //! tie), so that no byte of any value survives.
    std::string redact(std::string_view text) const;
    //! redact() in place; leaves `text` alone (no copy) when nothing matches.
    void redact_in_place(std::string& text) const;
    //! Every string and every object key in `value`, recursively.
    void redact_in_place(boost::json::value& value) const;

private:
    struct Snapshot;
    std::shared_ptr<const Snapshot> snapshot() const;

    std::mutex write_mutex_;  // serialises put(); readers never take it
    std::atomic<std::shared_ptr<const Snapshot>> snapshot_;
    std::atomic<bool> redacting_{false};
};

//! The values of a workflow's "secrets", read from the environment and from
//! files now (at load), or an issue for each secret that has none: a variable
//! not set or empty, a file that cannot be read. A file's value loses one
//! trailing newline ("\n" or "\r\n"), as `echo secret > file` adds one.
using SecretValuesResult = std::variant<std::vector<SecretValue>, ConfigIssues>;
SecretValuesResult read_secret_values(const WorkflowConfig& config, const EnvLookup& env = process_environment());

}  // namespace agenthost
