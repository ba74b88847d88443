// anthropic_messages.hpp: the Anthropic Messages dialect (POST {base}/v1/messages).
// It has no JSON-schema response format, so a configured output schema goes
// into the system prompt as an instruction. Request building and response
// parsing only.
#pragma once

#include "provider.hpp"

#include <string_view>

namespace agenthost::llm::anthropic {

inline constexpr std::string_view default_base_url = "https://api.anthropic.com";
inline constexpr std::string_view default_version = "2023-06-01";
//! The API requires max_tokens; this is what a config without one gets.
inline constexpr int64_t default_max_tokens = 1024;

//! The system prompt with the output-schema instruction appended, when there is a schema.
std::string system_text(const Chat& chat);

//! POST {base_url}/v1/messages with x-api-key and anthropic-version; the
//! system prompt as one text block, with cache_control ephemeral when
//! chat.cache_system_prompt.
ProviderRequest build_request(const Chat& chat, std::string_view base_url, std::string_view api_key,
                              std::string_view version);

//! The text blocks of the content joined and the model; usage whenever the
//! body has it, also without a usable reply. Input is reported whole
//! (input_tokens + cache_read + cache_creation) with cache_read as the cached
//! part, because the host prices input - cached at the input price and cached
//! at the cached price. stop_reason refusal is Unusable::refused; content
//! without a text block (empty, tool_use only) Unusable::no_text; anything
//! not shaped like a message, Unusable::unreadable.
ParseOutcome parse_response(std::string_view body);

}  // namespace agenthost::llm::anthropic
