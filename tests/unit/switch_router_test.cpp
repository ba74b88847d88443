// switch_router_test.cpp: every switch operator, case order, the default for a
// missing value, and values of the wrong type (which match nothing).
#include <agenthost/host/switch_router.hpp>

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

using namespace agenthost;

namespace {

const char* name_of(SwitchOp op) {
    switch (op) {
        case SwitchOp::equals: return "equals";
        case SwitchOp::one_of: return "one_of";
        case SwitchOp::above: return "above";
        case SwitchOp::at_least: return "at_least";
        case SwitchOp::below: return "below";
        case SwitchOp::at_most: return "at_most";
        case SwitchOp::matches: return "matches";
    }
    return "?";
}

// One case that goes to "hit"; everything else goes to "miss".
SwitchRouter one_case(SwitchOp op, const boost::json::value& operand) {
    SwitchStep step;
    step.on = "/value";
    step.cases.push_back(SwitchCase{op, operand, "hit"});
    step.default_next = "miss";
    return SwitchRouter(step);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(switch_router)

BOOST_AUTO_TEST_CASE(operators) {
    struct Case {
        SwitchOp op;
        const char* operand;  // JSON
        const char* value;    // JSON
        bool expected;
    };
    const Case cases[] = {
        // equals: JSON equality, except that numbers compare by value.
        {SwitchOp::equals, R"("billing")", R"("billing")", true},
        {SwitchOp::equals, R"("billing")", R"("Billing")", false},
        {SwitchOp::equals, R"("billing")", R"("billing ")", false},
        {SwitchOp::equals, "1", "1", true},
        {SwitchOp::equals, "1", "1.0", true},
        {SwitchOp::equals, "1.0", "1", true},
        {SwitchOp::equals, "18446744073709551615", "18446744073709551615", true},  // uint64
        {SwitchOp::equals, "0.5", "0.5", true},
        {SwitchOp::equals, "1", "2", false},
        {SwitchOp::equals, "-1", "1", false},
        {SwitchOp::equals, "true", "true", true},
        {SwitchOp::equals, "true", "false", false},
        {SwitchOp::equals, "null", "null", true},
        {SwitchOp::equals, R"({"a":[1,2]})", R"({"a":[1,2]})", true},
        {SwitchOp::equals, R"({"a":[1,2]})", R"({"a":[2,1]})", false},
        // one_of: any option, with equals' rule for each.
        {SwitchOp::one_of, R"(["billing","refund"])", R"("refund")", true},
        {SwitchOp::one_of, R"(["billing","refund"])", R"("outage")", false},
        {SwitchOp::one_of, "[1,2,3]", "2.0", true},
        {SwitchOp::one_of, "[1,2,3]", "4", false},
        {SwitchOp::one_of, "[]", R"("x")", false},
        {SwitchOp::one_of, R"(["a",1,null])", "null", true},
        // Thresholds: strict and inclusive, on integers and doubles alike.
        {SwitchOp::above, "0.5", "0.6", true},
        {SwitchOp::above, "0.5", "0.5", false},
        {SwitchOp::above, "0.5", "0.4", false},
        {SwitchOp::above, "3", "4", true},
        {SwitchOp::above, "3", "3.0", false},
        {SwitchOp::above, "-1", "0", true},
        {SwitchOp::at_least, "0.5", "0.5", true},
        {SwitchOp::at_least, "0.5", "0.49", false},
        {SwitchOp::at_least, "3", "3.0", true},
        {SwitchOp::at_least, "3", "18446744073709551615", true},
        {SwitchOp::below, "3", "2", true},
        {SwitchOp::below, "3", "3", false},
        {SwitchOp::below, "3", "2.999", true},
        {SwitchOp::below, "0", "-0.1", true},
        {SwitchOp::at_most, "3", "3", true},
        {SwitchOp::at_most, "3", "3.5", false},
        {SwitchOp::at_most, "2.5", "2", true},
        // matches: an ECMAScript regex, searched anywhere in the string.
        {SwitchOp::matches, R"("^urgent")", R"("urgent: site down")", true},
        {SwitchOp::matches, R"("^urgent")", R"("not urgent")", false},
        {SwitchOp::matches, R"("ell")", R"("hello")", true},
        {SwitchOp::matches, R"("^[a-z]+-[0-9]{3}$")", R"("inc-042")", true},
        {SwitchOp::matches, R"("^[a-z]+-[0-9]{3}$")", R"("inc-42")", false},
        {SwitchOp::matches, R"("refund|chargeback")", R"("a chargeback")", true},
        {SwitchOp::matches, R"("")", R"("")", true},
    };
    for (const Case& c : cases) {
        BOOST_TEST_CONTEXT(name_of(c.op) << ' ' << c.operand << " on " << c.value) {
            const SwitchRouter router = one_case(c.op, boost::json::parse(c.operand));
            const boost::json::value value = boost::json::parse(c.value);
            BOOST_TEST(router.route(&value) == (c.expected ? "hit" : "miss"));
        }
    }
}

BOOST_AUTO_TEST_CASE(type_mismatches_match_nothing) {
    struct Case {
        SwitchOp op;
        const char* operand;
        const char* value;
    };
    const Case cases[] = {
        {SwitchOp::equals, "1", R"("1")"},
        {SwitchOp::equals, R"("1")", "1"},
        {SwitchOp::equals, "true", "1"},
        {SwitchOp::equals, "1", "true"},
        {SwitchOp::equals, "0", "false"},
        {SwitchOp::equals, "0", "null"},
        {SwitchOp::equals, R"("")", "null"},
        {SwitchOp::equals, "[1]", "1"},
        {SwitchOp::one_of, R"(["1","2"])", "1"},
        {SwitchOp::one_of, R"("billing")", R"("billing")"},  // the operand is not a list
        {SwitchOp::above, "0.5", R"("0.9")"},
        {SwitchOp::above, "0", "true"},
        {SwitchOp::at_least, "0", "null"},
        {SwitchOp::below, "10", R"("1")"},
        {SwitchOp::below, "10", "[1]"},
        {SwitchOp::at_most, "10", R"({"n":1})"},
        {SwitchOp::above, R"("0.5")", "0.9"},  // an operand that is not a number
        {SwitchOp::matches, R"("1")", "1"},
        {SwitchOp::matches, R"(".*")", "null"},
        {SwitchOp::matches, R"(".*")", R"(["x"])"},
        {SwitchOp::matches, "1", R"("1")"},  // an operand that is not a pattern
    };
    for (const Case& c : cases) {
        BOOST_TEST_CONTEXT(name_of(c.op) << ' ' << c.operand << " on " << c.value) {
            const SwitchRouter router = one_case(c.op, boost::json::parse(c.operand));
            const boost::json::value value = boost::json::parse(c.value);
            BOOST_TEST(router.route(&value) == "miss");
        }
    }
}

BOOST_AUTO_TEST_CASE(the_first_case_that_holds_wins) {
    SwitchStep step;
    step.on = "/triage/confidence";
    step.cases = {
        SwitchCase{SwitchOp::above, 0.9, "auto_reply"},
        SwitchCase{SwitchOp::above, 0.5, "research"},
        SwitchCase{SwitchOp::at_least, 0.0, "escalate"},  // shadowed for everything the first two take
        SwitchCase{SwitchOp::above, 0.95, "never"},        // shadowed entirely
    };
    step.default_next = "human";
    const SwitchRouter router(step);
    struct Case {
        double value;
        const char* expected;
    };
    const Case cases[] = {
        {0.99, "auto_reply"}, {0.91, "auto_reply"}, {0.9, "research"}, {0.7, "research"},
        {0.5, "escalate"},    {0.0, "escalate"},    {-0.1, "human"},
    };
    for (const Case& c : cases) {
        BOOST_TEST_CONTEXT("confidence " << c.value) {
            const boost::json::value value(c.value);
            BOOST_TEST(router.route(&value) == c.expected);
        }
    }
}

BOOST_AUTO_TEST_CASE(cases_of_mixed_operators_in_order) {
    SwitchStep step;
    step.on = "/triage/category";
    step.cases = {
        SwitchCase{SwitchOp::equals, "outage", "page_oncall"},
        SwitchCase{SwitchOp::one_of, boost::json::parse(R"(["billing","refund"])"), "billing"},
        SwitchCase{SwitchOp::matches, "^bill", "billing_like"},
    };
    step.default_next = "general";
    const SwitchRouter router(step);
    struct Case {
        const char* value;
        const char* expected;
    };
    const Case cases[] = {
        {"outage", "page_oncall"},
        {"billing", "billing"},      // also matches ^bill, but the one_of case comes first
        {"billing-dispute", "billing_like"},
        {"login", "general"},
    };
    for (const Case& c : cases) {
        BOOST_TEST_CONTEXT("category " << c.value) {
            const boost::json::value value(c.value);
            BOOST_TEST(router.route(&value) == c.expected);
        }
    }
}

BOOST_AUTO_TEST_CASE(a_missing_value_takes_the_default) {
    // Even a case that would hold for null is not taken: nothing is there at all.
    SwitchStep step;
    step.on = "/triage/category";
    step.cases = {
        SwitchCase{SwitchOp::equals, nullptr, "null_case"},
        SwitchCase{SwitchOp::matches, ".*", "anything"},
        SwitchCase{SwitchOp::at_least, -1e300, "any_number"},
    };
    step.default_next = "fallback";
    const SwitchRouter router(step);
    BOOST_TEST(router.route(nullptr) == "fallback");

    const boost::json::value null_value;  // a null that is there is a value
    BOOST_TEST(router.route(&null_value) == "null_case");
}

BOOST_AUTO_TEST_CASE(no_cases_always_take_the_default) {
    SwitchStep step;
    step.on = "/x";
    step.default_next = "only";
    const SwitchRouter router(step);
    const boost::json::value value = boost::json::parse(R"({"any":"thing"})");
    BOOST_TEST(router.route(&value) == "only");
    BOOST_TEST(router.route(nullptr) == "only");
}

BOOST_AUTO_TEST_SUITE_END()
