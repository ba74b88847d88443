// arguments.cpp: option parsing and the "did you mean" suggestion.
#include "arguments.hpp"

#include <agenthost/registry/nearest_name.hpp>

#include <algorithm>

namespace agenthost::cli {
namespace {

const OptionSpec* find_option(std::span<const OptionSpec> options, std::string_view name) {
    const auto it = std::find_if(options.begin(), options.end(), [&](const OptionSpec& o) { return o.name == name; });
    return it == options.end() ? nullptr : &*it;
}

}  // namespace

Arguments Arguments::parse(std::span<const std::string> args, std::span<const OptionSpec> options) {
    Arguments parsed;
    std::vector<std::string_view> names;
    for (const OptionSpec& o : options) names.push_back(o.name);

    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& arg = args[i];
        if (arg == "--") {
            parsed.positionals_.insert(parsed.positionals_.end(), args.begin() + static_cast<std::ptrdiff_t>(i) + 1,
                                       args.end());
            break;
        }
        if (arg.size() < 2 || arg[0] != '-') {
            parsed.positionals_.push_back(arg);
            continue;
        }
        std::string_view name = arg;
        std::optional<std::string> inline_value;
        if (const auto eq = name.find('='); eq != std::string_view::npos) {
            inline_value = std::string(name.substr(eq + 1));
            name = name.substr(0, eq);
        }
        if (name == "-h") name = "--help";
        const OptionSpec* spec = find_option(options, name);
        if (spec == nullptr) {
            throw UsageError("unknown option '" + std::string(name) + "'." + did_you_mean(name, names));
        }
        std::string value;
        if (spec->value_name.empty()) {
            if (inline_value) throw UsageError("option '" + std::string(name) + "' takes no value.");
        } else if (inline_value) {
            value = std::move(*inline_value);
        } else if (i + 1 < args.size()) {
            value = args[++i];
        } else {
            throw UsageError("option '" + std::string(name) + "' needs a value: " + std::string(name) + " " +
                             std::string(spec->value_name) + ".");
        }
        auto& slot = parsed.options_[std::string(name)];
        if (!slot.empty() && !spec->repeatable && !spec->value_name.empty()) {
            throw UsageError("option '" + std::string(name) + "' was given more than once; give it once.");
        }
        slot.push_back(std::move(value));
    }
    return parsed;
}

bool Arguments::has(std::string_view name) const { return options_.find(name) != options_.end(); }

const std::vector<std::string>& Arguments::values(std::string_view name) const {
    static const std::vector<std::string> none;
    const auto it = options_.find(name);
    return it == options_.end() ? none : it->second;
}

std::optional<std::string> Arguments::value(std::string_view name) const {
    const auto& all = values(name);
    if (all.empty()) return std::nullopt;
    return all.back();
}

std::optional<std::string_view> nearest(std::string_view word, std::span<const std::string_view> candidates) {
    const std::vector<std::string> names(candidates.begin(), candidates.end());
    if (const auto best = nearest_name(word, names)) {
        const auto it = std::find(candidates.begin(), candidates.end(), *best);
        if (it != candidates.end()) return *it;
    }
    // A typo is the usual mistake, but so is a word cut short: "insp" meant "inspect".
    std::optional<std::string_view> extended;
    for (const std::string_view candidate : candidates) {
        if (word.size() < 3 || !candidate.starts_with(word)) continue;
        if (extended) return std::nullopt;  // ambiguous
        extended = candidate;
    }
    return extended;
}

std::string did_you_mean(std::string_view word, std::span<const std::string_view> candidates) {
    const auto best = nearest(word, candidates);
    return best ? " Did you mean '" + std::string(*best) + "'?" : std::string();
}

}  // namespace agenthost::cli
