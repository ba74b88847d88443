// plugin_manifest.cpp: reading a plugin's manifest and holding it to the manifest schema.
#include <agenthost/registry/json_text.hpp>
#include <agenthost/registry/plugin_manifest.hpp>

#include <manifest_schema_text.hpp>

#include <charconv>
#include <stdexcept>

namespace agenthost {

namespace {

std::string member_string(const boost::json::object& obj, std::string_view key) {
    const boost::json::value* v = obj.if_contains(key);
    return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

// "1.1" → {1, 1}; the manifest schema has already checked the shape.
bool parse_abi(std::string_view text, uint32_t& major, uint32_t& minor) {
    auto dot = text.find('.');
    if (dot == std::string_view::npos) return false;
    auto a = std::from_chars(text.data(), text.data() + dot, major);
    auto b = std::from_chars(text.data() + dot + 1, text.data() + text.size(), minor);
    return a.ec == std::errc() && b.ec == std::errc() && a.ptr == text.data() + dot &&
           b.ptr == text.data() + text.size();
}

JsonSchema compile_manifest_schema() {
    auto parsed = parse_json(generated::manifest_schema_text, "sdk/schema/manifest.schema.json");
    if (!parsed) throw std::logic_error("built-in manifest schema: " + parsed.error().to_string());
    auto schema = JsonSchema::compile(parsed.value());
    if (!schema) throw std::logic_error("built-in manifest schema: " + schema.error().to_string());
    return std::move(schema).value();
}

const JsonSchema& compiled_manifest_schema() {
    // Immutable after its thread-safe first initialisation.
    static const JsonSchema schema = compile_manifest_schema();
    return schema;
}

}  // namespace

const boost::json::value& manifest_schema() { return compiled_manifest_schema().source(); }

Result<PluginManifest> PluginManifest::parse(std::string_view text) {
    auto parsed = parse_json(text, "manifest");
    if (!parsed) return parsed.error();
    boost::json::value& json = parsed.value();

    auto violations = compiled_manifest_schema().validate(json);
    if (!violations.empty()) {
        return Error{"manifest", "does not match the manifest schema (sdk/schema/manifest.schema.json):\n" +
                                     describe(violations),
                     ""};
    }
    const boost::json::object& obj = json.as_object();

    PluginManifest m;
    m.name = member_string(obj, "name");
    m.description = member_string(obj, "description");
    auto version = SemVer::parse(member_string(obj, "version"));
    if (!version) {
        return Error{"manifest /version", "\"" + member_string(obj, "version") + "\" is not a semantic version",
                     "write MAJOR.MINOR.PATCH, e.g. 1.2.0"};
    }
    m.version = *version;
    if (!parse_abi(member_string(obj, "sdk_abi"), m.sdk_abi_major, m.sdk_abi_minor)) {
        return Error{"manifest /sdk_abi", "expected \"MAJOR.MINOR\", e.g. \"1.1\"", ""};
    }

    std::string problems;
    auto compile = [&](std::string_view key, std::shared_ptr<const JsonSchema>& out) {
        auto schema = JsonSchema::compile(obj.at(key));
        if (schema) {
            out = std::make_shared<const JsonSchema>(std::move(schema).value());
        } else {
            // The schema's own Error points inside the schema; prefix where the schema is.
            problems += "\n  at /" + std::string(key) + schema.error().where + ": " + schema.error().message;
        }
    };
    compile("config_schema", m.config_schema);
    compile("input_schema", m.input_schema);
    const boost::json::value& output = obj.at("output_schema");
    const boost::json::object* by_config = output.is_object() ? output.get_object().if_contains("$config") != nullptr
                                                                    ? &output.get_object()
                                                                    : nullptr
                                                              : nullptr;
    if (by_config == nullptr) {
        compile("output_schema", m.output_schema);
    } else if (const boost::json::value* pointer = by_config->if_contains("$config");
               !pointer->is_string() || (!pointer->get_string().empty() && pointer->get_string()[0] != '/')) {
        problems += "\n  at /output_schema/$config: expected a JSON pointer into the agent's config, e.g. \"/output_schema\"";
    } else {
        m.output_schema_in_config = std::string(pointer->get_string());
        const boost::json::value any_object = {{"type", "object"}};
        const boost::json::value* otherwise = by_config->if_contains("otherwise");
        auto schema = JsonSchema::compile(otherwise != nullptr ? *otherwise : any_object);
        if (schema) {
            m.output_schema = std::make_shared<const JsonSchema>(std::move(schema).value());
        } else {
            problems += "\n  at /output_schema/otherwise" + schema.error().where + ": " + schema.error().message;
        }
    }

    if (const boost::json::value* perms = obj.if_contains("permissions")) {
        auto requested = Permissions::from_json(*perms, "manifest /permissions");
        if (requested) {
            m.requested = std::move(requested).value();
        } else {
            problems += "\n  " + requested.error().to_string();
        }
    }
    if (!problems.empty()) return Error{"manifest", "has unusable parts:" + problems, ""};

    m.json = std::move(json);
    return m;
}

}  // namespace agenthost

namespace agenthost {

Result<std::shared_ptr<const JsonSchema>> PluginManifest::output_schema_for(const boost::json::value& config) const {
    if (!output_schema_in_config) return output_schema;
    boost::system::error_code ec;
    const boost::json::value* schema = config.find_pointer(*output_schema_in_config, ec);
    if (schema == nullptr) return output_schema;
    auto compiled = JsonSchema::compile(*schema);
    if (!compiled) {
        return Error{"config " + *output_schema_in_config + compiled.error().where,
                     "is not a usable JSON Schema for the agent's output: " + compiled.error().message,
                     "the plugin " + name + " takes its output schema from here",
                     *output_schema_in_config + compiled.error().where};
    }
    return std::shared_ptr<const JsonSchema>(std::make_shared<const JsonSchema>(std::move(compiled).value()));
}

}  // namespace agenthost
