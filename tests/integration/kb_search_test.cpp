// The first-party kb-search plugin: BM25 ranking over the demo knowledge base
// and over small folders written by the tests, top_k, min_score, the category
// boost, how documents are split into sections, and folders it refuses.
#include "fixture_paths.hpp"

#include <agenthost/registry/registry.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <stdlib.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

using namespace agenthost;
using agenthost::testing::why;
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

const std::string support_kb = std::string(AGENTHOST_SOURCE_DIR) + "/examples/kb";

//! A folder of Markdown files that lives as long as the test.
struct TempKb {
    fs::path dir;
    explicit TempKb(const std::map<std::string, std::string>& files) {
        std::string tmpl = (fs::temp_directory_path() / "agenthost-kb-XXXXXX").string();
        BOOST_TEST_REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
        dir = tmpl;
        for (const auto& [name, text] : files) {
            fs::create_directories((dir / name).parent_path());
            std::ofstream(dir / name) << text;
        }
    }
    ~TempKb() {
        std::error_code ec;
        fs::remove_all(dir, ec);
    }
};

Result<std::shared_ptr<AgentInstance>> create(const Registry& registry, const json::value& config) {
    AgentSpec spec;
    spec.name = "research";
    spec.plugin = "kb-search@^1";
    spec.config = config;
    return registry.create_agent(spec);
}

std::shared_ptr<AgentInstance> search_agent(const Registry& registry, json::object config) {
    auto agent = create(registry, config);
    BOOST_TEST_REQUIRE(agent.ok(), why(agent));
    return agent.value();
}

Registry scanned() {
    Registry registry({{AGENTHOST_PLUGIN_BUILD_DIR}, nullptr});
    registry.scan();
    return registry;
}

//! Calls the agent and checks the output against the manifest before the test looks at it.
json::object search(AgentInstance& agent, const json::object& input) {
    CallResult result = agent.invoke_sync({json::serialize(input), "", "research", "", 1});
    BOOST_TEST_REQUIRE(result.ok(), result.error);
    json::object out = json::parse(result.output_json).as_object();
    auto violations = agent.plugin().manifest().output_schema->validate(out);
    BOOST_TEST(violations.empty(), describe(violations));
    const json::array& results = out.at("results").as_array();
    BOOST_TEST(out.at("found").as_bool() == !results.empty());
    BOOST_TEST(out.at("best").as_string() == (results.empty() ? json::string() : results[0].at("text").as_string()));
    for (std::size_t i = 1; i < results.size(); ++i) {
        BOOST_TEST(results[i - 1].at("score").to_number<double>() >= results[i].at("score").to_number<double>());
    }
    return out;
}

double score_of(const json::object& out, std::size_t i) {
    return out.at("results").as_array().at(i).at("score").to_number<double>();
}

std::string field(const json::object& out, std::size_t i, const char* key) {
    return std::string(out.at("results").as_array().at(i).at(key).as_string());
}

//! One term's BM25 contribution, written out as the reference formula.
double bm25(double tf, double df, double n, double length, double average_length) {
    const double idf = std::log(1 + (n - df + 0.5) / (df + 0.5));
    return idf * tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * length / average_length));
}

struct RankCase {
    const char* query;
    const char* category;  // "" for none
    const char* doc;
    const char* section;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(kb_search)

BOOST_AUTO_TEST_CASE(the_support_kb_ranks_the_section_that_answers_first) {
    Registry registry = scanned();
    auto agent = search_agent(registry, {{"folder", support_kb}});
    const RankCase cases[] = {
        {"I was charged twice for my subscription, can I get a refund?", "", "billing.md", "Refunds"},
        {"I was charged twice for my subscription, can I get a refund?", "billing", "billing.md", "Refunds"},
        {"Where can I download my invoice as PDF?", "", "billing.md", "Invoices"},
        {"The tracking number has not updated, where is my package?", "", "shipping.md", "Tracking your order"},
        {"I cannot log in and need to reset my password", "", "account.md", "Resetting your password"},
        {"The API is down and every request returns error 500", "outage", "outages.md", "During an incident"},
        {"Please delete my account and my personal data", "", "privacy.md", "Deleting your account"},
        {"How do I exchange a jacket for a larger size?", "", "returns.md", "Exchanges"},
    };
    for (const RankCase& c : cases) {
        BOOST_TEST_CONTEXT(c.query << " [" << c.category << "]") {
            json::object input{{"query", c.query}};
            if (*c.category != '\0') input["category"] = c.category;
            json::object out = search(*agent, input);
            BOOST_TEST_REQUIRE(out.at("found").as_bool());
            BOOST_TEST(out.at("results").as_array().size() <= 3u);  // the default top_k
            BOOST_TEST(field(out, 0, "doc") == c.doc);
            BOOST_TEST(field(out, 0, "section") == c.section);
        }
    }
}

BOOST_AUTO_TEST_CASE(top_k_bounds_the_results_and_min_score_filters_them) {
    Registry registry = scanned();
    const json::object input{{"query", "business days delivery refund settings"}};
    for (int k : {1, 2, 5, 8}) {
        BOOST_TEST_CONTEXT("top_k " << k) {
            auto agent = search_agent(registry, {{"folder", support_kb}, {"top_k", k}});
            BOOST_TEST(search(*agent, input).at("results").as_array().size() == static_cast<std::size_t>(k));
        }
    }
    auto all = search_agent(registry, {{"folder", support_kb}, {"top_k", 100}});
    const json::object everything = search(*all, input);
    const double third = score_of(everything, 2);
    auto strict = search_agent(registry, {{"folder", support_kb}, {"top_k", 100}, {"min_score", third}});
    const json::object kept = search(*strict, input);
    for (const json::value& r : kept.at("results").as_array()) BOOST_TEST(r.at("score").to_number<double>() >= third);
    BOOST_TEST(kept.at("results").as_array().size() >= 3u);
    BOOST_TEST(kept.at("results").as_array().size() < everything.at("results").as_array().size());

    auto picky = search_agent(registry, {{"folder", support_kb}, {"min_score", 1000.0}});
    const json::object none = search(*picky, input);
    BOOST_TEST(!none.at("found").as_bool());
    BOOST_TEST(none.at("best").as_string() == "");
}

BOOST_AUTO_TEST_CASE(a_query_with_nothing_to_match_finds_nothing) {
    Registry registry = scanned();
    auto agent = search_agent(registry, {{"folder", support_kb}});
    for (const char* query : {"", "   ", "is it that it was so", "xylophone zeppelin"}) {
        BOOST_TEST_CONTEXT('"' << query << '"') {
            const json::object out = search(*agent, {{"query", query}});
            BOOST_TEST(!out.at("found").as_bool());
            BOOST_TEST(out.at("results").as_array().empty());
        }
    }
}

BOOST_AUTO_TEST_CASE(scores_are_bm25_with_k1_1_2_and_b_0_75) {
    // Sections (heading words count): [alpha apple apple banana] [beta banana cherry] [gamma cherry].
    TempKb kb({{"one.md", "# Alpha\napple apple banana\n"},
               {"two.md", "# Beta\nbanana cherry\n"},
               {"three.md", "# Gamma\ncherry\n"}});
    Registry registry = scanned();
    auto agent = search_agent(registry, {{"folder", kb.dir.string()}});
    const double n = 3, average = 3;

    json::object out = search(*agent, {{"query", "apples"}});  // a plural finds the singular
    BOOST_TEST_REQUIRE(out.at("results").as_array().size() == 1u);
    BOOST_TEST(field(out, 0, "doc") == "one.md");
    BOOST_TEST(score_of(out, 0) == bm25(2, 1, n, 4, average), boost::test_tools::tolerance(1e-3));

    out = search(*agent, {{"query", "the banana and the apple, the banana"}});  // a repeated term counts once
    BOOST_TEST_REQUIRE(out.at("results").as_array().size() == 2u);
    BOOST_TEST(field(out, 0, "doc") == "one.md");
    BOOST_TEST(score_of(out, 0) == bm25(2, 1, n, 4, average) + bm25(1, 2, n, 4, average),
               boost::test_tools::tolerance(1e-3));
    BOOST_TEST(field(out, 1, "doc") == "two.md");
    BOOST_TEST(score_of(out, 1) == bm25(1, 2, n, 3, average), boost::test_tools::tolerance(1e-3));

    out = search(*agent, {{"query", "cherry"}});  // equal tf: the shorter section ranks first
    BOOST_TEST_REQUIRE(out.at("results").as_array().size() == 2u);
    BOOST_TEST(field(out, 0, "doc") == "three.md");
    BOOST_TEST(score_of(out, 0) > score_of(out, 1));
}

BOOST_AUTO_TEST_CASE(a_category_in_front_matter_or_heading_boosts_by_half) {
    const std::string body = "Refunds take five business days.\n";
    TempKb kb({{"a.md", "---\ncategory: billing\n---\n# Money back\n" + body},
               {"b.md", "---\ncategory: returns\n---\n# Money back\n" + body},
               {"c.md", "# Returns desk\n" + body}});
    Registry registry = scanned();
    auto agent = search_agent(registry, {{"folder", kb.dir.string()}});

    const json::object plain = search(*agent, {{"query", "refund"}});
    BOOST_TEST_REQUIRE(plain.at("results").as_array().size() == 3u);
    BOOST_TEST(field(plain, 0, "doc") == "a.md");  // equal scores keep file order
    BOOST_TEST(score_of(plain, 0) == score_of(plain, 2), boost::test_tools::tolerance(1e-3));

    const json::object boosted = search(*agent, {{"query", "refund"}, {"category", "Returns"}});
    BOOST_TEST_REQUIRE(boosted.at("results").as_array().size() == 3u);
    BOOST_TEST(field(boosted, 0, "doc") == "b.md");  // front matter
    BOOST_TEST(field(boosted, 1, "doc") == "c.md");  // heading
    BOOST_TEST(field(boosted, 2, "doc") == "a.md");
    BOOST_TEST(score_of(boosted, 0) == 1.5 * score_of(plain, 0), boost::test_tools::tolerance(1e-3));

    // A category alone matches nothing: it only reorders what the query found.
    BOOST_TEST(!search(*agent, {{"query", "warranty"}, {"category", "returns"}}).at("found").as_bool());
}

BOOST_AUTO_TEST_CASE(documents_split_into_sections_at_headings) {
    std::string long_body;
    for (int i = 0; i < 200; ++i) long_body += "lengthy ";
    TempKb kb({{"guide.md",
                "---\ntags: secretword\n---\nIntro text before any heading.\n"
                "# Guide\n## Install ##\nRun the installer.\n```sh\n# not a heading\nmake install\n```\n"
                "### Long\n" + long_body + "\n#hashtag is not a heading either\n"},
               {"sub/notes.markdown", "# Notes\nNested folders are searched too.\n"},
               {"ignored.txt", "# Install\nNot Markdown.\n"}});
    Registry registry = scanned();
    auto agent = search_agent(registry, {{"folder", kb.dir.string()}, {"top_k", 10}});

    json::object out = search(*agent, {{"query", "install"}});
    BOOST_TEST_REQUIRE(out.at("results").as_array().size() == 1u);  // "# Guide" has no body: no section
    BOOST_TEST(field(out, 0, "section") == "Install");
    BOOST_TEST(field(out, 0, "text") == "Run the installer.\n```sh\n# not a heading\nmake install\n```");

    out = search(*agent, {{"query", "intro"}});
    BOOST_TEST_REQUIRE(out.at("found").as_bool());
    BOOST_TEST(field(out, 0, "section") == "guide");  // text before any heading: the file name

    out = search(*agent, {{"query", "lengthy hashtag"}});
    BOOST_TEST_REQUIRE(out.at("found").as_bool());
    const std::string text = field(out, 0, "text");
    BOOST_TEST(field(out, 0, "section") == "Long");
    BOOST_TEST(text.size() <= 600u + 3u);
    BOOST_TEST(text.substr(text.size() - 3) == "\xE2\x80\xA6");
    BOOST_TEST(text.substr(0, 8) == "lengthy ");

    out = search(*agent, {{"query", "nested"}});
    BOOST_TEST_REQUIRE(out.at("found").as_bool());
    BOOST_TEST(field(out, 0, "doc") == "sub/notes.markdown");

    BOOST_TEST(!search(*agent, {{"query", "secretword"}}).at("found").as_bool());  // front matter is not text
}

BOOST_AUTO_TEST_CASE(a_missing_or_empty_folder_is_refused_at_create) {
    Registry registry = scanned();
    TempKb empty({{"readme.txt", "no markdown here"}, {"notes/todo.txt", "still none"}});
    const std::pair<std::string, std::string> cases[] = {
        {"/nonexistent/agenthost-kb", "kb-search: folder \"/nonexistent/agenthost-kb\" not found"},
        {empty.dir.string(), "has no Markdown documents"},
    };
    for (const auto& [folder, message] : cases) {
        BOOST_TEST_CONTEXT(folder) {
            auto agent = create(registry, json::object{{"folder", folder}});
            BOOST_TEST_REQUIRE(!agent.ok());
            BOOST_TEST(agent.error().to_string().find(message) != std::string::npos, agent.error().to_string());
        }
    }
}

BOOST_AUTO_TEST_CASE(the_config_and_input_schemas_are_strict) {
    Registry registry = scanned();
    for (const char* config : {R"({})", R"({"folder": ""})", R"({"folder": "x", "top_k": 0})",
                               R"({"folder": "x", "min_score": -1})", R"({"folder": "x", "topk": 3})"}) {
        BOOST_TEST_CONTEXT(config) {
            auto agent = create(registry, json::parse(config));
            BOOST_TEST_REQUIRE(!agent.ok());
            BOOST_TEST(agent.error().to_string().find("config_schema") != std::string::npos, agent.error().to_string());
        }
    }
    const auto& input_schema = *search_agent(registry, {{"folder", support_kb}})->plugin().manifest().input_schema;
    BOOST_TEST(input_schema.validate(json::parse(R"({"query": "refund", "category": "billing"})")).empty());
    for (const char* input : {R"({})", R"({"query": 7})", R"({"query": "x", "limit": 2})"}) {
        BOOST_TEST_CONTEXT(input) { BOOST_TEST(!input_schema.validate(json::parse(input)).empty()); }
    }
}

BOOST_AUTO_TEST_SUITE_END()
