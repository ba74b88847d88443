// response_cache.hpp: a workflow's cache of HTTP answers (config
// "response_cache"), for requests that plugins mark AH_HTTP_CACHEABLE.
//
// Keyed by the canonical request: the method, the URL and the body (JSON
// bodies with their object keys sorted, so that member order does not split
// entries), hashed with SHA-256. Header values never enter the key: they carry
// API keys, and the key is the one part of an entry that could be logged.
// Bounded by entries and by bytes, evicting the least recently used; only 2xx
// answers are kept. Thread-safe: every run of the workflow shares one cache.
#pragma once

#include <agenthost/host/workflow_config.hpp>

#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace agenthost {

//! One kept answer. Immutable once stored, so that a hit is shared, not copied.
struct CachedResponse {
    int32_t http_status = 0;
    std::vector<std::pair<std::string, std::string>> headers;  //!< names in lower case
    std::string body;

    std::size_t bytes() const noexcept;
};

class ResponseCache {
public:
    struct Stats {
        uint64_t hits = 0;       //!< lookups that found an answer
        uint64_t misses = 0;     //!< lookups that found none
        uint64_t stores = 0;     //!< answers kept
        uint64_t evictions = 0;  //!< answers dropped to stay within the bounds
        std::size_t entries = 0;
        std::size_t bytes = 0;
    };

    explicit ResponseCache(ResponseCacheConfig config);
    ResponseCache(const ResponseCache&) = delete;
    ResponseCache& operator=(const ResponseCache&) = delete;

    //! The cache key of a request: 64 lowercase hex digits.
    static std::string key(std::string_view method, std::string_view url, std::string_view body);

    //! The answer kept under `key`, now the most recently used; null when there
    //! is none. Counts a hit or a miss.
    std::shared_ptr<const CachedResponse> lookup(const std::string& key);
    //! Keeps `response` (a 2xx; anything else is ignored) under `key`, shared
    //! with the caller rather than copied, evicting
    //! the least recently used answers until both bounds hold. An answer larger
    //! than max_bytes on its own is not kept.
    void store(const std::string& key, std::shared_ptr<const CachedResponse> response);

    ResponseCacheConfig::Serve serve() const noexcept { return config_.serve; }
    const ResponseCacheConfig& config() const noexcept { return config_; }
    Stats stats() const;

private:
    struct Entry {
        std::string key;
        std::shared_ptr<const CachedResponse> response;
        std::size_t bytes;
    };
    void evict_locked();

    const ResponseCacheConfig config_;
    mutable std::mutex mutex_;
    std::list<Entry> order_;  //!< most recently used first
    std::unordered_map<std::string, std::list<Entry>::iterator> index_;
    Stats stats_;
};

}  // namespace agenthost
