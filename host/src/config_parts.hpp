// config_parts.hpp: the parts of the config loader, private to host/src/config_*.cpp.
// config_loader.cpp runs the passes in order and collects what they find:
//   syntax   (config_loader.cpp)           JSON with comments and trailing commas, duplicate keys
//   schema   (config_schema_messages.cpp)  config/schema/workflow.schema.json, violations explained
//   env      (config_env.cpp)              ${NAME} and the built-in ${CONFIG_DIR}
//   meaning  (config_model.cpp reads the document into a WorkflowConfig and checks each value
//             as it reads it; config_meaning.cpp checks the whole: names, reachability,
//             unbounded loops, one writer per state key)
// config_wording.cpp holds the words every pass's messages share.
#pragma once

#include <agenthost/host/config_loader.hpp>
#include <agenthost/host/source_map.hpp>
#include <agenthost/host/workflow_config.hpp>
#include <agenthost/registry/json_text.hpp>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace agenthost {
// Hidden: the loader's insides stay out of libagenthost's exported symbols.
namespace [[gnu::visibility("hidden")]] config_parts {

namespace json = boost::json;

// ------------------------------------------------------------------ words (config_wording.cpp)

//! "x" as JSON writes it, so that odd characters in names stay readable and unambiguous.
std::string quote(std::string_view s);
//! A number as people write it: 1.5 rather than serialize()'s 1.5E0.
std::string number_text(const json::value& v);
//! What a value is, for "found ..." in messages; "nothing" for nullptr.
std::string describe(const json::value* v);
std::string joined(const std::vector<std::string>& items, std::string_view separator = ", ");
//! `pointer` + "/" + `key` as one escaped token.
std::string member(std::string_view pointer, std::string_view key);
//! `pointer` + "/" + `index`.
std::string element(std::string_view pointer, std::size_t index);
//! The unescaped tokens of a JSON pointer ("" has none).
std::vector<std::string> pointer_tokens(std::string_view pointer);
//! `did you mean "x"?` when one of `names` is likely meant, else "".
std::string did_you_mean(std::string_view name, const std::vector<std::string>& names);
//! `did you mean "x"?`, or else the `what` that exist ("steps: "a", "b"" or "no steps are defined").
std::string name_hint(std::string_view name, const std::vector<std::string>& names, std::string_view what);

// ------------------------------------------------------------------ issues (config_loader.cpp)

//! In the order they run. An issue where an earlier pass already reported one
//! is a consequence of that one (a missing ${VAR} makes a URL pattern invalid), so it is dropped.
enum class Pass { syntax, schema, env, meaning };

//! What every pass found, located through the config's SourceMap.
class Issues {
public:
    explicit Issues(const WorkflowConfig& config) : config_(config) {}

    void add(Pass pass, std::string_view pointer, std::string message, std::string hint = {});
    //! At the member's key rather than its value: the key is what is wrong.
    void add_at_key(Pass pass, std::string_view pointer, std::string message, std::string hint = {});
    void add_at(Pass pass, TextPosition position, std::string_view pointer, std::string message,
                std::string hint = {});

    bool empty() const noexcept { return items_.empty(); }
    //! Whether the schema found anything at `prefix` or below it (the root counts everywhere).
    bool schema_found_under(std::string_view prefix) const;
    //! Every issue once, in file order.
    ConfigIssues take();

private:
    struct Item {
        Pass pass;
        ConfigIssue issue;
    };

    const WorkflowConfig& config_;
    std::vector<Item> items_;
};

// ------------------------------------------------------------------ schema (config_schema_messages.cpp)

//! Checks `document` against the built-in workflow schema and reports each
//! violation as an operator reads it: what was expected, what was found, a hint.
void check_schema(const json::value& document, Issues& issues);

// ------------------------------------------------------------------ ${ENV} (config_env.cpp)

//! Expands ${NAME} where the format promises it (plugin_dirs, secrets' files, agent
//! config, granted URLs and secret names). ${CONFIG_DIR} is built in: the absolute folder of `file`,
//! whatever `env` says; every other NAME comes from `env`.
void expand_env(json::value& document, const std::filesystem::path& file, const EnvLookup& env, Issues& issues);

// ------------------------------------------------------------------ the model (config_model.cpp)

//! A name used somewhere in the config: a step or an agent that must exist.
struct Reference {
    std::string name;
    std::string pointer;
    std::optional<std::size_t> from;  //!< the step the edge leaves; none for start and agents
};

//! A step that writes a top-level state key.
struct Writer {
    std::string key;
    std::string pointer;
    std::size_t step;  //!< index into Model::step_names
    bool implicit;     //!< no "writes": the step's name is its key
};

//! What reading the config learnt that the checks across it need.
struct Model {
    std::vector<std::string> step_names;   //!< every step key, even one whose kind is unusable
    std::vector<std::string> agent_names;  //!< every agent key
    std::vector<std::string> secret_names;  //!< every secret key, even one that is unusable
    bool secrets_readable = true;  //!< "secrets" is absent or an object: grants can be checked against it
    std::vector<Reference> step_refs;
    std::vector<Reference> agent_refs;
    std::vector<Reference> escalation_refs;  //!< names that must be approval steps
    std::vector<Writer> writers;
    bool all_steps_built = true;  //!< false when a step's kind is unusable (the schema said why)
    bool max_steps_set = false;
    bool have_agents = false;  //!< "agents" is an object
    bool have_steps = false;   //!< "steps" is an object
};

//! Fills `config` from the (schema-checked, expanded) document. A value of the wrong
//! type reads as its default, since the schema pass has reported it. Checks that need
//! only the value being read (plugin references, grants, fallbacks to oneself, error
//! budgets, switch cases, branch names, joins) are made as it is read.
Model build_model(const json::object& root, WorkflowConfig& config, Issues& issues);

// ------------------------------------------------------------------ meaning (config_meaning.cpp)

//! Reports `pattern` if std::regex (ECMAScript) refuses it; `at` is the switch case.
void check_regex(std::string_view pattern, const std::string& at, Issues& issues);

//! The checks across the whole config: names that must exist (steps, agents, granted
//! secrets), fallback loops, one
//! writer per state key; and, when the step graph is fully known, reachability from
//! start, loops without limits.max_steps, and reads from keys no step writes.
void check_meaning(const WorkflowConfig& config, const Model& model, Issues& issues);

}  // namespace config_parts
}  // namespace agenthost
