// config_issue.hpp: one problem found in a config file, located precisely
// enough for an operator (and an editor) to jump to it.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace agenthost {

struct ConfigIssue {
    std::string file;
    std::size_t line = 0;    //!< 1-based; 0 when unknown
    std::size_t column = 0;  //!< 1-based
    std::string pointer;     //!< JSON pointer into the file, "" for the whole document
    std::string message;     //!< what is wrong and what was expected
    std::string hint;        //!< what to do, e.g. `did you mean "triage"?`; may be empty

    //! "config/support.json:12:5: /steps/route/cases/0/next: no step named \"reserch\" (did you mean \"research\"?)"
    std::string to_string() const;
};

//! Every problem at once, in file order.
using ConfigIssues = std::vector<ConfigIssue>;

}  // namespace agenthost
