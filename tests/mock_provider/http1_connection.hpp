// tests/mock_provider/http1_connection.hpp
// Serves one accepted connection as HTTP/1.1 keep-alive. Internal to the mock.
#pragma once

#include "mock_provider/mock_answers.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>

namespace agenthost::testing::detail {

//! `received` holds what was already read from the socket (the bytes that told
//! HTTP/1.1 from HTTP/2). The socket's executor must be a strand.
void serve_http1(boost::asio::ip::tcp::socket socket, boost::beast::flat_buffer received, Provider& provider);

}  // namespace agenthost::testing::detail
