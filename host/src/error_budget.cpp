// error_budget.cpp: the circuit breaker's transitions.
#include <agenthost/host/error_budget.hpp>

#include <algorithm>
#include <cmath>

namespace agenthost {

std::string_view to_string(CircuitState state) noexcept {
    switch (state) {
        case CircuitState::closed: return "closed";
        case CircuitState::open: return "open";
        case CircuitState::half_open: return "half_open";
    }
    return "closed";
}

bool ErrorBudget::allow(Clock::time_point now) {
    std::lock_guard lock(mutex_);
    if (state_ == CircuitState::open && now >= open_until_) state_ = CircuitState::half_open;
    switch (state_) {
        case CircuitState::closed: return true;
        case CircuitState::open: return false;
        case CircuitState::half_open:
            if (probe_in_flight_) return false;
            probe_in_flight_ = true;
            return true;
    }
    return true;
}

CircuitState ErrorBudget::record(bool success, Clock::time_point now) {
    std::lock_guard lock(mutex_);
    if (state_ == CircuitState::half_open || (state_ == CircuitState::open && now >= open_until_)) {
        // The probe decides. A late outcome of a call made before the circuit
        // opened counts the same way: it is the freshest evidence there is.
        probe_in_flight_ = false;
        if (success) {
            state_ = CircuitState::closed;
            window_.clear();
        } else {
            open(now);
        }
        return state_;
    }
    if (state_ == CircuitState::open) return state_;  // calls that were already in flight
    window_.push_back(!success);
    if (window_.size() > policy_.window) window_.pop_front();
    if (window_.size() >= policy_.min_calls && rate_locked() > policy_.max_failure_rate) open(now);
    return state_;
}

CircuitState ErrorBudget::state(Clock::time_point now) {
    std::lock_guard lock(mutex_);
    if (state_ == CircuitState::open && now >= open_until_) return CircuitState::half_open;
    return state_;
}

double ErrorBudget::failure_rate() const {
    std::lock_guard lock(mutex_);
    return rate_locked();
}

int ErrorBudget::remaining() const {
    std::lock_guard lock(mutex_);
    if (state_ != CircuitState::closed) return 0;
    const auto failures = static_cast<double>(std::count(window_.begin(), window_.end(), true));
    const double allowed = std::floor(policy_.max_failure_rate * static_cast<double>(policy_.window));
    return std::max(0, static_cast<int>(allowed - failures));
}

void ErrorBudget::open(Clock::time_point now) {
    state_ = CircuitState::open;
    open_until_ = now + policy_.cooldown;
    probe_in_flight_ = false;
}

double ErrorBudget::rate_locked() const {
    if (window_.empty()) return 0.0;
    const auto failures = std::count(window_.begin(), window_.end(), true);
    return static_cast<double>(failures) / static_cast<double>(window_.size());
}

}  // namespace agenthost
