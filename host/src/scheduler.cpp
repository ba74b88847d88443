// scheduler.cpp: a priority queue of timed callbacks on one thread.
#include <agenthost/host/scheduler.hpp>

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
        if (queue_.size() >= 4096 && queue_.size() % 4096 == 0) compact();
        earliest = queue_.empty() || when < queue_.top().when;
        queue_.push(Entry{when, next_sequence_++, ticket, std::move(callback)});
    }
    if (earliest) wake_.notify_one();
    return ticket;
}

void Scheduler::compact() {
    std::vector<Entry> live;
    live.reserve(queue_.size());
    while (!queue_.empty()) {
        // top() is const; the entry is moved out before pop() destroys it.
        Entry& top = const_cast<Entry&>(queue_.top());
        if (!top.ticket->cancelled()) live.push_back(std::move(top));
        queue_.pop();
    }
    for (Entry& e : live) queue_.push(std::move(e));
}

void Scheduler::run() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
        if (queue_.empty()) {
            wake_.wait(lock);
            continue;
        }
        if (queue_.top().ticket->cancelled()) {
            queue_.pop();
            continue;
        }
        const Clock::time_point when = queue_.top().when;
        if (Clock::now() < when) {
            wake_.wait_until(lock, when);
            continue;
        }
        Entry& top = const_cast<Entry&>(queue_.top());
        std::function<void()> callback = std::move(top.callback);
        queue_.pop();
        lock.unlock();
        try {
            callback();
        } catch (...) {
            // A timer callback that throws must not stop every other timer.
        }
        lock.lock();
    }
}

}  // namespace agenthost
