// scheduler.cpp: a priority queue of timed callbacks on one thread.
#include <agenthost/host/scheduler.hpp>

#include <algorithm>

namespace agenthost {

Scheduler::Scheduler() : thread_([this] { run(); }) {}

Scheduler::~Scheduler() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_one();
    thread_.join();
}

std::shared_ptr<Scheduler::Ticket> Scheduler::at(Clock::time_point when, std::function<void()> callback) {
    auto ticket = std::make_shared<Ticket>();
    bool earliest;
    {
        std::lock_guard lock(mutex_);
        // Most timeouts are cancelled long before they are due; without this the
        // queue would hold every finished call's timeout until its deadline.
        if (queue_.size() >= compact_at_) compact();
        earliest = queue_.empty() || when < queue_.front().when;
        queue_.push_back(Entry{when, next_sequence_++, ticket, std::move(callback)});
        std::push_heap(queue_.begin(), queue_.end(), std::greater<>());
    }
    if (earliest) wake_.notify_one();
    return ticket;
}

void Scheduler::compact() {
    std::erase_if(queue_, [](const Entry& e) { return e.ticket->cancelled(); });
    std::make_heap(queue_.begin(), queue_.end(), std::greater<>());
    // Sweep again only once the live entries have doubled: amortised O(1) per entry.
    compact_at_ = std::max<std::size_t>(1024, 2 * queue_.size());
}

void Scheduler::run() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
        if (queue_.empty()) {
            wake_.wait(lock);
            continue;
        }
        const Entry& next = queue_.front();
        if (!next.ticket->cancelled() && Clock::now() < next.when) {
            // A copy: wait_until reads the time again after waking, and a timer
            // added meanwhile may have moved the queue's storage.
            const Clock::time_point when = next.when;
            wake_.wait_until(lock, when);
            continue;
        }
        std::pop_heap(queue_.begin(), queue_.end(), std::greater<>());
        Entry entry = std::move(queue_.back());
        queue_.pop_back();
        if (entry.ticket->cancelled()) continue;
        lock.unlock();
        try {
            entry.callback();
        } catch (...) {
            // A timer callback that throws must not stop every other timer.
        }
        entry = Entry{};  // release what the callback holds before taking the lock again
        lock.lock();
    }
}

}  // namespace agenthost
