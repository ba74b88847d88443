// interrupt_watch.hpp: SIGINT and SIGTERM delivered to a command as calls on
// a thread of its own, so that a long-running command (agenthost batch) can
// stop starting work and finish what is in flight instead of dying mid-write.
#pragma once

#include <atomic>
#include <csignal>
#include <functional>
#include <thread>

namespace agenthost::cli {

//! While it lives, SIGINT and SIGTERM do not kill the process: each one calls
//! `on_signal(n)` on the watch's own thread, n counting from 1.
//!
//! Construct it before any other thread of the process starts (in particular
//! before the Host, whose workers it must cover): the signals are blocked in
//! the constructing thread, and threads inherit that mask when they are
//! created. A thread started earlier could still take the signal and die of it.
class InterruptWatch {
public:
    explicit InterruptWatch(std::function<void(int)> on_signal);
    //! Stops the thread and restores the signal mask; a signal still pending
    //! then gets its default action.
    ~InterruptWatch();
    InterruptWatch(const InterruptWatch&) = delete;
    InterruptWatch& operator=(const InterruptWatch&) = delete;

private:
    void watch();

    sigset_t signals_{};
    sigset_t previous_mask_{};
    std::function<void(int)> on_signal_;
    std::atomic<bool> closing_{false};
    std::thread thread_;
};

}  // namespace agenthost::cli
