// response_cache_test.cpp: the response cache's key (canonical JSON bodies,
// no header values) and its bounds (entries, bytes, least recently used first).
#include <agenthost/host/response_cache.hpp>

#include <boost/test/unit_test.hpp>

#include <memory>
#include <string>

using agenthost::CachedResponse;
using agenthost::ResponseCache;
using agenthost::ResponseCacheConfig;

namespace {

std::shared_ptr<const CachedResponse> answer(std::string body, int32_t status = 200) {
    return std::make_shared<const CachedResponse>(CachedResponse{status, {{"content-type", "application/json"}}, std::move(body)});
}

ResponseCacheConfig bounds(std::size_t entries, std::size_t bytes) {
    ResponseCacheConfig config;
    config.max_entries = entries;
    config.max_bytes = bytes;
    return config;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(response_cache)

BOOST_AUTO_TEST_CASE(key_is_sha256_hex_of_method_url_and_body) {
    const std::string key = ResponseCache::key("POST", "http://127.0.0.1:1/v1", R"({"a":1})");
    BOOST_TEST(key.size() == 64u);
    BOOST_TEST(key.find_first_not_of("0123456789abcdef") == std::string::npos);
    BOOST_TEST(key == ResponseCache::key("post", "http://127.0.0.1:1/v1", R"({"a":1})"));
    BOOST_TEST(key != ResponseCache::key("PUT", "http://127.0.0.1:1/v1", R"({"a":1})"));
    BOOST_TEST(key != ResponseCache::key("POST", "http://127.0.0.1:1/v2", R"({"a":1})"));
    BOOST_TEST(key != ResponseCache::key("POST", "http://127.0.0.1:1/v1", R"({"a":2})"));
}

BOOST_AUTO_TEST_CASE(json_bodies_are_keyed_by_content_not_spelling) {
    const std::string a = ResponseCache::key("POST", "http://h/x", R"({"model":"m","messages":[{"role":"user","content":"hi"}]})");
    const std::string b =
        ResponseCache::key("POST", "http://h/x", R"( { "messages" : [ {"content":"hi", "role":"user"} ], "model":"m" } )");
    BOOST_TEST(a == b);
    // Array order is meaning, not spelling.
    BOOST_TEST(ResponseCache::key("POST", "http://h/x", "[1,2]") != ResponseCache::key("POST", "http://h/x", "[2,1]"));
}

BOOST_AUTO_TEST_CASE(non_json_bodies_are_keyed_by_their_bytes) {
    BOOST_TEST(ResponseCache::key("POST", "http://h/x", "a=1&b=2") == ResponseCache::key("POST", "http://h/x", "a=1&b=2"));
    BOOST_TEST(ResponseCache::key("POST", "http://h/x", "a=1&b=2") != ResponseCache::key("POST", "http://h/x", "b=2&a=1"));
    // Moving bytes between the URL and the body never gives the same key.
    BOOST_TEST(ResponseCache::key("POST", "http://h/xa", "b") != ResponseCache::key("POST", "http://h/x", "ab"));
}

BOOST_AUTO_TEST_CASE(lookup_counts_hits_and_misses) {
    ResponseCache cache(bounds(10, 1 << 20));
    BOOST_TEST(cache.lookup("k") == nullptr);
    cache.store("k", answer("one"));
    auto hit = cache.lookup("k");
    BOOST_REQUIRE(hit != nullptr);
    BOOST_TEST(hit->body == "one");
    BOOST_TEST(hit->http_status == 200);
    const ResponseCache::Stats stats = cache.stats();
    BOOST_TEST(stats.hits == 1u);
    BOOST_TEST(stats.misses == 1u);
    BOOST_TEST(stats.stores == 1u);
    BOOST_TEST(stats.entries == 1u);
}

BOOST_AUTO_TEST_CASE(only_2xx_answers_are_kept) {
    ResponseCache cache(bounds(10, 1 << 20));
    cache.store("429", answer("slow down", 429));
    cache.store("500", answer("broken", 500));
    cache.store("302", answer("elsewhere", 302));
    cache.store("204", answer("", 204));
    BOOST_TEST(cache.lookup("429") == nullptr);
    BOOST_TEST(cache.lookup("500") == nullptr);
    BOOST_TEST(cache.lookup("302") == nullptr);
    BOOST_TEST(cache.lookup("204") != nullptr);
    BOOST_TEST(cache.stats().entries == 1u);
}

BOOST_AUTO_TEST_CASE(entry_bound_evicts_the_least_recently_used) {
    ResponseCache cache(bounds(2, 1 << 20));
    cache.store("a", answer("A"));
    cache.store("b", answer("B"));
    BOOST_REQUIRE(cache.lookup("a") != nullptr);  // a is now more recent than b
    cache.store("c", answer("C"));
    BOOST_TEST(cache.lookup("b") == nullptr);
    BOOST_TEST(cache.lookup("a") != nullptr);
    BOOST_TEST(cache.lookup("c") != nullptr);
    BOOST_TEST(cache.stats().entries == 2u);
    BOOST_TEST(cache.stats().evictions == 1u);
}

BOOST_AUTO_TEST_CASE(byte_bound_evicts_until_it_holds) {
    // Each entry: a 100-byte body, one header of 28 bytes, a 1-byte key.
    const std::size_t entry = 100 + std::string("content-type").size() + std::string("application/json").size() + 1;
    ResponseCache cache(bounds(100, 3 * entry));
    cache.store("a", answer(std::string(100, 'a')));
    cache.store("b", answer(std::string(100, 'b')));
    cache.store("c", answer(std::string(100, 'c')));
    BOOST_TEST(cache.stats().bytes == 3 * entry);
    BOOST_TEST(cache.stats().entries == 3u);
    cache.store("d", answer(std::string(100, 'd')));
    BOOST_TEST(cache.stats().entries == 3u);
    BOOST_TEST(cache.stats().bytes <= 3 * entry);
    BOOST_TEST(cache.lookup("a") == nullptr);
    BOOST_TEST(cache.lookup("d") != nullptr);
}

BOOST_AUTO_TEST_CASE(an_answer_larger_than_the_whole_cache_is_not_kept) {
    ResponseCache cache(bounds(100, 64));
    cache.store("small", answer("x"));
    cache.store("huge", answer(std::string(1000, 'h')));
    BOOST_TEST(cache.lookup("huge") == nullptr);
    BOOST_TEST(cache.lookup("small") != nullptr);  // and nothing was evicted for it
}

BOOST_AUTO_TEST_CASE(storing_a_key_again_replaces_its_answer) {
    ResponseCache cache(bounds(10, 1 << 20));
    cache.store("k", answer("old"));
    const std::size_t bytes_before = cache.stats().bytes;
    cache.store("k", answer("new"));
    BOOST_TEST(cache.lookup("k")->body == "new");
    BOOST_TEST(cache.stats().entries == 1u);
    BOOST_TEST(cache.stats().bytes == bytes_before);
}

BOOST_AUTO_TEST_SUITE_END()
