// provider.hpp: what the llm plugin's two provider dialects share: the chat to
// send, the HTTP request it becomes, the reply or error that comes back, and
// how an HTTP outcome maps onto the ABI's status codes (which decide whether
// the engine retries). Pure: no SDK calls, so it is unit-tested directly.
#pragma once

#include <agenthost/sdk.h>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace agenthost::llm {

struct Message {
    std::string role;  //!< "user" or "assistant"
    std::string content;
};

//! One model call, in provider-neutral terms.
struct Chat {
    std::string model;
    std::string system;              //!< empty: no system prompt
    std::vector<Message> messages;   //!< user first, alternating
    std::optional<int64_t> max_tokens;
    std::optional<double> temperature;
    const boost::json::value* output_schema = nullptr;  //!< when set, the reply must be JSON matching it
    bool strict_schema = false;                         //!< OpenAI strict structured outputs
    bool cache_system_prompt = false;                   //!< Anthropic prompt caching of the system block
};

using Headers = std::vector<std::pair<std::string, std::string>>;

//! An HTTP request ready for ah.http/1. The body is deterministic: the same
//! Chat gives byte-identical text, so the host's response cache key is stable.
struct ProviderRequest {
    std::string url;
    Headers headers;
    std::string body;
};

struct Usage {
    uint64_t input_tokens = 0;   //!< all input, cached included
    uint64_t output_tokens = 0;
    uint64_t cached_input_tokens = 0;
};

//! A successful answer, or why it could not be read.
struct Reply {
    std::string text;
    std::string model;  //!< as the provider names it
    Usage usage;
    std::string stop_reason;
};

struct ParseOutcome {
    std::optional<Reply> reply;
    std::string error;  //!< when !reply: what was wrong with the body
};

//! A provider's error body, read in either dialect.
struct ProviderError {
    std::string code;     //!< "rate_limit_exceeded", "authentication_error", ...; may be empty
    std::string message;  //!< may be empty
};

//! The status a failed HTTP exchange maps to: 429, 408, 5xx -> AH_ERR_UNAVAILABLE
//! (retryable); 401, 403 -> AH_ERR_PERMISSION_DENIED and other 4xx ->
//! AH_ERR_INVALID_ARGUMENT (final: retrying cannot help).
ah_status status_for_http(int32_t http_status) noexcept;

//! The status a transport failure of ah.http/1 (no HTTP response) maps to:
//! the host's own (AH_ERR_UNAVAILABLE for no or a broken connection,
//! AH_ERR_TIMEOUT, AH_ERR_CANCELLED, AH_ERR_FAILED).
ah_status status_for_transport(ah_status transport) noexcept;

//! "openai 429 rate_limit_exceeded: Rate limit reached": what an operator
//! reads. `body_excerpt` stands in when the body held no error message.
std::string describe_error(std::string_view provider, int32_t http_status, const ProviderError& error,
                           std::string_view body);

//! `base_url` without trailing slashes, ready for a path to be appended.
std::string join_url(std::string_view base_url, std::string_view path);

//! A token count in a usage object: the unsigned integer at `key`, 0 when it
//! is missing or not a count.
uint64_t token_count(const boost::json::object& usage, std::string_view key) noexcept;

//! Reads both dialects' error shapes: {"error": {"message", "type", "code"}}
//! (OpenAI) and {"type": "error", "error": {"type", "message"}} (Anthropic).
ProviderError parse_error_body(std::string_view body);

}  // namespace agenthost::llm
