// plugins_command.cpp: `agenthost plugins list` and `agenthost plugins inspect`,
// what an operator runs to see which plugins the host would load, which it
// refused and why, and the exact manifest and digest of one of them.
#include "command.hpp"
#include "plugin_search_path.hpp"
#include "pretty_json.hpp"

#include <agenthost/registry/registry.hpp>
#include <agenthost/registry/sha256.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

namespace agenthost::cli {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

int fail(const Invocation& inv, const Error& error) {
    inv.err << "agenthost: error: " << error.to_string() << '\n';
    return exit_failure;
}

Result<std::vector<fs::path>> search_path(const Invocation& inv) {
    auto dirs = cli_plugin_search_path(inv.args.values("--plugin-dir"), inv.logger);
    if (dirs && dirs->empty()) {
        return Error{"", "there is no plugin directory to search",
                     "pass --plugin-dir DIR, or list directories in AGENTHOST_PLUGIN_PATH"};
    }
    return dirs;
}

Registry scan(const std::vector<fs::path>& dirs, const Logger& logger) {
    for (const fs::path& dir : dirs) logger.log(LogLevel::debug, "scanning plugin directory " + dir.string());
    Registry registry(RegistryOptions{dirs, nullptr});
    registry.scan();
    logger.log(LogLevel::debug, "plugins loaded: " + std::to_string(registry.plugins().size()) +
                                    ", files refused: " + std::to_string(registry.refusals().size()));
    return registry;
}

std::string abi_of(const PluginLibrary& plugin) {
    return std::to_string(plugin.abi_major()) + "." + std::to_string(plugin.abi_minor());
}

// Known bits by name; bits this host does not know (from a newer plugin) in hex, never hidden.
std::vector<std::string> flag_names(uint64_t flags) {
    std::vector<std::string> names;
    if ((flags & AH_PLUGIN_CONCURRENT_INVOKE) != 0) {
        names.emplace_back("concurrent_invoke");
        flags &= ~uint64_t{AH_PLUGIN_CONCURRENT_INVOKE};
    }
    for (unsigned bit = 0; bit < 64; ++bit) {
        const uint64_t mask = uint64_t{1} << bit;
        if ((flags & mask) == 0) continue;
        char buf[24];
        std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(mask));
        names.emplace_back(buf);
    }
    return names;
}

std::string join(const std::vector<std::string>& items, std::string_view separator, std::string_view if_empty) {
    if (items.empty()) return std::string(if_empty);
    std::string out;
    for (const std::string& item : items) {
        if (!out.empty()) out += separator;
        out += item;
    }
    return out;
}

// Reasons can span lines (a manifest with several problems); keep them under their file.
std::string indented(std::string_view text, std::size_t spaces) {
    std::string out(spaces, ' ');
    for (const char c : text) {
        out += c;
        if (c == '\n') out.append(spaces, ' ');
    }
    return out;
}

json::array flags_json(uint64_t flags) {
    json::array out;
    for (const std::string& name : flag_names(flags)) out.emplace_back(name);
    return out;
}

json::value refusal_json(const PluginRefusal& refusal) {
    json::object o;
    o["file"] = refusal.file.string();
    o["plugin"] = refusal.plugin.empty() ? json::value(nullptr) : json::value(refusal.plugin);
    o["reason"] = refusal.reason;
    return o;
}

void print_refusal(std::ostream& out, const PluginRefusal& refusal) {
    out << "  " << refusal.file.string();
    if (!refusal.plugin.empty()) out << "  (" << refusal.plugin << ")";
    out << '\n' << indented(refusal.reason, 4) << '\n';
}

// The schema as the plugin declared it: the compiled schema's source, else the manifest's member.
json::value schema_of(const PluginManifest& manifest, const std::shared_ptr<const JsonSchema>& compiled,
                      std::string_view key) {
    // An output schema that each agent's config states is shown as declared
    // ({"$config": ..., "otherwise": ...}), not as its `otherwise` alone.
    const bool per_agent = key == "output_schema" && manifest.output_schema_in_config;
    if (compiled && !per_agent) return compiled->source();
    if (const auto* object = manifest.json.if_object()) {
        if (const json::value* member = object->if_contains(key)) return *member;
    }
    return nullptr;
}

// ------------------------------------------------------------------ list

// The requested permissions on one line, for the list:
// "network https://api.example.com/*; secrets KEY; context read /a, write /b; services ah.http/1".
std::string permissions_summary(const Permissions& p) {
    std::vector<std::string> parts;
    const auto add = [&](std::string_view label, const std::vector<std::string>& values) {
        if (!values.empty()) parts.push_back(std::string(label) + ' ' + join(values, ", ", ""));
    };
    add("network", p.network);
    add("secrets", p.secrets);
    std::vector<std::string> context;
    if (!p.context_read.empty()) context.push_back("read " + join(p.context_read, ", ", ""));
    if (!p.context_write.empty()) context.push_back("write " + join(p.context_write, ", ", ""));
    add("context", context);
    add("services", p.services);
    return join(parts, "; ", "none");
}

void print_list_text(std::ostream& out, const Registry& registry, const std::vector<fs::path>& dirs) {
    struct Row {
        std::string name, version, abi, flags, file, description;
        std::string permissions;  // the indented line under the row; empty for the header
    };
    std::vector<Row> rows;
    rows.push_back({"NAME", "VERSION", "ABI", "FLAGS", "FILE", "DESCRIPTION", ""});
    for (const auto& plugin : registry.plugins()) {
        const PluginManifest& m = plugin->manifest();
        rows.push_back({m.name, m.version.to_string(), abi_of(*plugin), join(flag_names(plugin->flags()), ",", "-"),
                        plugin->path().string(), m.description, permissions_summary(m.requested)});
    }
    if (registry.plugins().empty()) {
        std::vector<std::string> names;
        for (const fs::path& dir : dirs) names.push_back(dir.string());
        out << "no plugins found in " << join(names, ", ", "") << '\n';
    } else {
        std::size_t widths[5] = {};
        for (const Row& row : rows) {
            const std::string* cells[5] = {&row.name, &row.version, &row.abi, &row.flags, &row.file};
            for (std::size_t i = 0; i < 5; ++i) widths[i] = std::max(widths[i], cells[i]->size());
        }
        for (const Row& row : rows) {
            const std::string* cells[5] = {&row.name, &row.version, &row.abi, &row.flags, &row.file};
            for (std::size_t i = 0; i < 5; ++i) out << *cells[i] << std::string(widths[i] - cells[i]->size() + 2, ' ');
            out << row.description << '\n';
            if (!row.permissions.empty()) out << "    permissions: " << row.permissions << '\n';
        }
    }
    if (!registry.refusals().empty()) {
        out << "\nrefused (" << registry.refusals().size() << "):\n";
        for (const PluginRefusal& refusal : registry.refusals()) print_refusal(out, refusal);
    }
}

json::value list_json(const Registry& registry, const std::vector<fs::path>& dirs) {
    json::array plugins;
    for (const auto& plugin : registry.plugins()) {
        const PluginManifest& m = plugin->manifest();
        json::object p;
        p["name"] = m.name;
        p["version"] = m.version.to_string();
        p["abi"] = abi_of(*plugin);
        p["file"] = plugin->path().string();
        p["description"] = m.description;
        p["flags"] = flags_json(plugin->flags());
        p["permissions"] = m.requested.to_json();
        plugins.push_back(std::move(p));
    }
    json::array refused;
    for (const PluginRefusal& refusal : registry.refusals()) refused.push_back(refusal_json(refusal));
    json::array searched;
    for (const fs::path& dir : dirs) searched.emplace_back(dir.string());

    json::object out;
    out["plugin_dirs"] = std::move(searched);
    out["plugins"] = std::move(plugins);
    out["refused"] = std::move(refused);
    return out;
}

int run_list(const Invocation& inv) {
    auto dirs = search_path(inv);
    if (!dirs) return fail(inv, dirs.error());
    const Registry registry = scan(dirs.value(), inv.logger);
    if (inv.args.has("--json")) {
        inv.out << json::serialize(list_json(registry, dirs.value())) << '\n';
    } else {
        print_list_text(inv.out, registry, dirs.value());
    }
    return exit_ok;
}

// --------------------------------------------------------------- inspect

bool refusal_is_for(const PluginRefusal& refusal, std::string_view name) {
    const std::string_view plugin = refusal.plugin;
    // A refusal names its plugin when the manifest could be read; otherwise the file's stem is all we have.
    return plugin.substr(0, plugin.find('@')) == name || refusal.file.stem().string() == name;
}

void print_permissions(std::ostream& out, const Permissions& p) {
    const std::pair<std::string_view, const std::vector<std::string>*> rows[] = {
        {"network", &p.network},           {"secrets", &p.secrets},   {"context read", &p.context_read},
        {"context write", &p.context_write}, {"services", &p.services},
    };
    bool any = false;
    for (const auto& [label, values] : rows) any = any || !values->empty();
    if (!any) {
        out << "permissions:   none\n";
        return;
    }
    out << "permissions:\n";
    for (const auto& [label, values] : rows) {
        if (values->empty()) continue;
        out << "  " << label << ':' << std::string(15 - label.size(), ' ') << join(*values, ", ", "") << '\n';
    }
}

void print_inspect_text(std::ostream& out, const PluginLibrary& plugin, const std::string& sha256) {
    const PluginManifest& m = plugin.manifest();
    out << "name:          " << m.name << '\n'
        << "version:       " << m.version.to_string() << '\n'
        << "description:   " << m.description << '\n'
        << "abi:           " << abi_of(plugin) << '\n'
        << "flags:         " << join(flag_names(plugin.flags()), ", ", "-") << '\n'
        << "file:          " << plugin.path().string() << '\n'
        << "sha256:        " << sha256 << '\n';
    print_permissions(out, m.requested);
    const std::pair<std::string, json::value> schemas[] = {
        {std::string("config schema"), schema_of(m, m.config_schema, "config_schema")},
        {std::string("input schema"), schema_of(m, m.input_schema, "input_schema")},
        {m.output_schema_in_config ? "output schema (each agent's config at " + *m.output_schema_in_config +
                                         ", otherwise the one given)"
                                   : std::string("output schema"),
         schema_of(m, m.output_schema, "output_schema")},
    };
    for (const auto& [label, schema] : schemas) {
        out << label << ":\n  " << (schema.is_null() ? std::string("none") : pretty_json(schema, 2)) << '\n';
    }
}

json::value inspect_json(const PluginLibrary& plugin, const std::string& sha256) {
    const PluginManifest& m = plugin.manifest();
    json::object o;
    o["name"] = m.name;
    o["version"] = m.version.to_string();
    o["description"] = m.description;
    o["abi"] = abi_of(plugin);
    o["flags"] = flags_json(plugin.flags());
    o["file"] = plugin.path().string();
    o["sha256"] = sha256;
    o["permissions"] = m.requested.to_json();
    o["config_schema"] = schema_of(m, m.config_schema, "config_schema");
    o["input_schema"] = schema_of(m, m.input_schema, "input_schema");
    o["output_schema"] = schema_of(m, m.output_schema, "output_schema");
    return o;
}

int run_inspect(const Invocation& inv) {
    const std::string& target = inv.args.positionals().front();
    std::shared_ptr<PluginLibrary> plugin;

    if (PluginRef::names_a_file(target)) {
        std::error_code ec;
        if (!fs::is_regular_file(target, ec)) {
            return fail(inv, Error{target, "no such file; expected a plugin shared library (.so)",
                                   "check the path, or give the plugin's name to search the plugin directories"});
        }
        Registry registry(RegistryOptions{});
        auto loaded = registry.load(target);
        if (!loaded) {
            inv.err << "agenthost: error: refused: " << loaded.error().to_string() << '\n';
            return exit_failure;
        }
        plugin = std::move(loaded).value();
    } else {
        auto ref = PluginRef::parse(target);
        if (!ref) {
            throw UsageError("'" + target + "' is not a plugin reference (" + ref.error().to_string() +
                             "); expected NAME, NAME@CONSTRAINT such as kb-search@^1.2, or the path of a .so file.");
        }
        auto dirs = search_path(inv);
        if (!dirs) return fail(inv, dirs.error());
        const Registry registry = scan(dirs.value(), inv.logger);
        auto found = registry.resolve(ref.value());
        if (!found) {
            // A refused plugin cannot resolve; why it was refused is what the operator needs to see.
            std::vector<const PluginRefusal*> refusals;
            for (const PluginRefusal& r : registry.refusals()) {
                if (refusal_is_for(r, ref->name)) refusals.push_back(&r);
            }
            if (!refusals.empty()) {
                inv.err << "agenthost: error: plugin '" << ref->name << "' was refused:\n";
                for (const PluginRefusal* r : refusals) print_refusal(inv.err, *r);
                return exit_failure;
            }
            Error error = found.error();
            if (error.hint.empty()) error.hint = "run 'agenthost plugins list' to see what is installed";
            return fail(inv, error);
        }
        plugin = std::move(found).value();
    }

    // The digest of the bytes that were loaded: what a pin in config vouches for.
    if (inv.args.has("--json")) {
        inv.out << json::serialize(inspect_json(*plugin, plugin->sha256())) << '\n';
    } else {
        print_inspect_text(inv.out, *plugin, plugin->sha256());
    }
    return exit_ok;
}

}  // namespace

std::vector<Command> plugins_commands() {
    const OptionSpec plugin_dir{"--plugin-dir", "DIR",
                                "search DIR first (repeatable); then AGENTHOST_PLUGIN_PATH, then the default", true};
    const OptionSpec json_output{"--json", "", "print one JSON document instead of text"};
    return {
        Command{{"plugins", "list"}, "", "list the plugins and their permissions, and each file refused and why",
                {plugin_dir, json_output}, 0, 0, &run_list},
        Command{{"plugins", "inspect"}, "NAME[@CONSTRAINT]|PATH",
                "show one plugin's manifest, permissions, schemas and sha256", {plugin_dir, json_output}, 1, 1,
                &run_inspect},
    };
}

}  // namespace agenthost::cli
