// cli_plugins_test.cpp: `agenthost plugins list|inspect` run as a real process
// over the fixture plugins: what an operator sees, in text and JSON, and the
// exit codes scripts rely on (0 ok, 1 failure, 2 usage).
#include "cli_process.hpp"

#include <agenthost/registry/sha256.hpp>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace json = boost::json;
using agenthost::test::CliOutcome;
using agenthost::test::run_cli;

const std::string fixture_dir = AGENTHOST_FIXTURE_PLUGIN_DIR;

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

bool contains(std::string_view haystack, std::string_view needle) {
    return haystack.find(needle) != std::string_view::npos;
}

std::string first_line(std::string_view s) { return std::string(s.substr(0, s.find('\n'))); }

// Refusals name their plugin when its manifest could be read; otherwise only
// the file says which fixture it was ("fixture-no-entry.so" or "no_entry.so").
bool is_fixture(const json::object& refusal, std::string_view name) {
    if (refusal.at("plugin").is_string()) {
        const std::string_view plugin = refusal.at("plugin").as_string();
        if (plugin.substr(0, plugin.find('@')) == name) return true;
    }
    const std::string stem = std::filesystem::path(std::string(refusal.at("file").as_string())).stem().string();
    std::string short_name(name.substr(name.find('-') + 1));
    std::replace(short_name.begin(), short_name.end(), '-', '_');
    return stem == name || stem == short_name;
}

json::object list_json() {
    const CliOutcome r = run_cli({"plugins", "list", "--plugin-dir", fixture_dir, "--json"});
    BOOST_TEST_INFO("stderr: " << r.err);
    BOOST_REQUIRE_EQUAL(r.exit_code, 0);
    return json::parse(r.out).as_object();
}

const json::object* find_plugin(const json::object& list, std::string_view name) {
    for (const json::value& p : list.at("plugins").as_array()) {
        if (p.as_object().at("name").as_string() == name) return &p.as_object();
    }
    return nullptr;
}

const json::object* find_refusal(const json::object& list, std::string_view name) {
    for (const json::value& r : list.at("refused").as_array()) {
        if (is_fixture(r.as_object(), name)) return &r.as_object();
    }
    return nullptr;
}

// Each faulty fixture and a word its reason must contain, so that the reason
// is about the actual fault and not a generic "failed".
struct ExpectedRefusal {
    std::string_view fixture;
    std::string_view word;
};
constexpr ExpectedRefusal expected_refusals[] = {
    {"fixture-bad-manifest", "manifest"},
    {"fixture-wrong-major", "major"},
    {"fixture-newer-minor", "newer"},
    {"fixture-no-entry", "ah_plugin_entry_v1"},
};

std::vector<std::string> permission_strings(const json::value& permissions) {
    std::vector<std::string> out;
    const auto collect = [&](const json::value& v) {
        if (const auto* a = v.if_array()) {
            for (const json::value& s : *a) out.emplace_back(s.as_string());
        }
    };
    for (const auto& member : permissions.as_object()) {
        if (const auto* nested = member.value().if_object()) {
            for (const auto& inner : *nested) collect(inner.value());
        } else {
            collect(member.value());
        }
    }
    return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(cli_plugins)

BOOST_AUTO_TEST_CASE(list_json_shows_the_good_fixture_and_every_refusal_with_its_reason) {
    const json::object list = list_json();

    const json::object* good = find_plugin(list, "fixture-good");
    BOOST_REQUIRE_MESSAGE(good != nullptr, "fixture-good is not listed: " << json::serialize(list));
    BOOST_TEST(good->at("version").as_string() == "1.4.2");
    BOOST_TEST(good->at("abi").as_string().starts_with("1."));
    BOOST_TEST(std::filesystem::exists(std::string(good->at("file").as_string())));
    BOOST_TEST(!good->at("description").as_string().empty());
    BOOST_TEST(good->at("flags").is_array());
    BOOST_TEST(good->at("permissions").is_object());

    for (const auto& [fixture, word] : expected_refusals) {
        BOOST_TEST_CONTEXT(fixture) {
            BOOST_TEST(find_plugin(list, fixture) == nullptr);
            const json::object* refusal = find_refusal(list, fixture);
            BOOST_REQUIRE_MESSAGE(refusal != nullptr, fixture << " is not among the refusals: " << json::serialize(list));
            const std::string reason(refusal->at("reason").as_string());
            BOOST_TEST(contains(lower(reason), lower(word)), "reason: " << reason);
        }
    }
}

BOOST_AUTO_TEST_CASE(list_text_has_the_same_content_as_json) {
    const json::object list = list_json();
    const CliOutcome r = run_cli({"plugins", "list", "--plugin-dir", fixture_dir});
    BOOST_TEST_INFO("stderr: " << r.err);
    BOOST_REQUIRE_EQUAL(r.exit_code, 0);

    // fixture-good's line carries its name, version, ABI and file.
    const json::object* good = find_plugin(list, "fixture-good");
    BOOST_REQUIRE(good != nullptr);
    const std::string file(good->at("file").as_string());
    const auto line_start = r.out.rfind('\n', r.out.find(file));
    const std::string line = first_line(std::string_view(r.out).substr(line_start + 1));
    BOOST_TEST(line.starts_with("fixture-good "), line);
    BOOST_TEST(contains(line, " 1.4.2 "), line);
    BOOST_TEST(contains(line, std::string(good->at("abi").as_string())), line);

    BOOST_TEST(contains(r.out, "refused"));
    for (const json::value& refusal : list.at("refused").as_array()) {
        const std::string refused_file(refusal.at("file").as_string());
        const std::string reason(refusal.at("reason").as_string());
        BOOST_TEST(contains(r.out, refused_file));
        BOOST_TEST(contains(r.out, first_line(reason)), "missing reason: " << reason);
    }
}

// The line under each plugin's row lists the permissions its manifest requests.
BOOST_AUTO_TEST_CASE(list_text_shows_each_plugins_permissions_under_it) {
    const json::object list = list_json();
    const CliOutcome r = run_cli({"plugins", "list", "--plugin-dir", fixture_dir});
    BOOST_TEST_INFO("stderr: " << r.err);
    BOOST_REQUIRE_EQUAL(r.exit_code, 0);

    const auto line_after = [&](const std::string& file) {
        const auto row_end = r.out.find('\n', r.out.find(file));
        BOOST_REQUIRE(row_end != std::string::npos);
        return first_line(std::string_view(r.out).substr(row_end + 1));
    };

    // fixture-good requests one permission of each kind, all on one line.
    const json::object* good = find_plugin(list, "fixture-good");
    BOOST_REQUIRE(good != nullptr);
    BOOST_TEST(line_after(std::string(good->at("file").as_string())) ==
               "    permissions: network https://api.example.com/*; secrets EXAMPLE_KEY; "
               "context read /ticket, write /answer; services ah.http/1");

    bool saw_none = false;
    for (const json::value& p : list.at("plugins").as_array()) {
        const json::object& plugin = p.as_object();
        BOOST_TEST_CONTEXT(plugin.at("name").as_string()) {
            const std::string line = line_after(std::string(plugin.at("file").as_string()));
            BOOST_TEST(line.starts_with("    permissions: "), line);
            const auto requested = permission_strings(plugin.at("permissions"));
            if (requested.empty()) {
                BOOST_TEST(line == "    permissions: none");
                saw_none = true;
            }
            for (const std::string& permission : requested) BOOST_TEST(contains(line, permission), permission);
        }
    }
    BOOST_TEST(saw_none, "some fixture requests no permissions, and the list says 'none' for it");
}

BOOST_AUTO_TEST_CASE(inspect_shows_permissions_and_the_files_sha256) {
    const json::object list = list_json();
    const json::object* good = find_plugin(list, "fixture-good");
    BOOST_REQUIRE(good != nullptr);
    const std::string file(good->at("file").as_string());
    const auto digest = agenthost::sha256_file(file);
    BOOST_REQUIRE(digest.ok());

    const CliOutcome text = run_cli({"plugins", "inspect", "fixture-good", "--plugin-dir", fixture_dir});
    BOOST_TEST_INFO("stderr: " << text.err);
    BOOST_REQUIRE_EQUAL(text.exit_code, 0);
    BOOST_TEST(contains(text.out, "sha256:        " + digest.value()), text.out);
    BOOST_TEST(contains(text.out, "permissions:"));
    const auto requested = permission_strings(good->at("permissions"));
    BOOST_TEST(!requested.empty(), "fixture-good requests one permission of every kind");
    for (const std::string& permission : requested) BOOST_TEST(contains(text.out, permission), permission);
    BOOST_TEST(contains(text.out, "input schema:"));

    const CliOutcome as_json = run_cli({"plugins", "inspect", "fixture-good@^1.4", "--plugin-dir", fixture_dir, "--json"});
    BOOST_REQUIRE_EQUAL(as_json.exit_code, 0);
    const json::object inspected = json::parse(as_json.out).as_object();
    BOOST_TEST(inspected.at("sha256").as_string() == digest.value());
    BOOST_TEST(inspected.at("permissions") == good->at("permissions"));
    BOOST_TEST(inspected.at("input_schema").is_object());
    BOOST_TEST(inspected.at("output_schema").is_object());
    BOOST_TEST(inspected.at("config_schema").is_object());
}

BOOST_AUTO_TEST_CASE(inspect_by_path_loads_that_file) {
    const json::object list = list_json();
    const json::object* good = find_plugin(list, "fixture-good");
    BOOST_REQUIRE(good != nullptr);
    const std::string file(good->at("file").as_string());

    const CliOutcome r = run_cli({"plugins", "inspect", file, "--json"});
    BOOST_TEST_INFO("stderr: " << r.err);
    BOOST_REQUIRE_EQUAL(r.exit_code, 0);
    const json::object inspected = json::parse(r.out).as_object();
    BOOST_TEST(inspected.at("name").as_string() == "fixture-good");
    BOOST_TEST(inspected.at("sha256").as_string() == agenthost::sha256_file(file).value());
}

BOOST_AUTO_TEST_CASE(inspect_of_a_refused_plugin_fails_with_the_reason) {
    const json::object list = list_json();
    for (const auto& [fixture, word] : expected_refusals) {
        BOOST_TEST_CONTEXT(fixture) {
            const json::object* refusal = find_refusal(list, fixture);
            BOOST_REQUIRE(refusal != nullptr);
            const std::string reason(refusal->at("reason").as_string());

            const CliOutcome by_name = run_cli({"plugins", "inspect", std::string(fixture), "--plugin-dir", fixture_dir});
            BOOST_TEST(by_name.exit_code == 1);
            BOOST_TEST(by_name.out.empty());
            BOOST_TEST(contains(by_name.err, first_line(reason)), by_name.err);

            const CliOutcome by_path = run_cli({"plugins", "inspect", std::string(refusal->at("file").as_string())});
            BOOST_TEST(by_path.exit_code == 1);
            BOOST_TEST(contains(lower(by_path.err), lower(word)), by_path.err);
        }
    }
}

BOOST_AUTO_TEST_CASE(a_missing_plugin_dir_is_a_failure_that_names_it) {
    const CliOutcome r = run_cli({"plugins", "list", "--plugin-dir", fixture_dir + "/no-such-dir"});
    BOOST_TEST(r.exit_code == 1);
    BOOST_TEST(contains(r.err, fixture_dir + "/no-such-dir"), r.err);
    BOOST_TEST(contains(r.err, "no such directory"), r.err);
}

BOOST_AUTO_TEST_CASE(an_unknown_command_is_a_usage_error_with_a_suggestion) {
    const CliOutcome r = run_cli({"plugin", "list"});
    BOOST_TEST(r.exit_code == 2);
    BOOST_TEST(contains(r.err, "unknown command 'plugin'"), r.err);
    BOOST_TEST(contains(r.err, "Did you mean 'plugins'?"), r.err);
    BOOST_TEST(contains(r.err, "usage:"), r.err);

    const CliOutcome sub = run_cli({"plugins", "inspct", "fixture-good"});
    BOOST_TEST(sub.exit_code == 2);
    BOOST_TEST(contains(sub.err, "Did you mean 'inspect'?"), sub.err);
}

BOOST_AUTO_TEST_CASE(an_unknown_flag_is_a_usage_error_with_a_suggestion) {
    const CliOutcome r = run_cli({"plugins", "list", "--jsn"});
    BOOST_TEST(r.exit_code == 2);
    BOOST_TEST(contains(r.err, "unknown option '--jsn'"), r.err);
    BOOST_TEST(contains(r.err, "Did you mean '--json'?"), r.err);

    const CliOutcome level = run_cli({"--log-level", "loud", "plugins", "list"});
    BOOST_TEST(level.exit_code == 2);
    BOOST_TEST(contains(level.err, "'loud'"), level.err);
}

BOOST_AUTO_TEST_CASE(help_and_version_succeed) {
    const CliOutcome version = run_cli({"--version"});
    BOOST_TEST(version.exit_code == 0);
    BOOST_TEST(version.out.starts_with("agenthost "), version.out);

    for (const auto& args : std::vector<std::vector<std::string>>{{"--help"}, {"help"}, {"plugins", "list", "--help"}}) {
        const CliOutcome help = run_cli(args);
        BOOST_TEST(help.exit_code == 0);
        BOOST_TEST(contains(help.out, "plugins list"), help.out);
    }
}

BOOST_AUTO_TEST_CASE(json_logs_go_to_stderr_and_leave_stdout_parseable) {
    const CliOutcome r = run_cli(
        {"--log-level", "debug", "--log-format", "json", "plugins", "list", "--plugin-dir", fixture_dir, "--json"});
    BOOST_REQUIRE_EQUAL(r.exit_code, 0);
    BOOST_TEST(json::parse(r.out).is_object());
    BOOST_TEST(!r.err.empty());
    std::string_view lines = r.err;
    while (!lines.empty()) {
        const std::string line = first_line(lines);
        lines.remove_prefix(std::min(lines.size(), line.size() + 1));
        const json::object record = json::parse(line).as_object();
        BOOST_TEST(record.contains("level"));
        BOOST_TEST(record.contains("msg"));
    }
}

BOOST_AUTO_TEST_SUITE_END()
