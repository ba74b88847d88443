// secret_store.cpp: the secret store's snapshots, the redactor, and reading a
// workflow's secret values from the environment and from files at load time.
#include <agenthost/host/secret_store.hpp>

#include <agenthost/host/workflow_config.hpp>

#include <boost/json/object.hpp>

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <iterator>
#include <sstream>
#include <system_error>
#include <utility>

namespace agenthost {

struct SecretStore::Snapshot {
    std::vector<SecretValue> secrets;  //!< by name, in the order they were first loaded
    //! Values that a later load replaced. Still redacted: a call that read the
    //! old value may still be quoting it in an error.
    std::vector<SecretValue> retired;
    //! Indices into secrets + retired (retired after secrets) of the values
    //! redact() looks for: long enough, longest first, load order among equals.
    std::vector<std::size_t> redacted;

    const SecretValue& known(std::size_t i) const { return i < secrets.size() ? secrets[i] : retired[i - secrets.size()]; }
};

SecretStore::SecretStore() : snapshot_(std::make_shared<const Snapshot>()) {}
SecretStore::~SecretStore() = default;

std::shared_ptr<const SecretStore::Snapshot> SecretStore::snapshot() const {
    return snapshot_.load(std::memory_order_acquire);
}

std::vector<std::string> SecretStore::put(const std::vector<SecretValue>& secrets) {
    std::lock_guard lock(write_mutex_);
    auto next = std::make_shared<Snapshot>(*snapshot());
    std::vector<std::string> changed;
    for (const SecretValue& secret : secrets) {
        auto it = std::find_if(next->secrets.begin(), next->secrets.end(),
                               [&](const SecretValue& held) { return held.name == secret.name; });
        if (it == next->secrets.end()) {
            next->secrets.push_back(secret);
        } else if (it->value != secret.value) {
            next->retired.push_back(*it);
            it->value = secret.value;
            if (std::find(changed.begin(), changed.end(), secret.name) == changed.end()) changed.push_back(secret.name);
        }
    }
    next->redacted.clear();
    for (std::size_t i = 0; i < next->secrets.size() + next->retired.size(); ++i)
        if (next->known(i).value.size() >= min_redacted_size) next->redacted.push_back(i);
    std::stable_sort(next->redacted.begin(), next->redacted.end(), [&](std::size_t a, std::size_t b) {
        return next->known(a).value.size() > next->known(b).value.size();
    });
    const bool redacting = !next->redacted.empty();
    snapshot_.store(std::move(next), std::memory_order_release);
    redacting_.store(redacting, std::memory_order_release);
    return changed;
}

bool SecretStore::contains(std::string_view name) const { return value(name).has_value(); }

std::optional<std::string> SecretStore::value(std::string_view name) const {
    const auto snap = snapshot();
    for (const SecretValue& secret : snap->secrets)
        if (secret.name == name && !secret.value.empty()) return secret.value;
    return std::nullopt;
}

namespace {

struct Cover {
    std::size_t begin;
    std::size_t end;
    std::size_t rank;  //!< position in Snapshot::redacted: lower is longer
};

}  // namespace

std::string SecretStore::redact(std::string_view text) const {
    std::string out(text);
    redact_in_place(out);
    return out;
}

void SecretStore::redact_in_place(std::string& text) const {
    if (!redacts() || text.empty()) return;
    const auto snap = snapshot();
    // Every occurrence of every value, overlapping ones included: "aaaa" in
    // "aaaaa" is found at 0 and 1, so both ends are covered.
    std::vector<Cover> covers;
    const std::string_view view(text);
    for (std::size_t rank = 0; rank < snap->redacted.size(); ++rank) {
        const std::string& value = snap->known(snap->redacted[rank]).value;
        for (std::size_t at = view.find(value); at != std::string_view::npos; at = view.find(value, at + 1))
            covers.push_back({at, at + value.size(), rank});
    }
    if (covers.empty()) return;
    std::sort(covers.begin(), covers.end(),
              [](const Cover& a, const Cover& b) { return a.begin != b.begin ? a.begin < b.begin : a.rank < b.rank; });

    std::string out;
    out.reserve(text.size());
    std::size_t copied = 0;
    for (std::size_t i = 0; i < covers.size();) {
        Cover merged = covers[i];
        for (++i; i < covers.size() && covers[i].begin < merged.end; ++i) {
            merged.end = std::max(merged.end, covers[i].end);
            merged.rank = std::min(merged.rank, covers[i].rank);
        }
        out.append(view.substr(copied, merged.begin - copied));
        out += "[REDACTED:";
        out += snap->known(snap->redacted[merged.rank]).name;
        out += ']';
        copied = merged.end;
    }
    out.append(view.substr(copied));
    text = std::move(out);
}

void SecretStore::redact_in_place(boost::json::value& value) const {
    if (!redacts()) return;
    if (auto* s = value.if_string()) {
        std::string text(*s);
        redact_in_place(text);
        if (text != std::string_view(*s)) *s = text;
        return;
    }
    if (auto* array = value.if_array()) {
        for (boost::json::value& item : *array) redact_in_place(item);
        return;
    }
    auto* object = value.if_object();
    if (object == nullptr) return;
    bool key_changed = false;
    for (auto& [key, child] : *object) {
        redact_in_place(child);
        key_changed = key_changed || redact(key) != std::string_view(key);
    }
    if (!key_changed) return;
    // Keys cannot be renamed in place; two keys that redact alike keep the later value.
    boost::json::object renamed(object->storage());
    for (auto& [key, child] : *object) renamed[redact(key)] = std::move(child);
    *object = std::move(renamed);
}

// ------------------------------------------------------------------ reading values at load

namespace {

std::string in_quotes(std::string_view s) { return '"' + std::string(s) + '"'; }

// Why a file could not be read, or its contents.
std::variant<std::string, std::string> read_file(const std::filesystem::path& file) {
    using Result = std::variant<std::string, std::string>;
    std::error_code ec;
    if (std::filesystem::is_directory(file, ec)) return Result(std::in_place_index<1>, "it is a directory");
    errno = 0;
    std::ifstream in(file, std::ios::binary);
    if (!in) {
        return Result(std::in_place_index<1>,
                      errno ? std::generic_category().message(errno) : std::string("cannot open the file"));
    }
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) {
        return Result(std::in_place_index<1>, errno ? std::generic_category().message(errno) : std::string("read error"));
    }
    return Result(std::in_place_index<0>, text.str());
}

}  // namespace

SecretValuesResult read_secret_values(const WorkflowConfig& config, const EnvLookup& env) {
    std::vector<SecretValue> values;
    ConfigIssues issues;
    for (const SecretSource& source : config.secrets) {
        const std::string secret = "secret " + in_quotes(source.name);
        if (!source.env.empty()) {
            const std::optional<std::string> value = env(source.env);
            if (!value || value->empty()) {
                issues.push_back(config.issue_at(
                    source.pointer + "/env",
                    secret + " takes its value from environment variable " + source.env + ", which is " +
                        (value ? "empty" : "not set"),
                    "export " + source.env + "=... in the host's environment, or name another variable in \"env\""));
                continue;
            }
            values.push_back({source.name, *value});
            continue;
        }
        auto read = read_file(source.file);
        if (auto* why = std::get_if<1>(&read)) {
            issues.push_back(config.issue_at(
                source.pointer + "/file",
                secret + " takes its value from file " + source.file.string() + ", which cannot be read: " + *why,
                "create the file or fix the path; a relative path is relative to the config's folder"));
            continue;
        }
        std::string value = std::get<0>(std::move(read));
        if (value.ends_with('\n')) value.pop_back();
        if (value.ends_with('\r')) value.pop_back();
        if (value.empty()) {
            issues.push_back(config.issue_at(source.pointer + "/file",
                                             secret + " takes its value from file " + source.file.string() +
                                                 ", which is empty",
                                             "write the secret's value into the file"));
            continue;
        }
        values.push_back({source.name, std::move(value)});
    }
    if (!issues.empty()) return issues;
    return values;
}

}  // namespace agenthost
