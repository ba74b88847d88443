// openai_chat.cpp: Chat Completions request bodies and responses.
#include "openai_chat.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace agenthost::llm::openai {

namespace json = boost::json;

ProviderRequest build_request(const Chat& chat, std::string_view base_url, std::string_view api_key) {
    // Members in a fixed order: Boost.JSON keeps insertion order, so equal chats serialize equally.
    json::object body;
    body["model"] = chat.model;
    json::array messages;
    if (!chat.system.empty()) messages.push_back(json::object{{"role", "system"}, {"content", chat.system}});
    for (const Message& m : chat.messages) messages.push_back(json::object{{"role", m.role}, {"content", m.content}});
    body["messages"] = std::move(messages);
    if (chat.max_tokens) body["max_tokens"] = *chat.max_tokens;
    if (chat.temperature) body["temperature"] = *chat.temperature;
    if (chat.output_schema != nullptr) {
        body["response_format"] = json::object{
            {"type", "json_schema"},
            {"json_schema", json::object{{"name", "output"}, {"schema", *chat.output_schema}, {"strict", chat.strict_schema}}},
        };
    }
    ProviderRequest request;
    request.url = join_url(base_url, "/chat/completions");
    request.headers = {{"Content-Type", "application/json"}, {"Authorization", "Bearer " + std::string(api_key)}};
    request.body = json::serialize(body);
    return request;
}

namespace {

std::optional<Usage> read_usage(const json::object& root) {
    const json::value* usage = root.if_contains("usage");
    if (usage == nullptr || !usage->is_object()) return std::nullopt;
    const json::object& u = usage->get_object();
    Usage read;
    read.input_tokens = token_count(u, "prompt_tokens");
    read.output_tokens = token_count(u, "completion_tokens");
    if (const json::value* details = u.if_contains("prompt_tokens_details"); details && details->is_object()) {
        read.cached_input_tokens = token_count(details->get_object(), "cached_tokens");
    }
    return read;
}

}  // namespace

ParseOutcome parse_response(std::string_view body) {
    ParseOutcome outcome;
    boost::system::error_code ec;
    const json::value parsed = json::parse(body, ec);
    if (ec) return unusable(std::move(outcome), Unusable::unreadable, "the response is not JSON (" + ec.message() + ")");
    const json::object* root = parsed.if_object();
    if (root == nullptr) return unusable(std::move(outcome), Unusable::unreadable, "the response is not a JSON object");
    // Read first: whatever else is wrong with a well-formed answer, it was billed.
    outcome.usage = read_usage(*root);

    const json::value* choices = root->if_contains("choices");
    if (choices == nullptr || !choices->is_array()) {
        return unusable(std::move(outcome), Unusable::unreadable, "the response has no choices");
    }
    if (choices->get_array().empty()) {
        return unusable(std::move(outcome), Unusable::no_text, "the response's choices are empty");
    }
    const json::object* choice = choices->get_array().front().if_object();
    const json::value* message = choice ? choice->if_contains("message") : nullptr;
    if (message == nullptr || !message->is_object()) {
        return unusable(std::move(outcome), Unusable::unreadable, "the response's first choice has no message");
    }
    const json::object& m = message->get_object();
    const std::string finish_reason = string_at(*choice, "finish_reason");
    if (const std::string refusal = string_at(m, "refusal"); !refusal.empty()) {
        return unusable(std::move(outcome), Unusable::refused, "the model refused: " + refusal);
    }
    if (finish_reason == "content_filter") {
        return unusable(std::move(outcome), Unusable::refused,
                        "the provider's content filter stopped the reply (finish_reason content_filter)");
    }
    const json::value* content = m.if_contains("content");
    if (content == nullptr || !content->is_string()) {
        const json::value* tool_calls = m.if_contains("tool_calls");
        const bool tools = tool_calls != nullptr && tool_calls->is_array() && !tool_calls->get_array().empty();
        return unusable(std::move(outcome), Unusable::no_text,
                        tools ? "the response's message has tool calls and no text content"
                              : "the response's message has no text content");
    }
    Reply reply;
    reply.text = content->get_string();
    reply.stop_reason = finish_reason;
    reply.model = string_at(*root, "model");
    outcome.reply = std::move(reply);
    return outcome;
}

}  // namespace agenthost::llm::openai
