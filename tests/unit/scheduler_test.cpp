// scheduler_test.cpp: the timer thread runs callbacks in time order, never runs
// a cancelled one, survives one that throws, and drops what is pending when it
// is destroyed. Nothing here sleeps or asserts on wall-clock time: a "gate"
// callback holds the scheduler's thread while a test queues its callbacks, so
// the order they run in depends only on their times, and tests wait on futures.
#include <agenthost/host/scheduler.hpp>

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <future>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

using namespace agenthost;
using namespace std::chrono_literals;

namespace {

// Long enough never to matter on a loaded machine; only a hang guard, never a timing check.
constexpr auto hang_guard = 60s;

// Holds the scheduler's thread inside a callback until release().
class Gate {
public:
    explicit Gate(Scheduler& scheduler) {
        // The callback keeps its own copy of the future: the Gate may be gone before it returns.
        scheduler.after(0ms, [this, released = released_future_] {
            entered_.set_value();
            released.wait();
        });
        BOOST_REQUIRE(entered_.get_future().wait_for(hang_guard) == std::future_status::ready);
    }
    ~Gate() { release(); }
    void release() {
        if (!released_) {
            released_ = true;
            released_promise_.set_value();
        }
    }

private:
    std::promise<void> entered_;
    std::promise<void> released_promise_;
    std::shared_future<void> released_future_{released_promise_.get_future().share()};
    bool released_ = false;
};

// What ran, in order.
struct Journal {
    std::mutex mutex;
    std::vector<std::string> entries;
    void add(std::string entry) {
        std::lock_guard lock(mutex);
        entries.push_back(std::move(entry));
    }
    std::vector<std::string> snapshot() {
        std::lock_guard lock(mutex);
        return entries;
    }
};

bool ready(std::future<void>& f) { return f.wait_for(hang_guard) == std::future_status::ready; }

}  // namespace

BOOST_AUTO_TEST_SUITE(scheduler)

BOOST_AUTO_TEST_CASE(runs_callbacks_in_time_order) {
    Journal journal;
    std::promise<void> last;
    auto done = last.get_future();
    Scheduler scheduler;  // after what its callbacks use, so that it stops first
    {
        Gate gate(scheduler);
        const auto base = Scheduler::Clock::now();
        // Queued out of order; the earliest time runs first, whatever the order of queuing.
        scheduler.at(base + 5ms, [&] { journal.add("5"); });
        scheduler.at(base + 1ms, [&] { journal.add("1"); });
        scheduler.at(base + 4ms, [&] { journal.add("4"); });
        scheduler.at(base + 2ms, [&] { journal.add("2a"); });
        scheduler.at(base + 2ms, [&] { journal.add("2b"); });  // equal times: in the order queued
        scheduler.at(base + 3ms, [&] { journal.add("3"); });
        scheduler.at(base + 6ms, [&] {
            journal.add("6");
            last.set_value();
        });
    }
    BOOST_REQUIRE(ready(done));
    const std::vector<std::string> expected{"1", "2a", "2b", "3", "4", "5", "6"};
    const auto ran = journal.snapshot();
    BOOST_TEST(ran == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(after_runs_a_callback_with_a_small_delay) {
    std::promise<void> ran;
    auto done = ran.get_future();
    Scheduler scheduler;
    scheduler.after(1ms, [&] { ran.set_value(); });
    BOOST_TEST(ready(done));
}

BOOST_AUTO_TEST_CASE(a_time_in_the_past_runs_at_once) {
    std::promise<void> ran;
    auto done = ran.get_future();
    Scheduler scheduler;
    scheduler.at(Scheduler::Clock::now() - 1h, [&] { ran.set_value(); });
    BOOST_TEST(ready(done));
}

BOOST_AUTO_TEST_CASE(an_earlier_callback_queued_later_wakes_the_thread) {
    // The thread is waiting for a callback an hour away; a new one due now must not wait behind it.
    std::promise<void> ran;
    auto done = ran.get_future();
    Scheduler scheduler;
    scheduler.after(1h, [] {});
    scheduler.after(1ms, [&] { ran.set_value(); });
    BOOST_TEST(ready(done));
}

BOOST_AUTO_TEST_CASE(a_cancelled_ticket_never_runs) {
    Journal journal;
    std::promise<void> last;
    auto done = last.get_future();
    Scheduler scheduler;  // after what its callbacks use, so that it stops first
    std::shared_ptr<Scheduler::Ticket> after_run;
    {
        Gate gate(scheduler);
        const auto base = Scheduler::Clock::now();
        auto first = scheduler.at(base + 1ms, [&] { journal.add("cancelled first"); });
        scheduler.at(base + 2ms, [&] { journal.add("kept"); });
        auto middle = scheduler.at(base + 3ms, [&] { journal.add("cancelled middle"); });
        after_run = scheduler.at(base + 4ms, [&] {
            journal.add("last");
            last.set_value();
        });
        BOOST_TEST(!first->cancelled());
        first->cancel();
        middle->cancel();
        middle->cancel();  // twice is fine
        BOOST_TEST(first->cancelled());
    }
    // Everything cancelled was due before "last", so it would have run by now.
    BOOST_REQUIRE(ready(done));
    const std::vector<std::string> expected{"kept", "last"};
    const auto ran = journal.snapshot();
    BOOST_TEST(ran == expected, boost::test_tools::per_element());
    after_run->cancel();  // after it ran: harmless
    BOOST_TEST(after_run->cancelled());
}

BOOST_AUTO_TEST_CASE(many_cancelled_tickets_are_dropped_and_the_live_ones_still_run) {
    // Enough cancelled entries to make the queue compact itself (every 4096 entries).
    Journal journal;
    std::promise<void> last;
    auto done = last.get_future();
    Scheduler scheduler;  // after what its callbacks use, so that it stops first
    {
        Gate gate(scheduler);
        const auto base = Scheduler::Clock::now();
        scheduler.at(base + 1ms, [&] { journal.add("live early"); });
        for (int i = 0; i < 3 * 4096; ++i) {
            const auto when = base + (i % 2 == 0 ? 2ms : 1h);
            scheduler.at(when, [&journal] { journal.add("cancelled"); })->cancel();
        }
        scheduler.at(base + 3ms, [&] {
            journal.add("live late");
            last.set_value();
        });
    }
    BOOST_REQUIRE(ready(done));
    const std::vector<std::string> expected{"live early", "live late"};
    const auto ran = journal.snapshot();
    BOOST_TEST(ran == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_throwing_callback_does_not_stop_the_others) {
    Journal journal;
    std::promise<void> last;
    auto done = last.get_future();
    Scheduler scheduler;  // after what its callbacks use, so that it stops first
    {
        Gate gate(scheduler);
        const auto base = Scheduler::Clock::now();
        scheduler.at(base + 1ms, [] { throw std::runtime_error("timer callback failed"); });
        scheduler.at(base + 2ms, [&] { throw 42; });
        scheduler.at(base + 3ms, [&] {
            journal.add("after the throws");
            last.set_value();
        });
    }
    BOOST_REQUIRE(ready(done));
    BOOST_TEST(journal.snapshot().size() == 1u);
}

BOOST_AUTO_TEST_CASE(destruction_drops_pending_callbacks) {
    auto token = std::make_shared<int>(0);  // shared by every pending callback; counts them
    bool ran = false;
    std::promise<void> first;
    auto first_done = first.get_future();
    {
        Scheduler scheduler;
        scheduler.after(0ms, [&first] { first.set_value(); });
        BOOST_REQUIRE(ready(first_done));  // the thread is up and running callbacks
        for (int i = 0; i < 10; ++i) scheduler.after(1h + std::chrono::seconds(i), [token, &ran] { ran = true; });
        scheduler.after(24h, [token, &ran] { ran = true; });
        BOOST_TEST(token.use_count() == 12);
    }  // must return at once, not after an hour
    BOOST_TEST(!ran);
    BOOST_TEST(token.use_count() == 1);  // the dropped callbacks were destroyed, not leaked
}

BOOST_AUTO_TEST_CASE(destruction_with_nothing_queued) {
    { Scheduler idle; }
    { Scheduler cancelled_only; cancelled_only.after(1h, [] {})->cancel(); }
    BOOST_TEST(true);
}

BOOST_AUTO_TEST_SUITE_END()
