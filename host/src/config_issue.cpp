// config_issue.cpp: one config problem as a line an operator (or an editor's
// problem matcher) reads: file:line:column: pointer: message (hint).
#include <agenthost/host/config_issue.hpp>

namespace agenthost {

std::string ConfigIssue::to_string() const {
    std::string s = file;
    if (line > 0) s += ':' + std::to_string(line) + ':' + std::to_string(column);
    s += ": ";
    // The root has the empty pointer; printing nothing reads better than "".
    if (!pointer.empty()) s += pointer + ": ";
    s += message;
    if (!hint.empty()) s += " (" + hint + ")";
    return s;
}

}  // namespace agenthost
