// backoff.cpp: exponential backoff with jitter.
#include <agenthost/host/backoff.hpp>

#include <algorithm>
#include <cmath>

namespace agenthost {

Milliseconds retry_delay(const RetryPolicy& policy, uint32_t next_attempt, double unit_random,
                         std::optional<Milliseconds> retry_after) {
    const double cap = static_cast<double>(policy.max_backoff.count());
    const double exponent = next_attempt >= 2 ? static_cast<double>(next_attempt - 2) : 0.0;
    double wait = static_cast<double>(policy.initial_backoff.count()) * std::pow(policy.multiplier, exponent);
    wait = std::min(wait, cap);
    // Jitter spreads retries of many runs that failed together, so they do not return together.
    wait *= 1.0 + policy.jitter * (2.0 * unit_random - 1.0);
    const Milliseconds computed(static_cast<long long>(std::max(0.0, std::round(wait))));
    // The provider's word is a floor: never sooner than it asked, never sooner than the backoff.
    return retry_after && *retry_after > computed ? *retry_after : computed;
}

}  // namespace agenthost
