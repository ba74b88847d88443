// error_budget_test.cpp: the circuit breaker's transitions (closed → open →
// half-open → closed or open again), its sliding window and remaining(). Time
// is a fake clock: ErrorBudget takes time points, so nothing here waits.
#include <agenthost/host/error_budget.hpp>

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <string>
#include <vector>

using namespace agenthost;
using namespace std::chrono_literals;

namespace {

using TimePoint = ErrorBudget::Clock::time_point;

// Time moves only when a test says so.
struct FakeClock {
    TimePoint now{std::chrono::hours(1)};
    TimePoint advance(std::chrono::milliseconds by) { return now += by; }
};

ErrorBudgetPolicy policy(uint32_t window, uint32_t min_calls, double max_failure_rate,
                         std::chrono::milliseconds cooldown = 1000ms) {
    ErrorBudgetPolicy p;
    p.window = window;
    p.min_calls = min_calls;
    p.max_failure_rate = max_failure_rate;
    p.cooldown = cooldown;
    return p;
}

// "SFF" = success, failure, failure; one record per letter, 1 ms apart.
CircuitState feed(ErrorBudget& budget, FakeClock& clock, std::string_view outcomes) {
    CircuitState state = budget.state(clock.now);
    for (char c : outcomes) {
        state = budget.record(c == 'S', clock.now);
        clock.advance(1ms);
    }
    return state;
}

// Spends the budget of a fresh window-10, min-4, 50 % budget; returns when it opened.
TimePoint open_it(ErrorBudget& budget, FakeClock& clock) {
    for (int i = 0; i < 3; ++i) budget.record(false, clock.advance(1ms));
    const TimePoint opened = clock.advance(1ms);
    BOOST_REQUIRE(budget.record(false, opened) == CircuitState::open);
    return opened;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(error_budget)

BOOST_AUTO_TEST_CASE(to_string_names_every_state) {
    BOOST_TEST(to_string(CircuitState::closed) == "closed");
    BOOST_TEST(to_string(CircuitState::open) == "open");
    BOOST_TEST(to_string(CircuitState::half_open) == "half_open");
}

BOOST_AUTO_TEST_CASE(opens_only_over_the_rate_with_enough_calls) {
    struct Case {
        uint32_t window, min_calls;
        double max_rate;
        const char* outcomes;
        CircuitState expected;
    };
    const Case cases[] = {
        {10, 4, 0.5, "", CircuitState::closed},
        {10, 4, 0.5, "FFF", CircuitState::closed},       // 100 % but under min_calls
        {10, 4, 0.5, "FFFF", CircuitState::open},        // min_calls reached
        {10, 4, 0.5, "SSFF", CircuitState::closed},      // exactly the rate is not over it
        {10, 4, 0.5, "SSFFF", CircuitState::open},       // 3/5 = 60 %
        {10, 4, 0.5, "SSSSSSFFFF", CircuitState::closed},  // 4/10
        {10, 4, 0.5, "SSSSSFFFFF", CircuitState::closed},  // 5/10 = the rate
        {10, 1, 0.0, "S", CircuitState::closed},
        {10, 1, 0.0, "F", CircuitState::open},           // no failure allowed at all
        {10, 4, 1.0, "FFFFFFFFFF", CircuitState::closed},  // 100 % is never over 100 %
        {3, 3, 0.5, "FFS", CircuitState::open},          // 2/3
    };
    for (const Case& c : cases) {
        BOOST_TEST_CONTEXT("window " << c.window << ", min_calls " << c.min_calls << ", max rate "
                                     << c.max_rate << ", outcomes \"" << c.outcomes << '"') {
            FakeClock clock;
            ErrorBudget budget(policy(c.window, c.min_calls, c.max_rate));
            BOOST_TEST(to_string(feed(budget, clock, c.outcomes)) == to_string(c.expected));
            BOOST_TEST(to_string(budget.state(clock.now)) == to_string(c.expected));
            BOOST_TEST(budget.allow(clock.now) == (c.expected == CircuitState::closed));
        }
    }
}

BOOST_AUTO_TEST_CASE(open_rejects_until_the_cooldown_has_passed) {
    FakeClock clock;
    ErrorBudget budget(policy(10, 4, 0.5, 1000ms));
    const TimePoint opened = open_it(budget, clock);

    for (auto at : {0ms, 1ms, 500ms, 999ms}) {
        BOOST_TEST_CONTEXT("at open + " << at.count() << " ms") {
            BOOST_TEST(!budget.allow(opened + at));
            BOOST_TEST(to_string(budget.state(opened + at)) == "open");
            BOOST_TEST(budget.remaining() == 0);
        }
    }
    // Outcomes of calls that were in flight when it opened change nothing.
    BOOST_TEST(to_string(budget.record(true, opened + 10ms)) == "open");
    BOOST_TEST(to_string(budget.record(false, opened + 10ms)) == "open");
    BOOST_TEST(!budget.allow(opened + 999ms));

    BOOST_TEST(to_string(budget.state(opened + 1000ms)) == "half_open");
    BOOST_TEST(budget.allow(opened + 1000ms));
}

BOOST_AUTO_TEST_CASE(half_open_admits_exactly_one_probe) {
    FakeClock clock;
    ErrorBudget budget(policy(10, 4, 0.5, 1000ms));
    const TimePoint opened = open_it(budget, clock);
    const TimePoint later = opened + 1500ms;

    BOOST_TEST(budget.allow(later));  // the probe
    for (int i = 0; i < 5; ++i) BOOST_TEST(!budget.allow(later + std::chrono::milliseconds(i)));
    BOOST_TEST(to_string(budget.state(later)) == "half_open");
    // Much later, the probe still has not reported: still no second caller.
    BOOST_TEST(!budget.allow(later + 1h));
}

BOOST_AUTO_TEST_CASE(probe_success_closes_with_a_clean_window) {
    FakeClock clock;
    ErrorBudget budget(policy(10, 4, 0.5, 1000ms));
    const TimePoint opened = open_it(budget, clock);
    const TimePoint probe = opened + 1000ms;
    BOOST_REQUIRE(budget.allow(probe));
    BOOST_TEST(to_string(budget.record(true, probe + 5ms)) == "closed");

    BOOST_TEST(to_string(budget.state(probe + 5ms)) == "closed");
    BOOST_TEST(budget.failure_rate() == 0.0);
    BOOST_TEST(budget.remaining() == 5);  // floor(0.5 × 10), none spent
    BOOST_TEST(budget.allow(probe + 6ms));
    BOOST_TEST(budget.allow(probe + 6ms));  // closed: everyone goes through

    // The four failures before the circuit opened are forgotten: three new ones
    // (under min_calls) do not open it again.
    clock.now = probe + 10ms;
    BOOST_TEST(to_string(feed(budget, clock, "FFF")) == "closed");
    BOOST_TEST(to_string(feed(budget, clock, "F")) == "open");
}

BOOST_AUTO_TEST_CASE(probe_failure_opens_for_another_cooldown) {
    FakeClock clock;
    ErrorBudget budget(policy(10, 4, 0.5, 1000ms));
    const TimePoint opened = open_it(budget, clock);
    const TimePoint probe = opened + 1200ms;
    BOOST_REQUIRE(budget.allow(probe));
    const TimePoint failed = probe + 50ms;
    BOOST_TEST(to_string(budget.record(false, failed)) == "open");

    // The new cooldown runs from the probe's failure, not from the first opening.
    BOOST_TEST(!budget.allow(failed));
    BOOST_TEST(!budget.allow(failed + 999ms));
    BOOST_TEST(to_string(budget.state(failed + 999ms)) == "open");
    BOOST_TEST(to_string(budget.state(failed + 1000ms)) == "half_open");
    BOOST_TEST(budget.allow(failed + 1000ms));  // a new probe
    BOOST_TEST(!budget.allow(failed + 1000ms));
    BOOST_TEST(to_string(budget.record(true, failed + 1001ms)) == "closed");
}

BOOST_AUTO_TEST_CASE(a_late_outcome_after_the_cooldown_decides_like_a_probe) {
    // A call made before the circuit opened, reporting after the cooldown, is
    // the freshest evidence: it closes or reopens the circuit as a probe would.
    for (bool success : {true, false}) {
        BOOST_TEST_CONTEXT("late outcome " << (success ? "success" : "failure")) {
            FakeClock clock;
            ErrorBudget budget(policy(10, 4, 0.5, 1000ms));
            const TimePoint opened = open_it(budget, clock);
            const TimePoint late = opened + 2000ms;
            BOOST_TEST(to_string(budget.record(success, late)) == (success ? "closed" : "open"));
            BOOST_TEST(budget.allow(late) == success);
        }
    }
}

BOOST_AUTO_TEST_CASE(the_window_slides) {
    FakeClock clock;
    ErrorBudget budget(policy(4, 2, 0.5));
    struct Step {
        char outcome;
        double rate_after;  // over the last four outcomes
        CircuitState state_after;
    };
    const Step steps[] = {
        {'F', 1.0, CircuitState::closed},   // [F]: under min_calls
        {'S', 0.5, CircuitState::closed},   // [F S]
        {'S', 1.0 / 3, CircuitState::closed},
        {'S', 0.25, CircuitState::closed},  // [F S S S]
        {'S', 0.0, CircuitState::closed},   // [S S S S]: the first failure slid out
        {'F', 0.25, CircuitState::closed},
        {'F', 0.5, CircuitState::closed},   // [S S F F]
        // [S F F F] = 75 %. Without the slide it would be 4/8 = 50 %, still closed.
        {'F', 0.75, CircuitState::open},
    };
    for (std::size_t i = 0; i < std::size(steps); ++i) {
        BOOST_TEST_CONTEXT("outcome #" << i + 1 << " '" << steps[i].outcome << "'") {
            const CircuitState state = budget.record(steps[i].outcome == 'S', clock.advance(1ms));
            BOOST_TEST(to_string(state) == to_string(steps[i].state_after));
            BOOST_TEST(budget.failure_rate() == steps[i].rate_after, boost::test_tools::tolerance(1e-9));
        }
    }
}

BOOST_AUTO_TEST_CASE(failure_rate_is_zero_without_calls) {
    ErrorBudget budget(policy(10, 4, 0.5));
    BOOST_TEST(budget.failure_rate() == 0.0);
    BOOST_TEST(to_string(budget.state(TimePoint{})) == "closed");
}

BOOST_AUTO_TEST_CASE(remaining_counts_failures_still_allowed) {
    // Cases with a full window (or where no failure is allowed at all), where
    // "failures allowed over the window" and "failures before it opens" agree.
    struct Case {
        uint32_t window, min_calls;
        double max_rate;
        const char* outcomes;
        int expected;
    };
    const Case cases[] = {
        {4, 4, 0.5, "SSSS", 2},
        {4, 4, 0.5, "SSSF", 1},        // one more: [S S F F] = 50 %, still closed
        {4, 4, 0.5, "SSFF", 0},        // one more: [S F F F] = 75 %, open
        {4, 4, 0.5, "SSFFF", 0},       // open: nothing left
        {4, 2, 0.5, "FSSSS", 2},       // the failure slid out of the window
        {10, 4, 0.25, "SSSSSSSSSF", 1},  // floor(2.5) − 1
        {10, 4, 0.25, "SSSSSSSSSS", 2},
        {10, 1, 0.0, "SS", 0},         // no failure is allowed at all
    };
    for (const Case& c : cases) {
        BOOST_TEST_CONTEXT("window " << c.window << ", max rate " << c.max_rate << ", outcomes \"" << c.outcomes
                                     << '"') {
            FakeClock clock;
            ErrorBudget budget(policy(c.window, c.min_calls, c.max_rate));
            feed(budget, clock, c.outcomes);
            BOOST_TEST(budget.remaining() == c.expected);
        }
    }
}

BOOST_AUTO_TEST_CASE(remaining_is_zero_while_half_open) {
    FakeClock clock;
    ErrorBudget budget(policy(10, 4, 0.5, 1000ms));
    const TimePoint opened = open_it(budget, clock);
    BOOST_REQUIRE(budget.allow(opened + 1000ms));
    BOOST_TEST(budget.remaining() == 0);
}

BOOST_AUTO_TEST_SUITE_END()
