// llm_retry_after_test.cpp: how long the llm plugin asks the engine to wait
// after a provider's 429 or 5xx: Retry-After as seconds or an HTTP-date,
// retry-after-ms, which wins when both are there, and what does not parse.
#include "llm/retry_after.hpp"

#include <boost/test/unit_test.hpp>

using namespace agenthost::llm;
using namespace std::chrono_literals;

namespace {

// Milliseconds, or -1 for no hint: printable in a failed check.
long long ms(std::optional<Milliseconds> wait) { return wait ? wait->count() : -1; }

// 2015-10-21 07:28:00 UTC.
const std::chrono::system_clock::time_point now{std::chrono::seconds(1445412480)};

}  // namespace

BOOST_AUTO_TEST_SUITE(llm_retry_after)

BOOST_AUTO_TEST_CASE(delay_seconds) {
    BOOST_TEST(ms(parse_retry_after("120", now)) == 120000);
    BOOST_TEST(ms(parse_retry_after(" 0 ", now)) == 0);
    BOOST_TEST(ms(parse_retry_after("1.5", now)) == 1500);
}

BOOST_AUTO_TEST_CASE(http_date_relative_to_now) {
    BOOST_TEST(ms(parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now)) == 30000);
    BOOST_TEST(ms(parse_retry_after("Thu, 22 Oct 2015 07:28:00 GMT", now)) == 86400000);
    // A date already past means no wait.
    BOOST_TEST(ms(parse_retry_after("Tue, 20 Oct 2015 07:28:00 GMT", now)) == 0);
    // Into a leap day.
    const std::chrono::system_clock::time_point feb28{std::chrono::seconds(1456703940)};  // 2016-02-28 23:59:00
    BOOST_TEST(ms(parse_retry_after("Mon, 29 Feb 2016 00:00:30 GMT", feb28)) == 90000);
    BOOST_TEST(ms(parse_retry_after("Mon, 29 Feb 2016 12:00:00 GMT", feb28)) == 43260000);
}

BOOST_AUTO_TEST_CASE(nonsense_is_no_hint) {
    BOOST_TEST(ms(parse_retry_after("", now)) == -1);
    BOOST_TEST(ms(parse_retry_after("-5", now)) == -1);
    BOOST_TEST(ms(parse_retry_after("soon", now)) == -1);
    BOOST_TEST(ms(parse_retry_after("1e3", now)) == -1);
    BOOST_TEST(ms(parse_retry_after("Wed, 21 Foo 2015 07:28:30 GMT", now)) == -1);
    BOOST_TEST(ms(parse_retry_after("Wed, 21 Oct 2015 07:28:30 PST", now)) == -1);
}

BOOST_AUTO_TEST_CASE(huge_waits_are_capped) {
    BOOST_TEST(ms(parse_retry_after("99999999999999", now)) == max_retry_after.count());
}

BOOST_AUTO_TEST_CASE(retry_after_ms) {
    BOOST_TEST(ms(parse_retry_after_ms("250")) == 250);
    BOOST_TEST(ms(parse_retry_after_ms("20.2")) == 21);  // never shorter than asked
    BOOST_TEST(ms(parse_retry_after_ms("x")) == -1);
}

BOOST_AUTO_TEST_CASE(from_headers_milliseconds_win) {
    BOOST_TEST(ms(retry_after_from({{"retry-after", "1"}, {"retry-after-ms", "250"}}, now)) == 250);
    BOOST_TEST(ms(retry_after_from({{"Retry-After", "2"}}, now)) == 2000);
    BOOST_TEST(ms(retry_after_from({{"retry-after-ms", "junk"}, {"retry-after", "3"}}, now)) == 3000);
    BOOST_TEST(ms(retry_after_from({{"content-type", "application/json"}}, now)) == -1);
}

BOOST_AUTO_TEST_SUITE_END()
