// response_cache.cpp: the canonical request key and the bounded LRU store.
#include <agenthost/host/response_cache.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <stdexcept>

namespace agenthost {

namespace {

// Object members sorted by key, recursively; everything else as Boost.JSON
// writes it. Two bodies that differ only in member order or whitespace get
// one key.
void write_canonical(const boost::json::value& value, std::string& out) {
    if (const auto* object = value.if_object()) {
        std::vector<const boost::json::key_value_pair*> members;
        members.reserve(object->size());
        for (const auto& member : *object) members.push_back(&member);
        std::sort(members.begin(), members.end(),
                  [](const auto* a, const auto* b) { return a->key() < b->key(); });
        out += '{';
        for (std::size_t i = 0; i < members.size(); ++i) {
            if (i != 0) out += ',';
            out += boost::json::serialize(boost::json::string(members[i]->key()));
            out += ':';
            write_canonical(members[i]->value(), out);
        }
        out += '}';
    } else if (const auto* array = value.if_array()) {
        out += '[';
        for (std::size_t i = 0; i < array->size(); ++i) {
            if (i != 0) out += ',';
            write_canonical((*array)[i], out);
        }
        out += ']';
    } else {
        out += boost::json::serialize(value);
    }
}

std::string hex(const unsigned char* bytes, unsigned size) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string text(std::size_t{size} * 2, '0');
    for (unsigned i = 0; i < size; ++i) {
        text[2 * i] = digits[bytes[i] >> 4];
        text[2 * i + 1] = digits[bytes[i] & 0xf];
    }
    return text;
}

}  // namespace

std::size_t CachedResponse::bytes() const noexcept {
    std::size_t total = body.size();
    for (const auto& [name, value] : headers) total += name.size() + value.size();
    return total;
}

ResponseCache::ResponseCache(ResponseCacheConfig config) : config_(config) {}

std::string ResponseCache::key(std::string_view method, std::string_view url, std::string_view body) {
    // Length-prefixed parts, so that no choice of method, URL and body can
    // collide with another by moving bytes across a boundary.
    std::string canonical;
    canonical.reserve(method.size() + url.size() + body.size() + 48);
    std::string upper(method);
    std::transform(upper.begin(), upper.end(), upper.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    for (std::string_view part : {std::string_view(upper), url}) {
        canonical += std::to_string(part.size());
        canonical += ':';
        canonical += part;
    }
    boost::system::error_code ec;
    const boost::json::value json = body.empty() ? boost::json::value() : boost::json::parse(body, ec);
    std::string text;
    if (!body.empty() && !ec) {
        text = "json:";
        write_canonical(json, text);
    } else {
        text = "raw:";
        text += body;
    }
    canonical += std::to_string(text.size());
    canonical += ':';
    canonical += text;

    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned size = 0;
    if (EVP_Digest(canonical.data(), canonical.size(), digest.data(), &size, EVP_sha256(), nullptr) != 1) {
        throw std::runtime_error("SHA-256 is not available from OpenSSL");
    }
    return hex(digest.data(), size);
}

std::shared_ptr<const CachedResponse> ResponseCache::lookup(const std::string& key) {
    std::lock_guard lock(mutex_);
    auto it = index_.find(key);
    if (it == index_.end()) {
        ++stats_.misses;
        return nullptr;
    }
    ++stats_.hits;
    order_.splice(order_.begin(), order_, it->second);
    return it->second->response;
}

void ResponseCache::store(const std::string& key, std::shared_ptr<const CachedResponse> response) {
    if (response == nullptr || response->http_status < 200 || response->http_status > 299) return;
    const std::size_t bytes = response->bytes() + key.size();
    if (bytes > config_.max_bytes || config_.max_entries == 0) return;
    std::lock_guard lock(mutex_);
    if (auto it = index_.find(key); it != index_.end()) {
        // A fresher answer to the same request replaces the old one.
        stats_.bytes -= it->second->bytes;
        order_.erase(it->second);
        index_.erase(it);
    }
    order_.push_front(Entry{key, std::move(response), bytes});
    index_.emplace(key, order_.begin());
    stats_.bytes += bytes;
    ++stats_.stores;
    evict_locked();
}

void ResponseCache::evict_locked() {
    while (!order_.empty() && (order_.size() > config_.max_entries || stats_.bytes > config_.max_bytes)) {
        const Entry& oldest = order_.back();
        stats_.bytes -= oldest.bytes;
        index_.erase(oldest.key);
        order_.pop_back();
        ++stats_.evictions;
    }
}

ResponseCache::Stats ResponseCache::stats() const {
    std::lock_guard lock(mutex_);
    Stats copy = stats_;
    copy.entries = order_.size();
    return copy;
}

}  // namespace agenthost
