// join_test.cpp: the join policies of a parallel step: all, first_success,
// priority and vote (majority, both tie rules, branches without a vote), and
// what each says when branches failed.
#include <agenthost/host/join.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

using namespace agenthost;

namespace {

// A step with branches a, b, c, ... (one per outcome) and the given policy.
ParallelStep step_of(std::size_t branches, JoinPolicy join, std::string vote_field = {},
                     TieRule tie = TieRule::first) {
    ParallelStep step;
    for (std::size_t i = 0; i < branches; ++i) {
        const std::string name(1, static_cast<char>('a' + i));
        step.branches.push_back(ParallelBranch{name, "agent-" + name, {}});
    }
    step.join = join;
    step.vote_field = std::move(vote_field);
    step.tie = tie;
    step.writes = "joined";
    step.next = "done";
    return step;
}

BranchOutcome ok(const char* json) { return BranchOutcome{boost::json::parse(json), ""}; }
BranchOutcome failed(const char* why) { return BranchOutcome{std::nullopt, why}; }

std::string text(const std::optional<boost::json::value>& v) {
    return v ? boost::json::serialize(*v) : std::string("(none)");
}

const char* name_of(JoinPolicy policy) {
    switch (policy) {
        case JoinPolicy::all: return "all";
        case JoinPolicy::first_success: return "first_success";
        case JoinPolicy::vote: return "vote";
        case JoinPolicy::priority: return "priority";
    }
    return "?";
}

bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(join)

BOOST_AUTO_TEST_CASE(all_keys_every_output_by_branch_name) {
    const ParallelStep step = step_of(3, JoinPolicy::all);
    const JoinResult r = join_outcomes(step, {ok(R"({"x":1})"), ok(R"("two")"), ok("[3]")});
    BOOST_REQUIRE(r.output.has_value());
    BOOST_TEST(*r.output == boost::json::parse(R"({"a":{"x":1},"b":"two","c":[3]})"));
    BOOST_TEST(r.chosen == "");
    BOOST_TEST(r.error == "");
}

BOOST_AUTO_TEST_CASE(all_needs_every_branch_and_lists_the_failures) {
    struct Case {
        std::vector<BranchOutcome> outcomes;
        std::string expected_error;
    };
    const Case cases[] = {
        {{ok("1"), failed("boom"), ok("3")}, "join all needs every branch: b: boom"},
        {{failed("boom"), ok("2"), failed("bust")}, "join all needs every branch: a: boom; c: bust"},
        {{failed("x"), failed("y"), failed("z")}, "join all needs every branch: a: x; b: y; c: z"},
    };
    for (const Case& c : cases) {
        BOOST_TEST_CONTEXT("expecting \"" << c.expected_error << '"') {
            const JoinResult r = join_outcomes(step_of(3, JoinPolicy::all), c.outcomes);
            BOOST_TEST(!r.output.has_value());
            BOOST_TEST(r.error == c.expected_error);
            BOOST_TEST(r.chosen == "");
        }
    }
}

BOOST_AUTO_TEST_CASE(first_success_and_priority_take_the_earliest_branch_that_succeeded) {
    struct Case {
        std::vector<BranchOutcome> outcomes;
        std::string chosen;
        std::string output;
    };
    const Case cases[] = {
        {{ok(R"({"v":"a"})"), ok(R"({"v":"b"})"), ok(R"({"v":"c"})")}, "a", R"({"v":"a"})"},
        {{failed("down"), ok(R"({"v":"b"})"), ok(R"({"v":"c"})")}, "b", R"({"v":"b"})"},
        {{failed("down"), failed("slow"), ok(R"({"v":"c"})")}, "c", R"({"v":"c"})"},
        {{ok("null"), failed("down")}, "a", "null"},  // a null output is still an output
    };
    for (JoinPolicy policy : {JoinPolicy::first_success, JoinPolicy::priority}) {
        for (const Case& c : cases) {
            BOOST_TEST_CONTEXT(name_of(policy) << ", expecting branch " << c.chosen) {
                const JoinResult r = join_outcomes(step_of(c.outcomes.size(), policy), c.outcomes);
                BOOST_TEST(r.chosen == c.chosen);
                BOOST_TEST(text(r.output) == c.output);
                BOOST_TEST(r.error == "");
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(every_branch_failed) {
    const std::vector<BranchOutcome> outcomes{failed("timeout"), failed("circuit open")};
    struct Case {
        JoinPolicy policy;
        std::string field;
        std::string expected_error;
    };
    const Case cases[] = {
        {JoinPolicy::all, "", "join all needs every branch: a: timeout; b: circuit open"},
        {JoinPolicy::first_success, "", "every branch failed: a: timeout; b: circuit open"},
        {JoinPolicy::priority, "", "every branch failed: a: timeout; b: circuit open"},
        {JoinPolicy::vote, "/label", "no branch produced a vote at /label (a: timeout; b: circuit open)"},
    };
    for (const Case& c : cases) {
        BOOST_TEST_CONTEXT(name_of(c.policy)) {
            const JoinResult r = join_outcomes(step_of(2, c.policy, c.field), outcomes);
            BOOST_TEST(!r.output.has_value());
            BOOST_TEST(r.chosen == "");
            BOOST_TEST(r.error == c.expected_error);
        }
    }
}

BOOST_AUTO_TEST_CASE(vote_takes_the_majority_and_the_earliest_branch_that_cast_it) {
    struct Case {
        const char* what;
        std::vector<BranchOutcome> outcomes;
        std::string field;
        std::string chosen;
    };
    const Case cases[] = {
        {"2 of 3", {ok(R"({"label":"spam","by":"a"})"), ok(R"({"label":"ham","by":"b"})"),
                    ok(R"({"label":"ham","by":"c"})")}, "/label", "b"},
        {"unanimous", {ok(R"({"label":"ham"})"), ok(R"({"label":"ham"})"), ok(R"({"label":"ham"})")}, "/label",
         "a"},
        {"3 of 5", {ok(R"({"label":"x"})"), ok(R"({"label":"y"})"), ok(R"({"label":"y"})"),
                    ok(R"({"label":"x"})"), ok(R"({"label":"y"})")}, "/label", "b"},
        {"a failed branch casts no vote", {failed("down"), ok(R"({"label":"x"})"), ok(R"({"label":"y"})"),
                                            ok(R"({"label":"y"})")}, "/label", "c"},
        {"a nested field", {ok(R"({"verdict":{"ok":true}})"), ok(R"({"verdict":{"ok":false}})"),
                            ok(R"({"verdict":{"ok":false}})")}, "/verdict/ok", "b"},
        {"numbers and structures are values too", {ok(R"({"v":[1,2]})"), ok(R"({"v":[1,2]})"), ok(R"({"v":2})")},
         "/v", "a"},
    };
    for (const Case& c : cases) {
        BOOST_TEST_CONTEXT(c.what) {
            const JoinResult r = join_outcomes(step_of(c.outcomes.size(), JoinPolicy::vote, c.field), c.outcomes);
            BOOST_TEST(r.chosen == c.chosen);
            BOOST_TEST(r.error == "");
            BOOST_REQUIRE(r.output.has_value());
            // The output is the chosen branch's whole output, not only its vote.
            const std::size_t index = static_cast<std::size_t>(c.chosen[0] - 'a');
            BOOST_TEST(*r.output == *c.outcomes[index].output);
        }
    }
}

BOOST_AUTO_TEST_CASE(vote_tie_with_rule_first_takes_the_earliest_branch_among_the_tied) {
    struct Case {
        const char* what;
        std::vector<BranchOutcome> outcomes;
        std::string chosen;
    };
    const Case cases[] = {
        {"1 : 1", {ok(R"({"label":"spam"})"), ok(R"({"label":"ham"})")}, "a"},
        {"2 : 2, the first value's first branch", {ok(R"({"label":"x"})"), ok(R"({"label":"y"})"),
                                                   ok(R"({"label":"y"})"), ok(R"({"label":"x"})")}, "a"},
        {"a lone earlier value is not among the tied", {ok(R"({"label":"z"})"), ok(R"({"label":"y"})"),
                                                        ok(R"({"label":"x"})"), ok(R"({"label":"x"})"),
                                                        ok(R"({"label":"y"})")}, "b"},
        {"the first branch failed", {failed("down"), ok(R"({"label":"y"})"), ok(R"({"label":"x"})")}, "b"},
        // Values sort "x" < "y", but the rule is about branches, not values.
        {"branch order, not value order", {ok(R"({"label":"y"})"), ok(R"({"label":"x"})")}, "a"},
    };
    for (const Case& c : cases) {
        BOOST_TEST_CONTEXT(c.what) {
            const JoinResult r =
                join_outcomes(step_of(c.outcomes.size(), JoinPolicy::vote, "/label", TieRule::first), c.outcomes);
            BOOST_TEST(r.chosen == c.chosen);
            BOOST_TEST(r.error == "");
            BOOST_TEST(r.output.has_value());
        }
    }
}

BOOST_AUTO_TEST_CASE(vote_tie_with_rule_fail_names_the_tied_values) {
    const ParallelStep step = step_of(4, JoinPolicy::vote, "/label", TieRule::fail);
    const JoinResult r = join_outcomes(
        step, {ok(R"({"label":"spam"})"), ok(R"({"label":"ham"})"), ok(R"({"label":"ham"})"), ok(R"({"label":"spam"})")});
    BOOST_TEST(!r.output.has_value());
    BOOST_TEST(r.chosen == "");
    BOOST_TEST(r.error == R"(the vote on /label is tied between "spam", "ham")");

    // A value outside the tie is not named.
    const JoinResult three = join_outcomes(step, {ok(R"({"label":"x"})"), ok(R"({"label":"y"})"),
                                                  ok(R"({"label":"z"})"), failed("down")});
    BOOST_TEST(three.error == R"(the vote on /label is tied between "x", "y", "z")");
    const JoinResult partial = join_outcomes(step, {ok(R"({"label":"solo"})"), ok(R"({"label":"x"})"),
                                                    ok(R"({"label":"y"})"), ok(R"({"label":"x"})")});
    BOOST_TEST(partial.chosen == "b");  // x wins 2 : 1 : 1; no tie at the top
    BOOST_TEST(partial.error == "");
}

BOOST_AUTO_TEST_CASE(vote_with_rule_fail_and_a_clear_majority_succeeds) {
    const ParallelStep step = step_of(3, JoinPolicy::vote, "/label", TieRule::fail);
    const JoinResult r = join_outcomes(step, {ok(R"({"label":"ham"})"), ok(R"({"label":"spam"})"),
                                              ok(R"({"label":"spam"})")});
    BOOST_TEST(r.chosen == "b");
    BOOST_TEST(r.error == "");
}

BOOST_AUTO_TEST_CASE(vote_ignores_branches_without_the_field) {
    struct Case {
        const char* what;
        std::vector<BranchOutcome> outcomes;
        std::string chosen;
        std::string error;
    };
    const Case cases[] = {
        {"only one branch voted", {ok("{}"), ok(R"({"label":"x"})"), ok(R"({"other":1})")}, "b", ""},
        // Without the two that did not vote, y wins 2 : 1.
        {"the missing do not count", {ok("{}"), ok(R"({"label":"x"})"), ok(R"({"label":"y"})"),
                                      ok(R"({"label":"y"})"), ok(R"({"nope":"x"})")}, "c", ""},
        {"an output that is not an object has no field", {ok(R"("x")"), ok("[1]"), ok(R"({"label":"x"})")}, "c", ""},
        {"nobody voted", {ok("{}"), ok(R"({"other":"x"})")}, "", "no branch produced a vote at /label"},
        {"nobody voted, and one failed", {ok("{}"), failed("down")}, "",
         "no branch produced a vote at /label (b: down)"},
    };
    for (const Case& c : cases) {
        BOOST_TEST_CONTEXT(c.what) {
            const JoinResult r = join_outcomes(step_of(c.outcomes.size(), JoinPolicy::vote, "/label"), c.outcomes);
            BOOST_TEST(r.chosen == c.chosen);
            BOOST_TEST(r.error == c.error);
            BOOST_TEST(r.output.has_value() == c.error.empty());
        }
    }
}

BOOST_AUTO_TEST_CASE(vote_values_compare_as_json) {
    // "1" (a string) and 1 (a number) are different votes.
    const ParallelStep step = step_of(3, JoinPolicy::vote, "/v", TieRule::fail);
    const JoinResult r = join_outcomes(step, {ok(R"({"v":"1"})"), ok(R"({"v":1})"), ok(R"({"v":1})")});
    BOOST_TEST(r.chosen == "b");
    BOOST_TEST(contains(text(r.output), R"("v":1)"));
}

BOOST_AUTO_TEST_SUITE_END()
