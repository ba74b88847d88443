// http_transfer.hpp: one ah.http/1 request as libcurl carries it: the easy
// handle, its options, and where the answer collects. Internal to
// http_service.cpp: a Transfer is made and configured on the thread that
// sends it, runs on the event-loop thread, and is freed on the worker pool.
#pragma once

#include <agenthost/host/http_service.hpp>
#include <agenthost/host/response_cache.hpp>

#include <curl/curl.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace agenthost {

struct EasyDeleter {
    void operator()(CURL* easy) const noexcept { curl_easy_cleanup(easy); }
};
struct SlistDeleter {
    void operator()(curl_slist* list) const noexcept { curl_slist_free_all(list); }
};

//! A request in flight. Owned by the loop thread from begin() to its delivery.
struct Transfer {
    uint64_t id = 0;
    // Set by the call's cancel hook, which may run before the loop has begun the transfer.
    std::shared_ptr<std::atomic<bool>> cancelled;
    OutgoingHttpRequest request;
    HttpOrigin origin;
    HttpCallback done;
    std::string cache_key;  // empty: the cache plays no part
    std::string span_id;
    std::chrono::system_clock::time_point started;
    std::size_t max_body = 0;

    std::unique_ptr<CURL, EasyDeleter> easy;
    std::unique_ptr<curl_slist, SlistDeleter> header_list;
    std::array<char, CURL_ERROR_SIZE> error{};
    std::shared_ptr<CachedResponse> response = std::make_shared<CachedResponse>();
    bool too_large = false;
};

//! Sets every option of `transfer`'s easy handle (made here): its URL,
//! method, headers and body; TLS verification on; HTTP/2 over TLS; no
//! redirects; only http and https; small buffers; its timeout; where the
//! answer goes. False when libcurl refuses an option.
bool configure_transfer(Transfer& transfer);

//! The ah_status of a finished transfer's CURLcode: AH_ERR_TIMEOUT for
//! timeouts, AH_ERR_UNAVAILABLE for no connection or a broken one,
//! AH_ERR_FAILED for the rest.
ah_status status_of(CURLcode code);

}  // namespace agenthost
