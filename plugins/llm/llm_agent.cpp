// llm_agent.cpp: the llm plugin. One agent is one model behind an OpenAI
// Chat Completions or Anthropic Messages API: it fills its prompt template
// from the step input, calls the model through the host's ah.http/1 with the
// key from ah.secrets/1, reports usage through ah.usage/1, and answers either
// {"text": reply} or, with an output_schema, the reply's JSON once it matches
// that schema (after at most one repair request). Failures carry the status
// that tells the engine whether a retry can help, and the provider's
// Retry-After when it gave one. Calls complete from the HTTP callback; the
// plugin has no threads of its own.
#include "anthropic_messages.hpp"
#include "openai_chat.hpp"
#include "prompt_template.hpp"
#include "provider.hpp"
#include "retry_after.hpp"
#include "structured_output.hpp"

#include <agenthost/sdk.hpp>

#include <boost/json.hpp>

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

namespace {

namespace json = boost::json;
using namespace agenthost;

constexpr const char* manifest = R"json({
  "name": "llm",
  "version": "1.0.0",
  "description": "Calls a language model (OpenAI Chat Completions or Anthropic Messages) with a prompt filled from the input; plain text or JSON checked against a configured schema.",
  "sdk_abi": "1.2",
  "config_schema": {
    "type": "object",
    "required": ["provider", "model"],
    "additionalProperties": false,
    "properties": {
      "provider": {"enum": ["openai", "anthropic"], "description": "openai: Chat Completions (and OpenAI-compatible servers); anthropic: Messages"},
      "model": {"type": "string", "minLength": 1, "description": "the provider's model name; also the name usage is reported and priced under"},
      "base_url": {"type": "string", "description": "an http:// or https:// URL with no user:password@, query or fragment; empty or absent: https://api.openai.com/v1 (openai), https://api.anthropic.com (anthropic)"},
      "api_key_secret": {"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_.-]*$", "description": "the secret holding the API key; default OPENAI_API_KEY or ANTHROPIC_API_KEY"},
      "system": {"type": "string", "description": "the system prompt"},
      "prompt": {"type": "string", "description": "the user message; {{/pointer}} and {{/pointer|default}} take values from the input; absent: the input as JSON"},
      "max_tokens": {"type": "integer", "minimum": 1},
      "temperature": {"type": "number", "minimum": 0, "maximum": 2},
      "output_schema": {"type": "object", "description": "JSON Schema the reply must match; the matching JSON is the output. Absent: the output is {\"text\": reply}"},
      "strict_schema": {"type": "boolean", "description": "OpenAI strict structured outputs; default false"},
      "cache_system_prompt": {"type": "boolean", "description": "Anthropic prompt caching of the system prompt (cache_control ephemeral); default false"},
      "cache_responses": {"type": "boolean", "description": "let the host's response cache answer identical requests; default false"},
      "http2_cleartext": {"type": "boolean", "description": "offer HTTP/2 (Upgrade: h2c) to an http:// base_url, so that concurrent calls share connections; servers without it answer in HTTP/1.1; default false"},
      "request_timeout_ms": {"type": "integer", "minimum": 1, "maximum": 4294967295},
      "anthropic_version": {"type": "string", "minLength": 1, "description": "the anthropic-version header; default 2023-06-01"},
      "headers": {
        "type": "object", "additionalProperties": {"type": "string"},
        "description": "extra request headers; not for secrets (they are part of the config)"
      }
    }
  },
  "input_schema": {"type": "object"},
  "output_schema": {
    "$config": "/output_schema",
    "otherwise": {"type": "object", "required": ["text"], "properties": {"text": {"type": "string"}}}
  },
  "permissions": {
    "services": ["ah.http/1", "ah.secrets/1"],
    "network": ["https://*:*/*", "http://*:*/*"],
    "secrets": ["OPENAI_API_KEY", "ANTHROPIC_API_KEY", "LLM_API_KEY"]
  }
})json";

enum class Provider { openai, anthropic };

const char* provider_name(Provider p) { return p == Provider::openai ? "openai" : "anthropic"; }

// The agent's config, read once at create.
struct Settings {
    Provider provider = Provider::openai;
    std::string model;
    std::string base_url;
    std::string api_key_secret;
    std::string system;
    std::optional<llm::PromptTemplate> prompt;
    std::optional<int64_t> max_tokens;
    std::optional<double> temperature;
    json::value output_schema_source;  // null when there is none
    std::optional<llm::OutputSchema> output_schema;
    bool strict_schema = false;
    bool cache_system_prompt = false;
    bool cache_responses = false;
    bool http2_cleartext = false;
    std::chrono::milliseconds request_timeout{0};
    std::string anthropic_version{llm::anthropic::default_version};
    llm::Headers extra_headers;
};

Settings read_settings(std::string_view config_json) {
    const json::object config = json::parse(config_json).as_object();
    const auto text = [&](std::string_view key) -> std::string {
        const json::value* v = config.if_contains(key);
        return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
    };
    Settings s;
    s.provider = text("provider") == "anthropic" ? Provider::anthropic : Provider::openai;
    s.model = text("model");
    const std::string_view default_base_url =
        s.provider == Provider::openai ? llm::openai::default_base_url : llm::anthropic::default_base_url;
    s.base_url = text("base_url");
    if (s.base_url.empty()) s.base_url = default_base_url;
    // Caught here, not by the host's refusal of every request later. The URL
    // itself is never quoted: userinfo or a query may hold a credential.
    if (const std::string problem = llm::base_url_problem(s.base_url); !problem.empty()) {
        throw Failure(AH_ERR_INVALID_ARGUMENT,
                      "llm: /config/base_url: " + problem + "; expected an absolute http:// or https:// URL with a "
                      "host and no user:password@, ?query or #fragment, e.g. \"" + std::string(default_base_url) +
                      "\" (or leave it out for that default)");
    }
    s.api_key_secret = text("api_key_secret");
    if (s.api_key_secret.empty()) s.api_key_secret = s.provider == Provider::openai ? "OPENAI_API_KEY" : "ANTHROPIC_API_KEY";
    s.system = text("system");
    try {
        if (const json::value* p = config.if_contains("prompt")) s.prompt.emplace(p->as_string());
        if (const json::value* schema = config.if_contains("output_schema")) {
            s.output_schema_source = *schema;
            s.output_schema.emplace(*schema);
        }
    } catch (const std::invalid_argument& e) {
        throw Failure(AH_ERR_INVALID_ARGUMENT, std::string("llm: ") + e.what());
    }
    if (const json::value* v = config.if_contains("max_tokens")) s.max_tokens = v->to_number<int64_t>();
    if (const json::value* v = config.if_contains("temperature")) s.temperature = v->to_number<double>();
    if (const json::value* v = config.if_contains("strict_schema")) s.strict_schema = v->as_bool();
    if (const json::value* v = config.if_contains("cache_system_prompt")) s.cache_system_prompt = v->as_bool();
    if (const json::value* v = config.if_contains("cache_responses")) s.cache_responses = v->as_bool();
    if (const json::value* v = config.if_contains("http2_cleartext")) s.http2_cleartext = v->as_bool();
    if (const json::value* v = config.if_contains("request_timeout_ms")) {
        s.request_timeout = std::chrono::milliseconds(v->to_number<int64_t>());
    }
    if (std::string version = text("anthropic_version"); !version.empty()) s.anthropic_version = std::move(version);
    if (const json::value* h = config.if_contains("headers")) {
        for (const auto& [name, value] : h->as_object()) s.extra_headers.emplace_back(name, value.as_string());
    }
    return s;
}

// What every call of one agent shares. Calls hold it too, so that nothing a
// callback touches depends on the agent object still being there.
struct Shared {
    Shared(const HostApi& h, Settings s) : host(h), settings(std::move(s)) {}

    struct InFlight {
        uint64_t id = 0;         // 0 until send has returned it
        bool cancelled = false;  // cancel came before the id was known
    };

    const HostApi host;
    const Settings settings;
    std::mutex mutex;
    std::map<ah_call*, InFlight> in_flight;  // by call: the one request each call has out
};

// One invoke, from the first request to its completion.
struct Call {
    Call(std::shared_ptr<Shared> s, ah_call* c, uint32_t a, Completion d)
        : shared(std::move(s)), call(c), attempt(a), done(std::move(d)) {}

    std::shared_ptr<Shared> shared;
    ah_call* call;
    uint32_t attempt;  // ah_invoke_args.attempt: 1, then 2 for the first retry, ...
    Completion done;
    llm::Chat chat;
    std::string api_key;
    std::string idempotency_key;  // the host's, stable across retries of this step of this run
    bool repaired = false;  // the one repair request has been sent
};

// Every message the plugin writes passes through here. The key only ever goes
// into a header, but a provider or a gateway may quote it back in an error
// body; the host redacts secrets too, but only their exact value. A key too
// short to be real is left alone rather than blotting out every match.
std::string scrub(const Call& call, std::string message) {
    return call.api_key.size() >= 8 ? llm::redact(std::move(message), call.api_key) : message;
}

std::string read_api_key(const HostApi& host, const std::string& name) {
    std::string key;
    const ah_status status = host.read_secret(name.c_str(), key);
    if (status == AH_OK && !key.empty()) return key;
    if (host.extension<ah_secrets_v1>(AH_EXT_SECRETS_V1) == nullptr) {
        throw Failure(AH_ERR_PERMISSION_DENIED,
                      "llm: the agent needs the ah.secrets/1 service to read its API key: add \"ah.secrets/1\" to "
                      "its \"grants\": {\"services\": [...]}");
    }
    if (status == AH_ERR_PERMISSION_DENIED) {
        throw Failure(AH_ERR_PERMISSION_DENIED,
                      "llm: the secret " + name + " (the API key) is not granted to this agent: add \"" + name +
                          "\" to its \"grants\": {\"secrets\": [...]} and define it in the config's \"secrets\", "
                          "e.g. \"" + name + "\": {\"env\": \"" + name + "\"}");
    }
    throw Failure(AH_ERR_PERMISSION_DENIED,
                  "llm: the secret " + name + " (the API key) has no value: define it in the config's \"secrets\" "
                  "(e.g. \"" + name + "\": {\"env\": \"" + name + "\"}) and set that environment variable or file");
}

void send(const std::shared_ptr<Call>& call);

// Fails the call; `wait` is the provider's Retry-After, passed on to the engine's backoff.
void fail(Call& call, ah_status status, const std::string& message, std::optional<std::chrono::milliseconds> wait = {}) {
    if (wait) call.shared->host.retry_after(call.call, *wait);
    call.done.fail(status, scrub(call, message));
}

void on_response(const std::shared_ptr<Call>& call, const HttpResponse& response) {
    Shared& shared = *call->shared;
    {
        const std::lock_guard lock(shared.mutex);
        shared.in_flight.erase(call->call);
    }
    const Settings& settings = shared.settings;
    const char* provider = provider_name(settings.provider);
    if (response.status != AH_OK) {
        const ah_status status = llm::status_for_transport(response.status);
        const std::string why = response.error.empty() ? "no response" : response.error;
        return fail(*call, status, std::string(provider) + " request to " + settings.base_url + " failed: " + why);
    }
    if (response.http_status < 200 || response.http_status > 299) {
        const std::string message = llm::describe_error(provider, response.http_status,
                                                        llm::parse_error_body(response.body), response.body);
        const ah_status status = llm::status_for_http(response.http_status);
        std::optional<std::chrono::milliseconds> wait;
        if (status == AH_ERR_UNAVAILABLE) wait = llm::retry_after_from(response.headers, std::chrono::system_clock::now());
        return fail(*call, status, message, wait);
    }
    const llm::ParseOutcome parsed = settings.provider == Provider::openai ? llm::openai::parse_response(response.body)
                                                                          : llm::anthropic::parse_response(response.body);
    // Reported before anything can fail: a refusal, a filtered or textless
    // answer and one that breaks the schema are billed like any other, and
    // the run's token and cost budgets must see them. A cached answer cost
    // nothing this time. Usage is reported under the configured model, the
    // name the operator's price table uses (providers answer with dated names
    // such as gpt-4o-mini-2024-07-18).
    if (!response.from_cache && (parsed.usage || parsed.reply)) {
        const llm::Usage usage = parsed.usage.value_or(llm::Usage{});
        shared.host.report_usage(call->call, settings.model.c_str(), usage.input_tokens, usage.output_tokens,
                                 usage.cached_input_tokens);
    }
    if (!parsed.reply) {
        // A cut-off, garbled or textless body is a hiccup worth a retry; a
        // refusal is the model's answer to this input, and final.
        const ah_status status = llm::status_for_unusable(parsed.unusable);
        std::string message =
            std::string(provider) + " " + std::to_string(response.http_status) + ": unusable response: " + parsed.error;
        if (status != AH_ERR_UNAVAILABLE) message += " (final: a retry would get the same answer)";
        return fail(*call, status, message);
    }
    const llm::Reply& reply = *parsed.reply;
    if (!settings.output_schema) return call->done.succeed(json::serialize(json::object{{"text", reply.text}}));

    llm::Checked checked = settings.output_schema->check(reply.text);
    if (checked.value) return call->done.succeed(json::serialize(*checked.value));
    if (call->repaired) {
        return fail(*call, AH_ERR_FAILED,
                    std::string(provider) + " reply does not match output_schema, also after a repair request: " +
                        llm::join_violations(checked.violations));
    }
    shared.host.log(LogLevel::info,
                    scrub(*call, "llm: the reply does not match output_schema (" +
                                     llm::join_violations(checked.violations) + "); asking the model once to repair it"),
                    call->call);
    call->repaired = true;
    call->chat.messages.push_back({"assistant", reply.text});
    call->chat.messages.push_back({"user", llm::repair_message(checked.violations, settings.output_schema_source)});
    send(call);
}

void send(const std::shared_ptr<Call>& call) {
    Shared& shared = *call->shared;
    const Settings& settings = shared.settings;
    llm::ProviderRequest built =
        settings.provider == Provider::openai
            ? llm::openai::build_request(call->chat, settings.base_url, call->api_key)
            : llm::anthropic::build_request(call->chat, settings.base_url, call->api_key, settings.anthropic_version);
    HttpRequest request;
    request.method = "POST";
    request.url = std::move(built.url);
    request.headers = std::move(built.headers);
    for (const auto& header : settings.extra_headers) request.headers.push_back(header);
    // A provider that honours it answers a retry of the same request once, not
    // twice; the repair is another request, so it gets a key of its own.
    if (!call->idempotency_key.empty()) {
        request.headers.emplace_back("Idempotency-Key",
                                     call->repaired ? call->idempotency_key + ":repair" : call->idempotency_key);
    }
    request.body = std::move(built.body);
    request.timeout = settings.request_timeout;
    request.cacheable = settings.cache_responses;
    // A retry, or the repair of an unusable reply, follows an answer that may
    // have come from (and been stored in) the response cache: without
    // refresh, the cache would hand it back every time.
    request.refresh = request.cacheable && (call->attempt > 1 || call->repaired);
    request.http2_cleartext = settings.http2_cleartext;

    {
        const std::lock_guard lock(shared.mutex);
        shared.in_flight[call->call] = {};
    }
    uint64_t id = 0;
    const auto handler = [call](HttpResponse response) {
        try {
            on_response(call, response);
        } catch (const std::exception& e) {
            if (call->done.pending()) call->done.fail(AH_ERR_INTERNAL, scrub(*call, std::string("llm: ") + e.what()));
        } catch (...) {
            if (call->done.pending()) call->done.fail(AH_ERR_INTERNAL, "llm: unknown exception");
        }
    };
    const ah_status status = shared.host.http(call->call, request, handler, &id);
    if (status != AH_OK) {
        {
            const std::lock_guard lock(shared.mutex);
            shared.in_flight.erase(call->call);
        }
        std::string why = status == AH_ERR_PERMISSION_DENIED
                              ? "the host refused the request to " + request.url +
                                    ": grant the agent the ah.http/1 service and a network pattern covering that URL"
                              : "the host refused the request to " + request.url;
        return fail(*call, status == AH_ERR_PERMISSION_DENIED ? AH_ERR_PERMISSION_DENIED : AH_ERR_INVALID_ARGUMENT,
                    "llm: " + why);
    }
    bool cancel_now = false;
    {
        const std::lock_guard lock(shared.mutex);
        auto it = shared.in_flight.find(call->call);
        if (it != shared.in_flight.end()) {  // else the answer is already in
            it->second.id = id;
            cancel_now = it->second.cancelled;
        }
    }
    if (cancel_now) shared.host.http_cancel(id);
}

class LlmAgent : public Agent {
public:
    LlmAgent(const HostApi& host, std::string_view config_json)
        : shared_(std::make_shared<Shared>(host, read_settings(config_json))) {}

    void invoke_async(Context& ctx, const Input& input, Completion& done) override {
        const Settings& settings = shared_->settings;
        const json::value in = json::parse(input.json);
        if (ctx.host().extension<ah_http_v1>(AH_EXT_HTTP_V1) == nullptr) {
            throw Failure(AH_ERR_PERMISSION_DENIED,
                          "llm: the agent needs the ah.http/1 service to reach the model: add \"ah.http/1\" to its "
                          "\"grants\": {\"services\": [...]}, and a \"network\" pattern covering " + settings.base_url);
        }
        // Everything that can fail before the request goes out throws here,
        // while the wrapper still holds `done` and completes it with that status.
        std::string api_key = read_api_key(shared_->host, settings.api_key_secret);
        llm::Chat chat;
        chat.model = settings.model;
        chat.system = settings.system;
        chat.messages.push_back({"user", settings.prompt ? settings.prompt->render(in) : json::serialize(in)});
        chat.max_tokens = settings.max_tokens;
        chat.temperature = settings.temperature;
        chat.output_schema = settings.output_schema ? &settings.output_schema_source : nullptr;
        chat.strict_schema = settings.strict_schema;
        chat.cache_system_prompt = settings.cache_system_prompt;
        auto call = std::make_shared<Call>(shared_, ctx.call(), ctx.attempt(), std::move(done));
        call->api_key = std::move(api_key);
        call->idempotency_key = std::string(ctx.idempotency_key());
        call->chat = std::move(chat);
        send(call);
    }

    void cancel(ah_call* call) override {
        uint64_t id = 0;
        {
            const std::lock_guard lock(shared_->mutex);
            auto it = shared_->in_flight.find(call);
            if (it == shared_->in_flight.end()) return;  // finished, or between requests
            if (it->second.id == 0) {
                it->second.cancelled = true;
                return;
            }
            id = it->second.id;
        }
        // The request's callback then completes the call with AH_ERR_CANCELLED.
        shared_->host.http_cancel(id);
    }

private:
    std::shared_ptr<Shared> shared_;
};

}  // namespace

AGENTHOST_PLUGIN_WITH_FLAGS(LlmAgent, manifest, AH_PLUGIN_CONCURRENT_INVOKE)
