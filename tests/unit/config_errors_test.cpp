// config_errors_test.cpp: each tests/fixtures/configs/bad/<case>.json must fail with
// exactly the issue lines in <case>.expected, from parsing it or, once it parses,
// from reading its secrets' values as loading does. Adding a case costs two files and no code;
// the README in that folder says how the files are read.
#include <agenthost/host/config_loader.hpp>
#include <agenthost/host/secret_store.hpp>

#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

namespace fs = std::filesystem;
using namespace agenthost;

namespace {

const fs::path configs_dir = fs::path(AGENTHOST_SOURCE_DIR) / "tests/fixtures/configs";

std::string read_file(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

// The only environment the cases see (README.md lists it).
std::optional<std::string> fixture_env(std::string_view name) {
    static const std::map<std::string, std::string, std::less<>> vars{
        {"KB_BASE", "https://kb.example.com"}, {"KEY_NAME", "KB_API_KEY"}, {"EMPTY", ""}};
    const auto it = vars.find(name);
    return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
}

std::vector<fs::path> bad_cases() {
    std::vector<fs::path> cases;
    for (const auto& entry : fs::directory_iterator(configs_dir / "bad"))
        if (entry.path().extension() == ".json") cases.push_back(entry.path());
    std::sort(cases.begin(), cases.end());
    return cases;
}

// Issue lines, one per line, with a final newline, as .expected files hold them.
std::string issue_lines(const fs::path& json_file) {
    const std::string name = "bad/" + json_file.filename().string();
    const ConfigResult result = parse_config(read_file(json_file), name, fixture_env);
    const auto* issues = std::get_if<ConfigIssues>(&result);
    // A config that parses goes on to what loading it reads: its secrets' values.
    SecretValuesResult values;
    if (issues == nullptr) {
        values = read_secret_values(std::get<WorkflowConfig>(result), fixture_env);
        issues = std::get_if<ConfigIssues>(&values);
    }
    if (issues == nullptr) return "(the config loaded without issues)\n";
    std::string lines;
    for (const ConfigIssue& issue : *issues) lines += issue.to_string() + '\n';
    return lines;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(config_errors)

BOOST_AUTO_TEST_CASE(every_bad_config_reports_exactly_its_expected_issues) {
    const auto cases = bad_cases();
    BOOST_TEST(cases.size() >= 20u);
    // AGENTHOST_UPDATE_EXPECTED=1 rewrites the .expected files from what the loader says:
    // for a new case, then read the diff before committing it.
    const bool update = std::getenv("AGENTHOST_UPDATE_EXPECTED") != nullptr;
    for (const fs::path& json_file : cases) {
        BOOST_TEST_CONTEXT(json_file.filename().string()) {
            fs::path expected_file = json_file;
            expected_file.replace_extension(".expected");
            const std::string actual = issue_lines(json_file);
            if (update) std::ofstream(expected_file, std::ios::binary) << actual;
            BOOST_TEST_REQUIRE(fs::exists(expected_file), "missing " << expected_file.filename());
            BOOST_TEST(actual == read_file(expected_file));
        }
    }
}

BOOST_AUTO_TEST_CASE(every_expected_file_has_its_config) {
    for (const auto& entry : fs::directory_iterator(configs_dir / "bad")) {
        if (entry.path().extension() != ".expected") continue;
        fs::path json_file = entry.path();
        json_file.replace_extension(".json");
        BOOST_TEST(fs::exists(json_file), entry.path().filename());
    }
}

BOOST_AUTO_TEST_CASE(the_good_configs_load) {
    for (const auto& entry : fs::directory_iterator(configs_dir / "good")) {
        if (entry.path().extension() != ".json") continue;
        const ConfigResult result = load_config(entry.path(), [](std::string_view name) -> std::optional<std::string> {
            return name == "PLUGIN_HOME" ? std::optional<std::string>("/srv") : fixture_env(name);
        });
        std::string lines;
        if (const auto* issues = std::get_if<ConfigIssues>(&result))
            for (const ConfigIssue& issue : *issues) lines += issue.to_string() + '\n';
        BOOST_TEST(lines.empty(), entry.path().filename() << ":\n" << lines);
    }
}

BOOST_AUTO_TEST_SUITE_END()
