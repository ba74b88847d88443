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

ParseOutcome parse_response(std::string_view body) {
    ParseOutcome outcome;
    boost::system::error_code ec;
    const json::value parsed = json::parse(body, ec);
    if (ec) {
        outcome.error = "the response is not JSON (" + ec.message() + ")";
        return outcome;
    }
    const json::object* root = parsed.if_object();
    const json::value* choices = root ? root->if_contains("choices") : nullptr;
    if (choices == nullptr || !choices->is_array() || choices->get_array().empty()) {
        outcome.error = "the response has no choices";
        return outcome;
    }
    const json::object* choice = choices->get_array().front().if_object();
    const json::value* message = choice ? choice->if_contains("message") : nullptr;
    if (message == nullptr || !message->is_object()) {
        outcome.error = "the response's first choice has no message";
        return outcome;
    }
    Reply reply;
    const json::object& m = message->get_object();
    if (const json::value* content = m.if_contains("content"); content != nullptr && content->is_string()) {
        reply.text = content->get_string();
    } else if (const json::value* refusal = m.if_contains("refusal"); refusal != nullptr && refusal->is_string()) {
        outcome.error = "the model refused: " + std::string(refusal->get_string());
        return outcome;
    } else {
        outcome.error = "the response's message has no text content";
        return outcome;
    }
    if (const json::value* reason = choice->if_contains("finish_reason"); reason != nullptr && reason->is_string()) {
        reply.stop_reason = reason->get_string();
    }
    if (const json::value* model = root->if_contains("model"); model != nullptr && model->is_string()) {
        reply.model = model->get_string();
    }
    if (const json::value* usage = root->if_contains("usage"); usage != nullptr && usage->is_object()) {
        const json::object& u = usage->get_object();
        reply.usage.input_tokens = token_count(u, "prompt_tokens");
        reply.usage.output_tokens = token_count(u, "completion_tokens");
        if (const json::value* details = u.if_contains("prompt_tokens_details"); details && details->is_object()) {
            reply.usage.cached_input_tokens = token_count(details->get_object(), "cached_tokens");
        }
    }
    outcome.reply = std::move(reply);
    return outcome;
}

}  // namespace agenthost::llm::openai
