// http_service_test.cpp: the ah.http/1 service against the mock LLM provider
// on 127.0.0.1: directly through HttpService (round trips, status mapping,
// cancel, shutdown, threads, the response cache), and through the
// fixture-http-fetch plugin in workflows (permissions, engine timeouts, spans,
// the cache as a workflow configures it).
#include "integration/engine_support.hpp"
#include "mock_provider/mock_provider.hpp"

#include <agenthost/host/http_service.hpp>
#include <agenthost/host/response_cache.hpp>

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

namespace {

namespace json = boost::json;
using namespace std::chrono_literals;
using agenthost::HttpOrigin;
using agenthost::HttpService;
using agenthost::HttpServiceOptions;
using agenthost::OutgoingHttpRequest;
using agenthost::ResponseCache;
using agenthost::ResponseCacheConfig;
using agenthost::testing::MockOptions;
using agenthost::testing::MockProvider;
using agenthost::testing::MockStats;

// Bounds how long a broken service can hold a test up; no test asserts on it.
constexpr auto stuck_after = 30s;

//! What a callback saw, copied out of the borrowed response.
struct Seen {
    ah_status status = AH_ERR_INTERNAL;
    int32_t http_status = 0;
    bool from_cache = false;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    std::string error;
    std::thread::id thread;

    const std::string* header(std::string_view name) const {
        for (const auto& h : headers)
            if (h.first == name) return &h.second;
        return nullptr;
    }
};

Seen copy(const ah_http_response& r) {
    Seen s;
    s.status = r.status;
    s.http_status = r.http_status;
    s.from_cache = r.from_cache != 0;
    for (std::size_t i = 0; i < r.header_count; ++i) s.headers.emplace_back(r.headers[i].name, r.headers[i].value);
    if (r.body != nullptr) s.body.assign(r.body, r.body_size);
    if (r.error != nullptr) s.error = r.error;
    s.thread = std::this_thread::get_id();
    return s;
}

//! An HttpService whose callbacks run on a pool of its own, as the engine's would.
struct Client {
    explicit Client(std::size_t max_response_bytes = 16 * 1024 * 1024) {
        HttpServiceOptions options;
        options.dispatch = [this](std::function<void()> work) { boost::asio::post(pool, std::move(work)); };
        options.max_response_bytes = max_response_bytes;
        http = std::make_unique<HttpService>(std::move(options));
    }
    ~Client() {
        http->stop();  // the last callbacks go to the pool...
        pool.join();   // ...which runs them before it stops
    }

    std::future<Seen> fetch(OutgoingHttpRequest request, HttpOrigin origin = {}, uint64_t* id = nullptr) {
        auto promise = std::make_shared<std::promise<Seen>>();
        auto future = promise->get_future();
        const uint64_t started = http->start(std::move(request), std::move(origin),
                                             [promise](const ah_http_response& r) { promise->set_value(copy(r)); });
        if (id != nullptr) *id = started;
        return future;
    }

    boost::asio::thread_pool pool{2};
    std::unique_ptr<HttpService> http;
};

Seen wait(std::future<Seen>& future) {
    BOOST_REQUIRE_MESSAGE(future.wait_for(stuck_after) == std::future_status::ready, "the callback never ran");
    return future.get();
}

std::string chat_body(std::string_view text) {
    return json::serialize(json::object{{"model", "mock-1"},
                                        {"messages", json::array{json::object{{"role", "user"}, {"content", text}}}}});
}

OutgoingHttpRequest chat(const MockProvider& mock, std::string_view text = "hello") {
    OutgoingHttpRequest r;
    r.method = "POST";
    r.url = mock.base_url() + "/v1/chat/completions";
    r.headers = {{"Authorization", "Bearer test-key"}, {"Content-Type", "application/json"}, {"X-Test", "yes"}};
    r.body = chat_body(text);
    return r;
}

bool wait_for(const MockProvider& mock, const std::function<bool(const MockStats&)>& done) {
    return mock.wait_for(done, std::chrono::duration_cast<std::chrono::milliseconds>(stuck_after));
}

std::size_t thread_count() {
    std::size_t n = 0;
    for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/task")) ++n;
    return n;
}

// ------------------------------------------------------------ plugin side

namespace engine_test = agenthost::engine_test;

//! The input of the http_fetch.json workflow: every field its steps read.
json::value fetch_input(std::string url, std::string_view which = "fetch", json::value body = nullptr,
                        bool cacheable = false, uint32_t timeout_ms = 0, bool cancel = false) {
    return json::object{{"case", which},        {"url", url},           {"method", ""},
                        {"body", body},         {"cacheable", cacheable}, {"timeout_ms", static_cast<int64_t>(timeout_ms)},
                        {"cancel", cancel}};
}

const json::object& output_of(const agenthost::RunResult& result, std::string_view key) {
    const json::value* v = result.state.if_contains(key);
    BOOST_REQUIRE_MESSAGE(v != nullptr && v->is_object(), "no output at " << key << ": " << engine_test::dump(result));
    return v->get_object();
}

//! Collects the log for one test.
struct LogCapture {
    std::ostringstream out;
    agenthost::Logging logging{agenthost::LoggingOptions{agenthost::LogLevel::info, agenthost::LogFormat::text, &out}};
    std::string text() const { return out.str(); }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(http_service)

// ------------------------------------------------------------- requests

BOOST_AUTO_TEST_CASE(post_round_trip_carries_headers_and_body) {
    MockProvider mock;
    Client client;
    auto future = client.fetch(chat(mock, "round trip"));
    const Seen seen = wait(future);
    BOOST_TEST(seen.status == AH_OK);
    BOOST_TEST(seen.http_status == 200);
    BOOST_TEST(!seen.from_cache);
    BOOST_TEST(seen.error.empty());
    BOOST_REQUIRE(seen.header("content-type") != nullptr);  // names arrive in lower case
    BOOST_TEST(seen.header("content-type")->find("application/json") == 0u);
    const json::value answer = json::parse(seen.body);
    BOOST_TEST(json::serialize(answer.at("choices").at(0).at("message").at("content")).find("round trip") !=
               std::string::npos);

    const auto recorded = mock.requests();
    BOOST_REQUIRE_EQUAL(recorded.size(), 1u);
    BOOST_TEST(recorded[0].method == "POST");
    BOOST_TEST(recorded[0].path == "/v1/chat/completions");
    BOOST_TEST(recorded[0].headers.at("x-test") == "yes");
    BOOST_TEST(recorded[0].headers.at("authorization") == "Bearer test-key");
    BOOST_TEST(recorded[0].headers.count("expect") == 0u);  // no 100-continue round trip
    BOOST_TEST(recorded[0].body == chat_body("round trip"));
}

BOOST_AUTO_TEST_CASE(get_round_trip_and_any_http_status_is_ok) {
    MockProvider mock;
    Client client;
    OutgoingHttpRequest stats;
    stats.method = "GET";
    stats.url = mock.base_url() + "/_mock/stats";
    auto ok = client.fetch(stats);
    const Seen got = wait(ok);
    BOOST_TEST(got.status == AH_OK);
    BOOST_TEST(got.http_status == 200);
    BOOST_TEST(json::parse(got.body).as_object().contains("requests"));

    OutgoingHttpRequest missing = stats;
    missing.url = mock.base_url() + "/no/such/endpoint";
    auto not_found = client.fetch(missing);
    const Seen absent = wait(not_found);
    BOOST_TEST(absent.status == AH_OK);  // a response arrived: the plugin judges its status
    BOOST_TEST(absent.http_status == 404);
}

BOOST_AUTO_TEST_CASE(callbacks_run_on_the_dispatch_pool_never_on_the_loop) {
    MockProvider mock;
    Client client;
    std::vector<std::future<Seen>> futures;
    for (int i = 0; i < 20; ++i) futures.push_back(client.fetch(chat(mock)));
    for (auto& f : futures) {
        const Seen seen = wait(f);
        BOOST_TEST(seen.status == AH_OK);
        BOOST_TEST((seen.thread != client.http->loop_thread()));
        BOOST_TEST((seen.thread != std::this_thread::get_id()));
    }
}

BOOST_AUTO_TEST_CASE(request_timeout_is_ah_err_timeout) {
    MockProvider mock;
    mock.script(json::array{json::object{{"kind", "slow"}, {"delay_ms", 5000}}});
    Client client;
    OutgoingHttpRequest r = chat(mock);
    r.timeout = 100ms;
    auto future = client.fetch(r);
    const Seen seen = wait(future);
    BOOST_TEST(seen.status == AH_ERR_TIMEOUT);
    BOOST_TEST(seen.http_status == 0);
    BOOST_TEST(!seen.error.empty());
}

BOOST_AUTO_TEST_CASE(dropped_connection_is_ah_err_unavailable) {
    MockProvider mock;
    mock.script(json::array{json::object{{"kind", "drop"}}});
    Client client;
    auto future = client.fetch(chat(mock));
    const Seen seen = wait(future);
    BOOST_TEST(seen.status == AH_ERR_UNAVAILABLE, "status " << seen.status << ": " << seen.error);
    BOOST_TEST(!seen.error.empty());
}

BOOST_AUTO_TEST_CASE(refused_connection_is_ah_err_unavailable) {
    unsigned short port = 0;
    {
        MockProvider gone;  // a port that was just free, and is again
        port = gone.port();
    }
    Client client;
    OutgoingHttpRequest r;
    r.method = "GET";
    r.url = "http://127.0.0.1:" + std::to_string(port) + "/";
    auto future = client.fetch(r);
    const Seen seen = wait(future);
    BOOST_TEST(seen.status == AH_ERR_UNAVAILABLE, "status " << seen.status << ": " << seen.error);
}

BOOST_AUTO_TEST_CASE(cancel_aborts_the_transfer_with_ah_err_cancelled) {
    MockProvider mock;
    mock.script(json::array{json::object{{"kind", "slow"}, {"delay_ms", 20000}}});
    Client client;
    uint64_t id = 0;
    auto future = client.fetch(chat(mock), {}, &id);
    BOOST_REQUIRE(wait_for(mock, [](const MockStats& s) { return s.in_flight == 1; }));
    client.http->cancel(id);
    const Seen seen = wait(future);
    BOOST_TEST(seen.status == AH_ERR_CANCELLED);
    // The connection really closed: the server saw its client go.
    BOOST_TEST(wait_for(mock, [](const MockStats& s) { return s.aborted == 1; }));
    client.http->cancel(id);  // finished: ignored
    client.http->cancel(987654321);  // never existed: ignored
}

// Offered HTTP/2 on cleartext (Upgrade: h2c), a server that speaks it takes
// concurrent requests on the connection that upgraded. (Before any connection
// has upgraded, libcurl cannot know that the server multiplexes, and whether a
// cold burst waits for the first one is a race inside it: the burst test below
// checks only that every request of one is answered.)
BOOST_AUTO_TEST_CASE(http2_cleartext_multiplexes_concurrent_requests) {
    MockOptions options;
    options.latency = std::chrono::milliseconds(100);
    MockProvider mock(options);
    Client client;
    OutgoingHttpRequest first = chat(mock, "h2 upgrade");
    first.http2_cleartext = true;
    auto upgrade = client.fetch(std::move(first));
    BOOST_TEST_REQUIRE(wait(upgrade).http_status == 200);

    std::vector<std::future<Seen>> futures;
    for (int i = 0; i < 200; ++i) {
        OutgoingHttpRequest r = chat(mock, "h2 " + std::to_string(i));
        r.http2_cleartext = true;
        futures.push_back(client.fetch(std::move(r)));
    }
    for (auto& f : futures) {
        const Seen seen = wait(f);
        BOOST_TEST(seen.status == AH_OK);
        BOOST_TEST(seen.http_status == 200);
    }
    const MockStats stats = mock.stats();
    BOOST_TEST(stats.http2_requests == 201u);
    BOOST_TEST(stats.http2_connections == 1u);
    BOOST_TEST(stats.connections == 1u);
}

// A burst far above libcurl's default of 100 streams per connection goes on
// the first upgraded connection. Were it capped below the burst, libcurl 7.88
// would open a connection per transfer past the cap and, while one of them
// waited for its 101, send further transfers down it as HTTP/1.1 requests:
// the server closes such a connection, failing every stream on it.
BOOST_AUTO_TEST_CASE(a_cold_http2_cleartext_burst_is_answered_in_full) {
    MockOptions options;
    options.latency = std::chrono::milliseconds(100);
    MockProvider mock(options);
    Client client;
    constexpr int burst = 2000;
    std::vector<std::future<Seen>> futures;
    futures.reserve(burst);
    for (int i = 0; i < burst; ++i) {
        OutgoingHttpRequest r = chat(mock, "burst " + std::to_string(i));
        r.http2_cleartext = true;
        futures.push_back(client.fetch(std::move(r)));
    }
    int answered = 0;
    for (auto& f : futures) {
        const Seen seen = wait(f);
        if (seen.status == AH_OK && seen.http_status == 200) ++answered;
    }
    BOOST_TEST(answered == burst);
    const MockStats stats = mock.stats();
    BOOST_TEST(stats.http2_requests == static_cast<std::uint64_t>(burst));
    BOOST_TEST_MESSAGE("a cold burst of " << burst << " took " << stats.http2_connections << " HTTP/2 connections");
}

// Without the offer, plain HTTP/1.1: the same server answers either way.
BOOST_AUTO_TEST_CASE(without_the_offer_requests_stay_http1) {
    MockProvider mock;
    Client client;
    auto future = client.fetch(chat(mock));
    BOOST_TEST(wait(future).http_status == 200);
    BOOST_TEST(mock.stats().http2_requests == 0u);
}

BOOST_AUTO_TEST_CASE(one_agent_cannot_cancel_another_agents_request) {
    MockProvider mock;
    mock.script(json::array{json::object{{"kind", "slow"}, {"delay_ms", 300}}});
    Client client;
    const int owner = 0;     // stand-ins for two agents' identities
    const int stranger = 0;
    HttpOrigin origin;
    origin.owner = &owner;
    uint64_t id = 0;
    auto future = client.fetch(chat(mock), origin, &id);
    BOOST_REQUIRE(wait_for(mock, [](const MockStats& s) { return s.in_flight == 1; }));
    client.http->cancel(id, &stranger);  // ignored: not the sender
    const Seen seen = wait(future);
    BOOST_TEST(seen.status == AH_OK);
    BOOST_TEST(seen.http_status == 200);
    BOOST_TEST(mock.stats().aborted == 0u);

    // Its own sender may.
    mock.script(json::array{json::object{{"kind", "slow"}, {"delay_ms", 20000}}});
    auto second = client.fetch(chat(mock), origin, &id);
    BOOST_REQUIRE(wait_for(mock, [](const MockStats& s) { return s.in_flight == 1; }));
    client.http->cancel(id, &owner);
    BOOST_TEST(wait(second).status == AH_ERR_CANCELLED);
}

BOOST_AUTO_TEST_CASE(a_body_over_the_limit_fails_the_request) {
    MockProvider mock;
    Client client(64);
    auto future = client.fetch(chat(mock, std::string(200, 'x')));
    const Seen seen = wait(future);
    BOOST_TEST(seen.status == AH_ERR_FAILED);
    BOOST_TEST(seen.error.find("larger than the limit of 64 bytes") != std::string::npos, seen.error);
}

BOOST_AUTO_TEST_CASE(stop_cancels_what_is_in_flight_and_refuses_what_comes_later) {
    MockProvider mock;
    mock.script(json::array{json::object{{"kind", "slow"}, {"delay_ms", 20000}}});
    Client client;
    auto in_flight = client.fetch(chat(mock));
    BOOST_REQUIRE(wait_for(mock, [](const MockStats& s) { return s.in_flight == 1; }));
    client.http->stop();
    BOOST_TEST(wait(in_flight).status == AH_ERR_CANCELLED);
    auto later = client.fetch(chat(mock));
    BOOST_TEST(wait(later).status == AH_ERR_CANCELLED);
    BOOST_TEST(mock.stats().requests == 1u);
}

BOOST_AUTO_TEST_CASE(a_thousand_concurrent_requests_share_one_loop_thread) {
    MockOptions options;
    options.latency = 200ms;
    MockProvider mock(options);
    Client client;
    const std::size_t threads_before = thread_count();
    constexpr std::size_t n = 1000;
    std::vector<std::future<Seen>> futures;
    futures.reserve(n);
    const auto started = std::chrono::steady_clock::now();
    for (std::size_t i = 0; i < n; ++i) futures.push_back(client.fetch(chat(mock, "n" + std::to_string(i))));
    // Every request reached the server, and the client grew no thread for them.
    BOOST_TEST(wait_for(mock, [](const MockStats& s) { return s.requests >= n; }));
    BOOST_TEST(thread_count() == threads_before);
    std::size_t ok = 0;
    for (auto& f : futures) ok += wait(f).status == AH_OK ? 1 : 0;
    const auto wall = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
    BOOST_TEST(ok == n);
    const MockStats stats = mock.stats();
    BOOST_TEST(stats.requests == n);
    // They waited out their latency together, not one after another (the
    // first may be answered before the last arrives, so not all n at once).
    BOOST_TEST(stats.max_in_flight >= n / 2);
    BOOST_TEST_MESSAGE(n << " concurrent requests at 200 ms latency: " << wall.count() << " ms wall, "
                         << stats.max_in_flight << " at the server at once, " << threads_before
                         << " threads in the process");
}

// ---------------------------------------------------------------- cache

BOOST_AUTO_TEST_CASE(cache_always_answers_a_repeat_without_the_network) {
    MockProvider mock;
    Client client;
    auto cache = std::make_shared<ResponseCache>(ResponseCacheConfig{});
    HttpOrigin origin;
    origin.cache = cache;

    OutgoingHttpRequest first = chat(mock, "cache me");
    first.cacheable = true;
    auto live = client.fetch(first, origin);
    const Seen fresh = wait(live);
    BOOST_TEST(fresh.status == AH_OK);
    BOOST_TEST(!fresh.from_cache);

    // The same request, its JSON members in another order and other header values.
    OutgoingHttpRequest again = first;
    again.body = json::serialize(json::object{
        {"messages", json::array{json::object{{"content", "cache me"}, {"role", "user"}}}}, {"model", "mock-1"}});
    again.headers = {{"Authorization", "Bearer another-key"}};
    auto cached = client.fetch(again, origin);
    const Seen hit = wait(cached);
    BOOST_TEST(hit.status == AH_OK);
    BOOST_TEST(hit.from_cache);
    BOOST_TEST(hit.http_status == 200);
    BOOST_TEST(hit.body == fresh.body);
    BOOST_TEST((hit.thread != std::this_thread::get_id()));  // still through the pool
    BOOST_TEST(mock.stats().requests == 1u);

    // Not marked cacheable: always the network.
    OutgoingHttpRequest uncached = first;
    uncached.cacheable = false;
    auto network = client.fetch(uncached, origin);
    BOOST_TEST(!wait(network).from_cache);
    BOOST_TEST(mock.stats().requests == 2u);
    BOOST_TEST(cache->stats().hits == 1u);
    BOOST_TEST(cache->stats().misses == 1u);
}

BOOST_AUTO_TEST_CASE(a_refresh_goes_to_the_network_and_replaces_the_cached_answer) {
    MockProvider mock;
    Client client;
    auto cache = std::make_shared<ResponseCache>(ResponseCacheConfig{});
    HttpOrigin origin;
    origin.cache = cache;
    OutgoingHttpRequest r = chat(mock, "refresh me");
    r.cacheable = true;

    mock.script(json::array{json::object{{"kind", "bad_schema"}}});  // a 2xx the caller cannot use
    auto first = client.fetch(r, origin);
    const Seen unusable = wait(first);
    BOOST_TEST(unusable.http_status == 200);

    OutgoingHttpRequest retry = r;
    retry.refresh = true;
    auto second = client.fetch(retry, origin);
    const Seen fresh = wait(second);
    BOOST_TEST(!fresh.from_cache);
    BOOST_TEST(fresh.body != unusable.body);
    BOOST_TEST(mock.stats().requests == 2u);

    // The refreshed answer is the one the cache now gives.
    auto third = client.fetch(r, origin);
    const Seen hit = wait(third);
    BOOST_TEST(hit.from_cache);
    BOOST_TEST(hit.body == fresh.body);
    BOOST_TEST(mock.stats().requests == 2u);
}

BOOST_AUTO_TEST_CASE(cache_on_failure_stands_in_only_when_the_server_fails) {
    MockProvider mock;
    Client client;
    ResponseCacheConfig config;
    config.serve = ResponseCacheConfig::Serve::on_failure;
    auto cache = std::make_shared<ResponseCache>(config);
    HttpOrigin origin;
    origin.cache = cache;
    OutgoingHttpRequest r = chat(mock, "fallback");
    r.cacheable = true;

    auto first = client.fetch(r, origin);
    const Seen fresh = wait(first);
    BOOST_TEST(fresh.http_status == 200);
    BOOST_TEST(!fresh.from_cache);
    auto second = client.fetch(r, origin);  // healthy: the live answer, not the cache
    const Seen renewed = wait(second);
    BOOST_TEST(!renewed.from_cache);
    BOOST_TEST(mock.stats().requests == 2u);

    // A drop twice: libcurl sends a request again, once, on a fresh connection
    // when a reused one closes before any answer (a stale keep-alive).
    for (const char* kind : {"server_error", "rate_limit", "drop"}) {
        mock.script(json::array{json::object{{"kind", kind}}});
        if (std::string_view(kind) == "drop") mock.script(json::array{json::object{{"kind", kind}}});
        auto failing = client.fetch(r, origin);
        const Seen stood_in = wait(failing);
        BOOST_TEST(stood_in.status == AH_OK, kind << ": " << stood_in.status << " " << stood_in.error);
        BOOST_TEST(stood_in.from_cache, kind);
        BOOST_TEST(stood_in.http_status == 200, kind);
        BOOST_TEST(stood_in.body == renewed.body, kind);  // the latest answer replaced the first
    }
    BOOST_TEST(mock.stats().requests == 6u);  // every request went out

    // Nothing cached for this one: the failure reaches the caller.
    mock.script(json::array{json::object{{"kind", "server_error"}}});
    OutgoingHttpRequest other = chat(mock, "never cached");
    other.cacheable = true;
    auto uncached = client.fetch(other, origin);
    const Seen failed = wait(uncached);
    BOOST_TEST(failed.http_status == 500);
    BOOST_TEST(!failed.from_cache);
}

// ------------------------------------------------------- request checks

BOOST_AUTO_TEST_CASE(malformed_requests_are_refused_with_a_reason) {
    const ah_http_header good_header{"Accept", "application/json"};
    auto base = [&] {
        ah_http_request r{};
        r.struct_size = sizeof(ah_http_request);
        r.method = "GET";
        r.url = "http://127.0.0.1:8080/v1/models?key=secret";
        r.headers = &good_header;
        r.header_count = 1;
        return r;
    };
    {
        const ah_http_request r = base();
        auto read = agenthost::read_http_request(&r);
        BOOST_REQUIRE(read.ok());
        BOOST_TEST(read.value().method == "GET");
        BOOST_TEST(read.value().url == "http://127.0.0.1:8080/v1/models?key=secret");
    }
    {
        ah_http_request r = base();
        r.method = nullptr;
        r.body = "{}";
        r.body_size = 2;
        BOOST_TEST(agenthost::read_http_request(&r).value().method == "POST");
    }
    struct Case {
        const char* what;
        std::function<void(ah_http_request&)> spoil;
    };
    const ah_http_header crlf{"X-Evil", "a\r\nHost: elsewhere"};
    const ah_http_header host{"Host", "elsewhere"};
    const ah_http_header bad_name{"Bad Name", "x"};
    const std::vector<Case> cases = {
        {"struct_size", [](ah_http_request& r) { r.struct_size = 8; }},
        {"reserved", [](ah_http_request& r) { r.reserved = 1; }},
        {"unknown flags", [](ah_http_request& r) { r.flags = 8; }},
        {"no url", [](ah_http_request& r) { r.url = nullptr; }},
        {"relative url", [](ah_http_request& r) { r.url = "/v1/models"; }},
        {"ftp", [](ah_http_request& r) { r.url = "ftp://127.0.0.1/file"; }},
        {"file", [](ah_http_request& r) { r.url = "file:///etc/passwd"; }},
        {"credentials", [](ah_http_request& r) { r.url = "http://user:pw@127.0.0.1/"; }},
        {"method", [](ah_http_request& r) { r.method = "GET /x"; }},
        {"connect", [](ah_http_request& r) { r.method = "CONNECT"; }},
        {"header line break", [&](ah_http_request& r) { r.headers = &crlf; }},
        {"host header", [&](ah_http_request& r) { r.headers = &host; }},
        {"header name", [&](ah_http_request& r) { r.headers = &bad_name; }},
        {"null headers", [](ah_http_request& r) { r.headers = nullptr; }},
        {"null body", [](ah_http_request& r) { r.body_size = 3; }},
    };
    for (const Case& c : cases) {
        ah_http_request r = base();
        c.spoil(r);
        auto read = agenthost::read_http_request(&r);
        BOOST_TEST(!read.ok(), c.what);
        if (!read.ok()) BOOST_TEST(!read.error().message.empty(), c.what);
    }
    BOOST_TEST(!agenthost::read_http_request(nullptr).ok());
}

BOOST_AUTO_TEST_CASE(loggable_urls_lose_their_query_and_credentials) {
    BOOST_TEST(agenthost::loggable_url("https://api.example.com/v1/chat?key=secret#frag") ==
               "https://api.example.com/v1/chat");
    BOOST_TEST(agenthost::loggable_url("http://127.0.0.1:8080/v1/x?token=abc") == "http://127.0.0.1:8080/v1/x");
    BOOST_TEST(agenthost::loggable_url("http://u:p@host/") == "http://host/");
}

// ------------------------------------------------- through the plugin ABI

BOOST_AUTO_TEST_CASE(plugin_round_trip_through_a_workflow) {
    MockProvider mock;
    engine_test::TestHost host;
    auto workflow = host.load("http_fetch.json");
    const json::value body = json::parse(chat_body("via plugin"));
    const auto result = host.run(workflow, fetch_input(mock.base_url() + "/v1/chat/completions", "fetch", body));
    ENGINE_REQUIRE_OK(result);
    const json::object& out = output_of(result, "fetch");
    BOOST_TEST(out.at("status").as_int64() == 200);
    BOOST_TEST(out.at("from_cache").as_bool() == false);
    BOOST_TEST(out.at("inside_send").as_bool() == false);
    BOOST_TEST(json::value_to<std::string>(out.at("content_type")).find("application/json") == 0u);
    BOOST_TEST(json::value_to<std::string>(out.at("body")).find("via plugin") != std::string::npos);
    const auto recorded = mock.requests();
    BOOST_REQUIRE_EQUAL(recorded.size(), 1u);
    BOOST_TEST(recorded[0].headers.at("x-fixture") == "http-fetch");
    BOOST_TEST(json::parse(recorded[0].body) == body);

    // GET, as the plugin's input says (method left to the host: no body, so GET).
    const auto get = host.run(workflow, fetch_input(mock.base_url() + "/_mock/stats"));
    ENGINE_REQUIRE_OK(get);
    BOOST_TEST(output_of(get, "fetch").at("status").as_int64() == 200);
}

BOOST_AUTO_TEST_CASE(an_ungranted_url_is_refused_logged_and_never_sent) {
    MockProvider mock;
    LogCapture log;
    engine_test::TestHost host;
    auto workflow = host.load("http_fetch.json");
    const auto result = host.run(
        workflow, fetch_input(mock.base_url() + "/v1/chat/completions?api_key=sk-do-not-log", "narrow",
                              json::parse(chat_body("x"))));
    BOOST_REQUIRE(!result.ok);
    BOOST_REQUIRE(result.error);
    BOOST_TEST(result.error->message.find("AH_ERR_PERMISSION_DENIED") != std::string::npos, result.error->message);
    BOOST_TEST(mock.stats().requests == 0u);
    const std::string text = log.text();
    BOOST_TEST(text.find("ah.http/1: refused POST " + mock.base_url() + "/v1/chat/completions for agent fetch-narrow (fixture-http-fetch@1.0.0)") !=
                   std::string::npos,
               text);
    BOOST_TEST(text.find("sk-do-not-log") == std::string::npos, text);

    // Within the grant, the same agent gets through.
    const auto allowed = host.run(workflow, fetch_input(mock.base_url() + "/allowed/x", "narrow"));
    ENGINE_REQUIRE_OK(allowed);
    BOOST_TEST(output_of(allowed, "narrow").at("status").as_int64() == 404);
}

BOOST_AUTO_TEST_CASE(an_engine_timeout_aborts_the_transfer) {
    MockProvider mock;
    mock.script(json::array{json::object{{"kind", "slow"}, {"delay_ms", 20000}}});
    engine_test::TestHost host;
    auto workflow = host.load("http_fetch.json");
    const auto result = host.run(workflow, fetch_input(mock.base_url() + "/v1/chat/completions", "impatient",
                                                       json::parse(chat_body("slow"))));
    engine_test::require_error(result, "agent_timeout", "impatient", "fetch-impatient");
    BOOST_TEST(result.error->message.find("AH_ERR_TIMEOUT") != std::string::npos, result.error->message);
    // The engine's cancel reached the socket: the server saw the client leave.
    BOOST_TEST(wait_for(mock, [](const MockStats& s) { return s.aborted == 1; }));
}

BOOST_AUTO_TEST_CASE(plugin_side_failures_map_to_statuses) {
    MockProvider mock;
    engine_test::TestHost host;
    auto workflow = host.load("http_fetch.json");
    const std::string url = mock.base_url() + "/v1/chat/completions";
    const json::value body = json::parse(chat_body("x"));

    mock.script(json::array{json::object{{"kind", "drop"}}});
    const auto dropped = host.run(workflow, fetch_input(url, "fetch", body));
    BOOST_REQUIRE(dropped.error);
    BOOST_TEST(dropped.error->message.find("AH_ERR_UNAVAILABLE") != std::string::npos, dropped.error->message);

    mock.script(json::array{json::object{{"kind", "slow"}, {"delay_ms", 20000}}});
    const auto timed_out = host.run(workflow, fetch_input(url, "fetch", body, false, 100));
    BOOST_REQUIRE(timed_out.error);
    BOOST_TEST(timed_out.error->message.find("AH_ERR_TIMEOUT") != std::string::npos, timed_out.error->message);

    mock.script(json::array{json::object{{"kind", "slow"}, {"delay_ms", 20000}}});
    const auto cancelled = host.run(workflow, fetch_input(url, "fetch", body, false, 0, true));
    BOOST_REQUIRE(cancelled.error);
    BOOST_TEST(cancelled.error->message.find("AH_ERR_CANCELLED") != std::string::npos, cancelled.error->message);
}

BOOST_AUTO_TEST_CASE(each_request_gets_an_http_span_under_its_attempt) {
    MockProvider mock;
    const std::filesystem::path trace =
        std::filesystem::temp_directory_path() / ("agenthost-http-trace-" + std::to_string(::getpid()) + ".jsonl");
    std::filesystem::remove(trace);
    {
        agenthost::HostOptions options = engine_test::host_options();
        options.trace_file = trace;
        engine_test::TestHost host(options);
        auto workflow = host.load("http_fetch.json");
        const auto result = host.run(workflow, fetch_input(mock.base_url() + "/v1/chat/completions?k=secret", "fetch",
                                                           json::parse(chat_body("traced"))));
        ENGINE_REQUIRE_OK(result);
    }
    std::ifstream in(trace);
    std::string line;
    std::vector<json::object> spans;
    while (std::getline(in, line)) spans.push_back(json::parse(line).as_object());
    std::filesystem::remove(trace);
    const json::object* http = nullptr;
    const json::object* attempt = nullptr;
    for (const auto& s : spans) {
        if (s.at("kind") == "http") http = &s;
        if (s.at("kind") == "attempt") attempt = &s;
    }
    BOOST_REQUIRE(http != nullptr);
    BOOST_REQUIRE(attempt != nullptr);
    BOOST_TEST(http->at("parent_span_id") == attempt->at("span_id"));
    BOOST_TEST(http->at("trace_id") == attempt->at("trace_id"));
    BOOST_TEST(json::value_to<std::string>(http->at("name")) ==
               "POST 127.0.0.1:" + std::to_string(mock.port()) + "/v1/chat/completions");
    const json::object& a = http->at("attributes").as_object();
    BOOST_TEST(a.at("method") == "POST");
    BOOST_TEST(json::value_to<std::string>(a.at("url")) ==
               mock.base_url() + "/v1/chat/completions");  // no query: it may hold a key
    BOOST_TEST(a.at("http_status").as_int64() == 200);
    BOOST_TEST(a.at("request_bytes").as_int64() == static_cast<int64_t>(chat_body("traced").size()));
    BOOST_TEST(a.at("response_bytes").as_int64() > 0);
    BOOST_TEST(a.at("from_cache").as_bool() == false);
}

BOOST_AUTO_TEST_CASE(workflow_cache_always_skips_the_network_on_a_hit) {
    MockProvider mock;
    engine_test::TestHost host;
    auto workflow = host.load("http_cache_always.json");
    BOOST_REQUIRE(workflow->response_cache() != nullptr);
    const json::value input = {{"url", mock.base_url() + "/v1/chat/completions"},
                               {"body", json::parse(chat_body("workflow cache"))},
                               {"cacheable", true}};
    const auto first = host.run(workflow, input);
    ENGINE_REQUIRE_OK(first);
    BOOST_TEST(first.output.at("from_cache").as_bool() == false);
    const auto second = host.run(workflow, input);
    ENGINE_REQUIRE_OK(second);
    BOOST_TEST(second.output.at("from_cache").as_bool() == true);
    BOOST_TEST(second.output.at("body") == first.output.at("body"));
    BOOST_TEST(mock.stats().requests == 1u);
    BOOST_TEST(workflow->response_cache()->stats().hits == 1u);
}

BOOST_AUTO_TEST_CASE(workflow_cache_on_failure_answers_when_the_provider_fails) {
    MockProvider mock;
    LogCapture log;
    engine_test::TestHost host;
    auto workflow = host.load("http_cache_on_failure.json");
    const json::value input = {{"url", mock.base_url() + "/v1/chat/completions"},
                               {"body", json::parse(chat_body("stand in"))},
                               {"cacheable", true}};
    const auto first = host.run(workflow, input);
    ENGINE_REQUIRE_OK(first);
    mock.script(json::array{json::object{{"kind", "server_error"}}});
    const auto second = host.run(workflow, input);
    ENGINE_REQUIRE_OK(second);
    BOOST_TEST(second.output.at("from_cache").as_bool() == true);
    BOOST_TEST(second.output.at("status").as_int64() == 200);
    BOOST_TEST(mock.stats().requests == 2u);
    BOOST_TEST(log.text().find("the response cache answers instead") != std::string::npos, log.text());
}

BOOST_AUTO_TEST_SUITE_END()
