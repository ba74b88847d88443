// http_service.hpp: the host's HTTP client behind "ah.http/1": one libcurl
// multi handle, driven through its socket API by one event-loop thread, for
// every request of every plugin instance of a Host.
//
// Threads: send() and start() run on the caller's thread (a plugin's or the
// engine's), copy the request, and hand it to the loop thread. The loop thread
// only does I/O; every callback runs through `dispatch` (the engine's worker
// pool), never on the loop thread and never inside send() or start().
//
// Network behaviour: TLS peers are always verified; HTTP/2 is negotiated over
// TLS (ALPN) and HTTP/1.1 spoken in clear; connections are kept alive and
// reused across requests and calls; redirects are not followed (a Location
// could leave the granted URL patterns: the plugin sees the 3xx instead);
// only http and https are spoken. Proxies come from the environment
// (http_proxy, https_proxy, no_proxy, all_proxy), which libcurl reads itself:
// nothing here sets or overrides a proxy.
#pragma once

#include <agenthost/host/logging.hpp>
#include <agenthost/registry/result.hpp>
#include <agenthost/sdk.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace agenthost {

class AgentInstance;
class ResponseCache;
class Tracer;

//! A request as the host keeps it, copied out of the plugin's ah_http_request.
struct OutgoingHttpRequest {
    std::string method;  //!< upper case
    std::string url;     //!< absolute http(s) URL, as libcurl normalises it
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    std::chrono::milliseconds timeout{0};  //!< the whole transfer; 0: no limit of its own
    bool cacheable = false;                //!< AH_HTTP_CACHEABLE
    bool refresh = false;                  //!< AH_HTTP_REFRESH: not answered from the cache, but stored
    bool http2_cleartext = false;          //!< AH_HTTP_HTTP2_CLEARTEXT
};

//! Reads and checks a plugin's request: struct_size, reserved and flags, the
//! method, an absolute http(s) URL without credentials, header names and
//! values that cannot smuggle a header in. The Error says what is wrong.
Result<OutgoingHttpRequest> read_http_request(const ah_http_request* request);

//! `url` as scheme://host[:port]/path, without credentials, query or fragment:
//! safe to log and to put in a span, because query strings carry keys.
std::string loggable_url(std::string_view url);

//! Who asks: for the span, the log and the cache.
struct HttpOrigin {
    std::string agent;        //!< the agent's name in config
    std::string plugin;       //!< name@version
    std::string trace_id;     //!< the run's trace id; empty outside a run (then no span)
    std::string parent_span;  //!< the attempt's span id; empty: no span
    std::string step;         //!< for log tags
    //! The workflow's response cache, when it has one; shared, because a
    //! transfer may outlive the run (and the workflow) that started it.
    std::shared_ptr<ResponseCache> cache;
    //! Who may cancel the request by id: the instance that sent it (its host table).
    const void* owner = nullptr;
};

//! Receives the outcome of one request; the response is borrowed for the call.
using HttpCallback = std::function<void(const ah_http_response&)>;

struct HttpServiceOptions {
    //! Runs a callback on a worker thread (the engine's pool). Required; it
    //! must keep accepting work until stop() has returned.
    std::function<void(std::function<void()>)> dispatch;
    Tracer* tracer = nullptr;         //!< an "http" span per request when set; must outlive the service
    const Logger* logger = nullptr;   //!< must outlive the service; none: no log
    //! A response body larger than this fails its request (AH_ERR_FAILED).
    std::size_t max_response_bytes = 16 * 1024 * 1024;
    //! Open connections kept and allowed at once. Large, so that thousands of
    //! concurrent transfers keep their connections alive between steps.
    long max_connections = 20000;
};

class HttpService {
public:
    //! Starts the loop thread. Throws std::runtime_error when libcurl cannot start.
    explicit HttpService(HttpServiceOptions options);
    //! stop(), then frees everything.
    ~HttpService();
    HttpService(const HttpService&) = delete;
    HttpService& operator=(const HttpService&) = delete;

    //! ah_http_v1.send for `instance`: checks the request and the URL against
    //! the instance's network permissions (a refusal is logged with the agent,
    //! the plugin and the URL without its query), ties the request to `call`
    //! so that cancelling the call aborts it, and starts it. AH_OK, or
    //! AH_ERR_INVALID_ARGUMENT / AH_ERR_PERMISSION_DENIED, and then `callback`
    //! is never called. Never throws.
    ah_status send(const AgentInstance& instance, const ah_call* call, const ah_http_request* request,
                   ah_http_callback callback, void* user, uint64_t* out_id) noexcept;

    //! Starts `request` without any permission check (send() has done it):
    //! from the cache when it may answer, else over the network. `done` runs
    //! exactly once, through dispatch. Returns the id for cancel().
    uint64_t start(OutgoingHttpRequest request, HttpOrigin origin, HttpCallback done);

    //! Aborts request `id`: its callback runs with AH_ERR_CANCELLED, unless it
    //! had already finished. Unknown and finished ids are ignored, and so is an
    //! id that `owner` (when given) did not send: one agent cannot stop
    //! another's requests. Any thread.
    void cancel(uint64_t id, const void* owner = nullptr);

    //! Aborts every request in flight (their callbacks run, with
    //! AH_ERR_CANCELLED) and joins the loop thread. Requests started later are
    //! answered AH_ERR_CANCELLED at once. Idempotent.
    void stop();

    //! Requests accepted whose callback has not yet returned.
    std::size_t in_flight() const noexcept;
    //! The loop thread, so that tests can tell that no callback runs on it.
    std::thread::id loop_thread() const noexcept;

    struct Impl;

private:
    std::shared_ptr<Impl> impl_;  //!< shared: cancel hooks on calls hold it weakly
};

}  // namespace agenthost
