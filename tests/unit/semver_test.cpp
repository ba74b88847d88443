// semver_test.cpp: version parsing and precedence, constraints, and plugin references.
#include <agenthost/registry/semver.hpp>

#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

using agenthost::PluginRef;
using agenthost::SemVer;
using agenthost::VersionConstraint;

namespace {

// Boost.Test evaluates a message argument even when the check passes, so only ask a failed Result.
template <class T>
std::string why(const agenthost::Result<T>& r) {
    return r.ok() ? std::string() : r.error().to_string();
}

SemVer v(const char* text) {
    auto parsed = SemVer::parse(text);
    BOOST_TEST_REQUIRE(parsed.has_value(), text);
    return *parsed;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(semver)

BOOST_AUTO_TEST_CASE(parses_valid_versions) {
    struct Case {
        const char* text;
        uint64_t major, minor, patch;
        const char* prerelease;
        const char* canonical;
    };
    const Case cases[] = {
        {"0.0.0", 0, 0, 0, "", "0.0.0"},
        {"1.2.3", 1, 2, 3, "", "1.2.3"},
        {"10.20.30", 10, 20, 30, "", "10.20.30"},
        {"1.2.3-alpha.1", 1, 2, 3, "alpha.1", "1.2.3-alpha.1"},
        {"1.0.0-0A.is.legal", 1, 0, 0, "0A.is.legal", "1.0.0-0A.is.legal"},
        {"1.0.0-x-y-z.--", 1, 0, 0, "x-y-z.--", "1.0.0-x-y-z.--"},
        {"1.2.3+build.5", 1, 2, 3, "", "1.2.3"},
        {"1.2.3-rc.1+build.007", 1, 2, 3, "rc.1", "1.2.3-rc.1"},
        {"18446744073709551615.0.0", 18446744073709551615ull, 0, 0, "", "18446744073709551615.0.0"},
    };
    for (const auto& c : cases) {
        BOOST_TEST_CONTEXT(c.text) {
            const auto parsed = SemVer::parse(c.text);
            BOOST_TEST_REQUIRE(parsed.has_value());
            BOOST_TEST(parsed->major == c.major);
            BOOST_TEST(parsed->minor == c.minor);
            BOOST_TEST(parsed->patch == c.patch);
            BOOST_TEST(parsed->prerelease == c.prerelease);
            BOOST_TEST(parsed->to_string() == c.canonical);
        }
    }
}

BOOST_AUTO_TEST_CASE(rejects_invalid_versions) {
    const char* cases[] = {"",          "1",          "1.2",       "1.2.3.4",     "v1.2.3",   "01.2.3",
                           "1.02.3",    "1.2.03",     "1.2.3-",    "1.2.3+",      "1.2.3-01", "1.2.3-a..b",
                           "1.2.3-a.",  "1.2.3+a..b", "1.2.3-be!", "1.2.-3",      "a.b.c",    " 1.2.3",
                           "1.2.3 ",    "1..3",       "-1.2.3",    "18446744073709551616.0.0"};
    for (const char* text : cases) {
        BOOST_TEST_CONTEXT('"' << text << '"') { BOOST_TEST(!SemVer::parse(text).has_value()); }
    }
}

BOOST_AUTO_TEST_CASE(precedence_follows_the_spec) {
    // semver.org §11, then ordinary numeric ordering of the core.
    const std::vector<SemVer> ascending = {
        v("1.0.0-alpha"), v("1.0.0-alpha.1"), v("1.0.0-alpha.beta"), v("1.0.0-beta"), v("1.0.0-beta.2"),
        v("1.0.0-beta.11"), v("1.0.0-rc.1"), v("1.0.0"), v("1.0.1"), v("1.9.0"), v("1.10.0"), v("2.0.0"),
        v("2.1.0"), v("2.1.1"),
    };
    for (std::size_t i = 0; i < ascending.size(); ++i) {
        for (std::size_t j = 0; j < ascending.size(); ++j) {
            BOOST_TEST_CONTEXT(ascending[i].to_string() << " vs " << ascending[j].to_string()) {
                BOOST_TEST(((ascending[i] <=> ascending[j]) < 0) == (i < j));
                BOOST_TEST((ascending[i] == ascending[j]) == (i == j));
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(build_metadata_and_huge_prerelease_numbers) {
    BOOST_TEST((v("1.2.3+a") == v("1.2.3+b")));
    BOOST_TEST((v("1.2.3-rc.1+a") == v("1.2.3-rc.1")));
    // Numeric identifiers beyond 64 bits still compare as numbers.
    BOOST_TEST((v("1.0.0-99999999999999999999999") < v("1.0.0-100000000000000000000000")));
    BOOST_TEST((v("1.0.0-99999999999999999999999") < v("1.0.0-a")));
}

BOOST_AUTO_TEST_CASE(constraints_match_table) {
    struct Case {
        const char* constraint;
        const char* version;
        bool expected;
    };
    const Case cases[] = {
        {"*", "0.0.1", true},
        {"*", "99.0.0", true},
        {"", "1.2.3", true},
        {"*", "1.2.3-beta", false},
        {"^1.2", "1.2.0", true},
        {"^1.2", "1.9.9", true},
        {"^1.2", "1.1.9", false},
        {"^1.2", "2.0.0", false},
        {"^1.2.3", "1.2.3", true},
        {"^1.2.3", "1.2.2", false},
        {"^1.2.3", "1.3.0", true},
        {"^1.2.3", "2.0.0-alpha", false},
        {"^0.2.3", "0.2.3", true},
        {"^0.2.3", "0.2.9", true},
        {"^0.2.3", "0.2.2", false},
        {"^0.2.3", "0.3.0", false},
        {"^0.2", "0.2.0", true},
        {"^0.0.3", "0.0.3", true},
        {"^0.0.3", "0.0.4", false},
        {"^0.0.3", "0.1.3", false},
        {"~1.2.3", "1.2.3", true},
        {"~1.2.3", "1.2.9", true},
        {"~1.2.3", "1.2.2", false},
        {"~1.2.3", "1.3.0", false},
        {"^1", "1.0.0", true},
        {"^1", "1.9.3", true},
        {"^1", "2.0.0", false},
        {"~1", "1.9.3", true},
        {"~1", "0.9.0", false},
        {">=2", "2.0.0", true},
        {">=2", "1.9.9", false},
        {"~1.2", "1.2.0", true},
        {"~1.2", "1.3.0", false},
        {"1.2.3", "1.2.3", true},
        {"1.2.3", "1.2.4", false},
        {"=1.2.3", "1.2.3", true},
        {"=1.2.3", "1.2.3-rc.1", false},
        {"1.2.3+build", "1.2.3", true},
        {">=1.2", "1.2.0", true},
        {">=1.2", "7.0.0", true},
        {">=1.2", "1.1.99", false},
        {">=1.2", "2.0.0-rc.1", false},
        // Prereleases are admitted only by a constraint naming one of the same release.
        {"^1.2.3-beta.2", "1.2.3-beta.3", true},
        {"^1.2.3-beta.2", "1.2.3-beta.1", false},
        {"^1.2.3-beta.2", "1.2.3", true},
        {"^1.2.3-beta.2", "1.4.0", true},
        {"^1.2.3-beta.2", "1.2.4-alpha", false},
        {"~1.2.3-rc.1", "1.2.3-rc.2", true},
        {">=1.2.3-rc.1", "1.2.3-rc.2", true},
        {">=1.2.3-rc.1", "2.0.0-rc.1", false},
        {"1.2.3-rc.1", "1.2.3-rc.1", true},
        {"1.2.3-rc.1", "1.2.3", false},
    };
    for (const auto& c : cases) {
        BOOST_TEST_CONTEXT('"' << c.constraint << "\" against " << c.version) {
            const auto constraint = VersionConstraint::parse(c.constraint);
            BOOST_TEST_REQUIRE(constraint.ok(), why(constraint));
            BOOST_TEST(constraint->matches(v(c.version)) == c.expected);
        }
    }
}

BOOST_AUTO_TEST_CASE(constraint_text_is_kept) {
    BOOST_TEST(VersionConstraint::parse("^1.2")->text() == "^1.2");
    BOOST_TEST(VersionConstraint::parse(" ~1.2.3 ")->text() == "~1.2.3");
    BOOST_TEST(VersionConstraint::parse("")->text() == "*");
    BOOST_TEST(VersionConstraint{}.text() == "*");
}

BOOST_AUTO_TEST_CASE(rejects_invalid_constraints_saying_what_was_expected) {
    const auto x = VersionConstraint::parse("^1.x");
    BOOST_TEST_REQUIRE(!x.ok());
    BOOST_TEST(x.error().message == R"("^1.x" is not a version constraint: expected ^1.2, ~1.2.3, 1.2.3, >=1.2 or *)");

    // Partial versions are only meaningful with ^, ~ and >=; an exact version must be complete.
    const char* cases[] = {"^",   "^1.",   "~",      "1.2",    "=1.2",      ">1.2",      "<2.0.0", "==1.2.3",
                           "^01.2", "latest", "^ 1.2", "1.2.3 || 2.0.0", "^1.2-beta", "1.2.x", "**"};
    for (const char* text : cases) {
        BOOST_TEST_CONTEXT('"' << text << '"') {
            const auto parsed = VersionConstraint::parse(text);
            BOOST_TEST_REQUIRE(!parsed.ok());
            BOOST_TEST(parsed.error().message.find("expected ^1.2") != std::string::npos);
        }
    }
}

BOOST_AUTO_TEST_CASE(plugin_refs_split_name_and_constraint) {
    const auto ref = PluginRef::parse("kb-search@^1.2");
    BOOST_TEST_REQUIRE(ref.ok(), why(ref));
    BOOST_TEST(ref->name == "kb-search");
    BOOST_TEST(ref->constraint.text() == "^1.2");
    BOOST_TEST(ref->constraint.matches(v("1.4.0")));
    BOOST_TEST(!ref->constraint.matches(v("2.0.0")));

    const auto bare = PluginRef::parse("llm.openai_v2");
    BOOST_TEST_REQUIRE(bare.ok(), why(bare));
    BOOST_TEST(bare->name == "llm.openai_v2");
    BOOST_TEST(bare->constraint.text() == "*");
    BOOST_TEST(bare->constraint.matches(v("0.0.1")));

    const auto digit_first = PluginRef::parse("7zip@=1.0.0");
    BOOST_TEST_REQUIRE(digit_first.ok());
    BOOST_TEST(digit_first->constraint.matches(v("1.0.0")));
}

BOOST_AUTO_TEST_CASE(plugin_refs_reject_bad_names_and_constraints) {
    struct Case {
        const char* text;
        const char* message_part;
    };
    const Case cases[] = {
        {"", "is not a plugin name"},
        {"@^1.2", "is not a plugin name"},
        {"KB-search", "is not a plugin name"},
        {"-kb", "is not a plugin name"},
        {"_kb", "is not a plugin name"},
        {"kb search", "is not a plugin name"},
        {"kb/search@1.0.0", "is not a plugin name"},
        {"kb-search@", "has no version constraint after '@'"},
        {"kb-search@^1.x", R"("^1.x" is not a version constraint)"},
        {"kb-search@1.2@3", "is not a version constraint"},
    };
    for (const auto& c : cases) {
        BOOST_TEST_CONTEXT('"' << c.text << '"') {
            const auto ref = PluginRef::parse(c.text);
            BOOST_TEST_REQUIRE(!ref.ok());
            BOOST_TEST(ref.error().message.find(c.message_part) != std::string::npos, ref.error().message);
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()
