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

//! A 2xx answer's text.
struct Reply {
    std::string text;
    std::string model;  //!< as the provider names it
    std::string stop_reason;
};

//! Why a 2xx body gave no usable reply; decides whether a retry can help.
enum class Unusable {
    unreadable,  //!< not JSON, cut off, not the dialect's envelope: the transport's or provider's hiccup
    no_text,     //!< a well-formed answer without text (no choices, tool calls only, null content)
    refused,     //!< the model refused, or the provider's content filter stopped it (the same prompt, the same)
};

//! What a 2xx body holds. `usage` is set whenever the body has a usage
//! object, also when there is no usable reply: the provider bills those too.
struct ParseOutcome {
    std::optional<Reply> reply;
    std::optional<Usage> usage;
    Unusable unusable = Unusable::unreadable;  //!< when !reply
    std::string error;                         //!< when !reply: what was wrong with the body
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

//! The status a 2xx answer without a usable reply maps to: unreadable and
//! no_text -> AH_ERR_UNAVAILABLE (retryable: another try may get a whole,
//! textual answer); refused -> AH_ERR_INVALID_ARGUMENT (final). A refusal or
//! a content-filter stop answers the prompt, which is made from the step's
//! input: the same input gets the same refusal, so it is input the agent
//! cannot use, and the engine goes to the fallback instead of paying for
//! retries (it retries AH_ERR_FAILED, which would not stop them).
ah_status status_for_unusable(Unusable unusable) noexcept;

//! The status a transport failure of ah.http/1 (no HTTP response) maps to:
//! the host's own (AH_ERR_UNAVAILABLE for no or a broken connection,
//! AH_ERR_TIMEOUT, AH_ERR_CANCELLED, AH_ERR_FAILED).
ah_status status_for_transport(ah_status transport) noexcept;

//! "openai 429 rate_limit_exceeded: Rate limit reached": what an operator
//! reads. `body_excerpt` stands in when the body held no error message.
std::string describe_error(std::string_view provider, int32_t http_status, const ProviderError& error,
                           std::string_view body);

//! Why `base_url` cannot be the start of a provider URL, or empty when it
//! can: it needs an http:// or https:// scheme and a host, and no userinfo
//! (user:password@), query, fragment, whitespace or control characters.
//! Never quotes the URL (userinfo or a query may hold a credential).
std::string base_url_problem(std::string_view base_url);

//! `text` with every occurrence of `secret` replaced by "[redacted]"; `text`
//! unchanged when `secret` is empty.
std::string redact(std::string text, std::string_view secret);

//! `base_url` without trailing slashes, ready for a path to be appended.
std::string join_url(std::string_view base_url, std::string_view path);

//! A token count in a usage object: the unsigned integer at `key`, 0 when it
//! is missing or not a count.
uint64_t token_count(const boost::json::object& usage, std::string_view key) noexcept;

//! The string at `key`, or "" when it is missing or not a string.
std::string string_at(const boost::json::object& object, std::string_view key);

//! `outcome` (its usage kept) marked unusable for `why`.
ParseOutcome unusable(ParseOutcome outcome, Unusable why, std::string error);

//! Reads both dialects' error shapes: {"error": {"message", "type", "code"}}
//! (OpenAI) and {"type": "error", "error": {"type", "message"}} (Anthropic).
ProviderError parse_error_body(std::string_view body);

}  // namespace agenthost::llm
