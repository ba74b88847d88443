// provider.cpp: status mapping and error bodies shared by both dialects.
#include "provider.hpp"

#include <boost/json/parse.hpp>

namespace agenthost::llm {

namespace json = boost::json;

std::string join_url(std::string_view base_url, std::string_view path) {
    while (!base_url.empty() && base_url.back() == '/') base_url.remove_suffix(1);
    return std::string(base_url) + std::string(path);
}

std::string string_at(const json::object& object, std::string_view key) {
    const json::value* v = object.if_contains(key);
    return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
}

ParseOutcome unusable(ParseOutcome outcome, Unusable why, std::string error) {
    outcome.unusable = why;
    outcome.error = std::move(error);
    return outcome;
}

uint64_t token_count(const json::object& usage, std::string_view key) noexcept {
    const json::value* v = usage.if_contains(key);
    if (v == nullptr) return 0;
    if (v->is_uint64()) return v->get_uint64();
    if (v->is_int64() && v->get_int64() > 0) return static_cast<uint64_t>(v->get_int64());
    return 0;
}

ah_status status_for_http(int32_t http_status) noexcept {
    if (http_status == 429 || http_status == 408 || http_status >= 500) return AH_ERR_UNAVAILABLE;
    if (http_status == 401 || http_status == 403) return AH_ERR_PERMISSION_DENIED;
    if (http_status >= 400) return AH_ERR_INVALID_ARGUMENT;
    // 1xx and 3xx are not answers a client of these APIs can use; another try may get one.
    return AH_ERR_UNAVAILABLE;
}

ah_status status_for_unusable(Unusable unusable) noexcept {
    return unusable == Unusable::refused ? AH_ERR_INVALID_ARGUMENT : AH_ERR_UNAVAILABLE;
}

std::string base_url_problem(std::string_view base_url) {
    const auto lower_starts_with = [&](std::string_view prefix) {
        if (base_url.size() < prefix.size()) return false;
        for (std::size_t i = 0; i < prefix.size(); ++i) {
            const char c = base_url[i];
            if ((c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c) != prefix[i]) return false;
        }
        return true;
    };
    std::string_view rest;
    if (lower_starts_with("https://")) {
        rest = base_url.substr(8);
    } else if (lower_starts_with("http://")) {
        rest = base_url.substr(7);
    } else {
        return "it has no http:// or https:// scheme";
    }
    for (char c : base_url) {
        if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return "it holds whitespace or a control character";
    }
    if (base_url.find('?') != std::string_view::npos) return "it has a query (?...)";
    if (base_url.find('#') != std::string_view::npos) return "it has a fragment (#...)";
    const std::string_view authority = rest.substr(0, rest.find_first_of("/\\"));
    if (authority.find('@') != std::string_view::npos) {
        return "it carries userinfo (user:password@); the API key belongs in the secret that api_key_secret names";
    }
    if (authority.empty() || authority.front() == ':') return "it has no host";
    return {};
}

std::string redact(std::string text, std::string_view secret) {
    if (secret.empty()) return text;
    constexpr std::string_view mark = "[redacted]";
    for (std::size_t at = text.find(secret); at != std::string::npos; at = text.find(secret, at + mark.size())) {
        text.replace(at, secret.size(), mark);
    }
    return text;
}

ah_status status_for_transport(ah_status transport) noexcept {
    // The host already speaks in ABI statuses (AH_ERR_UNAVAILABLE for no or a
    // broken connection, AH_ERR_TIMEOUT, AH_ERR_CANCELLED); keep its word.
    return transport < 0 ? transport : AH_ERR_FAILED;
}

namespace {

// A body quoted in a message: one line, short, so that a provider's HTML error page stays readable.
std::string excerpt(std::string_view body) {
    constexpr std::size_t limit = 200;
    std::string out;
    for (char c : body.substr(0, limit)) out += (c == '\n' || c == '\r' || c == '\t') ? ' ' : c;
    if (body.size() > limit) out += "...";
    return out;
}

}  // namespace

ProviderError parse_error_body(std::string_view body) {
    ProviderError error;
    boost::system::error_code ec;
    const json::value parsed = json::parse(body, ec);
    if (ec || !parsed.is_object()) return error;
    const json::value* inner = parsed.get_object().if_contains("error");
    if (inner == nullptr) return error;
    if (inner->is_string()) {  // some OpenAI-compatible servers answer {"error": "text"}
        error.message = inner->get_string();
        return error;
    }
    if (!inner->is_object()) return error;
    const json::object& e = inner->get_object();
    error.message = string_at(e, "message");
    // OpenAI's "code" is the specific reason ("rate_limit_exceeded"), its
    // "type" the broad class ("requests"); Anthropic only has "type".
    error.code = string_at(e, "code");
    if (error.code.empty()) error.code = string_at(e, "type");
    return error;
}

std::string describe_error(std::string_view provider, int32_t http_status, const ProviderError& error,
                           std::string_view body) {
    std::string text(provider);
    text += ' ';
    text += std::to_string(http_status);
    if (!error.code.empty()) text += ' ' + error.code;
    text += ": ";
    if (!error.message.empty()) {
        text += error.message;
    } else if (!body.empty()) {
        text += excerpt(body);
    } else {
        text += "(empty body)";
    }
    return text;
}

}  // namespace agenthost::llm
