// A sha256 pin in config refuses a plugin whose loaded bytes are not the pinned ones.
#include "fixture_paths.hpp"

#include <agenthost/registry/registry.hpp>
#include <agenthost/registry/sha256.hpp>

#include <boost/test/unit_test.hpp>

#include <fstream>

#include <unistd.h>

using namespace agenthost;
using agenthost::testing::fixture_file;
using agenthost::testing::why;

namespace {

// A private copy of fixture-good that a test may change.
struct CopiedPlugin {
    std::filesystem::path dir;
    std::filesystem::path file;
    CopiedPlugin() {
        dir = std::filesystem::temp_directory_path() /
              ("agenthost-pin-" + std::to_string(::getpid()) + "-" +
               boost::unit_test::framework::current_test_case().p_name.get());
        std::filesystem::create_directories(dir);
        file = dir / "fixture-good.so";
        std::filesystem::copy_file(fixture_file("fixture-good"), file,
                                   std::filesystem::copy_options::overwrite_existing);
    }
    ~CopiedPlugin() {
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
    }
};

AgentSpec pinned_spec(const std::string& digest) {
    AgentSpec spec;
    spec.name = "pinned";
    spec.plugin = "fixture-good@^1";
    spec.sha256 = digest;
    return spec;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(sha256_pin)

BOOST_AUTO_TEST_CASE(a_matching_pin_loads_in_any_letter_case) {
    CopiedPlugin copy;
    auto digest = sha256_file(copy.file);
    BOOST_TEST_REQUIRE(digest.ok(), why(digest));
    Registry registry({{copy.dir}, nullptr});
    registry.scan();
    std::string upper = digest.value();
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    BOOST_TEST(registry.create_agent(pinned_spec(digest.value())).ok());
    BOOST_TEST(registry.create_agent(pinned_spec(upper)).ok());
}

BOOST_AUTO_TEST_CASE(the_loaded_digest_is_the_files_digest) {
    CopiedPlugin copy;
    Registry registry({{copy.dir}, nullptr});
    registry.scan();
    BOOST_TEST_REQUIRE(registry.plugins().size() == 1u);
    const auto digest = sha256_file(copy.file);
    BOOST_TEST_REQUIRE(digest.ok(), why(digest));
    BOOST_TEST(registry.plugins()[0]->sha256() == digest.value());
    // The pin is checked against that digest, the one taken when the file was loaded.
    BOOST_TEST(registry.create_agent(pinned_spec(registry.plugins()[0]->sha256())).ok());
}

BOOST_AUTO_TEST_CASE(a_file_changed_before_loading_is_refused_with_both_digests) {
    CopiedPlugin copy;
    const std::string pinned = sha256_file(copy.file).value();
    {
        // Trailing bytes leave the ELF file loadable but change its digest.
        std::ofstream out(copy.file, std::ios::app | std::ios::binary);
        out << "tampered";
    }
    const std::string actual = sha256_file(copy.file).value();
    BOOST_TEST_REQUIRE(actual != pinned);

    Registry registry({{copy.dir}, nullptr});
    registry.scan();
    BOOST_TEST_REQUIRE(registry.plugins().size() == 1u);  // it still loads: only the pin refuses it
    BOOST_TEST(registry.plugins()[0]->sha256() == actual);
    auto agent = registry.create_agent(pinned_spec(pinned));
    BOOST_TEST_REQUIRE(!agent.ok());
    const Error& error = agent.error();
    BOOST_TEST(error.message.find("sha256 pin mismatch") != std::string::npos, error.message);
    BOOST_TEST(error.message.find(pinned) != std::string::npos);
    BOOST_TEST(error.message.find(actual) != std::string::npos);
    BOOST_TEST(error.where.find(copy.file.string()) != std::string::npos, error.where);
    BOOST_TEST(error.hint.find("update the pin") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
