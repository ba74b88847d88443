// llm_anthropic_test.cpp: the llm plugin's Anthropic Messages dialect: request
// bodies as parsed JSON (system blocks with and without cache_control, the
// output schema as a system instruction, the required max_tokens), headers and
// URL, and responses with usage where cache reads and writes count as input.
#include "llm/anthropic_messages.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

using namespace agenthost::llm;
namespace json = boost::json;

namespace {

Chat reply_chat() {
    Chat chat;
    chat.model = "claude-sonnet-4";
    chat.system = "You write support replies.";
    chat.messages = {{"user", "Draft a reply"}};
    chat.max_tokens = 800;
    chat.temperature = 0.5;
    return chat;
}

std::string header(const ProviderRequest& request, std::string_view name) {
    for (const auto& [n, v] : request.headers)
        if (n == name) return v;
    return "(absent)";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(llm_anthropic)

BOOST_AUTO_TEST_CASE(plain_request_body_url_and_headers) {
    const ProviderRequest request =
        anthropic::build_request(reply_chat(), "http://127.0.0.1:9", "sk-ant", anthropic::default_version);
    BOOST_TEST(request.url == "http://127.0.0.1:9/v1/messages");
    BOOST_TEST(header(request, "x-api-key") == "sk-ant");
    BOOST_TEST(header(request, "anthropic-version") == "2023-06-01");
    BOOST_TEST(header(request, "Authorization") == "(absent)");
    const json::value expected = json::parse(R"({
      "model": "claude-sonnet-4",
      "max_tokens": 800,
      "system": [{"type": "text", "text": "You write support replies."}],
      "messages": [{"role": "user", "content": "Draft a reply"}],
      "temperature": 0.5
    })");
    BOOST_TEST(json::parse(request.body) == expected, request.body);
}

BOOST_AUTO_TEST_CASE(cache_control_marks_the_system_block) {
    Chat chat = reply_chat();
    chat.cache_system_prompt = true;
    const json::value body = json::parse(anthropic::build_request(chat, "https://x.test/", "k", "2023-06-01").body);
    const json::value expected = json::parse(
        R"([{"type": "text", "text": "You write support replies.", "cache_control": {"type": "ephemeral"}}])");
    BOOST_TEST(body.at("system") == expected, json::serialize(body));
}

BOOST_AUTO_TEST_CASE(max_tokens_is_always_sent_and_no_system_means_none) {
    Chat chat = reply_chat();
    chat.max_tokens.reset();
    chat.temperature.reset();
    chat.system.clear();
    const json::value body = json::parse(anthropic::build_request(chat, "https://x.test", "k", "2023-06-01").body);
    const json::value expected = json::parse(R"({
      "model": "claude-sonnet-4", "max_tokens": 1024,
      "messages": [{"role": "user", "content": "Draft a reply"}]
    })");
    BOOST_TEST(body == expected, json::serialize(body));
}

BOOST_AUTO_TEST_CASE(output_schema_is_an_instruction_in_the_system_prompt) {
    const json::value schema = json::parse(R"({"type": "object", "required": ["text"]})");
    Chat chat = reply_chat();
    chat.output_schema = &schema;
    chat.cache_system_prompt = true;
    const json::value body = json::parse(anthropic::build_request(chat, "https://x.test", "k", "2023-06-01").body);
    const json::value expected = json::parse(R"([{"type": "text", "text":
      "You write support replies.\n\nReply with only a JSON value that matches this JSON Schema, with no other text: {\"type\":\"object\",\"required\":[\"text\"]}",
      "cache_control": {"type": "ephemeral"}}])");
    BOOST_TEST(body.at("system") == expected, json::serialize(body));
    BOOST_TEST(!body.as_object().contains("response_format"));
}

BOOST_AUTO_TEST_CASE(equal_chats_give_byte_identical_bodies) {
    BOOST_TEST(anthropic::build_request(reply_chat(), "https://x.test", "k", "v").body ==
               anthropic::build_request(reply_chat(), "https://x.test", "k", "v").body);
    BOOST_TEST(anthropic::build_request(reply_chat(), "https://x.test", "sk-secret", "v").body.find("sk-secret") ==
               std::string::npos);
}

BOOST_AUTO_TEST_CASE(response_text_and_usage_count_cache_reads_and_writes_as_input) {
    const ParseOutcome parsed = anthropic::parse_response(R"({
      "id": "msg_1", "type": "message", "role": "assistant", "model": "claude-sonnet-4-20250514",
      "content": [{"type": "text", "text": "Hello "}, {"type": "tool_use", "id": "x", "name": "n", "input": {}},
                  {"type": "text", "text": "Ada"}],
      "stop_reason": "end_turn",
      "usage": {"input_tokens": 50, "output_tokens": 20, "cache_read_input_tokens": 1000,
                "cache_creation_input_tokens": 200}
    })");
    BOOST_TEST_REQUIRE(parsed.reply.has_value(), parsed.error);
    BOOST_TEST(parsed.reply->text == "Hello Ada");
    BOOST_TEST(parsed.reply->model == "claude-sonnet-4-20250514");
    BOOST_TEST(parsed.reply->stop_reason == "end_turn");
    BOOST_TEST_REQUIRE(parsed.usage.has_value());
    BOOST_TEST(parsed.usage->input_tokens == 1250u);
    BOOST_TEST(parsed.usage->output_tokens == 20u);
    BOOST_TEST(parsed.usage->cached_input_tokens == 1000u);
}

BOOST_AUTO_TEST_CASE(usage_without_cache_fields) {
    const ParseOutcome parsed = anthropic::parse_response(
        R"({"content": [{"type": "text", "text": "ok"}], "usage": {"input_tokens": 7, "output_tokens": 2}})");
    BOOST_TEST_REQUIRE(parsed.reply.has_value());
    BOOST_TEST_REQUIRE(parsed.usage.has_value());
    BOOST_TEST(parsed.usage->input_tokens == 7u);
    BOOST_TEST(parsed.usage->cached_input_tokens == 0u);
}

BOOST_AUTO_TEST_CASE(malformed_and_textless_responses_are_errors) {
    BOOST_TEST(!anthropic::parse_response(R"({"content": [{"type": "text", "text": "o)").reply);
    BOOST_TEST(!anthropic::parse_response(R"({"content": []})").reply);
    BOOST_TEST(!anthropic::parse_response(R"({"type": "message"})").reply);
    BOOST_TEST(!anthropic::parse_response("[]").reply);
}

BOOST_AUTO_TEST_CASE(unreadable_bodies_are_retryable_and_have_no_usage) {
    for (const char* body : {R"({"content": [{"type": "text", "text": "ok"}], "usage": {"input_tokens": 7)", "", "[]",
                             R"({"type": "message"})"}) {
        const ParseOutcome parsed = anthropic::parse_response(body);
        BOOST_TEST(!parsed.reply, body);
        BOOST_TEST(!parsed.usage, body);
        BOOST_TEST((parsed.unusable == Unusable::unreadable), body);
        BOOST_TEST(status_for_unusable(parsed.unusable) == AH_ERR_UNAVAILABLE, body);
    }
}

BOOST_AUTO_TEST_CASE(a_refusal_is_final_and_keeps_its_usage) {
    for (const char* body : {
             R"({"type": "message", "content": [], "stop_reason": "refusal",
                 "usage": {"input_tokens": 30, "output_tokens": 2, "cache_read_input_tokens": 100}})",
             R"({"type": "message", "content": [{"type": "text", "text": "I won't"}], "stop_reason": "refusal",
                 "usage": {"input_tokens": 30, "output_tokens": 2, "cache_read_input_tokens": 100}})"}) {
        const ParseOutcome parsed = anthropic::parse_response(body);
        BOOST_TEST(!parsed.reply, body);
        BOOST_TEST((parsed.unusable == Unusable::refused), body);
        BOOST_TEST(status_for_unusable(parsed.unusable) == AH_ERR_INVALID_ARGUMENT);
        BOOST_TEST(parsed.error.find("refused") != std::string::npos, parsed.error);
        BOOST_TEST_REQUIRE(parsed.usage.has_value());
        BOOST_TEST(parsed.usage->input_tokens == 130u);
        BOOST_TEST(parsed.usage->output_tokens == 2u);
        BOOST_TEST(parsed.usage->cached_input_tokens == 100u);
    }
}

BOOST_AUTO_TEST_CASE(empty_and_tool_only_content_is_retryable_and_keeps_its_usage) {
    const ParseOutcome empty = anthropic::parse_response(
        R"({"content": [], "stop_reason": "end_turn", "usage": {"input_tokens": 9, "output_tokens": 0}})");
    BOOST_TEST(!empty.reply);
    BOOST_TEST((empty.unusable == Unusable::no_text));
    BOOST_TEST(status_for_unusable(empty.unusable) == AH_ERR_UNAVAILABLE);
    BOOST_TEST_REQUIRE(empty.usage.has_value());
    BOOST_TEST(empty.usage->input_tokens == 9u);

    const ParseOutcome tools = anthropic::parse_response(R"({"content": [{"type": "tool_use", "id": "t", "name": "n",
        "input": {}}], "stop_reason": "tool_use", "usage": {"input_tokens": 9, "output_tokens": 21}})");
    BOOST_TEST(!tools.reply);
    BOOST_TEST((tools.unusable == Unusable::no_text));
    BOOST_TEST(tools.error.find("tool_use") != std::string::npos, tools.error);
    BOOST_TEST_REQUIRE(tools.usage.has_value());
    BOOST_TEST(tools.usage->output_tokens == 21u);
}

BOOST_AUTO_TEST_SUITE_END()
