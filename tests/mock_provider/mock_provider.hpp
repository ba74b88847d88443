// tests/mock_provider/mock_provider.hpp
// A mock LLM provider for tests and benchmarks: a real HTTP/1.1 and h2c server on
// 127.0.0.1 that speaks the OpenAI Chat Completions and Anthropic Messages
// dialects, answers with deterministic content and token usage, and misbehaves
// on request (rate limits, server errors, slow answers, dropped connections,
// malformed bodies). See tests/mock_provider/README.md for the behaviours and
// the HTTP control API.
#pragma once

#include <boost/json/array.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace agenthost::testing {

struct MockOptions {
  unsigned short port = 0;                     //!< 0 picks an ephemeral port.
  std::chrono::milliseconds latency{0};        //!< Added before every provider answer.
  std::size_t threads = 1;                     //!< Threads running the one io_context.
  std::optional<std::string> default_content;  //!< Unset: {"echo": <last user message>}.
  std::optional<std::string> expected_key;     //!< Set: any other API key gets 401.
  boost::json::array rules;                    //!< As for MockProvider::set_rules.
};

struct MockStats {
  std::uint64_t requests = 0;   //!< Provider requests (control requests are not counted).
  std::uint64_t openai = 0;     //!< Of which to .../chat/completions.
  std::uint64_t anthropic = 0;  //!< Of which to .../messages.
  std::uint64_t aborted = 0;    //!< Client closed the connection before the answer was sent.
  std::uint64_t in_flight = 0;  //!< Read, not yet answered, dropped or aborted.
  std::uint64_t max_in_flight = 0;
  std::uint64_t connections = 0;        //!< TCP connections accepted.
  std::uint64_t http2_connections = 0;  //!< Of which spoke HTTP/2 (h2c, prior knowledge).
  std::uint64_t http2_requests = 0;     //!< Provider requests that came over HTTP/2.
  std::map<std::string, std::uint64_t> by_kind;  //!< Behaviour kind -> requests answered with it.
};

struct RecordedRequest {
  std::string method;
  std::string path;  //!< As sent, query string included.
  std::map<std::string, std::string> headers;  //!< Names lowercased.
  std::string body;
};

//! Listening and serving once constructed; the destructor stops the server and
//! joins its threads. Every member function is thread-safe.
class MockProvider {
 public:
  //! Throws std::invalid_argument on invalid rules and boost::system::system_error
  //! when it cannot listen.
  explicit MockProvider(MockOptions options = {});
  ~MockProvider();
  MockProvider(const MockProvider&) = delete;
  MockProvider& operator=(const MockProvider&) = delete;

  unsigned short port() const;
  std::string base_url() const;  //!< "http://127.0.0.1:PORT"

  //! Appends one-shot behaviours ({"kind": ..., ...}) to the queue that the
  //! next requests take first. Throws std::invalid_argument on an invalid one
  //! (and then queues none of them).
  void script(boost::json::array behaviours);
  //! Replaces the rules: [{"match": REGEX, "behaviour": {...}} or
  //! {"match": REGEX, "content": TEXT}]. Throws std::invalid_argument.
  void set_rules(boost::json::array rules);
  //! Clears counters, queue, recorded requests and the prompt-cache emulation.
  //! Rules and options stay.
  void reset();

  MockStats stats() const;
  //! The last 200 provider requests, oldest first.
  std::vector<RecordedRequest> requests() const;
  //! Waits until `done(stats())` holds or `timeout` passes, without polling;
  //! returns whether it held.
  bool wait_for(const std::function<bool(const MockStats&)>& done,
                std::chrono::milliseconds timeout) const;

 private:
  struct Server;
  std::unique_ptr<Server> server_;
};

}  // namespace agenthost::testing
