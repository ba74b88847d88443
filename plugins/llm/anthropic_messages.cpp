// anthropic_messages.cpp: Messages API request bodies and responses.
#include "anthropic_messages.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace agenthost::llm::anthropic {

namespace json = boost::json;

std::string system_text(const Chat& chat) {
    std::string text = chat.system;
    if (chat.output_schema != nullptr) {
        if (!text.empty()) text += "\n\n";
        text += "Reply with only a JSON value that matches this JSON Schema, with no other text: ";
        text += json::serialize(*chat.output_schema);
    }
    return text;
}

ProviderRequest build_request(const Chat& chat, std::string_view base_url, std::string_view api_key,
                              std::string_view version) {
    // Members in a fixed order: Boost.JSON keeps insertion order, so equal chats serialize equally.
    json::object body;
    body["model"] = chat.model;
    body["max_tokens"] = chat.max_tokens.value_or(default_max_tokens);
    if (const std::string system = system_text(chat); !system.empty()) {
        json::object block{{"type", "text"}, {"text", system}};
        if (chat.cache_system_prompt) block["cache_control"] = json::object{{"type", "ephemeral"}};
        body["system"] = json::array{std::move(block)};
    }
    json::array messages;
    for (const Message& m : chat.messages) messages.push_back(json::object{{"role", m.role}, {"content", m.content}});
    body["messages"] = std::move(messages);
    if (chat.temperature) body["temperature"] = *chat.temperature;

    ProviderRequest request;
    request.url = join_url(base_url, "/v1/messages");
    request.headers = {{"Content-Type", "application/json"},
                       {"x-api-key", std::string(api_key)},
                       {"anthropic-version", std::string(version)}};
    request.body = json::serialize(body);
    return request;
}

ParseOutcome parse_response(std::string_view body) {
    ParseOutcome outcome;
    boost::system::error_code ec;
    const json::value parsed = json::parse(body, ec);
    if (ec) {
        outcome.error = "the response is not JSON (" + ec.message() + ")";
        return outcome;
    }
    const json::object* root = parsed.if_object();
    const json::value* content = root ? root->if_contains("content") : nullptr;
    if (content == nullptr || !content->is_array()) {
        outcome.error = "the response has no content";
        return outcome;
    }
    Reply reply;
    bool any_text = false;
    for (const json::value& block : content->get_array()) {
        const json::object* b = block.if_object();
        if (b == nullptr) continue;
        const json::value* type = b->if_contains("type");
        const json::value* text = b->if_contains("text");
        if (type != nullptr && type->is_string() && type->get_string() == "text" && text != nullptr && text->is_string()) {
            reply.text += text->get_string();
            any_text = true;
        }
    }
    if (!any_text) {
        outcome.error = "the response's content has no text block";
        return outcome;
    }
    if (const json::value* reason = root->if_contains("stop_reason"); reason != nullptr && reason->is_string()) {
        reply.stop_reason = reason->get_string();
    }
    if (const json::value* model = root->if_contains("model"); model != nullptr && model->is_string()) {
        reply.model = model->get_string();
    }
    if (const json::value* usage = root->if_contains("usage"); usage != nullptr && usage->is_object()) {
        const json::object& u = usage->get_object();
        const uint64_t cache_read = token_count(u, "cache_read_input_tokens");
        reply.usage.input_tokens = token_count(u, "input_tokens") + cache_read + token_count(u, "cache_creation_input_tokens");
        reply.usage.output_tokens = token_count(u, "output_tokens");
        reply.usage.cached_input_tokens = cache_read;
    }
    outcome.reply = std::move(reply);
    return outcome;
}

}  // namespace agenthost::llm::anthropic
