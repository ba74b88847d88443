// Scanning the fixture directory: good plugins load, each broken one is refused
// with its file and reason, and no broken plugin stops the others.
#include "fixture_paths.hpp"

#include <agenthost/registry/registry.hpp>

#include <boost/test/unit_test.hpp>

#include <algorithm>

using namespace agenthost;
using agenthost::testing::fixture_dir;
using agenthost::testing::fixture_file;

namespace {

const PluginRefusal* refusal_for(const Registry& registry, const std::string& file_stem) {
    const auto& refusals = registry.refusals();
    auto it = std::find_if(refusals.begin(), refusals.end(),
                           [&](const PluginRefusal& r) { return r.file.stem() == file_stem; });
    return it == refusals.end() ? nullptr : &*it;
}

bool loaded(const Registry& registry, const std::string& name) {
    return std::any_of(registry.plugins().begin(), registry.plugins().end(),
                       [&](const auto& p) { return p->manifest().name == name; });
}

}  // namespace

BOOST_AUTO_TEST_SUITE(registry_scan)

BOOST_AUTO_TEST_CASE(good_plugins_load_beside_broken_ones) {
    Registry registry({{fixture_dir()}, nullptr});
    registry.scan();
    BOOST_TEST(loaded(registry, "fixture-good"));
    BOOST_TEST(loaded(registry, "fixture-throwing"));
    BOOST_TEST(loaded(registry, "fixture-older-minor"));
    BOOST_TEST(loaded(registry, "fixture-libcxx"));
    BOOST_TEST(!loaded(registry, "fixture-bad-manifest"));
    BOOST_TEST(registry.refusals().size() == 8u);
}

struct RefusalCase {
    const char* file;
    const char* reason_contains;
    const char* plugin;  // what PluginRefusal::plugin must say: "" when the file cannot name its plugin
};

BOOST_AUTO_TEST_CASE(every_refusal_names_the_file_and_the_reason) {
    Registry registry({{fixture_dir()}, nullptr});
    registry.scan();
    const RefusalCase cases[] = {
        // Its manifest lacks "version", so the name is all it can say.
        {"fixture-bad-manifest", "does not match the manifest schema", "fixture-bad-manifest"},
        // A different major version may lay the entry out differently: nothing in it is read.
        {"fixture-wrong-major", "a different major version is incompatible", ""},
        // A newer 1.x entry still has manifest_json where every 1.x entry has it.
        {"fixture-newer-minor", "newer than this host's ABI", "fixture-newer-minor@1.0.0"},
        {"fixture-no-entry", "does not export the entry symbol ah_plugin_entry_v1", ""},
        {"fixture-missing-dependency", "libagenthost-fixture-gone.so", ""},
        {"fixture-entry-as-data", "ah_plugin_entry_v1 is not a function", ""},
        {"fixture-nonzero-reserved", "reserved is 7, but it must be zero", "fixture-nonzero-reserved@1.0.0"},
        {"fixture-unknown-flags", "flags has bits this host does not know: bits 5, 40 (0x10000000020)",
         "fixture-unknown-flags@1.0.0"},
    };
    for (const RefusalCase& c : cases) {
        BOOST_TEST_CONTEXT(c.file) {
            const PluginRefusal* refusal = refusal_for(registry, c.file);
            BOOST_TEST_REQUIRE(refusal != nullptr);
            BOOST_TEST(refusal->reason.find(c.reason_contains) != std::string::npos, refusal->reason);
            BOOST_TEST(refusal->file == fixture_file(c.file));
            BOOST_TEST(refusal->plugin == c.plugin);
        }
    }
}

BOOST_AUTO_TEST_CASE(a_missing_dependency_is_named_not_reduced_to_an_errno) {
    Registry registry({{}, nullptr});
    auto loaded_plugin = registry.load(fixture_file("fixture-missing-dependency"));
    BOOST_TEST_REQUIRE(!loaded_plugin.ok());
    const std::string& message = loaded_plugin.error().message;
    // dlerror() says "libagenthost-fixture-gone.so: cannot open shared object file: ...".
    BOOST_TEST(message.find("libagenthost-fixture-gone.so: cannot open shared object file") != std::string::npos,
               message);
    BOOST_TEST(message.find("Bad file descriptor") == std::string::npos, message);
}

BOOST_AUTO_TEST_CASE(an_entry_exported_as_data_is_refused_and_never_called) {
    Registry registry({{}, nullptr});
    // Calling the data object would have killed this process; refusing it leaves the host running.
    for (int i = 0; i < 2; ++i) {
        auto loaded_plugin = registry.load(fixture_file("fixture-entry-as-data"));
        BOOST_TEST_REQUIRE(!loaded_plugin.ok());
        BOOST_TEST(loaded_plugin.error().message.find("exported as data") != std::string::npos,
                   loaded_plugin.error().message);
    }
    BOOST_TEST(registry.load(fixture_file("fixture-good")).ok());
}

BOOST_AUTO_TEST_CASE(bad_manifest_refusal_points_into_the_manifest) {
    Registry registry({{fixture_dir()}, nullptr});
    auto loaded_plugin = registry.load(fixture_file("fixture-bad-manifest"));
    BOOST_TEST_REQUIRE(!loaded_plugin.ok());
    // A JSON pointer says where in the manifest it went wrong.
    BOOST_TEST(loaded_plugin.error().message.find("at ") != std::string::npos, loaded_plugin.error().message);
    BOOST_TEST(loaded_plugin.error().where == fixture_file("fixture-bad-manifest").string());
}

BOOST_AUTO_TEST_CASE(wrong_major_and_newer_minor_say_what_to_do) {
    Registry registry({{}, nullptr});
    auto major = registry.load(fixture_file("fixture-wrong-major"));
    BOOST_TEST_REQUIRE(!major.ok());
    BOOST_TEST(major.error().hint.find("rebuild the plugin") != std::string::npos);
    auto minor = registry.load(fixture_file("fixture-newer-minor"));
    BOOST_TEST_REQUIRE(!minor.ok());
    BOOST_TEST(minor.error().hint.find("upgrade agenthost") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_missing_directory_is_reported_not_fatal) {
    Registry registry({{"/nonexistent/agenthost-plugins", fixture_dir()}, nullptr});
    registry.scan();
    BOOST_TEST(loaded(registry, "fixture-good"));
    BOOST_TEST(registry.refusals().front().reason.find("does not exist") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(plugins_are_sorted_and_report_their_abi) {
    Registry registry({{fixture_dir()}, nullptr});
    registry.scan();
    const auto& plugins = registry.plugins();
    BOOST_TEST(std::is_sorted(plugins.begin(), plugins.end(), [](const auto& a, const auto& b) {
        return a->manifest().name < b->manifest().name;
    }));
    for (const auto& p : plugins) {
        BOOST_TEST_CONTEXT(p->id()) {
            BOOST_TEST(p->abi_major() == AH_ABI_MAJOR);
            BOOST_TEST(p->abi_minor() <= AH_ABI_MINOR);
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()
