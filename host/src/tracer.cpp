// tracer.cpp: span ids and the JSON-lines span writer.
#include <agenthost/host/tracer.hpp>

#include <agenthost/host/secret_store.hpp>

#include <boost/json/serialize.hpp>

#include <stdexcept>

namespace agenthost {

namespace {

int64_t unix_nanos(std::chrono::system_clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

}  // namespace

boost::json::object Span::to_json() const {
    boost::json::object o{{"trace_id", trace_id},
                          {"span_id", span_id},
                          {"parent_span_id", parent_id},
                          {"name", name},
                          {"kind", kind},
                          {"start_unix_nano", unix_nanos(start)},
                          {"end_unix_nano", unix_nanos(end)},
                          {"duration_us", std::chrono::duration_cast<std::chrono::microseconds>(end - start).count()},
                          {"status", ok ? "ok" : "error"}};
    o["attributes"] = attributes;
    return o;
}

IdSource::IdSource() : random_(std::random_device{}()) {}

std::string IdSource::hex(std::size_t digits) {
    static constexpr char alphabet[] = "0123456789abcdef";
    std::string id(digits, '0');
    std::lock_guard lock(mutex_);
    do {
        for (std::size_t i = 0; i < digits; i += 16) {
            uint64_t bits = random_();
            for (std::size_t j = i; j < digits && j < i + 16; ++j, bits >>= 4) id[j] = alphabet[bits & 0xf];
        }
    } while (id.find_first_not_of('0') == std::string::npos);  // all-zero ids are invalid in W3C trace context
    return id;
}

std::string IdSource::trace_id() { return hex(32); }
std::string IdSource::span_id() { return hex(16); }

Tracer::Tracer(const std::filesystem::path& file, std::shared_ptr<const SecretStore> secrets)
    : out_(file, std::ios::app), secrets_(std::move(secrets)) {
    if (!out_) throw std::runtime_error("cannot open trace file " + file.string() + " for writing");
}

void Tracer::emit(const Span& span) {
    boost::json::value json = span.to_json();
    // Strings are redacted before serialising: a value with a quote or a
    // backslash would no longer match once JSON has escaped it.
    if (secrets_ && secrets_->redacts()) secrets_->redact_in_place(json);
    const std::string line = boost::json::serialize(json);
    std::lock_guard lock(mutex_);
    out_ << line << '\n';
    out_.flush();
}

}  // namespace agenthost
