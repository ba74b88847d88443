// logging.cpp: the Boost.Log sink behind Logging and the record source behind Logger.
#include <agenthost/host/logging.hpp>
#include <agenthost/host/secret_store.hpp>

#include <boost/core/null_deleter.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/log/attributes/attribute_set.hpp>
#include <boost/log/attributes/constant.hpp>
#include <boost/log/attributes/value_extraction.hpp>
#include <boost/log/core/core.hpp>
#include <boost/log/core/record.hpp>
#include <boost/log/sinks/sync_frontend.hpp>
#include <boost/log/sinks/text_ostream_backend.hpp>
#include <boost/log/sources/record_ostream.hpp>
#include <boost/log/utility/formatting_ostream.hpp>
#include <boost/smart_ptr/make_shared_object.hpp>
#include <boost/smart_ptr/shared_ptr.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <string>
#include <utility>

namespace agenthost {
namespace {

namespace blog = boost::log;
using Clock = std::chrono::system_clock;

// Attribute names. Only this file reads or writes them.
constexpr const char* k_severity = "Severity";
constexpr const char* k_timestamp = "TimeStamp";
constexpr const char* k_run_id = "RunId";
constexpr const char* k_agent = "Agent";
constexpr const char* k_step = "Step";
constexpr const char* k_message = "Message";

// 2026-11-21T06:30:00.123Z: UTC with milliseconds, so lines from several
// hosts sort and compare without knowing their time zones.
std::string format_timestamp(Clock::time_point tp) {
    using namespace std::chrono;
    const auto ms = floor<milliseconds>(tp);
    const auto day = floor<days>(ms);
    const year_month_day ymd{day};
    const hh_mm_ss hms{ms - day};
    std::array<char, 32> buf{};
    std::snprintf(buf.data(), buf.size(), "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                  static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                  static_cast<int>(hms.seconds().count()), static_cast<int>(hms.subseconds().count()));
    return buf.data();
}

// The length of the valid UTF-8 sequence at the start of `s`, or 0 when it is
// not valid (overlong forms, surrogates and code points past U+10FFFF included).
std::size_t utf8_sequence_length(std::string_view s) noexcept {
    const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
    const unsigned char b0 = byte(0);
    if (b0 < 0x80) return 1;
    std::size_t n = 0;
    unsigned char lo = 0x80;
    unsigned char hi = 0xBF;
    if (b0 >= 0xC2 && b0 <= 0xDF) {
        n = 2;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
        n = 3;
        if (b0 == 0xE0) lo = 0xA0;  // overlong
        if (b0 == 0xED) hi = 0x9F;  // surrogates
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
        n = 4;
        if (b0 == 0xF0) lo = 0x90;  // overlong
        if (b0 == 0xF4) hi = 0x8F;  // past U+10FFFF
    } else {
        return 0;
    }
    if (s.size() < n) return 0;
    if (byte(1) < lo || byte(1) > hi) return 0;
    for (std::size_t i = 2; i < n; ++i) {
        if (byte(i) < 0x80 || byte(i) > 0xBF) return 0;
    }
    return n;
}

// Plugins hand us arbitrary bytes. JSON must be valid UTF-8, so each invalid
// byte becomes U+FFFD rather than making the whole line unparseable.
std::string valid_utf8(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    while (!s.empty()) {
        const std::size_t n = utf8_sequence_length(s);
        if (n == 0) {
            out += "\xEF\xBF\xBD";
            s.remove_prefix(1);
        } else {
            out.append(s.data(), n);
            s.remove_prefix(n);
        }
    }
    return out;
}

// Text lines are one record each: a control character in a message (a
// newline, an ANSI escape) must not be able to forge or hide another line.
void write_escaped(blog::formatting_ostream& out, std::string_view s) {
    for (const char c : s) {
        const auto u = static_cast<unsigned char>(c);
        if (c == '\n') {
            out << "\\n";
        } else if (c == '\r') {
            out << "\\r";
        } else if (c == '\t') {
            out << '\t';
        } else if (u < 0x20 || u == 0x7F) {
            std::array<char, 8> buf{};
            std::snprintf(buf.data(), buf.size(), "\\x%02x", static_cast<unsigned>(u));
            out << buf.data();
        } else {
            out << c;
        }
    }
}

struct RecordFields {
    std::string ts;
    std::string_view level;
    std::string run_id;
    std::string agent;
    std::string step;
    std::string msg;
};

RecordFields fields_of(const blog::record_view& rec) {
    const auto& values = rec.attribute_values();
    RecordFields f;
    const auto ts = blog::extract<Clock::time_point>(k_timestamp, values);
    f.ts = format_timestamp(ts ? *ts : Clock::now());
    const auto level = blog::extract<LogLevel>(k_severity, values);
    f.level = to_string(level ? *level : LogLevel::info);
    if (auto v = blog::extract<std::string>(k_run_id, values)) f.run_id = *v;
    if (auto v = blog::extract<std::string>(k_agent, values)) f.agent = *v;
    if (auto v = blog::extract<std::string>(k_step, values)) f.step = *v;
    if (auto v = blog::extract<std::string>(k_message, values)) f.msg = *v;
    return f;
}

void format_text(const blog::record_view& rec, blog::formatting_ostream& out) {
    const RecordFields f = fields_of(rec);
    out << f.ts << ' ' << f.level;
    // Pad to the widest level name so that the messages line up.
    for (std::size_t i = f.level.size(); i < 5; ++i) out << ' ';
    out << ' ';
    const std::pair<std::string_view, std::string_view> tags[] = {
        {"run", f.run_id}, {"agent", f.agent}, {"step", f.step}};
    bool open = false;
    for (const auto& [key, value] : tags) {
        if (value.empty()) continue;
        out << (open ? " " : "[") << key << '=';
        write_escaped(out, value);
        open = true;
    }
    if (open) out << "] ";
    write_escaped(out, f.msg);
}

void format_json(const blog::record_view& rec, blog::formatting_ostream& out) {
    const RecordFields f = fields_of(rec);
    // Every key is always present, so consumers can rely on one shape.
    boost::json::object o;
    o["ts"] = f.ts;
    o["level"] = f.level;
    o["run_id"] = valid_utf8(f.run_id);
    o["agent"] = valid_utf8(f.agent);
    o["step"] = valid_utf8(f.step);
    o["msg"] = valid_utf8(f.msg);
    out << boost::json::serialize(o);
}

}  // namespace

std::string_view to_string(LogLevel level) noexcept {
    switch (level) {
        case LogLevel::trace: return "trace";
        case LogLevel::debug: return "debug";
        case LogLevel::info: return "info";
        case LogLevel::warning: return "warn";
        case LogLevel::error: return "error";
    }
    return "info";
}

std::optional<LogLevel> parse_log_level(std::string_view text) noexcept {
    if (text == "trace") return LogLevel::trace;
    if (text == "debug") return LogLevel::debug;
    if (text == "info") return LogLevel::info;
    if (text == "warn" || text == "warning") return LogLevel::warning;
    if (text == "error") return LogLevel::error;
    return std::nullopt;
}

std::optional<LogFormat> parse_log_format(std::string_view text) noexcept {
    if (text == "text") return LogFormat::text;
    if (text == "json") return LogFormat::json;
    return std::nullopt;
}

// ------------------------------------------------------------------ Logging

struct Logging::Sink {
    using Frontend = blog::sinks::synchronous_sink<blog::sinks::text_ostream_backend>;
    blog::core_ptr core = blog::core::get();
    boost::shared_ptr<Frontend> frontend;
};

Logging::Logging(LoggingOptions options) : sink_(std::make_unique<Sink>()) {
    auto backend = boost::make_shared<blog::sinks::text_ostream_backend>();
    std::ostream& stream = options.stream != nullptr ? *options.stream : std::clog;
    backend->add_stream(boost::shared_ptr<std::ostream>(&stream, boost::null_deleter()));
    // Flushed per record: a crash must not swallow the lines that explain it.
    backend->auto_flush(true);
    backend->set_auto_newline_mode(blog::sinks::auto_newline_mode::always_insert);

    sink_->frontend = boost::make_shared<Sink::Frontend>(std::move(backend));
    const LogLevel min_level = options.min_level;
    sink_->frontend->set_filter([min_level](const blog::attribute_value_set& values) {
        const auto level = blog::extract<LogLevel>(k_severity, values);
        return level && *level >= min_level;
    });
    if (options.format == LogFormat::json) {
        sink_->frontend->set_formatter(&format_json);
    } else {
        sink_->frontend->set_formatter(&format_text);
    }
    sink_->core->add_sink(sink_->frontend);
}

Logging::~Logging() {
    sink_->core->remove_sink(sink_->frontend);
    sink_->frontend->flush();
}

// ------------------------------------------------------------------- Logger

struct Logger::Source {
    // Held so that the core outlives every Logger, whatever the order of
    // static destruction.
    blog::core_ptr core = blog::core::get();
    std::shared_ptr<const SecretStore> secrets;
};

Logger::Logger() : source_(std::make_unique<Source>()) {}
Logger::Logger(std::shared_ptr<const SecretStore> secrets) : source_(std::make_unique<Source>()) {
    source_->secrets = std::move(secrets);
}
Logger::~Logger() = default;
Logger::Logger(Logger&&) noexcept = default;
Logger& Logger::operator=(Logger&&) noexcept = default;

void Logger::log(LogLevel level, std::string_view message, const LogTags& tags) const noexcept {
    if (!source_) return;  // moved from
    try {
        blog::attribute_set attrs;
        attrs.insert(k_severity, blog::attributes::constant<LogLevel>(level));
        attrs.insert(k_timestamp, blog::attributes::constant<Clock::time_point>(Clock::now()));
        attrs.insert(k_run_id, blog::attributes::constant<std::string>(std::string(tags.run_id)));
        attrs.insert(k_agent, blog::attributes::constant<std::string>(std::string(tags.agent)));
        attrs.insert(k_step, blog::attributes::constant<std::string>(std::string(tags.step)));
        blog::record rec = source_->core->open_record(attrs);
        if (!rec) return;  // no sink wants this level
        // Redacted here, before any sink or format sees it: what is never
        // written cannot leak through a sink added later.
        std::string redacted;
        const SecretStore* secrets = source_->secrets.get();
        if (secrets != nullptr && secrets->redacts()) {
            redacted = secrets->redact(message);
            message = redacted;
        }
        {
            blog::record_ostream out(rec);
            out.write(message.data(), static_cast<std::streamsize>(message.size()));
            out.flush();
        }
        source_->core->push_record(std::move(rec));
    } catch (...) {
        // Dropped: see the header. There is nowhere left to report it.
    }
}

}  // namespace agenthost
