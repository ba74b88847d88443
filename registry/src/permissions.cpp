// permissions.cpp: reading permission sets, checking access, and intersecting requests with grants.
#include <agenthost/registry/permissions.hpp>
#include <agenthost/registry/url_pattern.hpp>

#include <boost/json.hpp>

#include <algorithm>
#include <functional>
#include <optional>

namespace agenthost {
namespace {

namespace json = boost::json;

// A JSON pointer: "" (the whole document) or "/..." where every '~' is an escape (~0 or ~1).
bool is_json_pointer(std::string_view p) noexcept {
    if (!p.empty() && p[0] != '/') return false;
    for (std::size_t i = 0; i < p.size(); ++i)
        if (p[i] == '~' && (i + 1 == p.size() || (p[i + 1] != '0' && p[i + 1] != '1'))) return false;
    return true;
}

// Equal, or a descendant: "/ticket/body" is below "/ticket" but "/tickets" is not.
bool at_or_below(std::string_view pointer, std::string_view granted) noexcept {
    return pointer.starts_with(granted) && (pointer.size() == granted.size() || pointer[granted.size()] == '/');
}

bool any_at_or_above(const std::vector<std::string>& granted, std::string_view pointer) noexcept {
    return std::any_of(granted.begin(), granted.end(), [&](const std::string& g) { return at_or_below(pointer, g); });
}

std::string escape_token(std::string_view key) {
    std::string out;
    for (char c : key) out += c == '~' ? "~0" : c == '/' ? "~1" : std::string(1, c);
    return out;
}

// Reads an optional array of strings at obj[key]; `valid` narrows which strings are accepted.
std::optional<Error> read_strings(const json::object& obj, std::string_view key, const std::string& where,
                                  std::vector<std::string>& out, std::string_view expected,
                                  bool (*valid)(std::string_view) noexcept) {
    const auto* member = obj.if_contains(key);
    if (!member) return std::nullopt;
    const auto here = where + '/' + std::string(key);
    const auto* array = member->if_array();
    if (!array) return Error{here, "expected an array of " + std::string(expected), {}};
    for (std::size_t i = 0; i < array->size(); ++i) {
        const auto* s = (*array)[i].if_string();
        if (!s || !valid(*s)) return Error{here + '/' + std::to_string(i), "expected " + std::string(expected), {}};
        out.emplace_back(*s);
    }
    return std::nullopt;
}

bool non_empty(std::string_view s) noexcept { return !s.empty(); }

json::array to_array(const std::vector<std::string>& items) {
    json::array out;
    for (const auto& s : items) out.emplace_back(s);
    return out;
}

std::string quoted_list(const std::vector<std::string>& items) {
    if (items.empty()) return "nothing";
    std::string out;
    for (const auto& s : items) out += (out.empty() ? "\"" : ", \"") + s + '"';
    return out;
}

// Keeps each grant some request covers into `effective`; describes each one that is not into `problems`.
void intersect(std::string_view kind, const std::vector<std::string>& requested, const std::vector<std::string>& granted,
               const std::function<bool(const std::string&, const std::string&)>& covers,
               std::vector<std::string>& effective, std::string& problems) {
    for (const auto& grant : granted) {
        if (std::any_of(requested.begin(), requested.end(), [&](const std::string& r) { return covers(r, grant); })) {
            effective.push_back(grant);
        } else {
            if (!problems.empty()) problems += '\n';
            problems += "grant " + std::string(kind) + " \"" + grant + "\" is not requested by the manifest (it requests: " +
                        quoted_list(requested) + ")";
        }
    }
}

}  // namespace

Result<Permissions> Permissions::from_json(const json::value& value, std::string_view where) {
    const std::string base(where);
    const auto* obj = value.if_object();
    if (!obj) return Error{base, "expected an object with network, secrets, context and services", {}};
    Permissions p;
    for (const auto& kv : *obj) {
        const auto key = kv.key();
        if (key != "network" && key != "secrets" && key != "context" && key != "services")
            return Error{base + '/' + escape_token(key),
                         "unknown permission \"" + std::string(key) + "\": expected network, secrets, context or services", {}};
    }
    if (auto e = read_strings(*obj, "network", base, p.network,
                              "URL patterns scheme://host[:port][/path] such as \"https://api.example.com/*\"",
                              is_url_pattern)) return *e;
    if (auto e = read_strings(*obj, "secrets", base, p.secrets, "secret names", non_empty)) return *e;
    if (auto e = read_strings(*obj, "services", base, p.services, "service ids such as \"ah.http/1\"", non_empty)) return *e;
    if (const auto* context = obj->if_contains("context")) {
        const auto here = base + "/context";
        const auto* ctx = context->if_object();
        if (!ctx) return Error{here, "expected an object with read and write", {}};
        for (const auto& kv : *ctx)
            if (kv.key() != "read" && kv.key() != "write")
                return Error{here + '/' + escape_token(kv.key()),
                             "unknown member \"" + std::string(kv.key()) + "\": expected read or write", {}};
        constexpr std::string_view pointers = "JSON pointers such as \"/ticket/body\"";
        if (auto e = read_strings(*ctx, "read", here, p.context_read, pointers, is_json_pointer)) return *e;
        if (auto e = read_strings(*ctx, "write", here, p.context_write, pointers, is_json_pointer)) return *e;
    }
    return p;
}

json::value Permissions::to_json() const {
    return json::object{{"network", to_array(network)},
                        {"secrets", to_array(secrets)},
                        {"context", json::object{{"read", to_array(context_read)}, {"write", to_array(context_write)}}},
                        {"services", to_array(services)}};
}

bool Permissions::allows_url(std::string_view url) const noexcept {
    return std::any_of(network.begin(), network.end(), [&](const std::string& p) { return url_pattern_matches(p, url); });
}

bool Permissions::allows_secret(std::string_view name) const noexcept {
    return std::find(secrets.begin(), secrets.end(), name) != secrets.end();
}

bool Permissions::allows_service(std::string_view id) const noexcept {
    return is_baseline_service(id) || std::find(services.begin(), services.end(), id) != services.end();
}

bool Permissions::allows_read(std::string_view pointer) const noexcept { return any_at_or_above(context_read, pointer); }

bool Permissions::allows_write(std::string_view pointer) const noexcept { return any_at_or_above(context_write, pointer); }

// Logging and usage reports reveal nothing and reach nothing outside the host.
bool is_baseline_service(std::string_view id) noexcept { return id == "ah.log/1" || id == "ah.usage/1"; }

Result<Permissions> effective_permissions(const Permissions& requested, const Permissions& granted, std::string_view where) {
    const auto same = [](const std::string& r, const std::string& g) { return r == g; };
    const auto url = [](const std::string& r, const std::string& g) { return url_pattern_covers(r, g); };
    const auto below = [](const std::string& r, const std::string& g) { return at_or_below(g, r); };
    Permissions effective;
    std::string problems;
    intersect("network", requested.network, granted.network, url, effective.network, problems);
    intersect("secret", requested.secrets, granted.secrets, same, effective.secrets, problems);
    intersect("context read", requested.context_read, granted.context_read, below, effective.context_read, problems);
    intersect("context write", requested.context_write, granted.context_write, below, effective.context_write, problems);
    intersect("service", requested.services, granted.services, same, effective.services, problems);
    if (!problems.empty())
        return Error{std::string(where), problems, "remove these grants, or use a plugin version that requests them"};
    return effective;
}

}  // namespace agenthost
