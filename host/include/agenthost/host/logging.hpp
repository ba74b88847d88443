// logging.hpp: the host's log output. `Logging` is the one-per-process RAII set-up
// (a Boost.Log sink with a level filter and a text or JSON-lines format); `Logger`
// is what host code writes through. Every record carries the run id, agent and step,
// so a run can be followed through the log by its correlation id.
//
// Boost.Log stays behind this header: nothing outside host/src includes it.
#pragma once

#include <agenthost/sdk.hpp>  // LogLevel: the plugin SDK's levels are the host's levels

#include <iosfwd>
#include <memory>
#include <optional>
#include <string_view>

namespace agenthost {

class SecretStore;

//! Tags that tie a record to a run. Any may be empty; borrowed for the call.
struct LogTags {
    std::string_view run_id;  //!< the run's W3C trace id
    std::string_view agent;   //!< the agent's name in config
    std::string_view step;    //!< the workflow step
};

enum class LogFormat {
    text,  //!< `2026-11-21T06:30:00.123Z info  [run=… agent=… step=…] message`
    json,  //!< one JSON object per line: ts, level, run_id, agent, step, msg
};

struct LoggingOptions {
    LogLevel min_level = LogLevel::info;
    LogFormat format = LogFormat::text;
    //! Where records go; must outlive the Logging. nullptr means std::clog.
    std::ostream* stream = nullptr;
};

//! "trace", "debug", "info", "warn", "error": the names both formats print.
std::string_view to_string(LogLevel level) noexcept;
//! Accepts the names above, and "warning".
std::optional<LogLevel> parse_log_level(std::string_view text) noexcept;
std::optional<LogFormat> parse_log_format(std::string_view text) noexcept;

//! Installs a sink into Boost.Log's core on construction and removes it on
//! destruction. Records logged while no Logging is alive are not written by us.
class Logging {
public:
    explicit Logging(LoggingOptions options = {});
    ~Logging();
    Logging(const Logging&) = delete;
    Logging& operator=(const Logging&) = delete;

private:
    struct Sink;
    std::unique_ptr<Sink> sink_;
};

//! Writes records into Boost.Log's core. Thread-safe; cheap to share by reference.
class Logger {
public:
    Logger();
    //! Every message is redacted against what `secrets` holds when it is
    //! written (see SecretStore::redact), plugins' ah.log/1 messages included.
    explicit Logger(std::shared_ptr<const SecretStore> secrets);
    ~Logger();
    Logger(Logger&&) noexcept;
    Logger& operator=(Logger&&) noexcept;
    Logger(const Logger&) = delete;
    Logger& operator=(const Logger&) = delete;

    //! Never throws: a record that cannot be written is dropped, because a
    //! failure to log must not become a failure of the run being logged.
    void log(LogLevel level, std::string_view message, const LogTags& tags = {}) const noexcept;

private:
    struct Source;
    std::unique_ptr<Source> source_;
};

}  // namespace agenthost
