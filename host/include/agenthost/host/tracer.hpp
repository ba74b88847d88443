// tracer.hpp: OpenTelemetry-shaped spans (run → step → attempt), written as
// JSON lines, one span per line, when a trace file is asked for.
#pragma once

#include <boost/json/object.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <random>
#include <string>

namespace agenthost {

class SecretStore;

struct Span {
    std::string trace_id;   //!< the run's id
    std::string span_id;    //!< 16 hex digits
    std::string parent_id;  //!< "" for the run's root span
    std::string name;       //!< "run support", "step triage", "attempt triage#2"
    std::string kind;       //!< run, step, attempt
    std::chrono::system_clock::time_point start;
    std::chrono::system_clock::time_point end;
    bool ok = true;
    boost::json::object attributes;  //!< agent, plugin, attempt, fallback_used, error, ...

    boost::json::object to_json() const;
};

//! Makes W3C trace and span ids. Thread-safe.
class IdSource {
public:
    IdSource();
    std::string trace_id();  //!< 32 lowercase hex digits, never all zero
    std::string span_id();   //!< 16 lowercase hex digits, never all zero

private:
    std::string hex(std::size_t digits);
    std::mutex mutex_;
    std::mt19937_64 random_;
};

class Tracer {
public:
    //! Appends to `file`; throws std::runtime_error when it cannot be opened.
    //! Each span is redacted against what `secrets` holds when it is written:
    //! its name, every attribute key and string value (see SecretStore::redact).
    explicit Tracer(const std::filesystem::path& file, std::shared_ptr<const SecretStore> secrets = nullptr);
    void emit(const Span& span);

private:
    std::mutex mutex_;
    std::ofstream out_;
    std::shared_ptr<const SecretStore> secrets_;
};

}  // namespace agenthost
