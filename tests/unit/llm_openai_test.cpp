// llm_openai_test.cpp: the llm plugin's OpenAI Chat Completions dialect: request
// bodies (compared as parsed JSON against golden values) with and without an
// output schema, headers and URL, byte-identical bodies for equal chats,
// response parsing with usage and cached tokens, and both dialects' error
// bodies with the status each HTTP outcome maps to.
#include "llm/openai_chat.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

using namespace agenthost::llm;
namespace json = boost::json;

namespace {

Chat triage_chat() {
    Chat chat;
    chat.model = "gpt-4o-mini";
    chat.system = "You triage support tickets.";
    chat.messages = {{"user", "My parcel is late"}};
    chat.max_tokens = 200;
    chat.temperature = 0.0;
    return chat;
}

std::string header(const ProviderRequest& request, std::string_view name) {
    for (const auto& [n, v] : request.headers)
        if (n == name) return v;
    return "(absent)";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(llm_openai)

BOOST_AUTO_TEST_CASE(plain_request_body_url_and_headers) {
    const ProviderRequest request = openai::build_request(triage_chat(), "http://127.0.0.1:9/v1/", "sk-test");
    BOOST_TEST(request.url == "http://127.0.0.1:9/v1/chat/completions");
    BOOST_TEST(header(request, "Authorization") == "Bearer sk-test");
    BOOST_TEST(header(request, "Content-Type") == "application/json");
    const json::value expected = json::parse(R"({
      "model": "gpt-4o-mini",
      "messages": [{"role": "system", "content": "You triage support tickets."},
                   {"role": "user", "content": "My parcel is late"}],
      "max_tokens": 200,
      "temperature": 0.0
    })");
    BOOST_TEST(json::parse(request.body) == expected, request.body);
}

BOOST_AUTO_TEST_CASE(default_base_url_is_the_public_api) {
    BOOST_TEST(openai::build_request(triage_chat(), openai::default_base_url, "k").url ==
               "https://api.openai.com/v1/chat/completions");
}

BOOST_AUTO_TEST_CASE(output_schema_becomes_a_json_schema_response_format) {
    const json::value schema = json::parse(R"({"type": "object", "required": ["category"],
      "properties": {"category": {"type": "string"}}, "additionalProperties": false})");
    Chat chat = triage_chat();
    chat.output_schema = &schema;
    chat.strict_schema = true;
    chat.max_tokens.reset();
    chat.temperature.reset();
    chat.system.clear();
    const json::value body = json::parse(openai::build_request(chat, "https://x.test/v1", "k").body);
    const json::value expected = json::parse(R"({
      "model": "gpt-4o-mini",
      "messages": [{"role": "user", "content": "My parcel is late"}],
      "response_format": {"type": "json_schema", "json_schema": {"name": "output", "schema": {"type": "object",
        "required": ["category"], "properties": {"category": {"type": "string"}}, "additionalProperties": false},
        "strict": true}}
    })");
    BOOST_TEST(body == expected, json::serialize(body));
}

BOOST_AUTO_TEST_CASE(equal_chats_give_byte_identical_bodies) {
    const json::value schema = json::parse(R"({"type": "object", "properties": {"b": {}, "a": {}}})");
    Chat one = triage_chat();
    Chat two = triage_chat();
    one.output_schema = &schema;
    two.output_schema = &schema;
    BOOST_TEST(openai::build_request(one, "https://x.test", "k").body == openai::build_request(two, "https://x.test", "k").body);
}

BOOST_AUTO_TEST_CASE(the_key_stays_out_of_the_body) {
    const ProviderRequest request = openai::build_request(triage_chat(), "https://x.test", "sk-secret-value");
    BOOST_TEST(request.body.find("sk-secret-value") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_repair_conversation_keeps_its_turns_in_order) {
    Chat chat = triage_chat();
    chat.messages.push_back({"assistant", "not json"});
    chat.messages.push_back({"user", "fix it"});
    const json::value body = json::parse(openai::build_request(chat, "https://x.test", "k").body);
    const json::array& messages = body.at("messages").as_array();
    BOOST_TEST_REQUIRE(messages.size() == 4u);
    BOOST_TEST(messages[2].at("role") == "assistant");
    BOOST_TEST(messages[2].at("content") == "not json");
    BOOST_TEST(messages[3].at("content") == "fix it");
}

BOOST_AUTO_TEST_CASE(response_text_model_and_usage_with_cached_tokens) {
    const ParseOutcome parsed = openai::parse_response(R"({
      "id": "chatcmpl-1", "object": "chat.completion", "model": "gpt-4o-mini-2024-07-18",
      "choices": [{"index": 0, "message": {"role": "assistant", "content": "{\"category\":\"shipping\"}"},
                   "finish_reason": "stop"}],
      "usage": {"prompt_tokens": 1200, "completion_tokens": 30, "total_tokens": 1230,
                "prompt_tokens_details": {"cached_tokens": 1024}}
    })");
    BOOST_TEST_REQUIRE(parsed.reply.has_value(), parsed.error);
    BOOST_TEST(parsed.reply->text == R"({"category":"shipping"})");
    BOOST_TEST(parsed.reply->model == "gpt-4o-mini-2024-07-18");
    BOOST_TEST(parsed.reply->stop_reason == "stop");
    BOOST_TEST_REQUIRE(parsed.usage.has_value());
    BOOST_TEST(parsed.usage->input_tokens == 1200u);
    BOOST_TEST(parsed.usage->output_tokens == 30u);
    BOOST_TEST(parsed.usage->cached_input_tokens == 1024u);
}

BOOST_AUTO_TEST_CASE(usage_without_details_has_no_cached_tokens) {
    const ParseOutcome parsed = openai::parse_response(
        R"({"choices": [{"message": {"content": "hi"}}], "usage": {"prompt_tokens": 5, "completion_tokens": 1}})");
    BOOST_TEST_REQUIRE(parsed.reply.has_value());
    BOOST_TEST_REQUIRE(parsed.usage.has_value());
    BOOST_TEST(parsed.usage->input_tokens == 5u);
    BOOST_TEST(parsed.usage->cached_input_tokens == 0u);
}

BOOST_AUTO_TEST_CASE(malformed_and_empty_responses_are_errors) {
    BOOST_TEST(!openai::parse_response(R"({"choices": [{"message": {"content": "hi"}})").reply);  // cut off
    BOOST_TEST(!openai::parse_response(R"({"choices": []})").reply);
    BOOST_TEST(!openai::parse_response(R"({"choices": [{"message": {"content": null}}]})").reply);
    const ParseOutcome refused =
        openai::parse_response(R"({"choices": [{"message": {"content": null, "refusal": "I can't help"}}]})");
    BOOST_TEST(!refused.reply);
    BOOST_TEST(refused.error.find("I can't help") != std::string::npos, refused.error);
}

BOOST_AUTO_TEST_CASE(unreadable_bodies_are_retryable_and_have_no_usage) {
    for (const char* body : {R"({"choices": [{"message": {"content": "hi"}}], "usage": {"prompt_tokens": 5)",  // cut off
                             "", "[]", R"("text")", R"({"object": "chat.completion"})",
                             R"({"choices": [{"index": 0}]})"}) {
        const ParseOutcome parsed = openai::parse_response(body);
        BOOST_TEST(!parsed.reply, body);
        BOOST_TEST(!parsed.usage, body);
        BOOST_TEST((parsed.unusable == Unusable::unreadable), body);
        BOOST_TEST(status_for_unusable(parsed.unusable) == AH_ERR_UNAVAILABLE, body);
    }
    // A well-formed envelope that is not a completion still names its usage.
    const ParseOutcome no_choices = openai::parse_response(R"({"usage": {"prompt_tokens": 3, "completion_tokens": 0}})");
    BOOST_TEST((no_choices.unusable == Unusable::unreadable));
    BOOST_TEST_REQUIRE(no_choices.usage.has_value());
    BOOST_TEST(no_choices.usage->input_tokens == 3u);
}

BOOST_AUTO_TEST_CASE(a_refusal_is_final_and_keeps_its_usage) {
    const ParseOutcome parsed = openai::parse_response(R"({"model": "gpt-4o-2024-08-06",
      "choices": [{"index": 0, "message": {"role": "assistant", "content": null, "refusal": "I can't help with that."},
                   "finish_reason": "stop"}],
      "usage": {"prompt_tokens": 40, "completion_tokens": 9, "prompt_tokens_details": {"cached_tokens": 0}}})");
    BOOST_TEST(!parsed.reply);
    BOOST_TEST((parsed.unusable == Unusable::refused));
    BOOST_TEST(status_for_unusable(parsed.unusable) == AH_ERR_INVALID_ARGUMENT);
    BOOST_TEST(parsed.error == "the model refused: I can't help with that.");
    BOOST_TEST_REQUIRE(parsed.usage.has_value());
    BOOST_TEST(parsed.usage->input_tokens == 40u);
    BOOST_TEST(parsed.usage->output_tokens == 9u);
}

BOOST_AUTO_TEST_CASE(a_content_filter_stop_is_final_even_with_partial_text) {
    for (const char* body : {
             R"({"choices": [{"message": {"content": "Here is how to"}, "finish_reason": "content_filter"}],
                 "usage": {"prompt_tokens": 12, "completion_tokens": 4}})",
             R"({"choices": [{"message": {"content": null}, "finish_reason": "content_filter"}],
                 "usage": {"prompt_tokens": 12, "completion_tokens": 4}})"}) {
        const ParseOutcome parsed = openai::parse_response(body);
        BOOST_TEST(!parsed.reply, body);
        BOOST_TEST((parsed.unusable == Unusable::refused), body);
        BOOST_TEST(parsed.error.find("content filter") != std::string::npos, parsed.error);
        BOOST_TEST_REQUIRE(parsed.usage.has_value());
        BOOST_TEST(parsed.usage->input_tokens == 12u);
        BOOST_TEST(parsed.usage->output_tokens == 4u);
    }
}

BOOST_AUTO_TEST_CASE(empty_choices_and_tool_only_replies_are_retryable_and_keep_their_usage) {
    const ParseOutcome empty = openai::parse_response(R"({"choices": [], "usage": {"prompt_tokens": 8, "completion_tokens": 0}})");
    BOOST_TEST(!empty.reply);
    BOOST_TEST((empty.unusable == Unusable::no_text));
    BOOST_TEST(status_for_unusable(empty.unusable) == AH_ERR_UNAVAILABLE);
    BOOST_TEST_REQUIRE(empty.usage.has_value());
    BOOST_TEST(empty.usage->input_tokens == 8u);

    const ParseOutcome tools = openai::parse_response(R"({"choices": [{"message": {"content": null, "tool_calls": [
        {"id": "call_1", "type": "function", "function": {"name": "lookup", "arguments": "{}"}}]},
        "finish_reason": "tool_calls"}], "usage": {"prompt_tokens": 20, "completion_tokens": 15}})");
    BOOST_TEST(!tools.reply);
    BOOST_TEST((tools.unusable == Unusable::no_text));
    BOOST_TEST(tools.error.find("tool calls") != std::string::npos, tools.error);
    BOOST_TEST_REQUIRE(tools.usage.has_value());
    BOOST_TEST(tools.usage->output_tokens == 15u);

    // No usage object: nothing to report, and nothing made up.
    BOOST_TEST(!openai::parse_response(R"({"choices": []})").usage);
}

BOOST_AUTO_TEST_CASE(base_urls_that_are_not_a_providers_root_are_refused) {
    for (const char* ok : {"https://api.openai.com/v1", "http://127.0.0.1:8080/v1/", "HTTPS://Example.test",
                           "https://[::1]:9/v1", "http://gateway.internal:4000/openai/deployments/x"}) {
        BOOST_TEST(base_url_problem(ok).empty(), ok << ": " << base_url_problem(ok));
    }
    const auto problem = [](std::string_view url) { return base_url_problem(url); };
    BOOST_TEST(problem("api.openai.com/v1") == "it has no http:// or https:// scheme");
    BOOST_TEST(problem("ftp://x.test") == "it has no http:// or https:// scheme");
    BOOST_TEST(problem("//x.test/v1") == "it has no http:// or https:// scheme");
    BOOST_TEST(problem("https://") == "it has no host");
    BOOST_TEST(problem("https:///v1") == "it has no host");
    BOOST_TEST(problem("https://:443/v1") == "it has no host");
    BOOST_TEST(problem("https://user:sk-live@x.test/v1").find("userinfo") != std::string::npos);
    BOOST_TEST(problem("https://x.test/v1?api-key=sk") == "it has a query (?...)");
    BOOST_TEST(problem("https://x.test/v1#top") == "it has a fragment (#...)");
    BOOST_TEST(problem("https://x.test/v 1") == "it holds whitespace or a control character");
    BOOST_TEST(problem(" https://x.test") == "it has no http:// or https:// scheme");
    // The value is never quoted: it may hold a credential.
    BOOST_TEST(problem("https://user:sk-live@x.test").find("sk-live") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(redact_replaces_every_occurrence) {
    BOOST_TEST(redact("key sk-1234 and sk-1234.", "sk-1234") == "key [redacted] and [redacted].");
    BOOST_TEST(redact("nothing here", "sk-1234") == "nothing here");
    BOOST_TEST(redact("text", "") == "text");
    BOOST_TEST(redact("aaaa", "aa") == "[redacted][redacted]");
}

BOOST_AUTO_TEST_CASE(openai_error_body_names_the_code) {
    const std::string body = R"({"error": {"message": "Rate limit reached for gpt-4o-mini", "type": "requests",
                                 "param": null, "code": "rate_limit_exceeded"}})";
    BOOST_TEST(describe_error("openai", 429, parse_error_body(body), body) ==
               "openai 429 rate_limit_exceeded: Rate limit reached for gpt-4o-mini");
    const std::string no_code = R"({"error": {"message": "bad model", "type": "invalid_request_error", "code": null}})";
    BOOST_TEST(describe_error("openai", 400, parse_error_body(no_code), no_code) ==
               "openai 400 invalid_request_error: bad model");
}

BOOST_AUTO_TEST_CASE(anthropic_error_body_names_the_type) {
    const std::string body = R"({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}})";
    BOOST_TEST(describe_error("anthropic", 529, parse_error_body(body), body) == "anthropic 529 overloaded_error: Overloaded");
}

BOOST_AUTO_TEST_CASE(a_body_that_is_no_error_object_is_quoted) {
    const std::string html = "<html>\n<body>Bad gateway</body></html>";
    BOOST_TEST(describe_error("openai", 502, parse_error_body(html), html) ==
               "openai 502: <html> <body>Bad gateway</body></html>");
    BOOST_TEST(describe_error("openai", 500, parse_error_body(""), "") == "openai 500: (empty body)");
    const std::string long_body(1000, 'x');
    BOOST_TEST(describe_error("openai", 500, {}, long_body).size() < 260u);
}

BOOST_AUTO_TEST_CASE(http_statuses_map_to_retryable_or_final) {
    BOOST_TEST(status_for_http(429) == AH_ERR_UNAVAILABLE);
    BOOST_TEST(status_for_http(500) == AH_ERR_UNAVAILABLE);
    BOOST_TEST(status_for_http(503) == AH_ERR_UNAVAILABLE);
    BOOST_TEST(status_for_http(529) == AH_ERR_UNAVAILABLE);
    BOOST_TEST(status_for_http(408) == AH_ERR_UNAVAILABLE);
    BOOST_TEST(status_for_http(401) == AH_ERR_PERMISSION_DENIED);
    BOOST_TEST(status_for_http(403) == AH_ERR_PERMISSION_DENIED);
    BOOST_TEST(status_for_http(400) == AH_ERR_INVALID_ARGUMENT);
    BOOST_TEST(status_for_http(404) == AH_ERR_INVALID_ARGUMENT);
    BOOST_TEST(status_for_http(413) == AH_ERR_INVALID_ARGUMENT);
}

BOOST_AUTO_TEST_CASE(transport_failures_keep_the_hosts_status) {
    BOOST_TEST(status_for_transport(AH_ERR_UNAVAILABLE) == AH_ERR_UNAVAILABLE);
    BOOST_TEST(status_for_transport(AH_ERR_TIMEOUT) == AH_ERR_TIMEOUT);
    BOOST_TEST(status_for_transport(AH_ERR_CANCELLED) == AH_ERR_CANCELLED);
}

BOOST_AUTO_TEST_SUITE_END()
