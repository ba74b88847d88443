// command.hpp: how the CLI describes a command, so that main can parse, check,
// document and dispatch every command the same way. Each command group (a file
// such as plugins_command.cpp) contributes a table of these.
#pragma once

#include "arguments.hpp"

#include <agenthost/host/logging.hpp>

#include <cstddef>
#include <iosfwd>
#include <string_view>
#include <vector>

namespace agenthost::cli {

//! Exit codes: the contract with scripts that run the CLI.
inline constexpr int exit_ok = 0;
inline constexpr int exit_failure = 1;
inline constexpr int exit_usage = 2;

//! What a command runs with: its parsed arguments, the log, and where to write.
//! Results go to `out`, diagnostics to `err`, so that `out` stays parseable.
struct Invocation {
    const Arguments& args;
    const Logger& logger;
    std::ostream& out;
    std::ostream& err;
};

struct Command {
    std::vector<std::string_view> words;  //!< {"plugins", "list"}
    std::string_view operands;            //!< synopsis of the positionals, e.g. "NAME[@CONSTRAINT]|PATH"
    std::string_view summary;             //!< one line for the command list
    std::vector<OptionSpec> options;      //!< besides the global ones
    std::size_t min_positionals = 0;
    std::size_t max_positionals = 0;
    int (*run)(const Invocation&) = nullptr;  //!< returns an exit code
};

//! The `plugins` group: list, inspect.
std::vector<Command> plugins_commands();
//! validate, run, test-agent.
std::vector<Command> workflow_commands();
//! batch: one workflow over a JSON Lines file of inputs.
std::vector<Command> batch_commands();
//! The `runs` group: list, show, prune (a run store's records).
std::vector<Command> runs_commands();
//! approve, resume: decisions on waiting runs, and taking stored runs up again.
std::vector<Command> approval_commands();

}  // namespace agenthost::cli
