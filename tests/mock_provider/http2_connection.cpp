// tests/mock_provider/http2_connection.cpp
// One client connection served as h2c with libnghttp2: each stream is one
// request, turned into a Request for the Provider; its answer waits out its
// delay on a timer of its own, then goes out as HEADERS + DATA, or as
// RST_STREAM (INTERNAL_ERROR) for a drop. A stream that the client resets, or
// a connection that closes, while its answer waits counts as aborted. All
// handlers run on the socket's strand, so the state below needs no lock.
#include "mock_provider/http2_connection.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/verb.hpp>

#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <cstring>
#include <exception>
#include <memory>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

namespace agenthost::testing::detail {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

// Enough that a client puts thousands of requests on one connection.
constexpr std::uint32_t kMaxConcurrentStreams = 100'000;
// Request bodies never wait for a WINDOW_UPDATE: per stream, and for the connection.
constexpr std::uint32_t kStreamWindow = 16u * 1024u * 1024u;
constexpr std::int32_t kConnectionWindow = 1 << 30;
constexpr std::size_t kReadChunk = 64 * 1024;
// One write gathers frames up to about this much; the rest goes in the next.
constexpr std::size_t kWriteChunk = 1024 * 1024;

struct SessionDelete {
  void operator()(nghttp2_session* session) const { nghttp2_session_del(session); }
};
struct CallbacksDelete {
  void operator()(nghttp2_session_callbacks* callbacks) const { nghttp2_session_callbacks_del(callbacks); }
};
struct OptionDelete {
  void operator()(nghttp2_option* option) const { nghttp2_option_del(option); }
};
using Session = std::unique_ptr<nghttp2_session, SessionDelete>;

// Fields that belong to an HTTP/1.1 connection, not to an HTTP/2 stream (RFC 9113, 8.2.2).
const std::unordered_set<std::string> kConnectionFields = {"connection", "keep-alive", "proxy-connection",
                                                           "transfer-encoding", "upgrade"};

std::string lowercase(std::string_view text) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lower;
}

nghttp2_nv header_entry(const std::string& name, const std::string& value) {
  // nghttp2 copies names and values on submit, so these need not outlive the call.
  return {reinterpret_cast<std::uint8_t*>(const_cast<char*>(name.data())),
          reinterpret_cast<std::uint8_t*>(const_cast<char*>(value.data())), name.size(), value.size(),
          NGHTTP2_NV_FLAG_NONE};
}

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(tcp::socket socket, beast::flat_buffer received, Provider& provider, std::optional<Http2Upgrade> upgrade)
      : socket_(std::move(socket)),
        provider_(provider),
        received_(std::move(received)),
        upgrade_(std::move(upgrade)),
        session_(new_session()) {}

  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  void start() {
    asio::dispatch(socket_.get_executor(), [self = shared_from_this()] {
      const std::array<nghttp2_settings_entry, 2> settings{{
          {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, kMaxConcurrentStreams},
          {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, kStreamWindow},
      }};
      nghttp2_session* session = self->session_.get();
      if (nghttp2_submit_settings(session, NGHTTP2_FLAG_NONE, settings.data(), settings.size()) != 0 ||
          nghttp2_session_set_local_window_size(session, NGHTTP2_FLAG_NONE, 0, kConnectionWindow) != 0) {
        return self->terminate();
      }
      if (self->upgrade_ && !self->start_upgraded()) return self->terminate();
      const auto bytes = self->received_.data();
      self->receive(static_cast<const std::uint8_t*>(bytes.data()), bytes.size());
      self->received_ = {};
      self->read();
    });
  }

 private:
  enum class Phase { receiving, waiting, answered };

  struct Stream {
    explicit Stream(std::int32_t stream_id, const asio::any_io_executor& executor) : id(stream_id), timer(executor) {}
    std::int32_t id;
    Phase phase = Phase::receiving;
    Request request;
    std::string authority;
    asio::steady_timer timer;
    Answer answer;
    std::size_t sent = 0;  // Of answer.response->body().
  };

  // Stream 1 is the request that came over HTTP/1.1 (RFC 7540, 3.2): its
  // settings apply and its answer goes out on the new connection.
  bool start_upgraded() {
    Http2Upgrade upgrade = std::move(*upgrade_);
    upgrade_.reset();
    const int head = upgrade.request.method() == http::verb::head ? 1 : 0;
    if (nghttp2_session_upgrade2(session_.get(), reinterpret_cast<const std::uint8_t*>(upgrade.settings.data()),
                                 upgrade.settings.size(), head, nullptr) != 0) {
      return false;
    }
    auto stream = std::make_unique<Stream>(1, socket_.get_executor());
    stream->request = std::move(upgrade.request);
    Stream& upgraded = *streams_.emplace(1, std::move(stream)).first->second;
    handle(upgraded);
    return true;
  }

  Session new_session() {
    nghttp2_session_callbacks* raw_callbacks = nullptr;
    if (nghttp2_session_callbacks_new(&raw_callbacks) != 0) throw std::bad_alloc();
    const std::unique_ptr<nghttp2_session_callbacks, CallbacksDelete> callbacks(raw_callbacks);
    nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks.get(), &Connection::on_begin_headers);
    nghttp2_session_callbacks_set_on_header_callback(callbacks.get(), &Connection::on_header);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks.get(), &Connection::on_data_chunk);
    nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks.get(), &Connection::on_frame);
    nghttp2_session_callbacks_set_on_stream_close_callback(callbacks.get(), &Connection::on_stream_close);

    nghttp2_option* raw_option = nullptr;
    if (nghttp2_option_new(&raw_option) != 0) throw std::bad_alloc();
    const std::unique_ptr<nghttp2_option, OptionDelete> option(raw_option);
    nghttp2_option_set_no_closed_streams(option.get(), 1);  // No priority tree: closed streams are forgotten.
    // Clients that time out thousands of requests reset thousands of streams;
    // nghttp2's flood protection would otherwise tear the connection down.
    nghttp2_option_set_stream_reset_rate_limit(option.get(), 1u << 30, 1u << 30);

    nghttp2_session* session = nullptr;
    if (nghttp2_session_server_new2(&session, callbacks.get(), this, option.get()) != 0) throw std::bad_alloc();
    return Session(session);
  }

  // ---- Socket side --------------------------------------------------------

  void read() {
    if (closed_) return;
    socket_.async_read_some(asio::buffer(read_buffer_), [self = shared_from_this()](error_code error, std::size_t bytes) {
      if (self->closed_) return;
      if (error) return self->terminate();
      self->receive(self->read_buffer_.data(), bytes);
      self->read();
    });
  }

  void receive(const std::uint8_t* data, std::size_t size) {
    if (closed_) return;
    if (size > 0 && nghttp2_session_mem_recv(session_.get(), data, size) < 0) return terminate();
    flush();
  }

  // Sends what nghttp2 has queued, one write at a time.
  void flush() {
    if (closed_ || writing_) return;
    outgoing_.clear();
    while (outgoing_.size() < kWriteChunk) {
      const std::uint8_t* data = nullptr;
      const ssize_t size = nghttp2_session_mem_send(session_.get(), &data);
      if (size < 0) return terminate();
      if (size == 0) break;
      outgoing_.append(reinterpret_cast<const char*>(data), static_cast<std::size_t>(size));
    }
    if (outgoing_.empty()) {
      // After a GOAWAY both ways, or a fatal session error: nothing more to do.
      if (nghttp2_session_want_read(session_.get()) == 0 && nghttp2_session_want_write(session_.get()) == 0) {
        terminate();
      }
      return;
    }
    writing_ = true;
    asio::async_write(socket_, asio::buffer(outgoing_), [self = shared_from_this()](error_code error, std::size_t) {
      self->writing_ = false;
      if (self->closed_) return;
      if (error) return self->terminate();
      self->flush();
    });
  }

  // The connection is gone: every answer still waiting was aborted by the client.
  void terminate() {
    if (closed_) return;
    closed_ = true;
    for (auto& [id, stream] : streams_) {
      if (stream->phase == Phase::waiting) abort(*stream);
    }
    streams_.clear();
    error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
  }

  // ---- Streams ------------------------------------------------------------

  Stream* find(std::int32_t id) {
    const auto found = streams_.find(id);
    return found == streams_.end() ? nullptr : found->second.get();
  }

  // The request is complete (END_STREAM): ask the Provider, then answer after its delay.
  void handle(Stream& stream) {
    Request& request = stream.request;
    request.version(11);  // The answers are built as for HTTP/1.1 keep-alive; their connection fields are dropped.
    if (request.find(http::field::host) == request.end() && !stream.authority.empty()) {
      request.set(http::field::host, stream.authority);
    }
    stream.answer = provider_.answer(request, Transport::http2);
    request = {};  // The body is not needed any more.
    if (stream.answer.delay <= std::chrono::steady_clock::duration::zero()) return deliver(stream);
    stream.phase = Phase::waiting;
    stream.timer.expires_after(stream.answer.delay);
    stream.timer.async_wait([self = shared_from_this(), id = stream.id](error_code error) {
      if (error || self->closed_) return;
      Stream* waiting = self->find(id);
      if (waiting == nullptr || waiting->phase != Phase::waiting) return;
      self->deliver(*waiting);
      self->flush();
    });
  }

  void deliver(Stream& stream) {
    stream.phase = Phase::answered;
    // Counted as answered before the client can see the answer, as for HTTP/1.1.
    if (stream.answer.provider_request) provider_.finished(false);
    if (!stream.answer.response) {
      nghttp2_submit_rst_stream(session_.get(), NGHTTP2_FLAG_NONE, stream.id, NGHTTP2_INTERNAL_ERROR);
      return;
    }
    const Response& response = *stream.answer.response;
    std::vector<std::pair<std::string, std::string>> fields{{":status", std::to_string(response.result_int())}};
    for (const auto& field : response) {
      std::string name = lowercase(field.name_string());
      if (!kConnectionFields.contains(name)) fields.emplace_back(std::move(name), std::string(field.value()));
    }
    std::vector<nghttp2_nv> headers;
    headers.reserve(fields.size());
    for (const auto& [name, value] : fields) headers.push_back(header_entry(name, value));
    nghttp2_data_provider body{};
    body.source.ptr = &stream;
    body.read_callback = &Connection::read_body;
    const int submitted = nghttp2_submit_response(session_.get(), stream.id, headers.data(), headers.size(),
                                                  response.body().empty() ? nullptr : &body);
    if (submitted != 0) nghttp2_submit_rst_stream(session_.get(), NGHTTP2_FLAG_NONE, stream.id, NGHTTP2_INTERNAL_ERROR);
  }

  void abort(Stream& stream) {
    stream.phase = Phase::answered;
    stream.timer.cancel();
    if (stream.answer.provider_request) provider_.finished(true);
  }

  // ---- nghttp2 callbacks (C: no exception may leave them) -----------------

  static Connection& self(void* user_data) { return *static_cast<Connection*>(user_data); }

  static int on_begin_headers(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
    if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
    try {
      Connection& connection = self(user_data);
      connection.streams_.emplace(frame->hd.stream_id,
                                  std::make_unique<Stream>(frame->hd.stream_id, connection.socket_.get_executor()));
      return 0;
    } catch (const std::exception&) {
      return NGHTTP2_ERR_CALLBACK_FAILURE;
    }
  }

  static int on_header(nghttp2_session*, const nghttp2_frame* frame, const std::uint8_t* name, std::size_t name_size,
                       const std::uint8_t* value, std::size_t value_size, std::uint8_t, void* user_data) {
    if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;  // Trailers.
    Stream* stream = self(user_data).find(frame->hd.stream_id);
    if (stream == nullptr) return 0;
    try {
      const std::string_view key(reinterpret_cast<const char*>(name), name_size);
      const std::string_view text(reinterpret_cast<const char*>(value), value_size);
      if (key == ":method") {
        stream->request.method_string(text);
      } else if (key == ":path") {
        stream->request.target(text);
      } else if (key == ":authority") {
        stream->authority = text;
      } else if (!key.starts_with(':')) {
        stream->request.insert(key, text);
      }
      return 0;
    } catch (const std::exception&) {
      return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;  // Resets this stream only.
    }
  }

  static int on_data_chunk(nghttp2_session* session, std::uint8_t, std::int32_t stream_id, const std::uint8_t* data,
                           std::size_t size, void* user_data) {
    Stream* stream = self(user_data).find(stream_id);
    if (stream == nullptr || stream->phase != Phase::receiving) return 0;
    std::string& body = stream->request.body();
    if (body.size() + size > kRequestBodyLimit) {
      self(user_data).streams_.erase(stream_id);  // Not admitted: nothing to count.
      nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, stream_id, NGHTTP2_REFUSED_STREAM);
      return 0;
    }
    try {
      body.append(reinterpret_cast<const char*>(data), size);
      return 0;
    } catch (const std::exception&) {
      return NGHTTP2_ERR_CALLBACK_FAILURE;
    }
  }

  static int on_frame(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
    if ((frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA) ||
        (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) == 0) {
      return 0;
    }
    Connection& connection = self(user_data);
    Stream* stream = connection.find(frame->hd.stream_id);
    if (stream == nullptr || stream->phase != Phase::receiving) return 0;
    try {
      connection.handle(*stream);
      return 0;
    } catch (const std::exception&) {
      return NGHTTP2_ERR_CALLBACK_FAILURE;
    }
  }

  // Answered, reset by either side, or torn down with the session.
  static int on_stream_close(nghttp2_session*, std::int32_t stream_id, std::uint32_t, void* user_data) {
    Connection& connection = self(user_data);
    const auto found = connection.streams_.find(stream_id);
    if (found == connection.streams_.end()) return 0;
    if (found->second->phase == Phase::waiting) connection.abort(*found->second);
    connection.streams_.erase(found);
    return 0;
  }

  static ssize_t read_body(nghttp2_session*, std::int32_t, std::uint8_t* buffer, std::size_t length,
                           std::uint32_t* flags, nghttp2_data_source* source, void*) {
    Stream& stream = *static_cast<Stream*>(source->ptr);
    const std::string& body = stream.answer.response->body();
    const std::size_t size = std::min(length, body.size() - stream.sent);
    std::memcpy(buffer, body.data() + stream.sent, size);
    stream.sent += size;
    if (stream.sent == body.size()) *flags |= NGHTTP2_DATA_FLAG_EOF;
    return static_cast<ssize_t>(size);
  }

  tcp::socket socket_;
  Provider& provider_;
  beast::flat_buffer received_;
  std::optional<Http2Upgrade> upgrade_;
  std::unordered_map<std::int32_t, std::unique_ptr<Stream>> streams_;  // Before session_: its callbacks use them.
  Session session_;
  std::array<std::uint8_t, kReadChunk> read_buffer_{};
  std::string outgoing_;
  bool writing_ = false;
  bool closed_ = false;
};

}  // namespace

std::optional<std::string> decode_http2_settings(std::string_view header) {
  std::string decoded;
  std::uint32_t bits = 0;
  int pending = 0;
  for (const char c : header) {
    std::uint32_t value = 0;
    if (c >= 'A' && c <= 'Z') {
      value = static_cast<std::uint32_t>(c - 'A');
    } else if (c >= 'a' && c <= 'z') {
      value = static_cast<std::uint32_t>(c - 'a' + 26);
    } else if (c >= '0' && c <= '9') {
      value = static_cast<std::uint32_t>(c - '0' + 52);
    } else if (c == '-') {
      value = 62;
    } else if (c == '_') {
      value = 63;
    } else if (c == '=') {
      break;  // Padding, though RFC 7540 says to leave it out.
    } else {
      return std::nullopt;
    }
    bits = (bits << 6) | value;
    pending += 6;
    if (pending >= 8) {
      pending -= 8;
      decoded.push_back(static_cast<char>((bits >> pending) & 0xffu));
    }
  }
  if (decoded.size() % 6 != 0) return std::nullopt;  // A SETTINGS payload is 6-byte entries.
  return decoded;
}

void serve_http2(tcp::socket socket, beast::flat_buffer received, Provider& provider,
                 std::optional<Http2Upgrade> upgrade) {
  std::make_shared<Connection>(std::move(socket), std::move(received), provider, std::move(upgrade))->start();
}

}  // namespace agenthost::testing::detail
