// main.cpp: the agenthost executable. Parses the global options, finds the
// command, sets up logging, runs it, and turns every outcome into an exit code:
// 0 ok, 1 failure, 2 usage. Nothing escapes main as a crash.
#include "arguments.hpp"
#include "command.hpp"

#include <agenthost/host/logging.hpp>
#include <agenthost/sdk.h>

#include <algorithm>
#include <exception>
#include <iostream>
#include <span>
#include <string>
#include <vector>

namespace agenthost::cli {
namespace {

constexpr std::string_view version_text = "agenthost " AGENTHOST_VERSION;

std::vector<OptionSpec> global_options() {
    return {
        {"--log-level", "LEVEL", "trace, debug, info, warn or error (default: warn)"},
        {"--log-format", "FORMAT", "text or json (default: text)"},
        {"--help", "", "show help and exit"},
    };
}

std::vector<Command> all_commands() {
    std::vector<Command> commands = workflow_commands();
    for (Command& c : batch_commands()) commands.push_back(std::move(c));
    for (Command& c : plugins_commands()) commands.push_back(std::move(c));
    for (Command& c : runs_commands()) commands.push_back(std::move(c));
    for (Command& c : approval_commands()) commands.push_back(std::move(c));
    return commands;
}

std::string synopsis(const Command& command) {
    std::string s = "agenthost";
    for (const std::string_view word : command.words) s += " " + std::string(word);
    for (const OptionSpec& option : command.options) {
        s += " [" + std::string(option.name);
        if (!option.value_name.empty()) s += " " + std::string(option.value_name);
        s += option.repeatable ? "]..." : "]";
    }
    if (!command.operands.empty()) s += " " + std::string(command.operands);
    return s;
}

void print_options(std::ostream& out, std::string_view heading, const std::vector<OptionSpec>& options) {
    std::vector<std::string> left;
    std::size_t width = 0;
    for (const OptionSpec& o : options) {
        std::string s(o.name);
        if (o.name == "--help") s += ", -h";
        if (!o.value_name.empty()) s += " " + std::string(o.value_name);
        width = std::max(width, s.size());
        left.push_back(std::move(s));
    }
    out << heading << ":\n";
    for (std::size_t i = 0; i < options.size(); ++i) {
        out << "  " << left[i] << std::string(width - left[i].size() + 2, ' ') << options[i].help << '\n';
    }
}

void print_usage(std::ostream& out, const std::vector<Command>& commands) {
    out << version_text << ": runs multi-agent workflows built from plugins.\n\n"
        << "usage: agenthost [GLOBAL OPTIONS] COMMAND [ARGS]\n\ncommands:\n";
    std::vector<std::pair<std::string, std::string_view>> rows;
    for (const Command& c : commands) {
        std::string left;
        for (const std::string_view word : c.words) left += (left.empty() ? "" : " ") + std::string(word);
        if (!c.operands.empty()) left += " " + std::string(c.operands);
        rows.emplace_back(std::move(left), c.summary);
    }
    rows.emplace_back("help [COMMAND]", "show help for a command");
    std::size_t width = 0;
    for (const auto& row : rows) width = std::max(width, row.first.size());
    for (const auto& [left, summary] : rows) out << "  " << left << std::string(width - left.size() + 2, ' ') << summary << '\n';
    out << '\n';
    auto options = global_options();
    options.push_back({"--version", "", "print the version and exit"});
    print_options(out, "global options", options);
    out << "\nPlugins are searched in every --plugin-dir, then in AGENTHOST_PLUGIN_PATH (':'-separated),\n"
           "then beside the executable (../lib/agenthost/plugins, or ../plugins in a build tree).\n"
           "Run 'agenthost help COMMAND' for a command's options.\n";
}

void print_command_help(std::ostream& out, const Command& command) {
    out << "usage: " << synopsis(command) << "\n\n" << command.summary << "\n\n";
    if (!command.options.empty()) {
        print_options(out, "options", command.options);
        out << '\n';
    }
    print_options(out, "global options", global_options());
}

std::vector<std::string_view> group_names(const std::vector<Command>& commands) {
    std::vector<std::string_view> groups;
    for (const Command& c : commands) {
        if (std::find(groups.begin(), groups.end(), c.words.front()) == groups.end()) groups.push_back(c.words.front());
    }
    return groups;
}

std::vector<std::string_view> subcommand_names(const std::vector<Command>& commands, std::string_view group) {
    std::vector<std::string_view> names;
    for (const Command& c : commands) {
        if (c.words.front() == group && c.words.size() > 1) names.push_back(c.words[1]);
    }
    return names;
}

const Command* find_command(const std::vector<Command>& commands, std::string_view group, std::string_view sub) {
    for (const Command& c : commands) {
        if (sub.empty() ? c.words.size() == 1 && c.words[0] == group
                        : c.words.size() == 2 && c.words[0] == group && c.words[1] == sub) {
            return &c;
        }
    }
    return nullptr;
}

std::string joined(const std::vector<std::string_view>& words) {
    std::string s;
    for (const std::string_view w : words) s += (s.empty() ? "" : ", ") + std::string(w);
    return s;
}

// The global options before the command word. A word that starts with '-'
// is an option; an option that takes a value takes the next word too.
std::size_t leading_options_end(std::span<const std::string> args, const std::vector<OptionSpec>& options) {
    std::size_t i = 0;
    while (i < args.size() && args[i].size() > 1 && args[i][0] == '-') {
        const std::string& arg = args[i];
        const bool takes_value = std::any_of(options.begin(), options.end(), [&](const OptionSpec& o) {
            return o.name == arg && !o.value_name.empty();
        });
        i += takes_value ? 2 : 1;
    }
    return std::min(i, args.size());
}

struct GlobalSettings {
    LoggingOptions logging{LogLevel::warning, LogFormat::text, nullptr};
};

// Global options may come before the command or after it; the later one wins.
void apply_global_options(const Arguments& args, GlobalSettings& settings) {
    if (const auto level = args.value("--log-level")) {
        const auto parsed = parse_log_level(*level);
        if (!parsed) {
            const std::vector<std::string_view> names = {"trace", "debug", "info", "warn", "error"};
            throw UsageError("--log-level: unknown level '" + *level + "'; expected one of " + joined(names) + "." +
                             did_you_mean(*level, names));
        }
        settings.logging.min_level = *parsed;
    }
    if (const auto format = args.value("--log-format")) {
        const auto parsed = parse_log_format(*format);
        if (!parsed) throw UsageError("--log-format: unknown format '" + *format + "'; expected text or json.");
        settings.logging.format = *parsed;
    }
}

class Cli {
public:
    Cli(std::ostream& out, std::ostream& err) : out_(out), err_(err), commands_(all_commands()) {}

    int run(std::span<const std::string> args) {
        try {
            return dispatch(args);
        } catch (const UsageError& e) {
            err_ << "agenthost: " << e.what() << "\n\n";
            if (current_ != nullptr) {
                print_command_help(err_, *current_);
            } else {
                print_usage(err_, commands_);
            }
            return exit_usage;
        }
    }

private:
    int dispatch(std::span<const std::string> args) {
        auto top_options = global_options();
        top_options.push_back({"--version", "", "print the version and exit"});
        const std::size_t first_word = leading_options_end(args, top_options);
        const Arguments top = Arguments::parse(args.first(first_word), top_options);
        if (top.has("--help")) {
            print_usage(out_, commands_);
            return exit_ok;
        }
        if (top.has("--version")) {
            out_ << version_text << " (plugin ABI " << AH_ABI_MAJOR << "." << AH_ABI_MINOR << ")\n";
            return exit_ok;
        }
        GlobalSettings settings;
        apply_global_options(top, settings);

        const auto words = args.subspan(first_word);
        if (words.empty()) throw UsageError("missing command.");
        if (words[0] == "help") return help(words.subspan(1));

        const std::string& group = words[0];
        auto groups = group_names(commands_);
        if (std::find(groups.begin(), groups.end(), group) == groups.end()) {
            groups.push_back("help");
            throw UsageError("unknown command '" + group + "'." + did_you_mean(group, groups));
        }
        // A command is one word ("run") or a group and a subcommand ("plugins list").
        const Command* command = find_command(commands_, group, "");
        std::size_t consumed = 1;
        if (command == nullptr) {
            const auto subs = subcommand_names(commands_, group);
            if (words.size() < 2 || words[1].starts_with("-")) {
                if (words.size() >= 2 && (words[1] == "--help" || words[1] == "-h")) {
                    print_group_help(out_, group);
                    return exit_ok;
                }
                throw UsageError("'" + group + "' needs a subcommand: " + joined(subs) + ".");
            }
            command = find_command(commands_, group, words[1]);
            if (command == nullptr) {
                throw UsageError("unknown command '" + group + " " + words[1] + "'; '" + group + "' has " +
                                 joined(subs) + "." + did_you_mean(words[1], subs));
            }
            consumed = 2;
        }
        current_ = command;

        auto options = command->options;
        const auto globals = global_options();
        options.insert(options.end(), globals.begin(), globals.end());
        const Arguments parsed = Arguments::parse(words.subspan(consumed), options);
        if (parsed.has("--help")) {
            print_command_help(out_, *command);
            return exit_ok;
        }
        const auto& operands = parsed.positionals();
        if (operands.size() < command->min_positionals) {
            throw UsageError("missing " + std::string(command->operands) + ".");
        }
        if (operands.size() > command->max_positionals) {
            throw UsageError("unexpected argument '" + operands[command->max_positionals] + "'.");
        }
        apply_global_options(parsed, settings);

        settings.logging.stream = &err_;
        const Logging logging(settings.logging);
        const Logger logger;
        return command->run(Invocation{parsed, logger, out_, err_});
    }

    int help(std::span<const std::string> topic) {
        if (topic.empty()) {
            print_usage(out_, commands_);
            return exit_ok;
        }
        if (topic.size() >= 2) {
            if (const Command* command = find_command(commands_, topic[0], topic[1])) {
                print_command_help(out_, *command);
                return exit_ok;
            }
        }
        auto groups = group_names(commands_);
        if (std::find(groups.begin(), groups.end(), topic[0]) != groups.end()) {
            print_group_help(out_, topic[0]);
            return exit_ok;
        }
        throw UsageError("no help for '" + topic[0] + "': there is no such command." + did_you_mean(topic[0], groups));
    }

    void print_group_help(std::ostream& out, std::string_view group) const {
        for (const Command& c : commands_) {
            if (c.words.front() != group) continue;
            out << "usage: " << synopsis(c) << "\n    " << c.summary << "\n";
        }
    }

    std::ostream& out_;
    std::ostream& err_;
    std::vector<Command> commands_;
    const Command* current_ = nullptr;  //!< the command being parsed, for the usage that follows an error
};

}  // namespace
}  // namespace agenthost::cli

int main(int argc, char** argv) {
    try {
        const std::vector<std::string> args(argv + std::min(argc, 1), argv + argc);
        agenthost::cli::Cli cli(std::cout, std::cerr);
        const int code = cli.run(args);
        std::cout.flush();
        return std::cout ? code : agenthost::cli::exit_failure;  // e.g. stdout closed under a pipe
    } catch (const std::exception& e) {
        std::cerr << "agenthost: error: " << e.what() << '\n';
    } catch (...) {
        std::cerr << "agenthost: error: unexpected failure\n";
    }
    return agenthost::cli::exit_failure;
}
