// backoff.hpp: how long to wait before a retry.
#pragma once

#include <agenthost/host/workflow_config.hpp>

#include <optional>

namespace agenthost {

//! The wait before attempt `next_attempt` (2 for the first retry):
//! initial × multiplier^(next_attempt − 2), capped at max_backoff, then moved
//! by ± jitter × itself using `unit_random` in [0, 1). A provider's
//! Retry-After, when known and longer, is waited instead: the wait is never
//! shorter than either (the caller decides whether a Retry-After beyond
//! max_backoff is worth waiting for at all).
Milliseconds retry_delay(const RetryPolicy& policy, uint32_t next_attempt, double unit_random,
                         std::optional<Milliseconds> retry_after = std::nullopt);

}  // namespace agenthost
