// scheduler.hpp: one thread that runs callbacks at given times (timeouts,
// retry backoff). Callbacks must be short: they hand real work to the pool.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace agenthost {

class Scheduler {
public:
    using Clock = std::chrono::steady_clock;

    //! Cancels a scheduled callback; cheap, and safe after it has run.
    class Ticket {
    public:
        void cancel() noexcept { cancelled_.store(true, std::memory_order_relaxed); }
        bool cancelled() const noexcept { return cancelled_.load(std::memory_order_relaxed); }

    private:
        std::atomic<bool> cancelled_{false};
    };

    Scheduler();
    ~Scheduler();  //!< drops callbacks that have not run
    Scheduler(const Scheduler&) = delete;
    Scheduler& operator=(const Scheduler&) = delete;

    std::shared_ptr<Ticket> at(Clock::time_point when, std::function<void()> callback);
    std::shared_ptr<Ticket> after(Clock::duration delay, std::function<void()> callback) {
        return at(Clock::now() + delay, std::move(callback));
    }

private:
    struct Entry {
        Clock::time_point when;
        uint64_t sequence;  // keeps equal times in the order they were scheduled
        std::shared_ptr<Ticket> ticket;
        std::function<void()> callback;
        bool operator>(const Entry& other) const {
            return when != other.when ? when > other.when : sequence > other.sequence;
        }
    };
    void run();
    void compact();

    std::mutex mutex_;
    std::condition_variable wake_;
    std::vector<Entry> queue_;  // a min-heap on (when, sequence)
    std::size_t compact_at_ = 1024;  // the size at which cancelled entries are swept out
    uint64_t next_sequence_ = 0;
    bool stopping_ = false;
    std::thread thread_;  // last: it starts in the constructor
};

}  // namespace agenthost
