// url_pattern_test.cpp: glob matching for network permissions and grant coverage.
#include <agenthost/registry/url_pattern.hpp>

#include <boost/test/unit_test.hpp>

#include <string>

using agenthost::glob_matches;

BOOST_AUTO_TEST_SUITE(url_pattern)

BOOST_AUTO_TEST_CASE(matches_table) {
    struct Case {
        const char* pattern;
        const char* text;
        bool expected;
    };
    const Case cases[] = {
        {"", "", true},
        {"", "a", false},
        {"*", "", true},
        {"*", "anything at all", true},
        {"**", "x", true},
        {"abc", "abc", true},
        {"abc", "abd", false},
        {"abc", "abcd", false},
        {"abcd", "abc", false},
        {"https://api.example.com/*", "https://api.example.com/", true},
        {"https://api.example.com/*", "https://api.example.com/v1/search?q=1", true},
        {"https://api.example.com/*", "https://api.example.com", false},
        {"https://api.example.com/*", "https://api.example.com.evil.test/", false},
        {"https://api.example.com/*", "http://api.example.com/x", false},
        {"https://*.example.com/*", "https://eu.example.com/v1", true},
        {"https://*.example.com/*", "https://example.com/v1", false},
        {"a*b*c", "abc", true},
        {"a*b*c", "aXbYbZc", true},
        {"a*b*c", "aXbYbZ", false},
        {"*.json", "a.json.json", true},
        {"*.json", "a.jsonx", false},
        {"a*", "A", false},  // case-sensitive: no normalisation happens here
        // A grant is covered when the request pattern matches the grant's own text.
        {"https://api.example.com/*", "https://api.example.com/v1/*", true},
        {"https://api.example.com/v1/*", "https://api.example.com/*", false},
    };
    for (const auto& c : cases) {
        BOOST_TEST_CONTEXT("pattern \"" << c.pattern << "\" text \"" << c.text << '"') {
            BOOST_TEST(glob_matches(c.pattern, c.text) == c.expected);
        }
    }
}

BOOST_AUTO_TEST_CASE(many_stars_on_long_text_finish_quickly, *boost::unit_test::timeout(10)) {
    // A backtracking matcher takes exponential time here; the iterative one is about |p|*|t|.
    const std::string text(100'000, 'a');
    BOOST_TEST(!glob_matches("*a*a*a*a*a*a*a*a*a*a*b", text));
    BOOST_TEST(glob_matches("*a*a*a*a*a*a*a*a*a*a*a", text));
}

BOOST_AUTO_TEST_SUITE_END()
