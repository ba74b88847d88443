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

namespace {

std::optional<Usage> read_usage(const json::object& root) {
    const json::value* usage = root.if_contains("usage");
    if (usage == nullptr || !usage->is_object()) return std::nullopt;
    const json::object& u = usage->get_object();
    Usage read;
    const uint64_t cache_read = token_count(u, "cache_read_input_tokens");
    read.input_tokens = token_count(u, "input_tokens") + cache_read + token_count(u, "cache_creation_input_tokens");
    read.output_tokens = token_count(u, "output_tokens");
    read.cached_input_tokens = cache_read;
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

    const json::value* content = root->if_contains("content");
    if (content == nullptr || !content->is_array()) {
        return unusable(std::move(outcome), Unusable::unreadable, "the response has no content");
    }
    Reply reply;
    bool any_text = false;
    bool any_tool_use = false;
    for (const json::value& block : content->get_array()) {
        const json::object* b = block.if_object();
        if (b == nullptr) continue;
        const std::string type = string_at(*b, "type");
        const json::value* text = b->if_contains("text");
        if (type == "text" && text != nullptr && text->is_string()) {
            reply.text += text->get_string();
            any_text = true;
        } else if (type == "tool_use") {
            any_tool_use = true;
        }
    }
    reply.stop_reason = string_at(*root, "stop_reason");
    if (reply.stop_reason == "refusal") {
        // Whatever text came before the refusal is not an answer.
        std::string error = "the model refused (stop_reason refusal)";
        if (any_text && !reply.text.empty()) error += ": " + reply.text;
        return unusable(std::move(outcome), Unusable::refused, std::move(error));
    }
    if (!any_text) {
        return unusable(std::move(outcome), Unusable::no_text,
                        any_tool_use ? "the response's content has tool_use blocks and no text block"
                                     : "the response's content has no text block");
    }
    reply.model = string_at(*root, "model");
    outcome.reply = std::move(reply);
    return outcome;
}

}  // namespace agenthost::llm::anthropic
