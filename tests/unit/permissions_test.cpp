// permissions_test.cpp: reading permission sets, access checks, and requested ∩ granted.
#include <agenthost/registry/permissions.hpp>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <string>
#include <vector>

using agenthost::Permissions;
using Strings = std::vector<std::string>;

namespace {

// Boost.Test evaluates a message argument even when the check passes, so only ask a failed Result.
template <class T>
std::string why(const agenthost::Result<T>& r) {
    return r.ok() ? std::string() : r.error().to_string();
}

Permissions parse(const char* json) {
    auto p = Permissions::from_json(boost::json::parse(json), "/permissions");
    BOOST_TEST_REQUIRE(p.ok(), why(p));
    return std::move(p).value();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(permissions)

BOOST_AUTO_TEST_CASE(from_json_reads_every_member) {
    const auto p = parse(R"({"network": ["https://api.example.com/*"], "secrets": ["OPENAI_KEY"],
        "context": {"read": ["/ticket", ""], "write": ["/triage"]}, "services": ["ah.http/1", "ah.usage/1"]})");
    BOOST_TEST(p.network == Strings{"https://api.example.com/*"}, boost::test_tools::per_element());
    BOOST_TEST(p.secrets == Strings{"OPENAI_KEY"}, boost::test_tools::per_element());
    BOOST_TEST(p.context_read == (Strings{"/ticket", ""}), boost::test_tools::per_element());
    BOOST_TEST(p.context_write == Strings{"/triage"}, boost::test_tools::per_element());
    BOOST_TEST(p.services == (Strings{"ah.http/1", "ah.usage/1"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(every_member_is_optional) {
    for (const char* json : {"{}", R"({"context": {}})", R"({"network": []})"}) {
        BOOST_TEST_CONTEXT(json) {
            const auto p = parse(json);
            BOOST_TEST((p.network.empty() && p.secrets.empty() && p.context_read.empty() && p.context_write.empty() &&
                        p.services.empty()));
        }
    }
}

BOOST_AUTO_TEST_CASE(to_json_round_trips_in_the_same_shape) {
    const auto p = parse(R"({"network": ["https://a.test/*"], "secrets": ["K"],
        "context": {"read": ["/a"], "write": ["/b"]}, "services": ["ah.trace/1"]})");
    const auto expected = boost::json::parse(R"({"network": ["https://a.test/*"], "secrets": ["K"],
        "context": {"read": ["/a"], "write": ["/b"]}, "services": ["ah.trace/1"]})");
    BOOST_TEST(p.to_json() == expected);
    const auto again = Permissions::from_json(p.to_json(), "");
    BOOST_TEST_REQUIRE(again.ok());
    BOOST_TEST(again->to_json() == expected);
    BOOST_TEST(Permissions{}.to_json() ==
               boost::json::parse(R"({"network": [], "secrets": [], "context": {"read": [], "write": []}, "services": []})"));
}

BOOST_AUTO_TEST_CASE(wrong_types_name_the_pointer_and_the_expectation) {
    struct Case {
        const char* json;
        const char* where;
        const char* message_part;
    };
    const Case cases[] = {
        {"[]", "/permissions", "expected an object"},
        {R"({"network": "https://a.test/*"})", "/permissions/network", "expected an array of URL patterns"},
        {R"({"network": ["https://a.test/*", 7]})", "/permissions/network/1", "expected URL patterns"},
        {R"({"network": [""]})", "/permissions/network/0", "expected URL patterns"},
        {R"({"network": ["api.example.com/*"]})", "/permissions/network/0", "scheme://host[:port][/path]"},
        {R"({"network": ["https://user@api.example.com/*"]})", "/permissions/network/0", "expected URL patterns"},
        {R"({"secrets": [null]})", "/permissions/secrets/0", "expected secret names"},
        {R"({"services": {}})", "/permissions/services", "expected an array of service ids"},
        {R"({"context": ["/a"]})", "/permissions/context", "expected an object with read and write"},
        {R"({"context": {"read": "/a"}})", "/permissions/context/read", "expected an array of JSON pointers"},
        {R"({"context": {"write": ["ticket"]}})", "/permissions/context/write/0", "expected JSON pointers"},
        {R"({"context": {"read": ["/a~2"]}})", "/permissions/context/read/0", "expected JSON pointers"},
        {R"({"context": {"reed": []}})", "/permissions/context/reed", "expected read or write"},
        {R"({"netwrok": []})", "/permissions/netwrok", "expected network, secrets, context or services"},
        {R"({"a/b": []})", "/permissions/a~1b", "unknown permission"},
    };
    for (const auto& c : cases) {
        BOOST_TEST_CONTEXT(c.json) {
            const auto p = Permissions::from_json(boost::json::parse(c.json), "/permissions");
            BOOST_TEST_REQUIRE(!p.ok());
            BOOST_TEST(p.error().where == c.where);
            BOOST_TEST(p.error().message.find(c.message_part) != std::string::npos, p.error().message);
        }
    }
}

BOOST_AUTO_TEST_CASE(access_checks) {
    const auto p = parse(R"({"network": ["https://api.example.com/v1/*", "https://*.cdn.test/*"], "secrets": ["KEY"],
        "context": {"read": ["/ticket"], "write": ["/triage/result"]}, "services": ["ah.http/1"]})");
    BOOST_TEST(p.allows_url("https://api.example.com/v1/search"));
    BOOST_TEST(p.allows_url("https://eu.cdn.test/x.png"));
    BOOST_TEST(!p.allows_url("https://api.example.com/v2/search"));
    BOOST_TEST(!p.allows_url("https://evil.example/"));
    // '*' stays inside the part it is written in: these only look like the patterns.
    BOOST_TEST(!p.allows_url("https://evil.example/x.cdn.test/y"));
    BOOST_TEST(!p.allows_url("https://eu.cdn.test@evil.example/"));
    BOOST_TEST(!p.allows_url("https://api.example.com/v1/../admin"));

    BOOST_TEST(p.allows_secret("KEY"));
    BOOST_TEST(!p.allows_secret("KEY2"));
    BOOST_TEST(!p.allows_secret("key"));

    BOOST_TEST(p.allows_service("ah.http/1"));
    BOOST_TEST(p.allows_service("ah.log/1"));  // baseline, never granted
    BOOST_TEST(!p.allows_service("ah.secrets/1"));
    BOOST_TEST(!p.allows_service("ah.http/2"));
    BOOST_TEST(Permissions{}.allows_service("ah.log/1"));
    BOOST_TEST(agenthost::is_baseline_service("ah.log/1"));
    BOOST_TEST(!agenthost::is_baseline_service("ah.http/1"));
    BOOST_TEST(!agenthost::is_baseline_service("ah.log/2"));
}

BOOST_AUTO_TEST_CASE(context_pointers_cover_themselves_and_below) {
    struct Case {
        const char* granted;
        const char* pointer;
        bool expected;
    };
    const Case cases[] = {
        {"/ticket", "/ticket", true},       {"/ticket", "/ticket/body", true}, {"/ticket", "/ticket/a/b", true},
        {"/ticket", "/tickets", false},     {"/ticket", "/", false},           {"/ticket", "", false},
        {"/ticket/body", "/ticket", false}, {"", "/anything", true},           {"", "", true},
        {"/", "/", true},                   {"/", "/x", false},                {"/a~1b", "/a~1b/c", true},
    };
    for (const auto& c : cases) {
        BOOST_TEST_CONTEXT('"' << c.granted << "\" covers \"" << c.pointer << '"') {
            Permissions read, write;
            read.context_read = {c.granted};
            write.context_write = {c.granted};
            BOOST_TEST(read.allows_read(c.pointer) == c.expected);
            BOOST_TEST(!read.allows_write(c.pointer));
            BOOST_TEST(write.allows_write(c.pointer) == c.expected);
            BOOST_TEST(!write.allows_read(c.pointer));
        }
    }
}

BOOST_AUTO_TEST_CASE(effective_is_the_grants_the_manifest_requested) {
    const auto requested = parse(R"({"network": ["https://api.example.com/*"], "secrets": ["A", "B"],
        "context": {"read": ["/ticket"], "write": ["/out"]}, "services": ["ah.http/1", "ah.usage/1"]})");
    const auto granted = parse(R"({"network": ["https://api.example.com/v1/*"], "secrets": ["B"],
        "context": {"read": ["/ticket/body"], "write": ["/out"]}, "services": ["ah.http/1"]})");
    const auto effective = agenthost::effective_permissions(requested, granted, "/agents/triage");
    BOOST_TEST_REQUIRE(effective.ok(), why(effective));
    BOOST_TEST(effective->to_json() == granted.to_json());
    // Nothing granted means nothing effective, whatever the manifest asked for.
    const auto none = agenthost::effective_permissions(requested, Permissions{}, "");
    BOOST_TEST_REQUIRE(none.ok());
    BOOST_TEST(none->to_json() == Permissions{}.to_json());
}

BOOST_AUTO_TEST_CASE(every_uncovered_grant_is_reported_at_once) {
    const auto requested = parse(R"({"network": ["https://api.example.com/*"], "secrets": ["A"],
        "context": {"read": ["/ticket"]}, "services": ["ah.http/1"]})");
    const auto granted = parse(R"({"network": ["https://api.example.com/v1/*", "https://evil.example/*"],
        "secrets": ["A", "B"], "context": {"read": ["/tickets"], "write": ["/ticket"]},
        "services": ["ah.secrets/1"]})");
    const auto effective = agenthost::effective_permissions(requested, granted, "/agents/triage/grants");
    BOOST_TEST_REQUIRE(!effective.ok());
    BOOST_TEST(effective.error().where == "/agents/triage/grants");
    const std::string expected =
        "grant network \"https://evil.example/*\" is not requested by the manifest (it requests: \"https://api.example.com/*\")\n"
        "grant secret \"B\" is not requested by the manifest (it requests: \"A\")\n"
        "grant context read \"/tickets\" is not requested by the manifest (it requests: \"/ticket\")\n"
        "grant context write \"/ticket\" is not requested by the manifest (it requests: nothing)\n"
        "grant service \"ah.secrets/1\" is not requested by the manifest (it requests: \"ah.http/1\")";
    BOOST_TEST(effective.error().message == expected);
}

BOOST_AUTO_TEST_CASE(a_broader_url_grant_is_not_covered_by_a_narrower_request) {
    Permissions requested, granted;
    requested.network = {"https://api.example.com/v1/*", "https://b.test/*"};
    granted.network = {"https://api.example.com/*"};
    const auto effective = agenthost::effective_permissions(requested, granted, "");
    BOOST_TEST_REQUIRE(!effective.ok());
    BOOST_TEST(effective.error().message ==
               "grant network \"https://api.example.com/*\" is not requested by the manifest "
               "(it requests: \"https://api.example.com/v1/*\", \"https://b.test/*\")");
}

BOOST_AUTO_TEST_CASE(a_url_grant_that_only_looks_covered_is_not) {
    Permissions requested, granted;
    requested.network = {"https://*.example.com/*"};
    granted.network = {"https://evil.com/x.example.com/*", "https://a.example.com/*"};
    const auto effective = agenthost::effective_permissions(requested, granted, "");
    BOOST_TEST_REQUIRE(!effective.ok());
    BOOST_TEST(effective.error().message ==
               "grant network \"https://evil.com/x.example.com/*\" is not requested by the manifest "
               "(it requests: \"https://*.example.com/*\")");
}

BOOST_AUTO_TEST_SUITE_END()
