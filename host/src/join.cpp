// join.cpp: all, first_success, vote and priority joins.
#include <agenthost/host/join.hpp>

#include <boost/json/serialize.hpp>

#include <map>

namespace agenthost {

namespace {

std::string failures(const ParallelStep& step, const std::vector<BranchOutcome>& outcomes) {
    std::string text;
    for (std::size_t i = 0; i < outcomes.size(); ++i) {
        if (outcomes[i].output) continue;
        if (!text.empty()) text += "; ";
        text += step.branches[i].name + ": " + outcomes[i].error;
    }
    return text;
}

JoinResult vote(const ParallelStep& step, const std::vector<BranchOutcome>& outcomes) {
    // Votes per value (compared as serialized JSON), and the earliest branch that cast each.
    std::map<std::string, std::pair<std::size_t, std::size_t>> tally;  // value -> (votes, first branch)
    for (std::size_t i = 0; i < outcomes.size(); ++i) {
        if (!outcomes[i].output) continue;
        boost::system::error_code ec;
        const boost::json::value* v = outcomes[i].output->find_pointer(step.vote_field, ec);
        if (v == nullptr) continue;
        auto [it, fresh] = tally.try_emplace(boost::json::serialize(*v), 0u, i);
        ++it->second.first;
    }
    if (tally.empty()) {
        return {std::nullopt, "", "no branch produced a vote at " + step.vote_field +
                                      (failures(step, outcomes).empty() ? "" : " (" + failures(step, outcomes) + ")")};
    }
    std::size_t best_votes = 0;
    for (const auto& [value, count] : tally) best_votes = std::max(best_votes, count.first);
    std::vector<std::pair<std::size_t, std::string>> tied;  // (first branch, value)
    for (const auto& [value, count] : tally)
        if (count.first == best_votes) tied.emplace_back(count.second, value);
    std::sort(tied.begin(), tied.end());
    if (tied.size() > 1 && step.tie == TieRule::fail) {
        std::string values;
        for (const auto& [branch, value] : tied) values += (values.empty() ? "" : ", ") + value;
        return {std::nullopt, "", "the vote on " + step.vote_field + " is tied between " + values};
    }
    const std::size_t winner = tied.front().first;
    return {outcomes[winner].output, step.branches[winner].name, ""};
}

}  // namespace

JoinResult join_outcomes(const ParallelStep& step, const std::vector<BranchOutcome>& outcomes) {
    switch (step.join) {
        case JoinPolicy::all: {
            boost::json::object joined;
            for (std::size_t i = 0; i < outcomes.size(); ++i) {
                if (!outcomes[i].output) return {std::nullopt, "", "join all needs every branch: " + failures(step, outcomes)};
                joined[step.branches[i].name] = *outcomes[i].output;
            }
            return {boost::json::value(std::move(joined)), "", ""};
        }
        case JoinPolicy::first_success:
        case JoinPolicy::priority:
            for (std::size_t i = 0; i < outcomes.size(); ++i)
                if (outcomes[i].output) return {outcomes[i].output, step.branches[i].name, ""};
            return {std::nullopt, "", "every branch failed: " + failures(step, outcomes)};
        case JoinPolicy::vote: return vote(step, outcomes);
    }
    return {std::nullopt, "", "unknown join policy"};
}

}  // namespace agenthost
