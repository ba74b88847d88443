// agenthost/sdk.hpp: the header-only C++17 wrapper over sdk.h.
//
// A plugin is one class and one macro:
//
//     class Echo : public agenthost::Agent {
//     public:
//         Echo(const agenthost::HostApi& host, std::string_view config_json);
//         std::string invoke(agenthost::Context& ctx, const agenthost::Input& in) override;
//     };
//     AGENTHOST_PLUGIN(Echo, R"({"name": "echo", ...})")
//
// Every exception is caught at the boundary and turned into a status: throw
// agenthost::Failure to choose the status, anything else becomes
// AH_ERR_INTERNAL with its what().
#ifndef AGENTHOST_SDK_HPP
#define AGENTHOST_SDK_HPP

#include <agenthost/sdk.h>

#include <chrono>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace agenthost {

//! An agent failure with a chosen status (AH_ERR_*).
class Failure : public std::runtime_error {
public:
    Failure(ah_status status, const std::string& message) : std::runtime_error(message), status_(status) {}
    ah_status status() const noexcept { return status_; }

private:
    ah_status status_;
};

enum class LogLevel : int32_t {
    trace = AH_LOG_TRACE,
    debug = AH_LOG_DEBUG,
    info = AH_LOG_INFO,
    warning = AH_LOG_WARNING,
    error = AH_LOG_ERROR,
};

//! One HTTP request for ah.http/1 (see Context::http). An empty `method`
//! means POST when there is a body, else GET.
struct HttpRequest {
    std::string method;
    std::string url;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    std::chrono::milliseconds timeout{0};  //!< the whole transfer; 0: only the call's own limit
    bool cacheable = false;                //!< AH_HTTP_CACHEABLE: the answer depends on the request alone
    //! With `cacheable`, AH_HTTP_REFRESH: go to the network even when the cache
    //! has an answer, and keep the new one in its place (a retry after a
    //! delivered but unusable answer). Ignored without `cacheable`.
    bool refresh = false;
    //! AH_HTTP_HTTP2_CLEARTEXT: offer HTTP/2 to an http:// server (Upgrade: h2c).
    bool http2_cleartext = false;
};

//! What an ah.http/1 request came to, copied out of the host's borrowed response.
struct HttpResponse {
    ah_status status = AH_ERR_FAILED;  //!< AH_OK when a response arrived, whatever its HTTP status
    int32_t http_status = 0;           //!< 0 when no response arrived
    bool from_cache = false;           //!< the host's response cache answered
    std::vector<std::pair<std::string, std::string>> headers;  //!< names in lower case
    std::string body;
    std::string error;  //!< why, when status != AH_OK

    //! The first header named `name` (lower case), or nullptr.
    const std::string* header(std::string_view name) const noexcept {
        for (const auto& h : headers) {
            if (h.first == name) return &h.second;
        }
        return nullptr;
    }
};

//! Receives the outcome of one HTTP request, once, on a host thread.
using HttpHandler = std::function<void(HttpResponse)>;

namespace detail {

// The C callback of ah.http/1: owns the handler from here on, so that it is
// freed exactly once whatever the handler does.
inline void http_trampoline(void* user, const ah_http_response* raw) noexcept {
    std::unique_ptr<HttpHandler> handler(static_cast<HttpHandler*>(user));
    try {
        HttpResponse response;
        const auto covers = [raw](std::size_t offset, std::size_t size) { return raw->struct_size >= offset + size; };
        response.status = raw->status;
        if (covers(offsetof(ah_http_response, http_status), sizeof raw->http_status)) {
            response.http_status = raw->http_status;
        }
        if (covers(offsetof(ah_http_response, from_cache), sizeof raw->from_cache)) {
            response.from_cache = raw->from_cache != 0;
        }
        if (covers(offsetof(ah_http_response, header_count), sizeof raw->header_count) && raw->headers != nullptr) {
            response.headers.reserve(raw->header_count);
            for (std::size_t i = 0; i < raw->header_count; ++i) {
                const ah_http_header& h = raw->headers[i];
                response.headers.emplace_back(h.name ? h.name : "", h.value ? h.value : "");
            }
        }
        if (covers(offsetof(ah_http_response, body_size), sizeof raw->body_size) && raw->body != nullptr) {
            response.body.assign(raw->body, raw->body_size);
        }
        if (covers(offsetof(ah_http_response, error), sizeof raw->error) && raw->error != nullptr) {
            response.error = raw->error;
        }
        (*handler)(std::move(response));
    } catch (...) {
        // Nothing may cross into the host; a handler that must complete a call catches for itself.
    }
}

inline void append_bytes(void* user, const char* data, std::size_t size) noexcept {
    try {
        static_cast<std::string*>(user)->append(data, size);
    } catch (...) {
        // Out of memory: the caller sees a truncated value.
    }
}

}  // namespace detail

//! The host as one instance sees it. Valid for the life of the instance.
//! (Named apart from the embedding API's agenthost::Host, which a program
//! that both embeds the host and defines agents may include beside this.)
class HostApi {
public:
    explicit HostApi(const ah_host* host) noexcept : host_(host) {}

    //! A host service's function table, or nullptr when unknown or not granted.
    template <class Table>
    const Table* extension(const char* id) const noexcept {
        return static_cast<const Table*>(host_->get_extension(host_, id));
    }

    //! Log outside or inside a call (`call` may be null).
    void log(LogLevel level, std::string_view message, const ah_call* call = nullptr) const noexcept {
        if (const auto* log = extension<ah_log_v1>(AH_EXT_LOG_V1)) {
            log->write(host_, call, static_cast<int32_t>(level), message.data(), message.size());
        }
    }

    //! Read secret `name` (ah.secrets/1) into `value`. AH_ERR_PERMISSION_DENIED
    //! when the service or the secret was not granted, AH_ERR_UNAVAILABLE when
    //! it was but the config gives it no value. Usable from create on.
    ah_status read_secret(const char* name, std::string& value) const {
        const auto* secrets = extension<ah_secrets_v1>(AH_EXT_SECRETS_V1);
        if (secrets == nullptr) return AH_ERR_PERMISSION_DENIED;
        value.clear();
        return secrets->read(host_, name, &detail::append_bytes, &value);
    }

    //! The value of secret `name`, or nullopt when it cannot be had (read_secret says why).
    std::optional<std::string> secret(const char* name) const {
        std::string value;
        if (read_secret(name, value) != AH_OK) return std::nullopt;
        return value;
    }

    //! Report one model call made for `call` (ah.usage/1): usable after invoke
    //! returns, until the call is completed.
    void report_usage(const ah_call* call, const char* model, uint64_t input_tokens, uint64_t output_tokens,
                      uint64_t cached_input_tokens = 0) const noexcept {
        if (const auto* usage = extension<ah_usage_v1>(AH_EXT_USAGE_V1)) {
            usage->report(host_, call, model, input_tokens, output_tokens, cached_input_tokens);
        }
    }

    //! Ask the host to wait at least `delay` before retrying `call` (a
    //! provider's Retry-After), before failing it. False when the host is
    //! older than ABI 1.2 and cannot take the hint.
    bool retry_after(ah_call* call, std::chrono::milliseconds delay) const noexcept {
        if (host_->struct_size < offsetof(ah_host, retry_after) + sizeof host_->retry_after ||
            host_->retry_after == nullptr) {
            return false;
        }
        host_->retry_after(call, delay.count() > 0 ? static_cast<uint64_t>(delay.count()) : 0u);
        return true;
    }

    //! Send `request` for `call` through ah.http/1. AH_OK: `handler` runs once,
    //! later, on a host thread (never inside this function), and `*id` names
    //! the request for http_cancel. Any other status: refused (not granted:
    //! AH_ERR_PERMISSION_DENIED, also when the URL is outside the granted
    //! patterns), and `handler` never runs.
    ah_status http(const ah_call* call, const HttpRequest& request, HttpHandler handler, uint64_t* id = nullptr) const {
        const auto* http = extension<ah_http_v1>(AH_EXT_HTTP_V1);
        if (http == nullptr) return AH_ERR_PERMISSION_DENIED;
        std::vector<ah_http_header> headers;
        headers.reserve(request.headers.size());
        for (const auto& h : request.headers) headers.push_back({h.first.c_str(), h.second.c_str()});
        ah_http_request raw{};
        raw.struct_size = sizeof(ah_http_request);
        raw.flags = request.cacheable ? AH_HTTP_CACHEABLE : 0u;
        if (request.cacheable && request.refresh) raw.flags |= AH_HTTP_REFRESH;
        if (request.http2_cleartext) raw.flags |= AH_HTTP_HTTP2_CLEARTEXT;
        raw.method = request.method.empty() ? nullptr : request.method.c_str();
        raw.url = request.url.c_str();
        raw.headers = headers.empty() ? nullptr : headers.data();
        raw.header_count = headers.size();
        raw.body = request.body.empty() ? nullptr : request.body.data();
        raw.body_size = request.body.size();
        const auto timeout = request.timeout.count();
        raw.timeout_ms = timeout <= 0 ? 0u : timeout > 0xFFFFFFFFLL ? 0xFFFFFFFFu : static_cast<uint32_t>(timeout);
        auto owned = std::make_unique<HttpHandler>(std::move(handler));
        const ah_status status = http->send(host_, call, &raw, &detail::http_trampoline, owned.get(), id);
        if (status == AH_OK) (void)owned.release();  // the trampoline frees it
        return status;
    }

    //! Abort request `id` (from http); its handler still runs, with
    //! AH_ERR_CANCELLED unless it had already finished.
    void http_cancel(uint64_t id) const noexcept {
        if (const auto* http = extension<ah_http_v1>(AH_EXT_HTTP_V1)) http->cancel(host_, id);
    }

    const ah_host* raw() const noexcept { return host_; }

private:
    const ah_host* host_;
};

//! A call's input: JSON text, valid against the manifest's input_schema.
struct Input {
    std::string_view json;
};

//! One call as the agent sees it. Borrowed: valid until invoke returns.
class Context {
public:
    Context(const HostApi& host, ah_call* call, const ah_invoke_args* args) noexcept
        : host_(host), call_(call), args_(args) {}

    const HostApi& host() const noexcept { return host_; }
    std::string_view run_id() const noexcept { return text(args_->run_id); }
    std::string_view step() const noexcept { return text(args_->step); }
    //! Stable across retries of the same step of the same run: pass it on to side effects.
    std::string_view idempotency_key() const noexcept { return text(args_->idempotency_key); }
    uint32_t attempt() const noexcept { return args_->attempt; }
    //! True once the host wants this call to stop; long work polls it.
    bool cancelled() const noexcept { return host_.raw()->is_cancelled(call_) != 0; }
    void log(LogLevel level, std::string_view message) const noexcept { host_.log(level, message, call_); }
    ah_call* call() const noexcept { return call_; }

    //! Report one model call's usage (ah.usage/1); the host prices it and charges the run.
    void report_usage(const char* model, uint64_t input_tokens, uint64_t output_tokens,
                      uint64_t cached_input_tokens = 0) const noexcept {
        host_.report_usage(call_, model, input_tokens, output_tokens, cached_input_tokens);
    }

    //! The value of a granted secret (ah.secrets/1), or nullopt; HostApi::read_secret says why.
    std::optional<std::string> secret(const char* name) const { return host_.secret(name); }

    //! Before failing with a retryable status: wait at least `delay` before the retry.
    bool retry_after(std::chrono::milliseconds delay) const noexcept { return host_.retry_after(call_, delay); }

    //! Asynchronous HTTP for this call (ah.http/1); see HostApi::http.
    ah_status http(const HttpRequest& request, HttpHandler handler, uint64_t* id = nullptr) const {
        return host_.http(call_, request, std::move(handler), id);
    }

    //! Run state at `pointer` as JSON text (ah.context/1); the status says why not when it fails.
    ah_status read_state(const char* pointer, std::string& json) const {
        const auto* context = host_.extension<ah_context_v1>(AH_EXT_CONTEXT_V1);
        if (context == nullptr) return AH_ERR_PERMISSION_DENIED;
        json.clear();
        return context->read(host_.raw(), call_, pointer, &append_to, &json);
    }

    //! Set run state at `pointer` (ah.context/1), applied when this call succeeds.
    ah_status write_state(const char* pointer, std::string_view json) const noexcept {
        const auto* context = host_.extension<ah_context_v1>(AH_EXT_CONTEXT_V1);
        if (context == nullptr) return AH_ERR_PERMISSION_DENIED;
        return context->write(host_.raw(), call_, pointer, json.data(), json.size());
    }

private:
    static void append_to(void* user, const char* json, std::size_t size) noexcept {
        try {
            static_cast<std::string*>(user)->append(json, size);
        } catch (...) {
            // Out of memory: the caller sees a truncated (unparseable) document.
        }
    }
    static std::string_view text(const char* s) noexcept { return s ? std::string_view(s) : std::string_view(); }
    HostApi host_;
    ah_call* call_;
    const ah_invoke_args* args_;
};

//! The right to complete one call, exactly once. Move it out of
//! invoke_async to complete later from any thread; if it is destroyed
//! unused, the call fails with AH_ERR_INTERNAL so that it never hangs.
class Completion {
public:
    Completion(const ah_host* host, ah_call* call) noexcept : host_(host), call_(call) {}
    Completion(Completion&& other) noexcept : host_(other.host_), call_(std::exchange(other.call_, nullptr)) {
        other.moved_ = true;
    }
    Completion& operator=(Completion&& other) noexcept {
        if (this != &other) {
            abandon();
            host_ = other.host_;
            call_ = std::exchange(other.call_, nullptr);
            other.moved_ = true;
        }
        return *this;
    }
    Completion(const Completion&) = delete;
    Completion& operator=(const Completion&) = delete;
    ~Completion() { abandon(); }

    void succeed(std::string_view output_json) noexcept {
        finish(AH_OK, output_json, nullptr);
    }
    void fail(ah_status status, const char* message) noexcept {
        finish(status < 0 ? status : AH_ERR_FAILED, {}, message);
    }
    void fail(ah_status status, const std::string& message) noexcept { fail(status, message.c_str()); }
    //! Still holds the call: not completed and not moved from.
    bool pending() const noexcept { return call_ != nullptr; }
    //! Handed over to someone who completes it later.
    bool moved() const noexcept { return moved_; }

private:
    void finish(ah_status status, std::string_view output, const char* message) noexcept {
        if (ah_call* call = std::exchange(call_, nullptr)) {
            host_->complete(call, status, output.data(), output.size(), message);
        }
    }
    void abandon() noexcept { finish(AH_ERR_INTERNAL, {}, "the agent dropped the call without completing it"); }

    const ah_host* host_;
    ah_call* call_;
    bool moved_ = false;
};

//! Base class of every agent. Override invoke (synchronous) or
//! invoke_async (complete later through the Completion).
class Agent {
public:
    virtual ~Agent() = default;

    //! Return the output JSON, valid against output_schema; throw to fail.
    virtual std::string invoke(Context& /*ctx*/, const Input& /*input*/) {
        throw Failure(AH_ERR_UNSUPPORTED, "this agent implements neither invoke nor invoke_async");
    }

    //! Asynchronous agents override this and move `done` somewhere that
    //! completes it later. The default runs invoke inline.
    virtual void invoke_async(Context& ctx, const Input& input, Completion& done) {
        std::string output = invoke(ctx, input);
        done.succeed(output);
    }

    //! A pending call should stop; complete it soon with AH_ERR_CANCELLED.
    virtual void cancel(ah_call* /*call*/) {}
};

namespace detail {

inline void write_error(ah_error* error, const char* message) noexcept {
    if (error == nullptr || error->message == nullptr || error->capacity == 0) return;
    std::size_t n = std::strlen(message);
    if (n >= error->capacity) n = error->capacity - 1;
    std::memcpy(error->message, message, n);
    error->message[n] = '\0';
}

// What a plugin instance is on the C side: the agent and its host table.
struct Instance {
    const ah_host* host;
    Agent* agent;
};

template <class T>
ah_status create(const ah_host* host, const char* config_json, std::size_t config_size, void** out_instance,
                 ah_error* error) noexcept {
    try {
        auto agent = std::make_unique<T>(HostApi(host), std::string_view(config_json, config_size));
        *out_instance = new Instance{host, agent.get()};
        agent.release();
        return AH_OK;
    } catch (const Failure& f) {
        write_error(error, f.what());
        return f.status() < 0 ? f.status() : AH_ERR_FAILED;
    } catch (const std::exception& e) {
        write_error(error, e.what());
        return AH_ERR_INVALID_ARGUMENT;
    } catch (...) {
        write_error(error, "unknown exception in create");
        return AH_ERR_INTERNAL;
    }
}

// Formats "prefix: what" into a fixed buffer: building a std::string here
// could throw bad_alloc inside a noexcept boundary function.
struct Message {
    char text[512];
    Message(const char* prefix, const char* what) noexcept {
        std::snprintf(text, sizeof text, "%s%s%s", prefix, *prefix && *what ? ": " : "", what);
    }
};

inline ah_status invoke(void* instance, ah_call* call, const ah_invoke_args* args) noexcept {
    auto* self = static_cast<Instance*>(instance);
    Completion done(self->host, call);
    try {
        HostApi host(self->host);
        Context ctx(host, call, args);
        Input input{std::string_view(args->input_json, args->input_size)};
        self->agent->invoke_async(ctx, input, done);
    } catch (const Failure& f) {
        if (done.pending()) done.fail(f.status(), Message("", f.what()).text);
    } catch (const std::exception& e) {
        if (done.pending()) done.fail(AH_ERR_INTERNAL, Message("unhandled exception", e.what()).text);
    } catch (...) {
        if (done.pending()) done.fail(AH_ERR_INTERNAL, "unhandled non-standard exception");
    }
    // A call that was neither completed nor handed over is failed by ~Completion.
    return done.moved() ? AH_PENDING : AH_OK;
}

inline void cancel(void* instance, ah_call* call) noexcept {
    try {
        static_cast<Instance*>(instance)->agent->cancel(call);
    } catch (...) {
        // cancel is advisory; the call still completes through its Completion.
    }
}

inline void destroy(void* instance) noexcept {
    auto* self = static_cast<Instance*>(instance);
    delete self->agent;  // destructors are noexcept: one that throws terminates, as anywhere in C++
    delete self;
}

template <class T>
const ah_plugin_entry* entry(const char* manifest_json, uint64_t flags) noexcept {
    static const ah_plugin_entry e = {
        sizeof(ah_plugin_entry), AH_ABI_MAJOR, AH_ABI_MINOR, 0u, manifest_json,
        &create<T>, &invoke, &cancel, &destroy, flags,
    };
    return &e;
}

}  // namespace detail
}  // namespace agenthost

//! Export `AgentClass` as this library's plugin. Use once per library.
#define AGENTHOST_PLUGIN(AgentClass, manifest_json) AGENTHOST_PLUGIN_WITH_FLAGS(AgentClass, manifest_json, 0u)

//! As AGENTHOST_PLUGIN, with AH_PLUGIN_* flags (e.g. AH_PLUGIN_CONCURRENT_INVOKE).
#define AGENTHOST_PLUGIN_WITH_FLAGS(AgentClass, manifest_json, flags)                  \
    extern "C" AH_EXPORT const ah_plugin_entry* ah_plugin_entry_v1(void) {             \
        return ::agenthost::detail::entry<AgentClass>(manifest_json, (flags));         \
    }

#endif  // AGENTHOST_SDK_HPP
