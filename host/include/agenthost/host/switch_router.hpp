// switch_router.hpp: deterministic routing of a switch step on a state value.
#pragma once

#include <agenthost/host/workflow_config.hpp>

#include <boost/json/value.hpp>

#include <optional>
#include <regex>
#include <string>
#include <vector>

namespace agenthost {

class SwitchRouter {
public:
    //! Compiles the step's cases (regexes once, here).
    explicit SwitchRouter(const SwitchStep& step);

    //! The next step: the first case that holds for `value`, else the default.
    //! `value` is null when the pointer names nothing in state; only the
    //! default takes that.
    const std::string& route(const boost::json::value* value) const;

private:
    struct Case {
        SwitchOp op;
        boost::json::value operand;
        std::optional<std::regex> regex;
        std::string next;
    };
    static bool holds(const Case& c, const boost::json::value& value);

    std::vector<Case> cases_;
    std::string default_next_;
};

}  // namespace agenthost
