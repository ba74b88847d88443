// config_meaning.cpp: the meaning checks, everything the schema cannot say:
// steps, agents and granted secrets named must exist, fallback chains must end, each state key has
// one writer, every step is reachable from start, loops are bounded by
// limits.max_steps, reads come from keys some step writes, and switch patterns
// are regular expressions std::regex accepts.
#include "config_parts.hpp"

#include <algorithm>
#include <deque>
#include <map>
#include <regex>
#include <set>
#include <variant>

namespace agenthost::config_parts {
namespace {

// Whether a *, +, ? or {n} has nothing before it to repeat ("*urgent", "(+x)", "a|?").
// libstdc++ reports these as unbalanced parentheses, which would mislead.
bool repeats_nothing(std::string_view pattern) {
    bool atom = false;  // whether the last thing read can be repeated
    for (std::size_t i = 0; i < pattern.size(); ++i) {
        const char c = pattern[i];
        if (c == '\\') {
            ++i;
            atom = true;
        } else if (c == '[') {
            for (++i; i < pattern.size() && pattern[i] != ']'; ++i)
                if (pattern[i] == '\\') ++i;
            atom = true;
        } else if (c == '(' || c == '|' || c == '^') {
            if (c == '(' && pattern.substr(i + 1, 1) == "?") i += 2;  // (?: (?= (?!
            atom = false;
        } else if (c == '*' || c == '+' || c == '?' || c == '{') {
            if (!atom) return true;
            if (c == '{') i = std::min(pattern.find('}', i), pattern.size());
            if (i + 1 < pattern.size() && pattern[i + 1] == '?') ++i;  // lazy
        } else {
            atom = c != '$';
        }
    }
    return false;
}

// Why std::regex refused a pattern, in words that do not depend on the standard library's version.
std::string regex_problem(std::string_view pattern, std::regex_constants::error_type code) {
    namespace rc = std::regex_constants;
    if (repeats_nothing(pattern)) return "*, +, ? or {n} with nothing before it to repeat";
    switch (code) {
        case rc::error_paren: return "a bad or unbalanced ( )";
        case rc::error_brack: return "unbalanced [ ]";
        case rc::error_brace: return "unbalanced { }";
        case rc::error_badbrace: return "a bad {n,m} repeat";
        case rc::error_range: return "a bad character range";
        case rc::error_badrepeat: return "a bad repeat";
        case rc::error_escape: return "a bad escape";
        case rc::error_backref: return "a back-reference to a group that does not exist";
        case rc::error_ctype: return "an unknown character class";
        case rc::error_collate: return "an unknown collating element";
        default: return "too complex";
    }
}

//! Loops in a graph of n nodes: for each strongly connected part that has one,
//! a shortest cycle from its first node (in config order) back to itself.
std::vector<std::vector<std::size_t>> find_loops(const std::vector<std::vector<std::size_t>>& edges) {
    const std::size_t n = edges.size();
    // Reachability by one BFS per node: configs have tens of steps, not millions.
    std::vector<std::vector<bool>> reach(n, std::vector<bool>(n, false));
    for (std::size_t from = 0; from < n; ++from) {
        std::deque<std::size_t> queue(edges[from].begin(), edges[from].end());
        while (!queue.empty()) {
            const std::size_t at = queue.front();
            queue.pop_front();
            if (reach[from][at]) continue;
            reach[from][at] = true;
            queue.insert(queue.end(), edges[at].begin(), edges[at].end());
        }
    }
    std::vector<bool> covered(n, false);
    std::vector<std::vector<std::size_t>> loops;
    for (std::size_t start = 0; start < n; ++start) {
        if (covered[start] || !reach[start][start]) continue;
        std::vector<bool> part(n, false);  // the strongly connected part holding `start`
        for (std::size_t other = 0; other < n; ++other)
            if (reach[start][other] && reach[other][start]) covered[other] = part[other] = true;
        // Shortest way back to `start`, by BFS with parents.
        std::vector<std::size_t> parent(n, n);
        std::deque<std::size_t> queue{start};
        std::size_t last = n;
        while (!queue.empty() && last == n) {
            const std::size_t at = queue.front();
            queue.pop_front();
            for (std::size_t next : edges[at]) {
                if (next == start) {
                    last = at;
                    break;
                }
                if (parent[next] == n && part[next]) {
                    parent[next] = at;
                    queue.push_back(next);
                }
            }
        }
        std::vector<std::size_t> loop{start};
        for (std::size_t at = last; at != start && at != n; at = parent[at]) loop.insert(loop.begin() + 1, at);
        loop.push_back(start);
        loops.push_back(std::move(loop));
    }
    return loops;
}

class MeaningChecker {
public:
    MeaningChecker(const WorkflowConfig& config, const Model& model, Issues& issues)
        : config_(config), model_(model), issues_(issues) {}

    void check() {
        check_names();
        check_fallback_loops();
        check_writes();
        // Reachability, loops and read keys need the whole graph; a step the schema
        // refused has edges nobody knows, and would only produce noise here.
        if (model_.all_steps_built && !issues_.schema_found_under("/steps") && !issues_.schema_found_under("/start") &&
            config_.step(config_.start)) {
            check_reachable();
            if (!model_.max_steps_set) check_step_loops();
            check_read_keys();
        }
    }

private:
    void check_names() {
        std::set<std::string> reported;  // one place may refer to a step from several edges (escalate_to)
        for (const Reference& ref : step_refs_)
            if (model_.have_steps && std::find(step_names_.begin(), step_names_.end(), ref.name) == step_names_.end() &&
                reported.insert(ref.pointer).second)
                issues_.add(Pass::meaning, ref.pointer, "no step named " + quote(ref.name),
                            name_hint(ref.name, step_names_, "steps"));
        for (const Reference& ref : model_.escalation_refs) {
            const StepConfig* target = config_.step(ref.name);
            if (target == nullptr) {
                if (model_.have_steps && reported.insert(ref.pointer).second)
                    issues_.add(Pass::meaning, ref.pointer, "no step named " + quote(ref.name),
                                name_hint(ref.name, step_names_, "steps"));
            } else if (!std::holds_alternative<ApprovalStep>(target->body)) {
                issues_.add(Pass::meaning, ref.pointer,
                            "runs are escalated to a person: " + quote(ref.name) + " must be an approval step",
                            "add a step of kind \"approval\" and name it here");
            }
        }
        for (const Reference& ref : agent_refs_)
            if (model_.have_agents && std::find(agent_names_.begin(), agent_names_.end(), ref.name) == agent_names_.end())
                issues_.add(Pass::meaning, ref.pointer, "no agent named " + quote(ref.name),
                            name_hint(ref.name, agent_names_, "agents"));
        if (model_.secrets_readable) check_granted_secrets();
    }

    // A grant of a secret no value is given for could only ever be refused at run time.
    void check_granted_secrets() {
        const std::vector<std::string>& names = model_.secret_names;
        for (const AgentConfig& agent : config_.agents) {
            for (std::size_t i = 0; i < agent.grants.secrets.size(); ++i) {
                const std::string& name = agent.grants.secrets[i];
                if (std::find(names.begin(), names.end(), name) != names.end()) continue;
                std::string hint = did_you_mean(name, names);
                if (hint.empty()) {
                    const bool env_like = std::regex_match(name, std::regex("[A-Za-z_][A-Za-z0-9_]*"));
                    hint = "define it under \"secrets\", e.g. " + quote(name) + ": {\"env\": " +
                           quote(env_like ? name : "VARIABLE") + "}";
                }
                issues_.add(Pass::meaning, element(agent.pointer + "/grants/secrets", i),
                            "agent " + quote(agent.name) + " is granted secret " + quote(name) +
                                ", which \"secrets\" does not define",
                            std::move(hint));
            }
        }
    }

    void check_fallback_loops() {
        std::vector<std::vector<std::size_t>> edges(config_.agents.size());
        for (std::size_t i = 0; i < config_.agents.size(); ++i)
            for (const std::string& target : config_.agents[i].fallback)
                if (auto it = std::find(agent_names_.begin(), agent_names_.end(), target); it != agent_names_.end())
                    edges[i].push_back(static_cast<std::size_t>(it - agent_names_.begin()));
        for (const auto& loop : find_loops(edges)) {
            std::vector<std::string> names;
            for (std::size_t i : loop) names.push_back(agent_names_[i]);
            issues_.add(Pass::meaning, config_.agents[loop.front()].pointer + "/fallback",
                        "fallbacks " + joined(names, " → ") + " form a loop",
                        "a fallback chain must end; remove one of these fallbacks");
        }
    }

    void check_writes() {
        std::map<std::string, std::size_t> owner;
        for (const Writer& w : writers_) {
            // A key nobody typed needs saying where it came from.
            const std::string by_default =
                w.implicit ? "; step " + quote(step_names_[w.step]) + " writes it because \"writes\" defaults to the step's name"
                           : "";
            if (w.key == "input") {
                issues_.add(Pass::meaning, w.pointer,
                            "state key \"input\" is reserved for the run's input" + by_default,
                            w.implicit ? "set \"writes\" to another key" : "write to another key");
                continue;
            }
            if (const auto [it, fresh] = owner.emplace(w.key, w.step); !fresh) {
                issues_.add(Pass::meaning, w.pointer,
                            "state key " + quote(w.key) + " is already written by step " +
                                quote(step_names_[it->second]) + by_default,
                            "each key has one writer; give one of the steps another \"writes\"");
            }
        }
    }

    std::vector<std::vector<std::size_t>> step_edges() const {
        std::vector<std::vector<std::size_t>> edges(step_names_.size());
        for (const Reference& ref : step_refs_) {
            const auto it = std::find(step_names_.begin(), step_names_.end(), ref.name);
            if (ref.from && it != step_names_.end()) edges[*ref.from].push_back(static_cast<std::size_t>(it - step_names_.begin()));
        }
        return edges;
    }

    void check_reachable() {
        const auto edges = step_edges();
        const std::size_t start =
            static_cast<std::size_t>(std::find(step_names_.begin(), step_names_.end(), config_.start) - step_names_.begin());
        std::vector<bool> reached(step_names_.size(), false);
        std::deque<std::size_t> queue{start};
        while (!queue.empty()) {
            const std::size_t at = queue.front();
            queue.pop_front();
            if (reached[at]) continue;
            reached[at] = true;
            queue.insert(queue.end(), edges[at].begin(), edges[at].end());
        }
        for (std::size_t i = 0; i < step_names_.size(); ++i)
            if (!reached[i])
                issues_.add(Pass::meaning, member("/steps", step_names_[i]),
                            "step " + quote(step_names_[i]) + " is never reached from start " + quote(config_.start),
                            "route to it from another step, or remove it");
    }

    void check_step_loops() {
        for (const auto& loop : find_loops(step_edges())) {
            std::vector<std::string> names;
            for (std::size_t i : loop) names.push_back(step_names_[i]);
            issues_.add(Pass::meaning, member("/steps", names.front()),
                        "steps " + joined(names, " → ") + " form a loop with no bound; set limits.max_steps");
        }
    }

    // A read from a key no step writes is a typo or a missing step: it would read nothing at run time.
    void check_read_keys() {
        std::vector<std::string> keys{"input"};
        for (const Writer& w : writers_)
            if (std::find(keys.begin(), keys.end(), w.key) == keys.end()) keys.push_back(w.key);
        const auto check = [&](const std::string& pointer, const std::string& at) {
            const auto tokens = pointer_tokens(pointer);
            if (tokens.empty() || std::find(keys.begin(), keys.end(), tokens.front()) != keys.end()) return;
            issues_.add(Pass::meaning, at, "no step writes state key " + quote(tokens.front()),
                        name_hint(tokens.front(), keys, "state keys"));
        };
        const auto check_all = [&](const std::vector<InputBinding>& reads, const std::string& at) {
            for (const InputBinding& b : reads) {
                if (b.otherwise.empty()) {
                    check(b.pointer, member(at, b.field));
                    continue;
                }
                check(b.pointer, member(at, b.field) + "/0");
                for (std::size_t i = 0; i < b.otherwise.size(); ++i)
                    check(b.otherwise[i], member(at, b.field) + "/" + std::to_string(i + 1));
            }
        };
        for (const StepConfig& step : config_.steps) {
            const std::string& at = step.pointer;
            if (const auto* a = std::get_if<AgentStep>(&step.body)) check_all(a->reads, at + "/reads");
            if (const auto* s = std::get_if<SwitchStep>(&step.body)) check(s->on, at + "/on");
            if (const auto* e = std::get_if<EndStep>(&step.body)) check(e->result, at + "/result");
            if (const auto* r = std::get_if<ReviewStep>(&step.body)) {
                check_all(r->reads, at + "/reads");
                check_all(r->reviewer_reads, at + "/reviewer_reads");
            }
            if (const auto* p = std::get_if<ParallelStep>(&step.body))
                for (std::size_t i = 0; i < p->branches.size(); ++i)
                    check_all(p->branches[i].reads, element(at + "/branches", i) + "/reads");
            if (const auto* a = std::get_if<ApprovalStep>(&step.body)) {
                check_all(a->shows, at + "/shows");
                if (!a->edits.empty()) check(a->edits, at + "/edits");
            }
        }
    }

    const WorkflowConfig& config_;
    const Model& model_;
    Issues& issues_;
    const std::vector<std::string>& step_names_ = model_.step_names;
    const std::vector<std::string>& agent_names_ = model_.agent_names;
    const std::vector<Reference>& step_refs_ = model_.step_refs;
    const std::vector<Reference>& agent_refs_ = model_.agent_refs;
    const std::vector<Writer>& writers_ = model_.writers;
};

}  // namespace

void check_regex(std::string_view pattern, const std::string& at, Issues& issues) {
    try {
        std::regex compiled(pattern.begin(), pattern.end(), std::regex::ECMAScript);
    } catch (const std::regex_error& e) {
        issues.add(Pass::meaning, at + "/matches",
                   quote(pattern) + " is not a valid regular expression (ECMAScript): " + regex_problem(pattern, e.code()));
    }
}

void check_meaning(const WorkflowConfig& config, const Model& model, Issues& issues) {
    MeaningChecker(config, model, issues).check();
}

}  // namespace agenthost::config_parts
