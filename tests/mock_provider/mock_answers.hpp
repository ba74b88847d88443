// tests/mock_provider/mock_answers.hpp
// What the mock provider answers, whatever the transport: the two dialects,
// the behaviours, token usage, prompt-cache emulation, the control endpoints
// and the counters. The HTTP/1.1 and HTTP/2 connections turn a request into a
// Request, ask Provider::answer, wait out Answer::delay on a timer, then send
// the response (or hang up) and report Provider::finished. Internal to the
// mock: tests use mock_provider.hpp.
#pragma once

#include "mock_provider/mock_provider.hpp"

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <regex>
#include <string>
#include <unordered_set>
#include <vector>

namespace agenthost::testing::detail {

// The transport-neutral request and response: Beast's messages. The HTTP/2
// connection builds a Request from a stream's headers and body and sends a
// Response's status, lowercased fields and body.
using Request = boost::beast::http::request<boost::beast::http::string_body>;
using Response = boost::beast::http::response<boost::beast::http::string_body>;

// The largest request body either transport accepts.
inline constexpr std::size_t kRequestBodyLimit = 32u * 1024u * 1024u;

enum class Transport { http1, http2 };
enum class Dialect { openai, anthropic };
struct Prompt;  // What an answer depends on, read from a request body.

// What a connection does with one request: answer (after a delay) or hang up.
struct Answer {
  std::optional<Response> response;  // nullopt: drop (HTTP/1.1 closes the connection, HTTP/2 resets the stream).
  std::chrono::steady_clock::duration delay{};
  bool provider_request = false;  // In flight until Provider::finished.
};

struct Rule {
  std::regex pattern;
  boost::json::object behaviour;
};

// Everything the mock knows and decides, apart from the sockets. Thread-safe.
class Provider {
 public:
  //! Throws std::invalid_argument on invalid rules.
  explicit Provider(const MockOptions& options);

  //! Never throws: an unexpected failure is a 500 answer.
  Answer answer(const Request& request, Transport transport);
  //! Once per Answer with provider_request set: answered (or dropped), or aborted by the client.
  void finished(bool aborted);
  void connection_accepted();
  void connection_is_http2();

  void script(const boost::json::array& behaviours);
  void set_rules(const boost::json::array& rules);
  void reset();
  MockStats stats() const;
  std::vector<RecordedRequest> requests() const;
  bool wait_for(const std::function<bool(const MockStats&)>& done, std::chrono::milliseconds timeout) const;

 private:
  Answer provider_answer(const Request& request, Dialect dialect, Transport transport);
  std::uint64_t admit(const Request& request, Dialect dialect, Transport transport);
  void count_kind(const std::string& kind);
  std::optional<Response> rejection(const Request& request, Dialect dialect) const;
  boost::json::object choose_behaviour(const std::string& last_user_text);
  std::optional<Response> respond(const Request& request, Dialect dialect, std::uint64_t sequence, Answer& answer);
  boost::json::object envelope(Dialect dialect, std::uint64_t sequence, const Prompt& prompt,
                               const std::string& content);
  Response control(const Request& request, std::string_view path);

  const std::chrono::milliseconds latency_;
  const std::optional<std::string> default_content_;
  const std::optional<std::string> expected_key_;

  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  MockStats stats_;
  std::deque<boost::json::object> queue_;
  std::shared_ptr<const std::vector<Rule>> rules_;
  std::deque<RecordedRequest> recorded_;
  // Hashes, not texts: a long benchmark sees many distinct system prompts.
  std::unordered_set<std::size_t> seen_openai_system_;
  std::unordered_set<std::size_t> seen_anthropic_blocks_;
};

}  // namespace agenthost::testing::detail
