// http_request.cpp: reading a plugin's ah_http_request into an OutgoingHttpRequest,
// and the URL form that is safe to log.
//
// URLs are parsed by libcurl's own parser (CURLU) and the request is made to
// the URL as libcurl writes it back: the permission check and the transfer
// then see the same host, so no spelling can pass the check for one host and
// reach another.
#include <agenthost/host/http_service.hpp>

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <memory>

namespace agenthost {

namespace {

struct UrlDeleter {
    void operator()(CURLU* url) const noexcept { curl_url_cleanup(url); }
};
struct CurlTextDeleter {
    void operator()(char* text) const noexcept { curl_free(text); }
};
using Url = std::unique_ptr<CURLU, UrlDeleter>;
using CurlText = std::unique_ptr<char, CurlTextDeleter>;

// One part of a parsed URL; empty when it has none.
std::string part(CURLU* url, CURLUPart which) {
    char* text = nullptr;
    if (curl_url_get(url, which, &text, 0) != CURLUE_OK || text == nullptr) return {};
    return std::string(CurlText(text).get());
}

Url parse(std::string_view text) {
    Url url(curl_url());
    if (!url) return nullptr;
    const std::string copy(text);  // CURLU wants a NUL-terminated string
    if (curl_url_set(url.get(), CURLUPART_URL, copy.c_str(), CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK) return nullptr;
    return url;
}

// RFC 9110 token characters: what a method and a header name may be made of.
bool is_token(std::string_view text) {
    return !text.empty() && std::all_of(text.begin(), text.end(), [](unsigned char c) {
        return std::isalnum(c) || std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) !=
                                      std::string_view::npos;
    });
}

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](unsigned char x, unsigned char y) {
               return std::tolower(x) == std::tolower(y);
           });
}

Error invalid(std::string message) { return Error{"ah.http/1", std::move(message), {}}; }

}  // namespace

Result<OutgoingHttpRequest> read_http_request(const ah_http_request* request) {
    if (request == nullptr) return invalid("no request");
    // Every field up to and including `reserved` is read, so all of them must be there.
    if (request->struct_size < sizeof(ah_http_request)) {
        return invalid("struct_size " + std::to_string(request->struct_size) + " is smaller than ah_http_request (" +
                       std::to_string(sizeof(ah_http_request)) + " bytes)");
    }
    if (request->reserved != 0) return invalid("reserved must be zero");
    constexpr uint32_t known_flags = AH_HTTP_CACHEABLE | AH_HTTP_REFRESH | AH_HTTP_HTTP2_CLEARTEXT;
    if ((request->flags & ~known_flags) != 0) {
        return invalid("unknown flags " + std::to_string(request->flags & ~known_flags));
    }
    if (request->body == nullptr && request->body_size != 0) return invalid("body is NULL but body_size is not 0");
    if (request->headers == nullptr && request->header_count != 0) {
        return invalid("headers is NULL but header_count is not 0");
    }

    OutgoingHttpRequest out;
    out.cacheable = (request->flags & AH_HTTP_CACHEABLE) != 0;
    out.refresh = (request->flags & AH_HTTP_REFRESH) != 0;
    out.http2_cleartext = (request->flags & AH_HTTP_HTTP2_CLEARTEXT) != 0;
    out.timeout = std::chrono::milliseconds(request->timeout_ms);
    if (request->body_size != 0) out.body.assign(request->body, request->body_size);

    if (request->method == nullptr) {
        out.method = request->body_size != 0 ? "POST" : "GET";
    } else {
        out.method = request->method;
        std::transform(out.method.begin(), out.method.end(), out.method.begin(),
                       [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
        if (!is_token(out.method) || out.method.size() > 32) return invalid("method \"" + out.method + "\" is not a method");
        // A tunnel would carry anything to anywhere, past every URL pattern.
        if (out.method == "CONNECT") return invalid("method CONNECT is not allowed");
    }

    if (request->url == nullptr) return invalid("url is NULL");
    Url url = parse(request->url);
    if (!url) return invalid("url is not an absolute URL");
    const std::string scheme = part(url.get(), CURLUPART_SCHEME);
    if (scheme != "http" && scheme != "https") {
        return invalid("url scheme \"" + scheme + "\" is not http or https");
    }
    if (part(url.get(), CURLUPART_HOST).empty()) return invalid("url has no host");
    if (!part(url.get(), CURLUPART_USER).empty() || !part(url.get(), CURLUPART_PASSWORD).empty()) {
        return invalid("url carries credentials; send them in a header");
    }
    curl_url_set(url.get(), CURLUPART_FRAGMENT, nullptr, 0);  // never sent; only confuses matching
    out.url = part(url.get(), CURLUPART_URL);
    if (out.url.empty()) return invalid("url cannot be written back");

    out.headers.reserve(request->header_count);
    for (std::size_t i = 0; i < request->header_count; ++i) {
        const ah_http_header& h = request->headers[i];
        if (h.name == nullptr || h.value == nullptr) {
            return invalid("header " + std::to_string(i) + " has a NULL name or value");
        }
        const std::string_view name(h.name);
        const std::string_view value(h.value);
        if (!is_token(name)) return invalid("header name \"" + std::string(name) + "\" is not a token");
        // A line break in a value would start a header (or a request) of its own.
        if (value.find_first_of("\r\n") != std::string_view::npos) {
            return invalid("the value of header " + std::string(name) + " holds a line break");
        }
        // The host frames the message and picks the host it connects to.
        for (std::string_view reserved : {"host", "content-length", "transfer-encoding"}) {
            if (iequals(name, reserved)) return invalid("header " + std::string(name) + " is set by the host");
        }
        out.headers.emplace_back(std::string(name), std::string(value));
    }
    return out;
}

std::string loggable_url(std::string_view text) {
    Url url = parse(text);
    if (!url) return "(not a URL)";
    std::string out = part(url.get(), CURLUPART_SCHEME) + "://" + part(url.get(), CURLUPART_HOST);
    if (const std::string port = part(url.get(), CURLUPART_PORT); !port.empty()) out += ":" + port;
    const std::string path = part(url.get(), CURLUPART_PATH);
    out += path.empty() ? "/" : path;
    return out;
}

}  // namespace agenthost
