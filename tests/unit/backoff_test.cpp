// backoff_test.cpp: the wait before a retry: exponential growth from
// initial_backoff, the max_backoff cap, ± jitter, and a provider's Retry-After as a floor.
#include <agenthost/host/backoff.hpp>

#include <boost/test/unit_test.hpp>

#include <cmath>
#include <optional>

using namespace agenthost;
using namespace std::chrono_literals;

namespace {

RetryPolicy policy(Milliseconds initial, Milliseconds max, double multiplier, double jitter) {
    RetryPolicy p;
    p.max_attempts = 10;
    p.initial_backoff = initial;
    p.max_backoff = max;
    p.multiplier = multiplier;
    p.jitter = jitter;
    return p;
}

// unit_random 0.5 moves a wait by exactly nothing.
constexpr double no_jitter = 0.5;
// The largest unit_random can be: just under 1.
const double almost_one = std::nextafter(1.0, 0.0);

}  // namespace

BOOST_AUTO_TEST_SUITE(backoff)

BOOST_AUTO_TEST_CASE(grows_exponentially_up_to_the_cap) {
    struct Case {
        RetryPolicy policy;
        uint32_t next_attempt;
        long long expected_ms;
    };
    const RetryPolicy doubling = policy(100ms, 5000ms, 2.0, 0.2);
    const RetryPolicy tripling = policy(50ms, 10000ms, 3.0, 0.0);
    const RetryPolicy flat = policy(250ms, 5000ms, 1.0, 0.2);
    const Case cases[] = {
        {doubling, 2, 100},  // the first retry waits initial_backoff
        {doubling, 3, 200},
        {doubling, 4, 400},
        {doubling, 5, 800},
        {doubling, 6, 1600},
        {doubling, 7, 3200},
        {doubling, 8, 5000},  // 6400, capped
        {doubling, 9, 5000},
        {doubling, 60, 5000},  // 2^58 × 100 does not overflow past the cap
        {tripling, 2, 50},
        {tripling, 3, 150},
        {tripling, 4, 450},
        {tripling, 7, 10000},  // 12150, capped
        {flat, 2, 250},
        {flat, 9, 250},
        // An attempt number below the first retry's is treated as the first retry.
        {doubling, 1, 100},
        {doubling, 0, 100},
    };
    for (const Case& c : cases) {
        BOOST_TEST_CONTEXT("initial " << c.policy.initial_backoff.count() << " ms × " << c.policy.multiplier
                                      << ", cap " << c.policy.max_backoff.count() << " ms, attempt "
                                      << c.next_attempt) {
            BOOST_TEST(retry_delay(c.policy, c.next_attempt, no_jitter).count() == c.expected_ms);
        }
    }
}

BOOST_AUTO_TEST_CASE(jitter_moves_the_wait_by_at_most_its_fraction) {
    struct Case {
        RetryPolicy policy;
        uint32_t next_attempt;
        double unit_random;
        long long expected_ms;
    };
    const RetryPolicy p20 = policy(100ms, 5000ms, 2.0, 0.2);
    const RetryPolicy p50 = policy(1000ms, 5000ms, 2.0, 0.5);
    const RetryPolicy none = policy(100ms, 5000ms, 2.0, 0.0);
    const Case cases[] = {
        {p20, 2, 0.0, 80},           // −20 %
        {p20, 2, almost_one, 120},   // +20 % (just under)
        {p20, 2, 0.25, 90},
        {p20, 2, 0.75, 110},
        {p20, 4, 0.0, 320},
        {p20, 4, almost_one, 480},
        // Jitter applies to the capped wait, so that retries at the cap spread out too.
        {p20, 12, 0.0, 4000},
        {p20, 12, almost_one, 6000},
        {p50, 2, 0.0, 500},
        {p50, 2, almost_one, 1500},
        {none, 3, 0.0, 200},
        {none, 3, almost_one, 200},
    };
    for (const Case& c : cases) {
        BOOST_TEST_CONTEXT("jitter " << c.policy.jitter << ", attempt " << c.next_attempt << ", unit_random "
                                     << c.unit_random) {
            BOOST_TEST(retry_delay(c.policy, c.next_attempt, c.unit_random).count() == c.expected_ms);
        }
    }
}

BOOST_AUTO_TEST_CASE(jitter_stays_within_bounds_and_grows_with_the_random_number) {
    const RetryPolicy p = policy(100ms, 5000ms, 2.0, 0.2);
    for (uint32_t attempt = 2; attempt <= 10; ++attempt) {
        const double base = std::min(5000.0, 100.0 * std::pow(2.0, attempt - 2));
        long long previous = 0;
        for (int i = 0; i < 100; ++i) {
            const double r = i / 100.0;
            const long long wait = retry_delay(p, attempt, r).count();
            BOOST_TEST_CONTEXT("attempt " << attempt << ", unit_random " << r) {
                BOOST_TEST(wait >= std::llround(base * 0.8));
                BOOST_TEST(wait <= std::llround(base * 1.2));
                BOOST_TEST(wait >= previous);
            }
            previous = wait;
        }
    }
}

BOOST_AUTO_TEST_CASE(retry_after_is_a_floor_under_the_computed_wait) {
    struct Case {
        uint32_t next_attempt;
        double unit_random;
        Milliseconds retry_after;
        long long expected_ms;
    };
    const RetryPolicy p = policy(100ms, 5000ms, 2.0, 0.2);
    const Case cases[] = {
        {2, no_jitter, 700ms, 700},      // longer than the backoff (100): the provider's wait
        {6, no_jitter, 300ms, 1600},     // shorter than the backoff: the backoff
        {2, 0.0, 700ms, 700},            // jitter cannot bring it below what the provider asked
        {2, almost_one, 700ms, 700},
        {2, no_jitter, 0ms, 100},        // "now" still waits the backoff: no retry storm
        {2, 0.0, 0ms, 80},               // ... with its jitter, so runs that failed together spread out
        {2, no_jitter, 60000ms, 60000},  // not capped: whether to wait that long is the caller's call
    };
    for (const Case& c : cases) {
        BOOST_TEST_CONTEXT("attempt " << c.next_attempt << ", unit_random " << c.unit_random << ", Retry-After "
                                      << c.retry_after.count() << " ms") {
            BOOST_TEST(retry_delay(p, c.next_attempt, c.unit_random, c.retry_after).count() == c.expected_ms);
        }
    }
}

BOOST_AUTO_TEST_CASE(no_retry_after_means_the_computed_wait) {
    const RetryPolicy p = policy(100ms, 5000ms, 2.0, 0.2);
    BOOST_TEST(retry_delay(p, 3, no_jitter, std::nullopt).count() == 200);
}

BOOST_AUTO_TEST_SUITE_END()
