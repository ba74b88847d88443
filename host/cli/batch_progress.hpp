// batch_progress.hpp: what `agenthost batch` tells the operator while it runs
// and when it ends, on stderr. On a terminal, one line redrawn in place: a
// bar, done/total, percent, rate, ETA, failures and cost. Elsewhere (a log, a
// CI job), plain lines at most once a second. Then one summary line.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <mutex>
#include <string>
#include <string_view>

namespace agenthost::cli {

class BatchProgress {
public:
    using Clock = std::chrono::steady_clock;

    //! `total`: the input lines to answer, `skipped` of them already answered
    //! by an earlier batch (resumed). `terminal`: whether `err` is a terminal.
    BatchProgress(std::ostream& err, bool terminal, std::size_t total, std::size_t skipped);

    //! Shows the display at once on a terminal (elsewhere, the first line
    //! comes after a second: a short batch prints only its summary).
    void begin();

    //! One line answered. Called from the runs' completion path, so it only
    //! redraws or prints when enough time has passed; no timer thread.
    //! Thread-safe, as is everything here.
    void record(bool ok, uint64_t tokens, double cost_usd);

    //! A message on a line of its own, out of the way of the redrawn line.
    void note(std::string_view message);

    //! The last update and the summary: done, ok, failed, skipped, wall
    //! time, rate, tokens, cost. `skipped_failed`: how many of the skipped
    //! lines had failed; `output` names the file they were found in.
    void finish(std::string_view output, std::size_t skipped_failed);

    //! Lines answered so far, skipped ones included.
    std::size_t done() const;
    std::size_t total() const noexcept { return total_; }
    //! Lines that failed in this batch.
    std::size_t failed() const;

private:
    std::string status_line(Clock::time_point now) const;
    void draw(Clock::time_point now);

    std::ostream& err_;
    const bool terminal_;
    const std::size_t total_;
    const std::size_t skipped_;
    const Clock::time_point started_ = Clock::now();
    mutable std::mutex mutex_;
    std::size_t ok_ = 0;
    std::size_t failed_ = 0;
    uint64_t tokens_ = 0;
    double cost_usd_ = 0.0;
    Clock::time_point last_drawn_;
    bool drawn_ = false;  //!< a redrawn line is on screen, so a note must clear it first
};

}  // namespace agenthost::cli
