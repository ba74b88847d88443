// http_transfer.cpp: libcurl's options for one ah.http/1 request, the
// callbacks that collect its answer, and what its CURLcode means.
#include "http_transfer.hpp"

#include <cctype>
#include <string_view>

namespace agenthost {

namespace {

// libcurl allocates its buffers per transfer: with ten thousand in flight,
// each kilobyte here is ten megabytes. 16 KiB is the smallest upload buffer.
constexpr long receive_buffer_bytes = 16 * 1024;

std::string lower(std::string_view text) {
    std::string out(text);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::string_view trim(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r' || text.back() == '\n')) {
        text.remove_suffix(1);
    }
    return text;
}

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) noexcept {
    auto* transfer = static_cast<Transfer*>(user);
    const std::size_t bytes = size * count;
    std::string& body = transfer->response->body;
    if (body.size() + bytes > transfer->max_body) {
        transfer->too_large = true;
        return CURL_WRITEFUNC_ERROR;
    }
    try {
        body.append(data, bytes);
    } catch (...) {
        return CURL_WRITEFUNC_ERROR;
    }
    return bytes;
}

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) noexcept {
    auto* transfer = static_cast<Transfer*>(user);
    const std::size_t bytes = size * count;
    try {
        const std::string_view line = trim(std::string_view(data, bytes));
        auto& headers = transfer->response->headers;
        if (line.substr(0, 5) == "HTTP/") {
            headers.clear();  // a new response begins (after a 100 Continue or a proxy's CONNECT)
        } else if (const std::size_t colon = line.find(':'); colon != std::string_view::npos && colon != 0) {
            headers.emplace_back(lower(trim(line.substr(0, colon))), std::string(trim(line.substr(colon + 1))));
        }
    } catch (...) {
        return CURL_WRITEFUNC_ERROR;
    }
    return bytes;
}

}  // namespace

ah_status status_of(CURLcode code) {
    switch (code) {
        case CURLE_OK: return AH_OK;
        case CURLE_OPERATION_TIMEDOUT: return AH_ERR_TIMEOUT;
        case CURLE_COULDNT_RESOLVE_PROXY:
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_COULDNT_CONNECT:
        case CURLE_SEND_ERROR:
        case CURLE_RECV_ERROR:
        case CURLE_GOT_NOTHING:
        case CURLE_PARTIAL_FILE:
        case CURLE_HTTP2:
        case CURLE_HTTP2_STREAM:
            return AH_ERR_UNAVAILABLE;  // no connection, or it broke: a retry may succeed
        default: return AH_ERR_FAILED;
    }
}

bool configure_transfer(Transfer& t) {
    t.easy.reset(curl_easy_init());
    if (!t.easy) return false;
    CURL* e = t.easy.get();
    const OutgoingHttpRequest& r = t.request;
    bool ok = true;
    auto set = [&](CURLoption option, auto value) { ok = ok && curl_easy_setopt(e, option, value) == CURLE_OK; };

    set(CURLOPT_URL, r.url.c_str());
    set(CURLOPT_PRIVATE, static_cast<void*>(&t));
    set(CURLOPT_ERRORBUFFER, t.error.data());
    set(CURLOPT_NOSIGNAL, 1L);
    set(CURLOPT_PROTOCOLS_STR, "http,https");
    set(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    set(CURLOPT_FOLLOWLOCATION, 0L);  // a redirect must not escape the permission check
    set(CURLOPT_SSL_VERIFYPEER, 1L);
    set(CURLOPT_SSL_VERIFYHOST, 2L);
    // HTTP/2 where the server says so: ALPN over TLS, or an answer to
    // "Upgrade: h2c" on cleartext when the plugin asks for the offer. (Not h2c
    // with prior knowledge: libcurl 7.88 cannot reuse such a connection.)
    const bool cleartext = r.url.rfind("http:", 0) == 0;
    const bool offer_h2c = r.http2_cleartext && cleartext;
    set(CURLOPT_HTTP_VERSION, static_cast<long>(offer_h2c ? CURL_HTTP_VERSION_2_0 : CURL_HTTP_VERSION_2TLS));
    // Wait for a connection being set up to learn whether it can multiplex,
    // instead of opening another one per request.
    if (!cleartext || offer_h2c) set(CURLOPT_PIPEWAIT, 1L);
    set(CURLOPT_BUFFERSIZE, receive_buffer_bytes);
    set(CURLOPT_UPLOAD_BUFFERSIZE, receive_buffer_bytes);  // the default is 64 KiB
    set(CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(t.max_body));
    set(CURLOPT_USERAGENT, "agenthost");
    if (r.timeout.count() > 0) set(CURLOPT_TIMEOUT_MS, static_cast<long>(r.timeout.count()));
    set(CURLOPT_WRITEFUNCTION, &on_body);
    set(CURLOPT_WRITEDATA, static_cast<void*>(&t));
    set(CURLOPT_HEADERFUNCTION, &on_header);
    set(CURLOPT_HEADERDATA, static_cast<void*>(&t));
    // No proxy option is set: libcurl reads http_proxy, https_proxy and no_proxy itself.

    if (r.method == "GET" && r.body.empty()) {
        set(CURLOPT_HTTPGET, 1L);
    } else if (r.method == "HEAD") {
        set(CURLOPT_NOBODY, 1L);
    } else {
        if (r.method != "POST") set(CURLOPT_CUSTOMREQUEST, r.method.c_str());
        if (!r.body.empty() || r.method == "POST" || r.method == "PUT" || r.method == "PATCH") {
            set(CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(r.body.size()));
            set(CURLOPT_POSTFIELDS, r.body.data());  // borrowed: the transfer owns the body
        }
    }

    bool has_expect = false;
    curl_slist* list = nullptr;
    for (const auto& [name, value] : r.headers) {
        // "Name;" is libcurl's spelling of a header with an empty value.
        const std::string line = value.empty() ? name + ";" : name + ": " + value;
        curl_slist* grown = curl_slist_append(list, line.c_str());
        if (grown == nullptr) {
            curl_slist_free_all(list);
            return false;
        }
        list = grown;
        has_expect = has_expect || lower(name) == "expect";
    }
    if (!has_expect) {
        // No "Expect: 100-continue" round trip before large bodies: providers answer at once.
        if (curl_slist* grown = curl_slist_append(list, "Expect:")) list = grown;
    }
    t.header_list.reset(list);
    set(CURLOPT_HTTPHEADER, t.header_list.get());
    return ok;
}

}  // namespace agenthost
