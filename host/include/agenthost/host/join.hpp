// join.hpp: how a parallel step turns its branches' outcomes into one output.
#pragma once

#include <agenthost/host/workflow_config.hpp>

#include <boost/json/value.hpp>

#include <optional>
#include <string>
#include <vector>

namespace agenthost {

//! One branch as it ended: an output, or why it failed.
struct BranchOutcome {
    std::optional<boost::json::value> output;  //!< set when the branch succeeded
    std::string error;                          //!< why it failed, otherwise
};

struct JoinResult {
    std::optional<boost::json::value> output;  //!< the step's output, when the join succeeded
    std::string chosen;                         //!< the branch whose output it is ("" for all)
    std::string error;                          //!< why the join failed, otherwise
};

//! Joins the outcomes, given in branch (config) order, by the step's policy.
//! first_success here means: the earliest branch in config order that
//! succeeded (the engine resolves it sooner, by time, while branches run).
JoinResult join_outcomes(const ParallelStep& step, const std::vector<BranchOutcome>& outcomes);

}  // namespace agenthost
