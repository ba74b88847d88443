// run_store_internal.hpp: what both run stores share: checking what callers
// hand in, so that a bad run id or event kind is refused the same way by
// every store, before anything is written.
#pragma once

#include <agenthost/host/run_store.hpp>

#include <chrono>
#include <cstdint>

namespace agenthost::run_store_detail {

Result<std::monostate> check_new_run(const NewRun& run);
Result<std::monostate> check_update(const RunUpdate& update);

//! Error for an append to a run that does not exist.
Error unknown_run(std::string_view run_id);
//! Error for an append whose expect_last_seq no longer holds.
Error changed_run(std::string_view run_id, uint64_t expected, uint64_t actual);
//! Error for a config that no run stored.
Error unknown_config(std::string_view sha256);
//! Error for an append to a run that has finished.
Error finished_run(std::string_view run_id, RunStatus status);

//! Stores keep milliseconds, so that every store hands back the same times.
inline int64_t to_ms(StoreTime t) noexcept {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}
inline StoreTime from_ms(int64_t ms) noexcept {
    return StoreTime(std::chrono::duration_cast<StoreClock::duration>(std::chrono::milliseconds(ms)));
}
inline StoreTime truncate_ms(StoreTime t) noexcept { return from_ms(to_ms(t)); }

}  // namespace agenthost::run_store_detail
