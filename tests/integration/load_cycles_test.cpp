// 1000 load / create / call / destroy / unload cycles. Built with
// AddressSanitizer (ctest label "asan"): LeakSanitizer fails the run on any
// leak, and each cycle proves the library is really unmapped at its end.
#include "fixture_paths.hpp"

#include <agenthost/registry/registry.hpp>

#include <boost/test/unit_test.hpp>

using namespace agenthost;
using agenthost::testing::fixture_file;
using agenthost::testing::library_is_mapped;
using agenthost::testing::why;

BOOST_AUTO_TEST_SUITE(load_cycles)

BOOST_AUTO_TEST_CASE(a_thousand_cycles_leave_nothing_behind) {
    const std::filesystem::path file = fixture_file("fixture-good");
    constexpr int cycles = 1000;
    int completed = 0;
    for (int i = 0; i < cycles; ++i) {
        {
            Registry registry({{}, nullptr});
            auto plugin = registry.load(file);
            BOOST_TEST_REQUIRE(plugin.ok(), why(plugin));
            auto instance = AgentInstance::create("cycle", plugin.value(), R"({"suffix":"."})", {}, nullptr);
            BOOST_TEST_REQUIRE(instance.ok(), why(instance));
            CallResult result = instance.value()->invoke_sync({R"({"text":"x"})", "", "cycle", "", 1});
            BOOST_TEST_REQUIRE(result.output_json == R"({"text":"X."})");
        }
        BOOST_TEST_REQUIRE(!library_is_mapped(file));
        ++completed;
    }
    BOOST_TEST(completed == cycles);
}

BOOST_AUTO_TEST_SUITE_END()
