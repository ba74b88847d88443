// logging_test.cpp: the host's log output as its consumers read it: JSON lines
// that always parse (whatever bytes a message holds), text lines that one
// message cannot split, the level filter, and the sink's RAII lifetime.
#include <agenthost/host/logging.hpp>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <sstream>
#include <string>
#include <vector>

namespace {

namespace json = boost::json;
using agenthost::LogFormat;
using agenthost::Logger;
using agenthost::Logging;
using agenthost::LogLevel;
using agenthost::LogTags;

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

std::vector<json::object> json_lines(const std::string& text) {
    std::vector<json::object> records;
    for (const std::string& line : lines_of(text)) {
        json::error_code ec;
        json::value v = json::parse(line, ec);
        BOOST_REQUIRE_MESSAGE(!ec, "not JSON: " << line);
        records.push_back(v.as_object());
    }
    return records;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(logging)

BOOST_AUTO_TEST_CASE(json_records_carry_the_tags_and_escape_the_message) {
    std::ostringstream out;
    const Logging logging({LogLevel::trace, LogFormat::json, &out});
    const Logger logger;
    const std::string message = "quote \" backslash \\ newline \n tab \t bell \x07 unicode \xC3\xA9";
    logger.log(LogLevel::warning, message, LogTags{"4bf92f3577b34da6a3ce929d0e0e4736", "triage", "classify"});
    logger.log(LogLevel::info, "no tags");

    const auto records = json_lines(out.str());
    BOOST_REQUIRE_EQUAL(records.size(), 2u);
    const json::object& r = records[0];
    BOOST_TEST(r.at("level").as_string() == "warn");
    BOOST_TEST(r.at("run_id").as_string() == "4bf92f3577b34da6a3ce929d0e0e4736");
    BOOST_TEST(r.at("agent").as_string() == "triage");
    BOOST_TEST(r.at("step").as_string() == "classify");
    BOOST_TEST(r.at("msg").as_string() == message);  // round-trips exactly

    // 2026-11-21T06:30:00.123Z
    const std::string ts(r.at("ts").as_string());
    BOOST_REQUIRE_EQUAL(ts.size(), 24u);
    BOOST_TEST(ts[4] == '-');
    BOOST_TEST(ts[10] == 'T');
    BOOST_TEST(ts[19] == '.');
    BOOST_TEST(ts[23] == 'Z');

    // Every key is present even when its tag is empty: one shape for consumers.
    const json::object& untagged = records[1];
    for (const char* key : {"ts", "level", "run_id", "agent", "step", "msg"}) BOOST_TEST(untagged.contains(key), key);
    BOOST_TEST(untagged.at("run_id").as_string().empty());
    BOOST_TEST(untagged.at("msg").as_string() == "no tags");
}

BOOST_AUTO_TEST_CASE(invalid_utf8_is_replaced_so_the_line_still_parses) {
    std::ostringstream out;
    const Logging logging({LogLevel::trace, LogFormat::json, &out});
    const Logger logger;
    // A lone continuation byte, a truncated sequence, an overlong '/', a surrogate, and a NUL.
    const std::string bytes = std::string("a\x80" "b\xE2\x82" "c\xC0\xAF" "d\xED\xA0\x80" "e") + '\0' + "f";
    logger.log(LogLevel::error, bytes, LogTags{"", "bad\xFFname", ""});

    const auto records = json_lines(out.str());
    BOOST_REQUIRE_EQUAL(records.size(), 1u);
    const std::string msg(records[0].at("msg").as_string());
    BOOST_TEST(msg.starts_with("a\xEF\xBF\xBD" "b"));
    BOOST_TEST(msg.find("\xED\xA0\x80") == std::string::npos);
    BOOST_TEST(msg.ends_with(std::string("e") + '\0' + "f"));
    BOOST_TEST(records[0].at("agent").as_string() == "bad\xEF\xBF\xBDname");
}

BOOST_AUTO_TEST_CASE(text_lines_have_the_documented_shape) {
    std::ostringstream out;
    const Logging logging({LogLevel::trace, LogFormat::text, &out});
    const Logger logger;
    logger.log(LogLevel::info, "first line\nforged 2026-01-01T00:00:00.000Z error  line", LogTags{"r1", "a1", "s1"});
    logger.log(LogLevel::error, "bare");

    const auto lines = lines_of(out.str());
    BOOST_REQUIRE_EQUAL(lines.size(), 2u);  // the embedded newline did not start a record
    BOOST_TEST(lines[0].substr(24) == " info  [run=r1 agent=a1 step=s1] first line\\nforged 2026-01-01T00:00:00.000Z error  line");
    BOOST_TEST(lines[0][23] == 'Z');
    BOOST_TEST(lines[1].substr(24) == " error bare");
}

BOOST_AUTO_TEST_CASE(records_below_the_minimum_level_are_dropped) {
    std::ostringstream out;
    const Logging logging({LogLevel::warning, LogFormat::json, &out});
    const Logger logger;
    logger.log(LogLevel::trace, "trace");
    logger.log(LogLevel::debug, "debug");
    logger.log(LogLevel::info, "info");
    logger.log(LogLevel::warning, "warning");
    logger.log(LogLevel::error, "error");

    const auto records = json_lines(out.str());
    BOOST_REQUIRE_EQUAL(records.size(), 2u);
    BOOST_TEST(records[0].at("msg").as_string() == "warning");
    BOOST_TEST(records[1].at("msg").as_string() == "error");
}

BOOST_AUTO_TEST_CASE(the_sink_lives_exactly_as_long_as_its_logging) {
    std::ostringstream outer_out;
    std::ostringstream inner_out;
    const Logger logger;
    const Logging outer({LogLevel::info, LogFormat::json, &outer_out});
    {
        const Logging inner({LogLevel::info, LogFormat::json, &inner_out});
        logger.log(LogLevel::info, "both");
    }
    logger.log(LogLevel::info, "outer only");

    BOOST_TEST(json_lines(inner_out.str()).size() == 1u);
    const auto outer_records = json_lines(outer_out.str());
    BOOST_REQUIRE_EQUAL(outer_records.size(), 2u);
    BOOST_TEST(outer_records[1].at("msg").as_string() == "outer only");
}

BOOST_AUTO_TEST_CASE(level_and_format_names_parse) {
    BOOST_TEST((agenthost::parse_log_level("warn") == LogLevel::warning));
    BOOST_TEST((agenthost::parse_log_level("warning") == LogLevel::warning));
    BOOST_TEST((agenthost::parse_log_level("trace") == LogLevel::trace));
    BOOST_TEST(!agenthost::parse_log_level("verbose").has_value());
    BOOST_TEST((agenthost::parse_log_format("json") == LogFormat::json));
    BOOST_TEST(!agenthost::parse_log_format("xml").has_value());
    BOOST_TEST(agenthost::to_string(LogLevel::error) == "error");
}

BOOST_AUTO_TEST_SUITE_END()
