// http_service.cpp: the event loop behind "ah.http/1": one libcurl multi
// handle driven through its socket API (CURLMOPT_SOCKETFUNCTION,
// CURLMOPT_TIMERFUNCTION, curl_multi_socket_action) on a Boost.Asio
// io_context that one thread runs. Readiness of each of curl's sockets is a
// posix::stream_descriptor::async_wait; curl's timer is a steady_timer. The
// cost of a wake-up is the sockets that are ready, not the transfers in
// flight, so ten thousand transfers cost one thread and a few syscalls each.
//
// Everything inside Impl that is not marked [any-thread] belongs to the loop
// thread. Callers reach it only through asio::post; results leave it only
// through the dispatch function (the engine's pool), which also writes the
// span and the log line, so that the loop never waits on anything but sockets.
#include "http_transfer.hpp"

#include <agenthost/host/http_service.hpp>

#include <agenthost/host/call_context.hpp>
#include <agenthost/host/response_cache.hpp>
#include <agenthost/host/tracer.hpp>
#include <agenthost/registry/agent_instance.hpp>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <curl/curl.h>
#include <poll.h>

#include <atomic>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <unordered_map>
#include <vector>

namespace agenthost {

namespace asio = boost::asio;

namespace {

// libcurl's process-wide set-up must run once, before the first handle, and
// curl_global_init is not thread-safe in 7.88. A function-local static is the
// one initialisation that C++ runs exactly once across threads, which is why
// this is the one static object of the host: it holds no state of ours, only
// the fact that libcurl is ready, and it tears libcurl down at exit.
class CurlGlobal {
public:
    CurlGlobal() noexcept : code_(curl_global_init(CURL_GLOBAL_DEFAULT)) {}
    ~CurlGlobal() {
        if (code_ == CURLE_OK) curl_global_cleanup();
    }
    CurlGlobal(const CurlGlobal&) = delete;
    CurlGlobal& operator=(const CurlGlobal&) = delete;
    CURLcode code() const noexcept { return code_; }

private:
    CURLcode code_;
};

const CurlGlobal& curl_global() noexcept {
    static const CurlGlobal global;
    return global;
}

struct MultiDeleter {
    void operator()(CURLM* multi) const noexcept { curl_multi_cleanup(multi); }
};

// Read events handled back to back on one socket before its next wait: a
// guard for data curl left unread, which an edge-triggered wait would not
// report again.
constexpr unsigned max_read_kicks = 8;

// CURLMOPT_MAX_CONCURRENT_STREAMS: no lower than what servers advertise (see
// where it is set). nghttp2's default is unlimited; 2^31-1 is libcurl's maximum.
constexpr long max_concurrent_streams = 2147483647L;

// A result as the callback receives it: a live answer, a cached one, or none.
struct Outcome {
    ah_status status = AH_ERR_FAILED;
    std::shared_ptr<const CachedResponse> response;  // null: no response arrived
    bool from_cache = false;
    std::string error;
};

// A finished request on its way to the pool: the Transfer (its request,
// origin, callback and easy handle, freed on the pool, not on the loop) and
// what happened to it.
struct Delivery {
    std::unique_ptr<Transfer> transfer;
    Outcome outcome;
    bool consult_cache = true;  // false: the outcome came from the cache already
};

// One of curl's sockets. The descriptor never owns the fd (curl does): it is
// released, never closed, when curl says it is done with the socket.
struct Watch {
    Watch(asio::io_context& io, curl_socket_t socket) : descriptor(io), fd(socket) {}
    ~Watch() {
        if (descriptor.is_open()) (void)descriptor.release();
    }
    Watch(const Watch&) = delete;
    Watch& operator=(const Watch&) = delete;

    asio::posix::stream_descriptor descriptor;
    curl_socket_t fd;
    int wanted = 0;  // CURL_POLL_IN / OUT / INOUT
    bool reading = false;
    bool writing = false;
    bool closed = false;
    unsigned kicks = 0;
};

// Whether a failed or refused live request may be answered from the cache.
bool failed_for_cache(const Outcome& outcome) {
    if (outcome.status == AH_ERR_CANCELLED) return false;  // the caller asked to stop
    if (outcome.status != AH_OK) return true;
    const int32_t code = outcome.response ? outcome.response->http_status : 0;
    return code == 429 || code >= 500;
}

std::string describe_failure(const Outcome& outcome) {
    if (outcome.status != AH_OK) return status_name(outcome.status) + ": " + outcome.error;
    return "HTTP " + std::to_string(outcome.response ? outcome.response->http_status : 0);
}

std::string span_name(const std::string& method, const std::string& url) {
    // "POST 127.0.0.1:8080/v1/chat/completions": the loggable URL without its scheme.
    const std::size_t scheme = url.find("://");
    return method + " " + (scheme == std::string::npos ? url : url.substr(scheme + 3));
}

}  // namespace

struct HttpService::Impl {
    explicit Impl(HttpServiceOptions o);
    ~Impl();

    HttpServiceOptions options;
    IdSource ids;
    std::atomic<uint64_t> next_id{1};
    //! Shared with callbacks on the pool, which may outlive a stopped loop.
    std::shared_ptr<std::atomic<std::size_t>> in_flight = std::make_shared<std::atomic<std::size_t>>(0);

    asio::io_context io{1};
    asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
    asio::steady_timer timer{io};
    // curl's timer: the deadline it last asked for (none: no timeout), and the
    // one the asio timer waits for. The timer only moves when curl's deadline
    // comes before it; one that fires early finds nothing due and waits again.
    std::optional<std::chrono::steady_clock::time_point> curl_deadline;
    std::optional<std::chrono::steady_clock::time_point> timer_deadline;
    uint64_t timer_generation = 0;  // tells a superseded wait from the current one
    bool timeout_posted = false;    // a "time out now" is already queued on the loop
    std::unordered_map<curl_socket_t, std::shared_ptr<Watch>> watches;
    std::unordered_map<uint64_t, std::unique_ptr<Transfer>> transfers;
    std::unique_ptr<CURLM, MultiDeleter> multi;  // after what its callbacks touch: destroyed first

    std::mutex stop_mutex;  // orders posts to the loop against stop(); guards what follows
    bool stopped = false;
    //! Transfers handed over and not yet begun: one post carries a batch of them.
    std::vector<std::unique_ptr<Transfer>> incoming;
    bool drain_posted = false;  // a drain() is queued and has not yet taken `incoming`
    std::thread thread;
    std::thread::id loop_id;

    // [any-thread]
    void start(uint64_t id, std::shared_ptr<std::atomic<bool>> cancelled, OutgoingHttpRequest request,
               HttpOrigin origin, HttpCallback done);
    void cancel(uint64_t id, const void* owner);
    void stop();
    void dispatch(Delivery delivery);
    void finish(std::unique_ptr<Transfer> transfer, Outcome outcome);

    // loop thread
    void drain();
    void begin(std::unique_ptr<Transfer> transfer);
    void abort(uint64_t id, const std::string& why);
    void shut_down();
    void on_socket(curl_socket_t socket, int what);
    void on_timer(long timeout_ms);
    void wait_until(std::chrono::steady_clock::time_point deadline);
    void time_out();
    void arm(const std::shared_ptr<Watch>& watch);
    void ready(const std::shared_ptr<Watch>& watch, int select);
    void act(curl_socket_t socket, int select);
    void collect();
};

HttpService::Impl::Impl(HttpServiceOptions o) : options(std::move(o)) {
    if (!options.dispatch) throw std::invalid_argument("HttpService needs a dispatch function");
    if (curl_global().code() != CURLE_OK) {
        throw std::runtime_error(std::string("libcurl cannot start: ") + curl_easy_strerror(curl_global().code()));
    }
    multi.reset(curl_multi_init());
    if (!multi) throw std::runtime_error("libcurl cannot make a multi handle");
    CURLM* m = multi.get();
    curl_multi_setopt(m, CURLMOPT_SOCKETFUNCTION,
                      +[](CURL*, curl_socket_t socket, int what, void* self, void*) -> int {
                          try {
                              static_cast<Impl*>(self)->on_socket(socket, what);
                              return 0;
                          } catch (...) {
                              return -1;  // curl fails the transfers on this socket rather than lose them
                          }
                      });
    curl_multi_setopt(m, CURLMOPT_SOCKETDATA, this);
    curl_multi_setopt(m, CURLMOPT_TIMERFUNCTION, +[](CURLM*, long timeout_ms, void* self) -> int {
        try {
            static_cast<Impl*>(self)->on_timer(timeout_ms);
            return 0;
        } catch (...) {
            return -1;
        }
    });
    curl_multi_setopt(m, CURLMOPT_TIMERDATA, this);
    curl_multi_setopt(m, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
    // Streams per HTTP/2 connection (libcurl's default is 100): as many as
    // the server allows, since its SETTINGS_MAX_CONCURRENT_STREAMS bounds
    // this anyway. Not lower: libcurl 7.88 opens another connection only when
    // the others are full, and it decides whether a connection can multiplex
    // per host, not per connection, so while a new cleartext connection waits
    // for the 101 to its "Upgrade: h2c" it sends further transfers down it as
    // HTTP/1.1 requests; the server, expecting the HTTP/2 preface there,
    // closes the connection and every stream on it fails ("HTTP/2 stream N
    // was not closed cleanly"). Thousands of calls to one provider then share
    // one connection instead of opening one more per thousand.
    curl_multi_setopt(m, CURLMOPT_MAX_CONCURRENT_STREAMS, max_concurrent_streams);
    // The connection cache must hold every connection that concurrent
    // transfers opened, or keep-alive connections close between steps.
    curl_multi_setopt(m, CURLMOPT_MAXCONNECTS, options.max_connections);
    curl_multi_setopt(m, CURLMOPT_MAX_TOTAL_CONNECTIONS, options.max_connections);

    thread = std::thread([this] {
        for (;;) {
            try {
                io.run();
                return;
            } catch (const std::exception& e) {
                if (options.logger) options.logger->log(LogLevel::error, std::string("ah.http/1 loop: ") + e.what());
            } catch (...) {
                if (options.logger) options.logger->log(LogLevel::error, "ah.http/1 loop: unknown exception");
            }
        }
    });
    loop_id = thread.get_id();
}

HttpService::Impl::~Impl() { stop(); }

// ------------------------------------------------------------- any thread

void HttpService::Impl::start(uint64_t id, std::shared_ptr<std::atomic<bool>> cancelled, OutgoingHttpRequest request,
                              HttpOrigin origin, HttpCallback done) {
    auto transfer = std::make_unique<Transfer>();
    transfer->id = id;
    transfer->cancelled = std::move(cancelled);
    transfer->started = std::chrono::system_clock::now();
    if (options.tracer != nullptr && !origin.trace_id.empty()) transfer->span_id = ids.span_id();
    transfer->max_body = options.max_response_bytes;
    transfer->request = std::move(request);
    transfer->origin = std::move(origin);
    transfer->done = std::move(done);
    in_flight->fetch_add(1);

    // Hashing happens here, on the caller's thread, not on the loop.
    const OutgoingHttpRequest& r = transfer->request;
    ResponseCache* cache = transfer->origin.cache.get();
    if (r.cacheable && cache != nullptr) {
        transfer->cache_key = ResponseCache::key(r.method, r.url, r.body);
        if (cache->serve() == ResponseCacheConfig::Serve::always && !r.refresh) {
            if (auto hit = cache->lookup(transfer->cache_key)) {
                return dispatch(Delivery{std::move(transfer), Outcome{AH_OK, std::move(hit), true, {}}, false});
            }
        }
    }
    // So is the easy handle: the loop thread only adds it to the multi handle.
    if (!configure_transfer(*transfer)) {
        return finish(std::move(transfer),
                      Outcome{AH_ERR_FAILED, nullptr, false, "libcurl refused the request's options"});
    }
    {
        std::lock_guard lock(stop_mutex);
        if (!stopped) {
            incoming.push_back(std::move(transfer));
            if (!drain_posted) {
                drain_posted = true;
                asio::post(io, [this] { drain(); });
            }
            return;
        }
    }
    finish(std::move(transfer), Outcome{AH_ERR_CANCELLED, nullptr, false, "the host is shutting down"});
}

void HttpService::Impl::cancel(uint64_t id, const void* owner) {
    std::lock_guard lock(stop_mutex);
    if (stopped) return;  // stop() has aborted everything
    asio::post(io, [this, id, owner] {
        if (owner != nullptr) {
            auto it = transfers.find(id);
            if (it == transfers.end() || it->second->origin.owner != owner) return;  // not the caller's
        }
        abort(id, "the request was cancelled");
    });
}

void HttpService::Impl::stop() {
    {
        std::lock_guard lock(stop_mutex);
        if (stopped) return;
        stopped = true;
        // Behind every begin() already posted: those transfers exist when this runs.
        asio::post(io, [this] { shut_down(); });
    }
    if (thread.joinable()) thread.join();
}

// Any thread: on the caller's for a transfer that never reached the loop, else on the loop.
void HttpService::Impl::finish(std::unique_ptr<Transfer> t, Outcome outcome) {
    dispatch(Delivery{std::move(t), std::move(outcome), true});
}

// Everything but the hand-over runs on the pool: the cache, the loggable URL,
// the span, the log line, the callback, and freeing the easy handle.
void HttpService::Impl::dispatch(Delivery delivery) {
    Tracer* tracer = options.tracer;
    const Logger* logger = options.logger;
    auto counter = in_flight;
    // Shared: std::function must be copyable, and a Transfer cannot be copied.
    auto run = [tracer, logger, counter, d = std::make_shared<Delivery>(std::move(delivery))]() {
        Transfer& t = *d->transfer;
        Outcome& o = d->outcome;
        std::string stand_in_for;  // why the live request failed, when a cached answer stands in
        ResponseCache* cache = t.origin.cache.get();
        if (d->consult_cache && cache != nullptr && !t.cache_key.empty()) {
            try {
                if (o.status == AH_OK && !failed_for_cache(o)) {
                    cache->store(t.cache_key, o.response);
                } else if (cache->serve() == ResponseCacheConfig::Serve::on_failure && failed_for_cache(o)) {
                    if (auto cached = cache->lookup(t.cache_key)) {
                        stand_in_for = describe_failure(o);
                        o = Outcome{AH_OK, std::move(cached), true, {}};
                    }
                }
            } catch (...) {
                // A cache that cannot store or answer leaves the live outcome as it is.
            }
        }
        const std::string& method = t.request.method;
        std::string url;
        try {
            url = loggable_url(t.request.url);
        } catch (...) {
            // Only the log line and the span lose their URL.
        }
        const LogTags tags{t.origin.trace_id, t.origin.agent, t.origin.step};
        if (!stand_in_for.empty() && logger != nullptr) {
            logger->log(LogLevel::info,
                        "ah.http/1: " + method + " " + url + " failed (" + stand_in_for +
                            "); the response cache answers instead",
                        tags);
        }
        if (tracer != nullptr && !t.span_id.empty()) {
            try {
                Span span{t.origin.trace_id, t.span_id, t.origin.parent_span, span_name(method, url), "http",
                          t.started, std::chrono::system_clock::now(), o.status == AH_OK, {}};
                span.attributes["method"] = method;
                span.attributes["url"] = url;
                span.attributes["http_status"] = o.response ? o.response->http_status : 0;
                span.attributes["request_bytes"] = t.request.body.size();
                span.attributes["response_bytes"] = o.response ? o.response->body.size() : 0;
                span.attributes["from_cache"] = o.from_cache;
                if (!t.origin.agent.empty()) span.attributes["agent"] = t.origin.agent;
                if (o.status != AH_OK) span.attributes["error"] = status_name(o.status) + ": " + o.error;
                tracer->emit(span);
            } catch (...) {
                // A span that cannot be written must not cost the plugin its answer.
            }
        }
        std::vector<ah_http_header> headers;
        if (o.response) {
            headers.reserve(o.response->headers.size());
            for (const auto& [name, value] : o.response->headers) headers.push_back({name.c_str(), value.c_str()});
        }
        const ah_http_response response{sizeof(ah_http_response),
                                        o.status,
                                        o.response ? o.response->http_status : 0,
                                        o.from_cache ? 1u : 0u,
                                        headers.empty() ? nullptr : headers.data(),
                                        headers.size(),
                                        o.response ? o.response->body.data() : nullptr,
                                        o.response ? o.response->body.size() : 0,
                                        o.status == AH_OK ? nullptr : o.error.c_str()};
        try {
            t.done(response);
        } catch (...) {
            // The callback is the plugin's; nothing it throws may take the worker down.
        }
        counter->fetch_sub(1);
    };
    try {
        options.dispatch(run);  // a copy: `run` shares its Delivery, and stays here in case this fails
    } catch (...) {
        // The pool could not take it (out of memory): every request's callback
        // runs exactly once, so it runs here, on this thread, instead.
        run();
    }
}

// --------------------------------------------------------------- loop thread

void HttpService::Impl::drain() {
    std::vector<std::unique_ptr<Transfer>> batch;
    {
        std::lock_guard lock(stop_mutex);
        batch.swap(incoming);
        drain_posted = false;
    }
    for (auto& t : batch) begin(std::move(t));
}

void HttpService::Impl::begin(std::unique_ptr<Transfer> t) {
    if (!multi) {
        return finish(std::move(t), Outcome{AH_ERR_CANCELLED, nullptr, false, "the host is shutting down"});
    }
    if (t->cancelled && t->cancelled->load()) {
        return finish(std::move(t), Outcome{AH_ERR_CANCELLED, nullptr, false, "the request was cancelled"});
    }
    CURL* easy = t->easy.get();
    const uint64_t id = t->id;
    transfers.emplace(id, std::move(t));
    if (const CURLMcode code = curl_multi_add_handle(multi.get(), easy); code != CURLM_OK) {
        auto node = transfers.extract(id);
        finish(std::move(node.mapped()), Outcome{AH_ERR_FAILED, nullptr, false, curl_multi_strerror(code)});
    }
}

void HttpService::Impl::abort(uint64_t id, const std::string& why) {
    auto node = transfers.extract(id);
    if (node.empty()) return;  // finished already, or never ours
    curl_multi_remove_handle(multi.get(), node.mapped()->easy.get());
    finish(std::move(node.mapped()), Outcome{AH_ERR_CANCELLED, nullptr, false, why});
}

void HttpService::Impl::shut_down() {
    drain();  // stop() posted this behind the last drain; this finds nothing, but costs nothing
    while (!transfers.empty()) abort(transfers.begin()->first, "the host is shutting down");
    multi.reset();  // closes the cached connections; curl's last socket callbacks arrive here
    for (auto& [fd, watch] : watches) {
        watch->closed = true;
        if (watch->descriptor.is_open()) (void)watch->descriptor.release();  // cancels its waits
    }
    watches.clear();
    timer.cancel();
    ++timer_generation;
    work.reset();  // io.run() returns once the cancelled waits have run
}

void HttpService::Impl::on_socket(curl_socket_t socket, int what) {
    if (what == CURL_POLL_REMOVE) {
        auto it = watches.find(socket);
        if (it == watches.end()) return;
        it->second->closed = true;
        if (it->second->descriptor.is_open()) (void)it->second->descriptor.release();
        watches.erase(it);
        return;
    }
    std::shared_ptr<Watch>& slot = watches[socket];
    if (!slot) {
        auto watch = std::make_shared<Watch>(io, socket);
        boost::system::error_code ec;
        watch->descriptor.assign(socket, ec);
        if (ec) {
            watches.erase(socket);
            throw boost::system::system_error(ec, "cannot watch a socket");
        }
        slot = std::move(watch);
    }
    slot->wanted = what;
    arm(slot);
}

void HttpService::Impl::arm(const std::shared_ptr<Watch>& watch) {
    if (watch->closed) return;
    if ((watch->wanted & CURL_POLL_IN) && !watch->reading) {
        watch->reading = true;
        watch->descriptor.async_wait(asio::posix::stream_descriptor::wait_read,
                                     [this, watch](const boost::system::error_code& ec) {
                                         watch->reading = false;
                                         watch->kicks = 0;
                                         if (!ec) ready(watch, CURL_CSELECT_IN);
                                     });
    }
    if ((watch->wanted & CURL_POLL_OUT) && !watch->writing) {
        watch->writing = true;
        watch->descriptor.async_wait(asio::posix::stream_descriptor::wait_write,
                                     [this, watch](const boost::system::error_code& ec) {
                                         watch->writing = false;
                                         if (!ec) ready(watch, CURL_CSELECT_OUT);
                                     });
    }
}

void HttpService::Impl::ready(const std::shared_ptr<Watch>& watch, int select) {
    if (watch->closed) return;
    const int wanted_bit = select == CURL_CSELECT_IN ? CURL_POLL_IN : CURL_POLL_OUT;
    if (!(watch->wanted & wanted_bit)) return arm(watch);  // curl lost interest meanwhile
    act(watch->fd, select);
    if (watch->closed) return;
    if (select == CURL_CSELECT_IN && (watch->wanted & CURL_POLL_IN) && !watch->reading &&
        watch->kicks < max_read_kicks) {
        // asio waits are edge-triggered: bytes curl left in the socket would
        // never be reported again. Look once more before waiting.
        pollfd probe{watch->fd, POLLIN, 0};
        if (::poll(&probe, 1, 0) > 0 && (probe.revents & POLLIN) != 0) {
            ++watch->kicks;
            watch->reading = true;
            asio::post(io, [this, watch] {
                watch->reading = false;
                ready(watch, CURL_CSELECT_IN);
            });
        }
    }
    arm(watch);  // curl only calls back when its interest changes: keep watching
}

// Never act from inside curl's callback: whatever it asks for runs on the loop, after it returns.
void HttpService::Impl::on_timer(long timeout_ms) {
    if (timeout_ms < 0) {
        // A wait still pending fires for nothing, which costs less than cancelling it.
        curl_deadline.reset();
        return;
    }
    const auto now = std::chrono::steady_clock::now();
    curl_deadline = now + std::chrono::milliseconds(timeout_ms);
    if (timeout_ms == 0) {
        // Every added handle asks for this: one queued job answers them all.
        if (!timeout_posted) {
            timeout_posted = true;
            asio::post(io, [this] {
                timeout_posted = false;
                time_out();
            });
        }
        return;
    }
    if (!timer_deadline || *curl_deadline < *timer_deadline) wait_until(*curl_deadline);
}

void HttpService::Impl::wait_until(std::chrono::steady_clock::time_point deadline) {
    timer_deadline = deadline;
    const uint64_t generation = ++timer_generation;
    timer.expires_at(deadline);
    timer.async_wait([this, generation](const boost::system::error_code& ec) {
        if (ec || generation != timer_generation) return;  // cancelled, or superseded by an earlier deadline
        timer_deadline.reset();
        time_out();
    });
}

void HttpService::Impl::time_out() {
    act(CURL_SOCKET_TIMEOUT, 0);
    // curl calls back only when its earliest deadline changes. A wait that
    // fired before that deadline (curl rounds its milliseconds down; or an
    // earlier deadline has since gone) waits again for it, or curl's timer
    // would be lost.
    if (multi && curl_deadline && !timer_deadline && !timeout_posted) {
        wait_until(std::max(*curl_deadline, std::chrono::steady_clock::now() + std::chrono::milliseconds(1)));
    }
}

void HttpService::Impl::act(curl_socket_t socket, int select) {
    if (!multi) return;
    int running = 0;
    curl_multi_socket_action(multi.get(), socket, select, &running);
    collect();
}

void HttpService::Impl::collect() {
    // Every finished transfer is read off the message queue before any is
    // removed: curl_multi_remove_handle walks the messages still queued, so
    // removing as they are read costs the square of a burst of answers.
    struct Done {
        CURL* easy;
        CURLcode code;
    };
    std::vector<Done> done;
    int left = 0;
    while (CURLMsg* message = curl_multi_info_read(multi.get(), &left)) {
        if (message->msg == CURLMSG_DONE) done.push_back({message->easy_handle, message->data.result});
    }
    for (const auto& [easy, code] : done) {
        char* data = nullptr;
        curl_easy_getinfo(easy, CURLINFO_PRIVATE, &data);
        auto node = transfers.extract(reinterpret_cast<Transfer*>(data)->id);
        curl_multi_remove_handle(multi.get(), easy);
        if (node.empty()) continue;
        std::unique_ptr<Transfer> t = std::move(node.mapped());
        Outcome outcome;
        if (code == CURLE_OK) {
            long http_status = 0;
            curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &http_status);
            t->response->http_status = static_cast<int32_t>(http_status);
            outcome = Outcome{AH_OK, t->response, false, {}};
        } else if (t->too_large || code == CURLE_FILESIZE_EXCEEDED) {
            outcome = Outcome{AH_ERR_FAILED, nullptr, false,
                              "the response body is larger than the limit of " + std::to_string(t->max_body) +
                                  " bytes"};
        } else {
            outcome = Outcome{status_of(code), nullptr, false,
                              t->error[0] != '\0' ? std::string(t->error.data()) : curl_easy_strerror(code)};
        }
        finish(std::move(t), std::move(outcome));
    }
}

// ------------------------------------------------------------- HttpService

HttpService::HttpService(HttpServiceOptions options) : impl_(std::make_shared<Impl>(std::move(options))) {}

HttpService::~HttpService() { impl_->stop(); }

uint64_t HttpService::start(OutgoingHttpRequest request, HttpOrigin origin, HttpCallback done) {
    const uint64_t id = impl_->next_id.fetch_add(1);
    impl_->start(id, nullptr, std::move(request), std::move(origin), std::move(done));
    return id;
}

void HttpService::cancel(uint64_t id, const void* owner) { impl_->cancel(id, owner); }

void HttpService::stop() { impl_->stop(); }

std::size_t HttpService::in_flight() const noexcept { return impl_->in_flight->load(); }

std::thread::id HttpService::loop_thread() const noexcept { return impl_->loop_id; }

ah_status HttpService::send(const AgentInstance& instance, const ah_call* call, const ah_http_request* request,
                            ah_http_callback callback, void* user, uint64_t* out_id) noexcept {
    try {
        const CallRequest* on_behalf = AgentInstance::request_of(call);
        if (on_behalf == nullptr || callback == nullptr) return AH_ERR_INVALID_ARGUMENT;
        const LogTags tags{on_behalf->run_id, instance.name(), on_behalf->step};
        Result<OutgoingHttpRequest> parsed = read_http_request(request);
        if (!parsed) {
            if (impl_->options.logger) {
                impl_->options.logger->log(LogLevel::warning,
                                           "ah.http/1: agent " + instance.name() + " (" + instance.plugin().id() +
                                               ") sent a malformed request: " + parsed.error().message,
                                           tags);
            }
            return AH_ERR_INVALID_ARGUMENT;
        }
        OutgoingHttpRequest& r = parsed.value();
        if (!instance.permissions().allows_url(r.url)) {
            if (impl_->options.logger) {
                impl_->options.logger->log(LogLevel::warning,
                                           "ah.http/1: refused " + r.method + " " + loggable_url(r.url) +
                                               " for agent " + instance.name() + " (" + instance.plugin().id() +
                                               "): the URL is not within its granted network patterns",
                                           tags);
            }
            return AH_ERR_PERMISSION_DENIED;
        }
        const auto* context = static_cast<const CallContext*>(on_behalf->context);
        HttpOrigin origin{instance.name(),
                          instance.plugin().id(),
                          on_behalf->run_id,
                          context != nullptr ? std::string(context->parent_span_id()) : std::string(),
                          on_behalf->step,
                          context != nullptr ? context->response_cache() : nullptr,
                          &instance};
        // Tied to the call before it starts: once started, its answer may
        // complete the call (and free it) on another thread at any moment.
        const uint64_t id = impl_->next_id.fetch_add(1);
        auto cancelled = std::make_shared<std::atomic<bool>>(false);
        AgentInstance::on_cancel(call, [weak = std::weak_ptr<Impl>(impl_), id, cancelled] {
            cancelled->store(true);
            if (auto impl = weak.lock()) impl->cancel(id, nullptr);
        });
        if (out_id != nullptr) *out_id = id;
        // The callback is plugin code: the instance, and so its library, stays
        // loaded until the callback has returned, not only until it completes the call.
        impl_->start(id, std::move(cancelled), std::move(r), std::move(origin),
                     [callback, user, keep = instance.shared_from_this()](const ah_http_response& response) {
                         callback(user, &response);
                     });
        return AH_OK;
    } catch (...) {
        return AH_ERR_INTERNAL;
    }
}

}  // namespace agenthost
