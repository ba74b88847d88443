// sha256_test.cpp: file digests against the NIST test vectors, and unreadable files.
#include <agenthost/registry/sha256.hpp>

#include <boost/test/unit_test.hpp>

#include "temp_dir.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace fs = std::filesystem;

namespace {

using agenthost::test::TempDir;

// Boost.Test evaluates a message argument even when the check passes, so only ask a failed Result.
template <class T>
std::string why(const agenthost::Result<T>& r) {
    return r.ok() ? std::string() : r.error().to_string();
}


}  // namespace

BOOST_AUTO_TEST_SUITE(sha256)

BOOST_FIXTURE_TEST_CASE(nist_vectors, TempDir) {
    struct Case {
        const char* name;
        std::string content;
        const char* digest;
    };
    const Case cases[] = {
        {"empty", "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
        {"abc", "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
        {"two-blocks", "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
        // Larger than the read buffer, so the digest spans several chunks.
        {"million-a", std::string(1'000'000, 'a'), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"},
    };
    for (const auto& c : cases) {
        BOOST_TEST_CONTEXT(c.name) {
            const auto digest = agenthost::sha256_file(write(c.name, c.content));
            BOOST_TEST_REQUIRE(digest.ok(), why(digest));
            BOOST_TEST(digest.value() == c.digest);
        }
    }
}

BOOST_FIXTURE_TEST_CASE(missing_file_is_an_error_naming_it, TempDir) {
    const auto file = path() / "no-such-plugin.so";
    const auto digest = agenthost::sha256_file(file);
    BOOST_TEST_REQUIRE(!digest.ok());
    BOOST_TEST(digest.error().where == file.string());
    BOOST_TEST(digest.error().to_string().find("no-such-plugin.so") != std::string::npos);
    BOOST_TEST(digest.error().message.find("No such file") != std::string::npos, digest.error().message);
}

BOOST_FIXTURE_TEST_CASE(directory_is_an_error, TempDir) {
    const auto digest = agenthost::sha256_file(path());
    BOOST_TEST_REQUIRE(!digest.ok());
    BOOST_TEST(digest.error().where == path().string());
}

BOOST_AUTO_TEST_SUITE_END()
