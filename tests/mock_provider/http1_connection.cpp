// tests/mock_provider/http1_connection.cpp
// One client connection served as HTTP/1.1 keep-alive: read a request, ask the
// Provider, wait out the answer's delay on a timer while a pending read
// notices a client that hangs up (counted as aborted), write the answer.
#include "mock_provider/http1_connection.hpp"

#include "mock_provider/http2_connection.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <utility>

namespace agenthost::testing::detail {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

// While an answer waits, a read of this size notices the client hanging up.
constexpr std::size_t kHangupProbeBytes = 512;
// The buffer keeps what a typical request needed; a rare large one is given back.
constexpr std::size_t kIdleBufferKeep = 16 * 1024;

// One client connection, HTTP/1.1 keep-alive. Every handler runs on the
// socket's strand, so the state below needs no lock.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(tcp::socket socket, beast::flat_buffer received, Provider& provider)
      : socket_(std::move(socket)), timer_(socket_.get_executor()), provider_(provider), buffer_(std::move(received)) {}

  void start() {
    asio::dispatch(socket_.get_executor(), [self = shared_from_this()] { self->read_header(); });
  }

 private:
  enum class Phase { waiting, answer_due, done };

  void read_header() {
    if (buffer_.size() == 0 && buffer_.capacity() > kIdleBufferKeep) buffer_.shrink_to_fit();
    parser_.emplace();
    parser_->body_limit(std::uint64_t{kRequestBodyLimit});
    http::async_read_header(socket_, buffer_, *parser_, [self = shared_from_this()](error_code error, std::size_t) {
      if (error) return self->close();
      self->continue_if_expected();
    });
  }

  // curl sends "Expect: 100-continue" before a large body and would otherwise
  // wait a second for this interim answer.
  void continue_if_expected() {
    const auto expect = parser_->get().find(http::field::expect);
    if (expect == parser_->get().end() || !beast::iequals(expect->value(), "100-continue")) return read_body();
    static constexpr std::string_view interim = "HTTP/1.1 100 Continue\r\n\r\n";
    asio::async_write(socket_, asio::buffer(interim.data(), interim.size()),
                      [self = shared_from_this()](error_code error, std::size_t) {
                        if (error) return self->close();
                        self->read_body();
                      });
  }

  void read_body() {
    http::async_read(socket_, buffer_, *parser_, [self = shared_from_this()](error_code error, std::size_t) {
      if (error) return self->close();
      self->handle(self->parser_->release());
    });
  }

  void handle(Request request) {
    if (auto upgrade = h2c_upgrade(request)) return switch_to_http2(std::move(*upgrade));
    answer_ = provider_.answer(request, Transport::http1);
    if (answer_.delay <= std::chrono::steady_clock::duration::zero()) return deliver();
    phase_ = Phase::waiting;
    timer_.expires_after(answer_.delay);
    timer_.async_wait([self = shared_from_this()](error_code error) {
      if (error || self->phase_ != Phase::waiting) return;
      self->phase_ = Phase::answer_due;
      error_code ignored;
      self->socket_.cancel(ignored);  // Ends the hang-up probe, whose handler delivers.
    });
    probe_for_hangup();
  }

  // "Upgrade: h2c" with a valid HTTP2-Settings header: the client asks to
  // continue as HTTP/2 (RFC 7540, 3.2), which libcurl does for http:// URLs
  // with CURL_HTTP_VERSION_2_0. Otherwise the request is answered as HTTP/1.1.
  static std::optional<Http2Upgrade> h2c_upgrade(Request& request) {
    if (request.version() != 11) return std::nullopt;
    const auto upgrade = request.find(http::field::upgrade);
    const auto settings_header = request.find(http::field::http2_settings);
    if (upgrade == request.end() || settings_header == request.end()) return std::nullopt;
    bool h2c = false;
    for (const auto token : http::token_list(upgrade->value())) h2c = h2c || beast::iequals(token, "h2c");
    if (!h2c) return std::nullopt;
    auto settings = decode_http2_settings(settings_header->value());
    if (!settings) return std::nullopt;
    return Http2Upgrade{std::move(request), std::move(*settings)};
  }

  void switch_to_http2(Http2Upgrade upgrade) {
    static constexpr std::string_view switching =
        "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n";
    upgrade_ = std::move(upgrade);
    asio::async_write(socket_, asio::buffer(switching.data(), switching.size()),
                      [self = shared_from_this()](error_code error, std::size_t) {
                        if (error) return self->close();
                        self->provider_.connection_is_http2();
                        serve_http2(std::move(self->socket_), std::move(self->buffer_), self->provider_,
                                    std::move(self->upgrade_));
                      });
  }

  // A read pending while the answer waits completes with EOF or an error as
  // soon as the client gives up, which is how "aborted" is counted.
  void probe_for_hangup() {
    socket_.async_read_some(buffer_.prepare(kHangupProbeBytes),
                            [self = shared_from_this()](error_code error, std::size_t bytes) {
                              self->on_probe(error, bytes);
                            });
  }

  void on_probe(error_code error, std::size_t bytes) {
    if (!error) {
      buffer_.commit(bytes);  // A pipelined next request: keep it for read_header.
      if (phase_ == Phase::answer_due) return deliver();
      return probe_for_hangup();
    }
    if (error == asio::error::operation_aborted && phase_ == Phase::answer_due) return deliver();
    if (phase_ == Phase::done) return;
    phase_ = Phase::done;
    timer_.cancel();
    if (answer_.provider_request) provider_.finished(error != asio::error::operation_aborted);
    close();
  }

  void deliver() {
    phase_ = Phase::done;
    // Counted as answered before the client can see the answer, so that a
    // client reading stats right after its reply sees its request finished.
    if (answer_.provider_request) provider_.finished(false);
    if (!answer_.response) return close();
    http::async_write(socket_, *answer_.response, [self = shared_from_this()](error_code error, std::size_t) {
      const bool keep_alive = !error && self->answer_.response->keep_alive();
      self->answer_ = Answer{};
      if (!keep_alive) return self->close();
      self->read_header();
    });
  }

  void close() {
    error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
  }

  tcp::socket socket_;
  asio::steady_timer timer_;
  Provider& provider_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  Answer answer_;
  Phase phase_ = Phase::done;
  std::optional<Http2Upgrade> upgrade_;  // While the 101 answer is written.
};

}  // namespace

void serve_http1(tcp::socket socket, beast::flat_buffer received, Provider& provider) {
  std::make_shared<Connection>(std::move(socket), std::move(received), provider)->start();
}

}  // namespace agenthost::testing::detail
