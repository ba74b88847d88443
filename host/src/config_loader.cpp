// config_loader.cpp: a workflow config file → WorkflowConfig, or every problem in it.
// Four passes, each reporting everything it finds: JSON syntax (comments and
// trailing commas allowed, here), the JSON Schema (config_schema_messages.cpp),
// ${ENV} expansion (config_env.cpp), and meaning (config_model.cpp reads the
// model, config_meaning.cpp checks it as a whole). This file runs them in order
// and collects their issues, each located by SourceMap; config_parts.hpp says
// which part is where.
#include "config_parts.hpp"

#include <agenthost/registry/json_text.hpp>

#include <boost/json.hpp>
#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <system_error>
#include <tuple>

namespace agenthost {
namespace config_parts {

// ------------------------------------------------------------------ issues

namespace {

void place(ConfigIssue& issue, TextPosition position) {
    issue.line = position.line;
    issue.column = position.column;
}

}  // namespace

void Issues::add(Pass pass, std::string_view pointer, std::string message, std::string hint) {
    items_.push_back({pass, config_.issue_at(pointer, std::move(message), std::move(hint))});
}

void Issues::add_at_key(Pass pass, std::string_view pointer, std::string message, std::string hint) {
    ConfigIssue issue = config_.issue_at(pointer, std::move(message), std::move(hint));
    place(issue, config_.source->key_at(pointer));
    items_.push_back({pass, std::move(issue)});
}

void Issues::add_at(Pass pass, TextPosition position, std::string_view pointer, std::string message, std::string hint) {
    ConfigIssue issue = config_.issue_at(pointer, std::move(message), std::move(hint));
    place(issue, position);
    items_.push_back({pass, std::move(issue)});
}

bool Issues::schema_found_under(std::string_view prefix) const {
    return std::any_of(items_.begin(), items_.end(), [&](const Item& item) {
        const std::string& p = item.issue.pointer;
        return item.pass == Pass::schema &&
               (p.empty() || p == prefix || (p.starts_with(prefix) && p[prefix.size()] == '/'));
    });
}

ConfigIssues Issues::take() {
    std::map<std::string, Pass> first_pass;
    for (const Item& item : items_) {
        auto [it, fresh] = first_pass.emplace(item.issue.pointer, item.pass);
        if (!fresh) it->second = std::min(it->second, item.pass);
    }
    ConfigIssues out;
    std::set<std::string> seen;
    for (Item& item : items_) {
        if (item.pass > first_pass.at(item.issue.pointer)) continue;
        // valijson can report one fault once per schema that applies (if/then, allOf).
        if (!seen.insert(item.issue.to_string()).second) continue;
        out.push_back(std::move(item.issue));
    }
    std::stable_sort(out.begin(), out.end(), [](const ConfigIssue& a, const ConfigIssue& b) {
        return std::tie(a.line, a.column) < std::tie(b.line, b.column);
    });
    return out;
}

}  // namespace config_parts

namespace {

using namespace config_parts;

std::string sha256_hex(std::string_view text) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int size = 0;
    if (EVP_Digest(text.data(), text.size(), digest.data(), &size, EVP_sha256(), nullptr) != 1)
        throw std::runtime_error("OpenSSL could not compute a SHA-256");
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    for (unsigned int i = 0; i < size; ++i) {
        out += hex[digest[i] >> 4];
        out += hex[digest[i] & 0x0f];
    }
    return out;
}

// "file:12:5" → {12, 5}, from parse_json's Error::where.
TextPosition position_in(std::string_view where, std::string_view file) {
    TextPosition position{0, 0};
    if (where.size() <= file.size() + 1) return position;
    const std::string_view rest = where.substr(file.size() + 1);
    const auto line = std::from_chars(rest.data(), rest.data() + rest.size(), position.line);
    if (line.ec == std::errc() && line.ptr != rest.data() + rest.size() && *line.ptr == ':')
        std::from_chars(line.ptr + 1, rest.data() + rest.size(), position.column);
    return position;
}

}  // namespace

ConfigResult parse_config(std::string_view text, const std::filesystem::path& file, const EnvLookup& env) {
    WorkflowConfig config;
    config.file = file;
    config.text = std::string(text);
    config.sha256 = sha256_hex(text);
    config.source = std::make_shared<const SourceMap>(text);
    Issues issues(config);

    // Syntax.
    auto parsed = parse_json(text, file.string(), /*relaxed=*/true);
    if (!parsed) {
        const Error& e = parsed.error();
        const TextPosition at = position_in(e.where, file.string());
        // Boost.JSON mostly says "syntax error"; the scanner knows what was expected there.
        const SourceMap& map = *config.source;
        const TextPosition stop = map.position(map.error_offset());
        const bool same_place = map.error_offset() != SourceMap::npos && stop.line == at.line && stop.column == at.column;
        const std::string early = map.error_offset() == text.size() ? "the file ends too early; " : "";
        issues.add_at(Pass::syntax, at, "", same_place ? "invalid JSON: " + early + "expected " + map.error_expected() : e.message);
        return issues.take();
    }
    for (const SourceMap::DuplicateKey& duplicate : config.source->duplicate_keys()) {
        const std::vector<std::string> tokens = pointer_tokens(duplicate.pointer);
        issues.add_at(Pass::syntax, config.source->position(duplicate.key), duplicate.pointer,
                      "key " + quote(tokens.empty() ? "" : tokens.back()) + " appears twice in one object",
                      "remove or rename one; only the last would count");
    }

    check_schema(parsed.value(), issues);
    json::value document = std::move(parsed).value();
    expand_env(document, file, env, issues);
    if (const json::object* root = document.if_object()) {
        const Model model = build_model(*root, config, issues);
        check_meaning(config, model, issues);
    }

    if (!issues.empty()) return issues.take();
    return config;
}

ConfigResult load_config(const std::filesystem::path& file, const EnvLookup& env) {
    const auto fail = [&](const std::string& why) {
        return ConfigIssues{ConfigIssue{file.string(), 0, 0, "", "cannot read the config: " + why, ""}};
    };
    std::error_code ec;
    // An ifstream opens a directory without complaint and then reads nothing.
    if (std::filesystem::is_directory(file, ec)) return fail("it is a directory");
    errno = 0;
    std::ifstream in(file, std::ios::binary);
    if (!in) return fail(errno ? std::generic_category().message(errno) : std::string("cannot open the file"));
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) return fail(errno ? std::generic_category().message(errno) : std::string("read error"));
    return parse_config(text.str(), file, env);
}

}  // namespace agenthost
