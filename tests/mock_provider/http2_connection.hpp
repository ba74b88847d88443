// tests/mock_provider/http2_connection.hpp
// Serves one accepted connection as HTTP/2 over cleartext with prior knowledge
// (h2c), with libnghttp2's server session. Internal to the mock.
#pragma once

#include "mock_provider/mock_answers.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace agenthost::testing::detail {

//! What an HTTP/2 client sends first (RFC 9113, 3.4).
inline constexpr std::string_view kHttp2ClientPreface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

//! An HTTP/1.1 request that asked to continue as h2c ("Upgrade: h2c", RFC 7540
//! 3.2), after the 101 answer: it becomes stream 1.
struct Http2Upgrade {
  Request request;
  std::string settings;  //!< The decoded HTTP2-Settings header: a SETTINGS frame payload.
};

//! The SETTINGS payload of an HTTP2-Settings header (base64url, no padding), or
//! nullopt when it is not one.
std::optional<std::string> decode_http2_settings(std::string_view header);

//! `received` holds what was already read from the socket: the client preface
//! and whatever followed it (with an upgrade, what followed the request). The
//! socket's executor must be a strand.
void serve_http2(boost::asio::ip::tcp::socket socket, boost::beast::flat_buffer received, Provider& provider,
                 std::optional<Http2Upgrade> upgrade = std::nullopt);

}  // namespace agenthost::testing::detail
