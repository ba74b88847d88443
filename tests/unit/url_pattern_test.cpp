// url_pattern_test.cpp: glob matching for network permissions and grant coverage.
#include <agenthost/registry/url_pattern.hpp>

#include <boost/test/unit_test.hpp>

#include <string>

using agenthost::glob_matches;
using agenthost::is_url_pattern;
using agenthost::url_pattern_covers;
using agenthost::url_pattern_matches;

namespace {

struct UrlCase {
    const char* pattern;
    const char* url;
    bool expected;
};

}  // namespace

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

BOOST_AUTO_TEST_CASE(a_star_never_crosses_from_the_host_into_another_part) {
    const UrlCase cases[] = {
        {"https://*.example.com/*", "https://a.example.com/x", true},
        {"https://*.example.com/*", "https://a.b.example.com/x", true},
        {"https://*.example.com/*", "https://example.com/x", false},
        {"https://*.example.com/*", "https://evil.com/x.example.com/y", false},
        {"https://*.example.com/*", "https://evil.com/.example.com/", false},
        {"https://*.example.com/*", "https://evil.com?.example.com/", false},
        {"https://*.example.com/*", "https://evil.com#.example.com/", false},
        {"https://*.example.com/*", "https://evil.com:443/.example.com/", false},
        {"https://*.example.com/*", "https://a.example.com.evil.com/", false},
        {"https://api.example.com/*", "https://api.example.com.evil.test/", false},
        {"https://api*/*", "https://api.evil.test/", true},  // what the pattern says: any host starting "api"
        {"https://*/*", "https://anything.test/x", true},
    };
    for (const auto& c : cases) {
        BOOST_TEST_CONTEXT("pattern \"" << c.pattern << "\" url \"" << c.url << '"') {
            BOOST_TEST(url_pattern_matches(c.pattern, c.url) == c.expected);
        }
    }
}

BOOST_AUTO_TEST_CASE(userinfo_and_odd_urls_never_match) {
    const UrlCase cases[] = {
        {"https://*.example.com/*", "https://a.example.com@evil.com/", false},
        {"https://*.example.com/*", "https://user:pw@a.example.com/", false},
        {"https://*/*", "https://user@a.example.com/", false},
        {"https://api.example.com/*", "https://api.example.com:443@evil.com/", false},
        {"https://api.example.com/*", "https://api.example.com%2eevil.com/", false},
        {"https://api.example.com/*", "https://api.example.com\\@evil.com/", false},
        {"https://api.example.com/*", "https:///x", false},
        {"https://api.example.com/*", "https://api.example.com:/x", false},
        {"https://api.example.com/*", "https://api.example.com:44x/", false},
        {"https://api.example.com/*", "api.example.com/x", false},
        {"https://api.example.com/*", "", false},
        {"https://api.example.com/*", "https://api.example.com*/", false},  // '*' is for patterns only
        // Dot segments: the server would serve a path the pattern did not name.
        {"https://api.example.com/v1/*", "https://api.example.com/v1/../admin", false},
        {"https://api.example.com/v1/*", "https://api.example.com/v1/%2e%2E/admin", false},
        {"https://api.example.com/v1/*", "https://api.example.com/v1/./x", false},
        {"https://api.example.com/v1/*", "https://api.example.com/v1/..", false},
        {"https://api.example.com/v1/*", "https://api.example.com/v1/...x/y", true},  // not a dot segment
        {"https://api.example.com/v1/*", "https://api.example.com/v1/x?next=/../y", true},  // the query is not a path
        // Encoded separators: a server that decodes them first walks out of /v1/.
        {"https://api.example.com/v1/*", "https://api.example.com/v1/..%2Fadmin", false},
        {"https://api.example.com/v1/*", "https://api.example.com/v1/%2e%2e%2fadmin", false},
        {"https://api.example.com/v1/*", "https://api.example.com/v1/..%5cadmin", false},
        {"https://api.example.com/v1/*", "https://api.example.com/v1/a%20b", true},  // other escapes are fine
        {"https://api.example.com/v1/*", "https://api.example.com/v1/x?to=a%2Fb", true},  // in the query
    };
    for (const auto& c : cases) {
        BOOST_TEST_CONTEXT("pattern \"" << c.pattern << "\" url \"" << c.url << '"') {
            BOOST_TEST(url_pattern_matches(c.pattern, c.url) == c.expected);
        }
    }
}

BOOST_AUTO_TEST_CASE(scheme_host_port_and_path_each_compare_their_own_way) {
    const UrlCase cases[] = {
        // Scheme and host ignore case; the path does not.
        {"https://api.example.com/v1/*", "HTTPS://API.Example.COM/v1/x", true},
        {"https://api.example.com/v1/*", "https://api.example.com/V1/x", false},
        {"https://api.example.com/*", "http://api.example.com/x", false},
        // Ports: the scheme's default when absent, otherwise equal.
        {"https://api.example.com/*", "https://api.example.com:443/x", true},
        {"https://api.example.com:443/*", "https://api.example.com/x", true},
        {"http://api.example.com/*", "http://api.example.com:80/x", true},
        {"https://api.example.com/*", "https://api.example.com:8443/x", false},
        {"https://api.example.com:8443/*", "https://api.example.com:8443/x", true},
        {"https://api.example.com:8443/*", "https://api.example.com/x", false},
        {"https://api.example.com:*/*", "https://api.example.com:8443/x", true},
        // In the path '*' spans '/'; the query is part of the path.
        {"https://api.example.com/v1/*", "https://api.example.com/v1/a/b?q=1", true},
        {"https://api.example.com/v1/*", "https://api.example.com/v2/a", false},
        {"https://api.example.com/v1/*/items", "https://api.example.com/v1/a/b/items", true},
        // No path in the pattern: any path; "/" and no path at all are the same.
        {"https://api.example.com", "https://api.example.com/anything?x=1", true},
        {"https://api.example.com", "https://api.example.com", true},
        {"https://api.example.com/*", "https://api.example.com", true},
        {"https://api.example.com/", "https://api.example.com", true},
        {"https://api.example.com/", "https://api.example.com/x", false},
        // A fragment is not sent, so it does not count.
        {"https://api.example.com/v1/x", "https://api.example.com/v1/x#part", true},
        {"https://[::1]:8080/*", "https://[::1]:8080/x", true},
        {"https://[::1]:8080/*", "https://[::2]:8080/x", false},
    };
    for (const auto& c : cases) {
        BOOST_TEST_CONTEXT("pattern \"" << c.pattern << "\" url \"" << c.url << '"') {
            BOOST_TEST(url_pattern_matches(c.pattern, c.url) == c.expected);
        }
    }
}

BOOST_AUTO_TEST_CASE(a_grant_is_covered_part_by_part) {
    const UrlCase cases[] = {
        {"https://api.example.com/*", "https://api.example.com/v1/*", true},
        {"https://api.example.com/v1/*", "https://api.example.com/*", false},
        {"https://*.example.com/*", "https://eu.example.com/*", true},
        {"https://*.example.com/*", "https://*.eu.example.com/*", true},
        {"https://*.example.com/*", "https://*/*", false},
        {"https://*.example.com/*", "https://evil.com/x.example.com/*", false},
        {"https://*.example.com/*", "https://a.example.com@evil.com/*", false},
        {"https://api.example.com", "https://api.example.com/v1/*", true},
        {"https://api.example.com/*", "https://api.example.com", true},  // any path is "/" then anything
        {"https://api.example.com/v1/*", "https://api.example.com", false},
        {"https://api.example.com/*", "https://api.example.com:8443/*", false},
        {"https://api.example.com/*", "http://api.example.com/*", false},
        {"https://api.example.com/*", "https://api.example.com:*/*", false},
    };
    for (const auto& c : cases) {
        BOOST_TEST_CONTEXT("request \"" << c.pattern << "\" grant \"" << c.url << '"') {
            BOOST_TEST(url_pattern_covers(c.pattern, c.url) == c.expected);
        }
    }
}

BOOST_AUTO_TEST_CASE(a_pattern_must_have_the_shape_of_a_url) {
    for (const char* good : {"https://api.example.com/*", "https://*.example.com", "http://localhost:8080/v1/*",
                             "*://api.example.com/*", "https://[::1]/x"}) {
        BOOST_TEST(is_url_pattern(good), good);
    }
    for (const char* bad : {"", "*", "api.example.com/*", "https://", "https://user@api.example.com/*",
                            "https://api.example.com:http/", "https://[::1/x", "://api.example.com/"}) {
        BOOST_TEST(!is_url_pattern(bad), bad);
    }
}

BOOST_AUTO_TEST_SUITE_END()
