// interrupt_watch.cpp: the signal-watching thread.
//
// Why a thread in sigwait and not a signal handler: a handler may only touch
// what is async-signal-safe, and whatever it tells the rest of the program
// must live in a global (a flag, or the write end of a self-pipe), because a
// handler receives no argument. With the signals blocked everywhere and one
// thread waiting for them synchronously, the "handler" is ordinary code on an
// ordinary thread: it may lock a mutex, notify a condition variable and call
// into the command object it was given, and no global state is needed at all.
#include "interrupt_watch.hpp"

#include <pthread.h>

#include <cstring>
#include <stdexcept>
#include <string>
#include <utility>

namespace agenthost::cli {

InterruptWatch::InterruptWatch(std::function<void(int)> on_signal) : on_signal_(std::move(on_signal)) {
    sigemptyset(&signals_);
    sigaddset(&signals_, SIGINT);
    sigaddset(&signals_, SIGTERM);
    if (const int rc = pthread_sigmask(SIG_BLOCK, &signals_, &previous_mask_); rc != 0) {
        throw std::runtime_error(std::string("cannot block SIGINT and SIGTERM: ") + std::strerror(rc));
    }
    try {
        thread_ = std::thread([this] { watch(); });
    } catch (...) {
        pthread_sigmask(SIG_SETMASK, &previous_mask_, nullptr);
        throw;
    }
}

InterruptWatch::~InterruptWatch() {
    // The watcher sleeps in sigwait; a signal aimed at its thread alone wakes
    // it, and closing_ tells it that this one came from here.
    closing_ = true;
    pthread_kill(thread_.native_handle(), SIGTERM);
    thread_.join();
    pthread_sigmask(SIG_SETMASK, &previous_mask_, nullptr);
}

void InterruptWatch::watch() {
    int count = 0;
    for (;;) {
        int signal = 0;
        if (sigwait(&signals_, &signal) != 0) continue;
        if (closing_) return;
        on_signal_(++count);
    }
}

}  // namespace agenthost::cli
