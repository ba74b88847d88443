// run_store_memory.cpp: the run store used when no store file is configured.
// It behaves as the SQLite store does (same checks, same errors, same
// atomicity), so that the engine cannot tell them apart, but nothing it holds
// survives the process.
#include <agenthost/host/run_store.hpp>

#include "run_store_internal.hpp"

#include <algorithm>
#include <deque>
#include <map>
#include <mutex>

namespace agenthost {

namespace {

using namespace run_store_detail;

struct MemoryRun {
    RunRecord record;
    boost::json::object state;
    std::vector<RunEvent> events;
};

class MemoryRunStore final : public RunStore {
public:
    explicit MemoryRunStore(std::size_t keep_finished) : keep_finished_(keep_finished) {}

    Result<std::monostate> create_run(const NewRun& run) override {
        if (auto checked = check_new_run(run); !checked) return checked;
        MemoryRun entry;
        entry.record.id = run.id;
        entry.record.workflow = run.workflow;
        entry.record.config_sha256 = run.config_sha256;
        entry.record.plugins = run.plugins;
        entry.record.input = run.input;
        entry.record.created = truncate_ms(run.created);
        entry.record.updated = entry.record.created;
        entry.state = run.state;
        std::lock_guard lock(mutex_);
        if (!runs_.try_emplace(run.id, std::move(entry)).second)
            return Error{"run " + run.id, "a run with this id is already stored", "give each run a fresh trace id", {}};
        if (!run.config_text.empty())
            configs_.try_emplace(run.config_sha256, StoredConfig{run.config_sha256, run.config_file, run.config_text});
        return std::monostate{};
    }

    bool answers_inline() const noexcept override { return true; }

    void append_async(RunUpdate update, AppendDone done) override {
        done(apply(std::move(update)));
    }

    Result<StoredRun> load_run(std::string_view run_id) override {
        std::lock_guard lock(mutex_);
        auto found = runs_.find(std::string(run_id));
        if (found == runs_.end()) return unknown_run(run_id);
        return StoredRun{found->second.record, found->second.state, found->second.events};
    }

    Result<std::vector<RunRecord>> list_runs(const RunFilter& filter) override {
        std::vector<RunRecord> out;
        {
            std::lock_guard lock(mutex_);
            for (const auto& [id, run] : runs_)
                if (!filter.status || run.record.status == *filter.status) out.push_back(run.record);
        }
        std::sort(out.begin(), out.end(), [](const RunRecord& a, const RunRecord& b) {
            return a.created != b.created ? a.created > b.created : a.id < b.id;
        });
        if (out.size() > filter.limit) out.resize(filter.limit);
        return out;
    }

    Result<StoredConfig> load_config(std::string_view sha256) override {
        std::lock_guard lock(mutex_);
        auto found = configs_.find(sha256);
        if (found == configs_.end()) return unknown_config(sha256);
        return found->second;
    }

    Result<std::vector<RunRecord>> unfinished_runs() override {
        std::vector<RunRecord> out;
        {
            std::lock_guard lock(mutex_);
            for (const auto& [id, run] : runs_)
                if (!is_finished(run.record.status)) out.push_back(run.record);
        }
        std::sort(out.begin(), out.end(), [](const RunRecord& a, const RunRecord& b) {
            return a.created != b.created ? a.created < b.created : a.id < b.id;
        });
        return out;
    }

    bool held_elsewhere(const RunRecord&) override { return false; }  // nothing else sees this store

    Result<std::size_t> prune(StoreTime cutoff) override {
        const StoreTime limit = truncate_ms(cutoff);
        std::lock_guard lock(mutex_);
        const auto removed = static_cast<std::size_t>(std::erase_if(runs_, [&](const auto& entry) {
            return is_finished(entry.second.record.status) && entry.second.record.updated < limit;
        }));
        // The ids of pruned runs leave the eviction order too: an id used again is another run.
        std::erase_if(finished_, [&](const std::string& id) { return !runs_.contains(id); });
        std::erase_if(configs_, [&](const auto& config) {
            return std::none_of(runs_.begin(), runs_.end(),
                                [&](const auto& run) { return run.second.record.config_sha256 == config.first; });
        });
        return removed;
    }

private:
    Result<uint64_t> apply(RunUpdate update) {
        if (auto checked = check_update(update); !checked) return checked.error();
        const StoreTime now = truncate_ms(StoreClock::now());
        std::lock_guard lock(mutex_);
        auto found = runs_.find(update.run_id);
        if (found == runs_.end()) return unknown_run(update.run_id);
        MemoryRun& run = found->second;
        // Checked before anything changes: that is all the atomicity a map needs.
        if (is_finished(run.record.status)) return finished_run(update.run_id, run.record.status);
        if (update.expect_last_seq && *update.expect_last_seq != run.record.last_seq)
            return changed_run(update.run_id, *update.expect_last_seq, run.record.last_seq);
        for (NewEvent& event : update.events)
            run.events.push_back(RunEvent{++run.record.last_seq, std::move(event.kind), std::move(event.step), std::move(event.payload), now});
        if (update.state) run.state = std::move(*update.state);
        for (auto& [key, value] : update.state_set) run.state[key] = std::move(value);
        if (update.status) {
            if (is_finished(*update.status)) finished_.push_back(update.run_id);
            run.record.status = *update.status;
        }
        if (update.tokens) run.record.tokens = *update.tokens;
        if (update.cost_usd) run.record.cost_usd = *update.cost_usd;
        if (update.error) run.record.error = std::move(*update.error);
        run.record.updated = now;
        const uint64_t seq = run.record.last_seq;
        forget_oldest_finished();
        return seq;
    }

    // The store keeps what a long-lived process needs (its unfinished runs,
    // its recent finished ones), not every run it ever made; with the mutex held.
    void forget_oldest_finished() {
        while (finished_.size() > keep_finished_) {
            runs_.erase(finished_.front());
            finished_.pop_front();
        }
    }

    const std::size_t keep_finished_;
    std::mutex mutex_;
    std::map<std::string, MemoryRun, std::less<>> runs_;
    std::deque<std::string> finished_;  //!< ids of finished runs, oldest first
    std::map<std::string, StoredConfig, std::less<>> configs_;
};

}  // namespace

std::unique_ptr<RunStore> make_memory_run_store(std::size_t keep_finished) {
    return std::make_unique<MemoryRunStore>(keep_finished);
}

}  // namespace agenthost
