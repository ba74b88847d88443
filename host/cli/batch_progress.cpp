// batch_progress.cpp: formatting and pacing of the batch progress display.
#include "batch_progress.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ostream>

namespace agenthost::cli {
namespace {

// Often enough to look alive, rarely enough that a fast batch does not spend
// its time repainting the terminal.
constexpr auto terminal_interval = std::chrono::milliseconds(100);
// A log keeps every line, so it gets few.
constexpr auto plain_interval = std::chrono::seconds(1);
constexpr std::size_t bar_width = 24;

std::string format(const char* pattern, double value) {
    char buf[64];
    std::snprintf(buf, sizeof buf, pattern, value);
    return buf;
}

std::string duration_text(double seconds) {
    const auto s = static_cast<long long>(std::llround(seconds));
    char buf[32];
    if (s < 60) {
        std::snprintf(buf, sizeof buf, "%llds", s);
    } else if (s < 3600) {
        std::snprintf(buf, sizeof buf, "%lldm%02llds", s / 60, s % 60);
    } else {
        std::snprintf(buf, sizeof buf, "%lldh%02lldm", s / 3600, s % 3600 / 60);
    }
    return buf;
}

double seconds_between(BatchProgress::Clock::time_point a, BatchProgress::Clock::time_point b) {
    return std::chrono::duration<double>(b - a).count();
}

}  // namespace

BatchProgress::BatchProgress(std::ostream& err, bool terminal, std::size_t total, std::size_t skipped)
    : err_(err), terminal_(terminal), total_(total), skipped_(skipped), last_drawn_(started_) {}

void BatchProgress::record(bool ok, uint64_t tokens, double cost_usd) {
    std::lock_guard lock(mutex_);
    ++(ok ? ok_ : failed_);
    tokens_ += tokens;
    cost_usd_ += cost_usd;
    const auto now = Clock::now();
    const Clock::duration interval = terminal_ ? Clock::duration(terminal_interval) : Clock::duration(plain_interval);
    if (now - last_drawn_ >= interval) draw(now);
}

void BatchProgress::begin() {
    std::lock_guard lock(mutex_);
    if (terminal_) draw(Clock::now());
}

void BatchProgress::note(std::string_view message) {
    std::lock_guard lock(mutex_);
    if (terminal_ && drawn_) {
        err_ << "\r\x1b[K" << message << '\n';
        draw(Clock::now());
    } else {
        err_ << message << '\n';
    }
    err_.flush();
}

std::size_t BatchProgress::done() const {
    std::lock_guard lock(mutex_);
    return skipped_ + ok_ + failed_;
}

std::size_t BatchProgress::failed() const {
    std::lock_guard lock(mutex_);
    return failed_;
}

std::string BatchProgress::status_line(Clock::time_point now) const {
    const std::size_t done = skipped_ + ok_ + failed_;
    const std::size_t ran = ok_ + failed_;
    const double elapsed = seconds_between(started_, now);
    const double rate = elapsed > 0 ? static_cast<double>(ran) / elapsed : 0.0;
    const double fraction = total_ == 0 ? 1.0 : std::min(1.0, static_cast<double>(done) / static_cast<double>(total_));
    const std::size_t remaining = total_ > done ? total_ - done : 0;
    const std::string eta = remaining == 0 ? "0s" : rate > 0 ? duration_text(static_cast<double>(remaining) / rate) : "?";
    const std::string counts = std::to_string(done) + "/" + std::to_string(total_);
    const std::string percent = format("%.0f%%", std::floor(fraction * 100.0));
    const std::string failures = std::to_string(failed_) + " failed";
    if (terminal_) {
        const auto filled = static_cast<std::size_t>(fraction * bar_width);
        return "[" + std::string(filled, '#') + std::string(bar_width - filled, '.') + "] " + counts + "  " + percent +
               "  " + format("%.1f runs/s", rate) + "  ETA " + eta + "  " + failures + "  " + format("$%.4f", cost_usd_);
    }
    return "agenthost: batch: " + counts + " lines (" + percent + "), " + format("%.1f runs/s", rate) + ", ETA " + eta +
           ", " + failures + ", " + format("$%.6f", cost_usd_);
}

void BatchProgress::draw(Clock::time_point now) {
    if (terminal_) {
        err_ << '\r' << status_line(now) << "\x1b[K";
    } else {
        err_ << status_line(now) << '\n';
    }
    err_.flush();
    last_drawn_ = now;
    drawn_ = true;
}

void BatchProgress::finish(std::string_view output, std::size_t skipped_failed) {
    std::lock_guard lock(mutex_);
    const auto now = Clock::now();
    if (terminal_) {
        draw(now);
        err_ << '\n';
    }
    const double wall = seconds_between(started_, now);
    const std::size_t ran = ok_ + failed_;
    const std::size_t done = skipped_ + ran;
    std::string skipped = std::to_string(skipped_) + " skipped (already in " + std::string(output);
    if (skipped_failed > 0) skipped += ", " + std::to_string(skipped_failed) + " of them failed";
    skipped += ")";
    err_ << "agenthost: batch: " << done << " of " << total_ << " lines done: " << ok_ << " ok, " << failed_
         << " failed, " << skipped << "; " << format("%.2f s", wall) << ", "
         << format("%.1f runs/s", wall > 0 ? static_cast<double>(ran) / wall : 0.0) << ", " << tokens_ << " tokens, "
         << format("$%.6f", cost_usd_) << '\n';
    err_.flush();
}

}  // namespace agenthost::cli
