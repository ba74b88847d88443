// arguments.hpp: the CLI's small argument parser. Options are declared as data
// (OptionSpec); parsing yields positionals and option values, or a UsageError
// that names the offending word and, when one is close, the option meant.
#pragma once

#include <map>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace agenthost::cli {

//! One option a command accepts: `--name` (a flag) or `--name VALUE`.
struct OptionSpec {
    std::string_view name;        //!< with the dashes: "--plugin-dir"
    std::string_view value_name;  //!< "DIR"; empty for a flag that takes no value
    std::string_view help;
    bool repeatable = false;      //!< may be given more than once; every value is kept
};

//! The command line was wrong; main prints it with the usage and exits 2.
class UsageError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class Arguments {
public:
    //! Accepts `--name VALUE`, `--name=VALUE`, `-h` for `--help`, and `--`
    //! (everything after it is positional). A word that starts with '-' and is
    //! not declared is an error, so a typo never turns into a positional.
    static Arguments parse(std::span<const std::string> args, std::span<const OptionSpec> options);

    bool has(std::string_view name) const;
    //! Every value given for `name`, in order; empty when absent.
    const std::vector<std::string>& values(std::string_view name) const;
    //! The last value given for `name`.
    std::optional<std::string> value(std::string_view name) const;
    const std::vector<std::string>& positionals() const noexcept { return positionals_; }

private:
    std::map<std::string, std::vector<std::string>, std::less<>> options_;
    std::vector<std::string> positionals_;
};

//! The candidate closest to `word`, when it is close enough to be the word
//! the user meant (a typo, a missing or extra letter).
std::optional<std::string_view> nearest(std::string_view word, std::span<const std::string_view> candidates);

//! " Did you mean 'x'?" or "".
std::string did_you_mean(std::string_view word, std::span<const std::string_view> candidates);

}  // namespace agenthost::cli
