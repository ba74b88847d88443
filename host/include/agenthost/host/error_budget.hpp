// error_budget.hpp: an agent's error budget as a circuit breaker.
//
// closed     calls go through; the last `window` outcomes are remembered.
// open       the failure rate went over the budget: calls go straight to the
//            fallback until `cooldown` has passed.
// half_open  after the cooldown one probe call goes through; its success
//            closes the circuit (with a clean window), its failure opens it again.
#pragma once

#include <agenthost/host/workflow_config.hpp>

#include <chrono>
#include <deque>
#include <mutex>
#include <string_view>

namespace agenthost {

enum class CircuitState { closed, open, half_open };
std::string_view to_string(CircuitState state) noexcept;

class ErrorBudget {
public:
    using Clock = std::chrono::steady_clock;

    explicit ErrorBudget(ErrorBudgetPolicy policy) : policy_(policy) {}

    //! Whether a call may go to the agent now. In half_open, only one caller
    //! gets true (the probe) until that probe's outcome is recorded.
    bool allow(Clock::time_point now);

    //! Records a call's outcome. Returns the state after it, so that the caller
    //! can say (log, metric) when it changed.
    CircuitState record(bool success, Clock::time_point now);

    CircuitState state(Clock::time_point now);
    //! Failures in the window / calls in the window; 0 with no calls.
    double failure_rate() const;
    //! Failures still allowed before the circuit opens, at the current window size.
    int remaining() const;

private:
    void open(Clock::time_point now);
    double rate_locked() const;

    ErrorBudgetPolicy policy_;
    mutable std::mutex mutex_;
    std::deque<bool> window_;  // true = failure
    CircuitState state_ = CircuitState::closed;
    Clock::time_point open_until_{};
    bool probe_in_flight_ = false;
};

}  // namespace agenthost
