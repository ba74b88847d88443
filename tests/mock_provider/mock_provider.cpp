// tests/mock_provider/mock_provider.cpp
// MockProvider: listens on 127.0.0.1, accepts connections and hands each to
// to its transport: HTTP/2 (h2c, http2_connection.cpp) when it starts with the
// HTTP/2 client preface, HTTP/1.1 (http1_connection.cpp) otherwise. What to
// answer is decided in mock_answers.cpp. All I/O is asynchronous on one io_context, each
// connection on its own strand; latency is a timer, so thousands of requests
// can wait at once without a thread each.
#include "mock_provider/mock_provider.hpp"

#include "mock_provider/http1_connection.hpp"
#include "mock_provider/http2_connection.hpp"
#include "mock_provider/mock_answers.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/flat_buffer.hpp>

#include <algorithm>
#include <memory>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace agenthost::testing {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

// Reads the first bytes of a connection until they either differ from the
// HTTP/2 client preface (HTTP/1.1) or are all of it (h2c), then hands the
// socket and those bytes to that protocol.
class ProtocolSniffer : public std::enable_shared_from_this<ProtocolSniffer> {
 public:
  ProtocolSniffer(tcp::socket socket, detail::Provider& provider) : socket_(std::move(socket)), provider_(provider) {}

  void read() {
    socket_.async_read_some(buffer_.prepare(4096), [self = shared_from_this()](error_code error, std::size_t bytes) {
      if (error) return;  // Closed before a whole request line or preface: nothing to serve.
      self->buffer_.commit(bytes);
      const auto data = self->buffer_.data();
      const std::string_view seen(static_cast<const char*>(data.data()), data.size());
      const std::string_view preface = detail::kHttp2ClientPreface;
      const std::size_t compared = std::min(seen.size(), preface.size());
      if (seen.substr(0, compared) != preface.substr(0, compared)) {
        return detail::serve_http1(std::move(self->socket_), std::move(self->buffer_), self->provider_);
      }
      if (compared < preface.size()) return self->read();
      self->provider_.connection_is_http2();
      detail::serve_http2(std::move(self->socket_), std::move(self->buffer_), self->provider_);
    });
  }

 private:
  tcp::socket socket_;
  detail::Provider& provider_;
  boost::beast::flat_buffer buffer_;
};

}  // namespace

struct MockProvider::Server {
  explicit Server(const MockOptions& options)
      : provider(options), acceptor(io), accept_retry(io), work(asio::make_work_guard(io)) {
    const tcp::endpoint endpoint(asio::ip::make_address_v4("127.0.0.1"), options.port);
    acceptor.open(endpoint.protocol());
    acceptor.set_option(tcp::acceptor::reuse_address(true));
    acceptor.bind(endpoint);
    acceptor.listen(asio::socket_base::max_listen_connections);
    acceptor.non_blocking(true);  // The drain in accept() must stop, not block, on an empty queue.
    port = acceptor.local_endpoint().port();
    accept();
    for (std::size_t i = 0; i < std::max<std::size_t>(options.threads, 1); ++i) {
      threads.emplace_back([this] { io.run(); });
    }
  }

  ~Server() {
    io.stop();
    for (std::thread& thread : threads) thread.join();
  }

  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  void accept() {
    acceptor.async_accept(asio::make_strand(io), [this](error_code error, tcp::socket socket) {
      if (error == asio::error::operation_aborted) return;
      if (error) {
        // Out of descriptors, typically: retry once some connections have closed, without spinning.
        accept_retry.expires_after(std::chrono::milliseconds(20));
        accept_retry.async_wait([this](error_code timer_error) {
          if (!timer_error) accept();
        });
        return;
      }
      serve(std::move(socket));
      // Drain the whole listen queue now: taking one connection per wakeup lets
      // a burst of thousands of connects overflow the backlog, and the kernel
      // then makes each dropped client wait a second before it tries again.
      for (;;) {
        error_code drain_error;
        tcp::socket next = acceptor.accept(asio::make_strand(io), drain_error);
        if (drain_error) break;
        serve(std::move(next));
      }
      accept();
    });
  }

  void serve(tcp::socket socket) {
    error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    provider.connection_accepted();
    std::make_shared<ProtocolSniffer>(std::move(socket), provider)->read();
  }

  detail::Provider provider;
  asio::io_context io;  // After provider: pending handlers hold connections that refer to it.
  tcp::acceptor acceptor;
  asio::steady_timer accept_retry;
  asio::executor_work_guard<asio::io_context::executor_type> work;
  unsigned short port = 0;
  std::vector<std::thread> threads;
};

MockProvider::MockProvider(MockOptions options) : server_(std::make_unique<Server>(options)) {}

MockProvider::~MockProvider() = default;

unsigned short MockProvider::port() const { return server_->port; }

std::string MockProvider::base_url() const { return "http://127.0.0.1:" + std::to_string(server_->port); }

void MockProvider::script(boost::json::array behaviours) { server_->provider.script(behaviours); }

void MockProvider::set_rules(boost::json::array rules) { server_->provider.set_rules(rules); }

void MockProvider::reset() { server_->provider.reset(); }

MockStats MockProvider::stats() const { return server_->provider.stats(); }

std::vector<RecordedRequest> MockProvider::requests() const { return server_->provider.requests(); }

bool MockProvider::wait_for(const std::function<bool(const MockStats&)>& done,
                            std::chrono::milliseconds timeout) const {
  return server_->provider.wait_for(done, timeout);
}

}  // namespace agenthost::testing
