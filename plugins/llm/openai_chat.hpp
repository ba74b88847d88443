// openai_chat.hpp: the OpenAI Chat Completions dialect (POST {base}/chat/completions),
// which most OpenAI-compatible servers (vLLM, Ollama, LiteLLM, Azure-style
// gateways) also speak. Request building and response parsing only.
#pragma once

#include "provider.hpp"

#include <string_view>

namespace agenthost::llm::openai {

inline constexpr std::string_view default_base_url = "https://api.openai.com/v1";

//! POST {base_url}/chat/completions with "Authorization: Bearer <api_key>",
//! messages [system, ...chat.messages], and, with an output schema,
//! response_format json_schema named "output".
ProviderRequest build_request(const Chat& chat, std::string_view base_url, std::string_view api_key);

//! The first choice's message content and the model; usage (prompt_tokens,
//! completion_tokens, prompt_tokens_details.cached_tokens) whenever the body
//! has it, also without a usable reply. A `refusal` or finish_reason
//! content_filter is Unusable::refused; empty choices, or a message with no
//! text content (tool calls only), Unusable::no_text; anything not shaped
//! like a completion, Unusable::unreadable.
ParseOutcome parse_response(std::string_view body);

}  // namespace agenthost::llm::openai
