// config_env.cpp: the ${ENV} pass. ${NAME} is replaced by a variable's value in
// the strings where the format promises it; "$${" stays a literal "${". One name
// is built in: ${CONFIG_DIR}, the absolute folder of the config file, so that a
// config can name files beside itself wherever it is run from. Neither the process
// environment nor an embedder's EnvLookup can change it.
#include "config_parts.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <cstdlib>
#include <system_error>

namespace agenthost {

EnvLookup process_environment() {
    return [](std::string_view name) -> std::optional<std::string> {
        const char* value = std::getenv(std::string(name).c_str());
        return value ? std::optional<std::string>(value) : std::nullopt;
    };
}

namespace config_parts {
namespace {

// The value of each ${NAME}: CONFIG_DIR is the loader's own, the rest come from the lookup.
class Variables {
public:
    Variables(const std::filesystem::path& file, const EnvLookup& env) : config_dir_(folder_of(file)), env_(env) {}

    std::optional<std::string> operator()(std::string_view name) const {
        if (name == "CONFIG_DIR") return config_dir_;
        return env_(name);
    }

private:
    // Absolute and without "." or "..": "config/support.json" run from /work is "/work/config".
    static std::string folder_of(const std::filesystem::path& file) {
        std::error_code ec;
        std::filesystem::path absolute = std::filesystem::absolute(file, ec);
        if (ec) absolute = file;  // no current directory to resolve against: the best there is
        return absolute.lexically_normal().parent_path().string();
    }

    std::string config_dir_;
    const EnvLookup& env_;
};

bool is_variable_name(std::string_view name) {
    if (name.empty() || (name[0] >= '0' && name[0] <= '9')) return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    });
}

// Expands ${NAME} in every string under `value`; "$${" stays a literal "${".
void expand_strings(json::value& value, const std::string& pointer, const Variables& vars, Issues& issues) {
    if (auto* object = value.if_object()) {
        for (auto& [key, child] : *object) expand_strings(child, member(pointer, key), vars, issues);
        return;
    }
    if (auto* array = value.if_array()) {
        for (std::size_t i = 0; i < array->size(); ++i) expand_strings((*array)[i], element(pointer, i), vars, issues);
        return;
    }
    json::string* text = value.if_string();
    if (text == nullptr || text->find('$') == json::string::npos) return;
    const std::string_view in(*text);
    std::string out;
    for (std::size_t i = 0; i < in.size();) {
        if (in.substr(i, 3) == "$${") {
            out += "${";
            i += 3;
            continue;
        }
        if (in.substr(i, 2) != "${") {
            out += in[i++];
            continue;
        }
        const std::size_t close = in.find('}', i + 2);
        const std::string_view name = in.substr(i + 2, close == std::string_view::npos ? 0 : close - i - 2);
        if (close == std::string_view::npos) {
            issues.add(Pass::env, pointer, quote(in.substr(i)) + " has no closing \"}\"",
                       "write ${NAME}, or $${ for a literal ${");
            break;
        }
        if (!is_variable_name(name)) {
            issues.add(Pass::env, pointer, quote(in.substr(i, close - i + 1)) + " is not a variable reference",
                       "a NAME is letters, digits and _, not starting with a digit; write $${ for a literal ${");
        } else if (auto found = vars(name)) {
            out += *found;
        } else {
            issues.add(Pass::env, pointer, "environment variable " + std::string(name) + " not set",
                       "set it in the host's environment, or write $${ for a literal ${");
        }
        i = close + 1;
    }
    *text = out;
}

}  // namespace

void expand_env(json::value& document, const std::filesystem::path& file, const EnvLookup& env, Issues& issues) {
    json::object* root = document.if_object();
    if (root == nullptr) return;
    const Variables vars(file, env);
    if (json::value* dirs = root->if_contains("plugin_dirs")) expand_strings(*dirs, "/plugin_dirs", vars, issues);
    if (json::value* secrets = root->if_contains("secrets"); secrets && secrets->is_object())
        for (auto& [name, secret] : secrets->get_object())
            if (json::value* path = secret.is_object() ? secret.get_object().if_contains("file") : nullptr)
                expand_strings(*path, member("/secrets", name) + "/file", vars, issues);
    json::value* agents = root->if_contains("agents");
    if (agents == nullptr || !agents->is_object()) return;
    for (auto& [name, agent] : agents->get_object()) {
        json::object* object = agent.if_object();
        if (object == nullptr) continue;
        const std::string pointer = member("/agents", name);
        if (json::value* config = object->if_contains("config")) expand_strings(*config, pointer + "/config", vars, issues);
        json::value* grants = object->if_contains("grants");
        if (grants == nullptr || !grants->is_object()) continue;
        for (const char* list : {"network", "secrets"})
            if (json::value* v = grants->get_object().if_contains(list))
                expand_strings(*v, pointer + "/grants/" + list, vars, issues);
    }
}

}  // namespace config_parts
}  // namespace agenthost
