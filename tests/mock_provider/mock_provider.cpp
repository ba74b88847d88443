// tests/mock_provider/mock_provider.cpp
// The mock LLM provider: what it answers (Provider: dialects, behaviours,
// token usage, prompt-cache emulation, counters) and how it serves it over
// HTTP/1.1 (Connection, and the accept loop in MockProvider::Server). All I/O
// is asynchronous on one io_context; latency is a timer, so thousands of
// requests can wait at once without a thread each.
#include "mock_provider/mock_provider.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cctype>
#include <condition_variable>
#include <ctime>
#include <deque>
#include <exception>
#include <mutex>
#include <regex>
#include <set>
#include <stdexcept>
#include <thread>
#include <unordered_set>
#include <utility>

namespace agenthost::testing {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;
using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

constexpr std::size_t kRecordedRequestLimit = 200;
constexpr std::uint64_t kRequestBodyLimit = 32u * 1024u * 1024u;
// While an answer waits, a read of this size notices the client hanging up.
constexpr std::size_t kHangupProbeBytes = 512;
// The buffer keeps what a typical request needed; a rare large one is given back.
constexpr std::size_t kIdleBufferKeep = 16 * 1024;

enum class Dialect { openai, anthropic };

const std::set<std::string, std::less<>> kBehaviourKinds = {
    "ok", "rate_limit", "server_error", "slow", "drop", "malformed", "bad_schema", "status"};

bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

std::uint64_t tokens_for(std::size_t bytes) { return (bytes + 3) / 4; }

// "250" or "12.5": Boost.JSON would write doubles as "2.5E2", which no client parses as a header.
std::string decimal(double value) {
  if (value == std::floor(value)) return std::to_string(static_cast<std::uint64_t>(value));
  std::array<char, 32> text{};
  std::snprintf(text.data(), text.size(), "%g", value);
  return text.data();
}

std::optional<double> number_field(const json::object& object, std::string_view key) {
  const json::value* value = object.if_contains(key);
  if (value == nullptr || !value->is_number()) return std::nullopt;
  return value->to_number<double>();
}

std::optional<std::string> string_field(const json::object& object, std::string_view key) {
  const json::value* value = object.if_contains(key);
  if (value == nullptr || !value->is_string()) return std::nullopt;
  return std::string(value->get_string());
}

// Throws std::invalid_argument naming what is wrong, so that a test's typo in
// a script fails loudly instead of silently answering "ok".
json::object checked_behaviour(const json::value& value) {
  const json::object* behaviour = value.if_object();
  if (behaviour == nullptr) {
    throw std::invalid_argument("a behaviour must be a JSON object, got " + json::serialize(value));
  }
  const auto kind = string_field(*behaviour, "kind");
  if (!kind || !kBehaviourKinds.contains(*kind)) {
    throw std::invalid_argument(
        "behaviour " + json::serialize(value) +
        ": \"kind\" must be one of ok, rate_limit, server_error, slow, drop, malformed, bad_schema, status");
  }
  const auto require_status = [&](int low, int high, bool required) {
    const json::value* status = behaviour->if_contains("status");
    if (status == nullptr && !required) return;
    if (status == nullptr || !status->is_int64() || status->get_int64() < low || status->get_int64() > high) {
      throw std::invalid_argument("behaviour " + json::serialize(value) + ": \"status\" must be an integer from " +
                                  std::to_string(low) + " to " + std::to_string(high));
    }
  };
  const auto require_non_negative = [&](std::string_view key, bool required) {
    const json::value* field = behaviour->if_contains(key);
    if (field == nullptr && !required) return;
    if (field == nullptr || !field->is_number() || field->to_number<double>() < 0) {
      throw std::invalid_argument("behaviour " + json::serialize(value) + ": \"" + std::string(key) +
                                  "\" must be a non-negative number");
    }
  };
  if (const json::value* content = behaviour->if_contains("content"); content != nullptr && !content->is_string()) {
    throw std::invalid_argument("behaviour " + json::serialize(value) + ": \"content\" must be a string");
  }
  if (*kind == "server_error") require_status(500, 599, false);
  if (*kind == "status") require_status(200, 599, true);
  if (*kind == "slow") require_non_negative("delay_ms", true);
  if (*kind == "rate_limit") {
    require_non_negative("retry_after", false);
    require_non_negative("retry_after_ms", false);
  }
  return *behaviour;
}

struct Rule {
  std::regex pattern;
  json::object behaviour;
};

std::vector<Rule> checked_rules(const json::array& rules) {
  std::vector<Rule> checked;
  for (const json::value& value : rules) {
    const json::object* rule = value.if_object();
    const auto match = rule ? string_field(*rule, "match") : std::nullopt;
    if (!match) throw std::invalid_argument("rule " + json::serialize(value) + ": needs a string \"match\"");
    std::regex pattern;
    try {
      pattern = std::regex(*match, std::regex::ECMAScript | std::regex::icase);
    } catch (const std::regex_error& error) {
      throw std::invalid_argument("rule " + json::serialize(value) + ": \"match\" is not a valid regex: " +
                                  error.what());
    }
    if (const json::value* behaviour = rule->if_contains("behaviour")) {
      checked.push_back({std::move(pattern), checked_behaviour(*behaviour)});
    } else if (const auto content = string_field(*rule, "content")) {
      checked.push_back({std::move(pattern), json::object{{"kind", "ok"}, {"content", *content}}});
    } else {
      throw std::invalid_argument("rule " + json::serialize(value) + ": needs \"behaviour\" or a string \"content\"");
    }
  }
  return checked;
}

// Text of a message's content: a string, or the "text" of each part/block.
std::string text_of(const json::value* content) {
  if (content == nullptr) return {};
  if (const json::string* text = content->if_string()) return std::string(*text);
  std::string joined;
  if (const json::array* parts = content->if_array()) {
    for (const json::value& part : *parts) {
      if (const json::object* object = part.if_object()) {
        if (const auto text = string_field(*object, "text")) joined += *text;
      }
    }
  }
  return joined;
}

// What the answer depends on, read from either dialect's request body.
struct Prompt {
  std::string model;
  std::string last_user_text;
  std::size_t text_bytes = 0;               // All message text, system included.
  std::vector<std::string> system_texts;    // OpenAI: each system/developer message.
  std::vector<std::string> cached_blocks;   // Anthropic: system blocks marked cache_control.
};

Prompt read_prompt(Dialect dialect, const json::object& body) {
  Prompt prompt;
  prompt.model = string_field(body, "model").value_or("");
  if (const json::value* system = body.if_contains("system")) {
    prompt.text_bytes += text_of(system).size();
    if (const json::array* blocks = system->if_array()) {
      for (const json::value& block : *blocks) {
        const json::object* object = block.if_object();
        if (object != nullptr && object->contains("cache_control")) {
          prompt.cached_blocks.push_back(string_field(*object, "text").value_or(""));
        }
      }
    }
  }
  if (const json::value* messages = body.if_contains("messages"); messages && messages->is_array()) {
    for (const json::value& message : messages->get_array()) {
      const json::object* object = message.if_object();
      if (object == nullptr) continue;
      const std::string text = text_of(object->if_contains("content"));
      prompt.text_bytes += text.size();
      const std::string role = string_field(*object, "role").value_or("");
      if (role == "user") prompt.last_user_text = text;
      if (dialect == Dialect::openai && (role == "system" || role == "developer")) {
        prompt.system_texts.push_back(text);
      }
    }
  }
  return prompt;
}

Response json_response(const Request& request, unsigned status, std::string body) {
  Response response;
  response.version(request.version());
  response.result(status);
  response.set(http::field::server, "agenthost-mock-provider");
  response.set(http::field::content_type, "application/json");
  response.keep_alive(request.keep_alive());
  response.body() = std::move(body);
  response.prepare_payload();
  return response;
}

Response error_response(const Request& request, Dialect dialect, unsigned status, const std::string& message) {
  if (dialect == Dialect::anthropic) {
    const char* type = status == 401   ? "authentication_error"
                       : status == 403 ? "permission_error"
                       : status == 404 ? "not_found_error"
                       : status == 413 ? "request_too_large"
                       : status == 429 ? "rate_limit_error"
                       : status == 529 ? "overloaded_error"
                       : status >= 500 ? "api_error"
                                       : "invalid_request_error";
    return json_response(request, status,
                         json::serialize(json::object{{"type", "error"},
                                                      {"error", {{"type", type}, {"message", message}}}}));
  }
  const char* type = status == 429 ? "requests" : status >= 500 ? "server_error" : "invalid_request_error";
  json::value code = nullptr;
  if (status == 401) code = "invalid_api_key";
  if (status == 429) code = "rate_limit_exceeded";
  return json_response(
      request, status,
      json::serialize(json::object{
          {"error", {{"message", message}, {"type", type}, {"param", nullptr}, {"code", std::move(code)}}}}));
}

std::string header(const Request& request, std::string_view name) {
  const auto field = request.find(name);
  return field == request.end() ? std::string() : std::string(field->value());
}

RecordedRequest record_of(const Request& request) {
  RecordedRequest recorded{std::string(request.method_string()), std::string(request.target()), {}, request.body()};
  for (const auto& field : request) {
    std::string name(field.name_string());
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    auto [slot, inserted] = recorded.headers.try_emplace(name, field.value());
    if (!inserted) slot->second += ", " + std::string(field.value());
  }
  return recorded;
}

json::value stats_json(const MockStats& stats) {
  json::object by_kind;
  for (const auto& [kind, count] : stats.by_kind) by_kind[kind] = count;
  return json::object{{"requests", stats.requests},   {"openai", stats.openai},
                      {"anthropic", stats.anthropic}, {"aborted", stats.aborted},
                      {"by_kind", std::move(by_kind)}, {"in_flight", stats.in_flight},
                      {"max_in_flight", stats.max_in_flight}};
}

// What a connection does with one request: answer (after a delay) or hang up.
struct Answer {
  std::optional<Response> response;  // nullopt: close the connection without answering.
  std::chrono::steady_clock::duration delay{};
  bool provider_request = false;  // In flight until Provider::finished.
};

// Everything the mock knows and decides, apart from the sockets. Thread-safe.
class Provider {
 public:
  explicit Provider(const MockOptions& options)
      : latency_(options.latency), default_content_(options.default_content), expected_key_(options.expected_key) {
    set_rules(options.rules);
  }

  Answer answer(const Request& request) {
    const std::string_view target = request.target();
    const std::string_view path = target.substr(0, target.find('?'));
    if (path.find("/_mock/") != std::string_view::npos) return {control(request, path), {}, false};
    Dialect dialect{};
    if (ends_with(path, "/chat/completions")) {
      dialect = Dialect::openai;
    } else if (ends_with(path, "/messages")) {
      dialect = Dialect::anthropic;
    } else {
      return {json_response(request, 404,
                            json::serialize(json::object{{"error", "no such endpoint: " + std::string(path)}})),
              {}, false};
    }
    if (request.method() != http::verb::post) {
      return {error_response(request, dialect, 405, "use POST"), {}, false};
    }
    const std::uint64_t sequence = admit(request, dialect);
    Answer result{std::nullopt, latency_, true};
    result.response = respond(request, dialect, sequence, result);
    return result;
  }

  void finished(bool aborted) {
    {
      const std::lock_guard lock(mutex_);
      --stats_.in_flight;
      if (aborted) ++stats_.aborted;
    }
    changed_.notify_all();
  }

  void script(const json::array& behaviours) {
    std::vector<json::object> checked;
    for (const json::value& behaviour : behaviours) checked.push_back(checked_behaviour(behaviour));
    const std::lock_guard lock(mutex_);
    queue_.insert(queue_.end(), checked.begin(), checked.end());
  }

  void set_rules(const json::array& rules) {
    auto checked = std::make_shared<const std::vector<Rule>>(checked_rules(rules));
    const std::lock_guard lock(mutex_);
    rules_ = std::move(checked);
  }

  void reset() {
    {
      const std::lock_guard lock(mutex_);
      const std::uint64_t in_flight = stats_.in_flight;  // Still owed a finished() call.
      stats_ = MockStats{};
      stats_.in_flight = in_flight;
      stats_.max_in_flight = in_flight;
      queue_.clear();
      recorded_.clear();
      seen_openai_system_.clear();
      seen_anthropic_blocks_.clear();
    }
    changed_.notify_all();
  }

  MockStats stats() const {
    const std::lock_guard lock(mutex_);
    return stats_;
  }

  std::vector<RecordedRequest> requests() const {
    const std::lock_guard lock(mutex_);
    return {recorded_.begin(), recorded_.end()};
  }

  bool wait_for(const std::function<bool(const MockStats&)>& done, std::chrono::milliseconds timeout) const {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return done(stats_); });
  }

 private:
  std::uint64_t admit(const Request& request, Dialect dialect) {
    std::uint64_t sequence = 0;
    {
      const std::lock_guard lock(mutex_);
      sequence = ++stats_.requests;
      ++(dialect == Dialect::openai ? stats_.openai : stats_.anthropic);
      stats_.max_in_flight = std::max(stats_.max_in_flight, ++stats_.in_flight);
      recorded_.push_back(record_of(request));
      if (recorded_.size() > kRecordedRequestLimit) recorded_.pop_front();
    }
    changed_.notify_all();
    return sequence;
  }

  void count_kind(const std::string& kind) {
    {
      const std::lock_guard lock(mutex_);
      ++stats_.by_kind[kind];
    }
    changed_.notify_all();
  }

  // The key the client sent, or an error answer when it is missing or wrong.
  std::optional<Response> rejection(const Request& request, Dialect dialect) const {
    std::string key;
    if (dialect == Dialect::openai) {
      const std::string authorization = header(request, "authorization");
      constexpr std::string_view bearer = "Bearer ";
      if (authorization.size() <= bearer.size() || authorization.compare(0, bearer.size(), bearer) != 0) {
        return error_response(request, dialect, 401,
                              "Missing or malformed API key: send the header \"Authorization: Bearer <key>\".");
      }
      key = authorization.substr(bearer.size());
    } else {
      key = header(request, "x-api-key");
      if (key.empty()) return error_response(request, dialect, 401, "x-api-key header is required");
      if (header(request, "anthropic-version").empty()) {
        return error_response(request, dialect, 400, "anthropic-version header is required");
      }
    }
    if (expected_key_ && key != *expected_key_) {
      return error_response(request, dialect, 401, "Incorrect API key provided.");
    }
    return std::nullopt;
  }

  json::object choose_behaviour(const std::string& last_user_text) {
    std::shared_ptr<const std::vector<Rule>> rules;
    {
      const std::lock_guard lock(mutex_);
      if (!queue_.empty()) {
        json::object next = std::move(queue_.front());
        queue_.pop_front();
        return next;
      }
      rules = rules_;
    }
    for (const Rule& rule : *rules) {
      if (std::regex_search(last_user_text, rule.pattern)) return rule.behaviour;
    }
    return json::object{{"kind", "ok"}};
  }

  std::optional<Response> respond(const Request& request, Dialect dialect, std::uint64_t sequence, Answer& answer) {
    if (auto rejected = rejection(request, dialect)) {
      count_kind("rejected");
      return rejected;
    }
    error_code parse_error;
    json::value parsed = json::parse(request.body(), parse_error);
    if (parse_error || !parsed.is_object()) {
      count_kind("rejected");
      return error_response(request, dialect, 400, "The request body is not a JSON object.");
    }
    const Prompt prompt = read_prompt(dialect, parsed.get_object());
    const json::object behaviour = choose_behaviour(prompt.last_user_text);
    const std::string kind = string_field(behaviour, "kind").value_or("ok");
    count_kind(kind);

    if (kind == "drop") return std::nullopt;
    if (kind == "rate_limit") {
      Response response = error_response(request, dialect, 429, "Rate limit reached (mock).");
      const auto seconds = number_field(behaviour, "retry_after");
      const auto milliseconds = number_field(behaviour, "retry_after_ms");
      const double retry_after = seconds ? *seconds : milliseconds ? *milliseconds / 1000.0 : 1.0;
      response.set(http::field::retry_after, std::to_string(static_cast<std::uint64_t>(std::ceil(retry_after))));
      if (milliseconds) response.set("retry-after-ms", decimal(*milliseconds));
      return response;
    }
    if (kind == "server_error") {
      const auto status = static_cast<unsigned>(number_field(behaviour, "status").value_or(500));
      return error_response(request, dialect, status, "The server had an error (mock).");
    }
    if (kind == "status") {
      const auto status = static_cast<unsigned>(number_field(behaviour, "status").value_or(400));
      return error_response(request, dialect, status, "Scripted status " + std::to_string(status) + " (mock).");
    }
    if (kind == "slow") {
      answer.delay += std::chrono::duration_cast<std::chrono::steady_clock::duration>(
          std::chrono::duration<double, std::milli>(number_field(behaviour, "delay_ms").value_or(0)));
    }
    std::string content;
    if (kind == "bad_schema") {
      content = R"({"unexpected":true})";
    } else if (auto scripted = string_field(behaviour, "content")) {
      content = std::move(*scripted);
    } else if (default_content_) {
      content = *default_content_;
    } else {
      content = json::serialize(json::object{{"echo", prompt.last_user_text}});
    }
    std::string body = json::serialize(envelope(dialect, sequence, prompt, content));
    // A strict prefix of a JSON object never parses: the client sees a cut-off body.
    if (kind == "malformed") body.resize(body.size() / 2);
    return json_response(request, 200, std::move(body));
  }

  json::object envelope(Dialect dialect, std::uint64_t sequence, const Prompt& prompt, const std::string& content) {
    const std::uint64_t prompt_tokens = tokens_for(prompt.text_bytes);
    const std::uint64_t completion_tokens = tokens_for(content.size());
    if (dialect == Dialect::openai) {
      std::uint64_t cached = 0;
      {
        const std::lock_guard lock(mutex_);
        for (const std::string& system : prompt.system_texts) {
          if (!seen_openai_system_.insert(std::hash<std::string>{}(system)).second) cached += tokens_for(system.size());
        }
      }
      return json::object{
          {"id", "chatcmpl-mock-" + std::to_string(sequence)},
          {"object", "chat.completion"},
          {"created", static_cast<std::int64_t>(std::time(nullptr))},
          {"model", prompt.model},
          {"choices", json::array{json::object{{"index", 0},
                                               {"message", {{"role", "assistant"}, {"content", content}}},
                                               {"finish_reason", "stop"}}}},
          {"usage",
           {{"prompt_tokens", prompt_tokens},
            {"completion_tokens", completion_tokens},
            {"total_tokens", prompt_tokens + completion_tokens},
            {"prompt_tokens_details", {{"cached_tokens", std::min(cached, prompt_tokens)}}}}}};
    }
    std::uint64_t cache_creation = 0;
    std::uint64_t cache_read = 0;
    {
      const std::lock_guard lock(mutex_);
      for (const std::string& block : prompt.cached_blocks) {
        const bool first = seen_anthropic_blocks_.insert(std::hash<std::string>{}(block)).second;
        (first ? cache_creation : cache_read) += tokens_for(block.size());
      }
    }
    const std::uint64_t cached = cache_creation + cache_read;
    return json::object{{"id", "msg_mock_" + std::to_string(sequence)},
                        {"type", "message"},
                        {"role", "assistant"},
                        {"model", prompt.model},
                        {"content", json::array{json::object{{"type", "text"}, {"text", content}}}},
                        {"stop_reason", "end_turn"},
                        {"stop_sequence", nullptr},
                        {"usage",
                         {{"input_tokens", prompt_tokens > cached ? prompt_tokens - cached : 0},
                          {"output_tokens", completion_tokens},
                          {"cache_creation_input_tokens", cache_creation},
                          {"cache_read_input_tokens", cache_read}}}};
  }

  Response control(const Request& request, std::string_view path) {
    const auto bad_request = [&](const std::string& message) {
      return json_response(request, 400, json::serialize(json::object{{"error", message}}));
    };
    const auto array_body = [&]() -> std::optional<json::array> {
      error_code parse_error;
      json::value parsed = json::parse(request.body(), parse_error);
      if (parse_error || !parsed.is_array()) return std::nullopt;
      return std::move(parsed.get_array());
    };
    const bool post = request.method() == http::verb::post;
    const bool get = request.method() == http::verb::get;
    try {
      if (post && ends_with(path, "/_mock/script")) {
        auto behaviours = array_body();
        if (!behaviours) return bad_request("the body must be a JSON array of behaviours");
        script(*behaviours);
        return json_response(request, 200, json::serialize(json::object{{"queued", behaviours->size()}}));
      }
      if (post && ends_with(path, "/_mock/rules")) {
        auto rules = array_body();
        if (!rules) return bad_request("the body must be a JSON array of rules");
        set_rules(*rules);
        return json_response(request, 200, json::serialize(json::object{{"rules", rules->size()}}));
      }
      if (post && ends_with(path, "/_mock/reset")) {
        reset();
        return json_response(request, 200, "{}");
      }
      if (get && ends_with(path, "/_mock/stats")) {
        return json_response(request, 200, json::serialize(stats_json(stats())));
      }
      if (get && ends_with(path, "/_mock/requests")) {
        json::array list;
        for (const RecordedRequest& recorded : requests()) {
          json::object headers;
          for (const auto& [name, value] : recorded.headers) headers[name] = value;
          list.push_back(json::object{{"method", recorded.method},
                                      {"path", recorded.path},
                                      {"headers", std::move(headers)},
                                      {"body", recorded.body}});
        }
        return json_response(request, 200, json::serialize(list));
      }
    } catch (const std::invalid_argument& error) {
      return bad_request(error.what());
    }
    return json_response(
        request, 404,
        json::serialize(json::object{
            {"error", "control endpoints: POST /_mock/script, POST /_mock/rules, POST /_mock/reset, "
                      "GET /_mock/stats, GET /_mock/requests"}}));
  }

  const std::chrono::milliseconds latency_;
  const std::optional<std::string> default_content_;
  const std::optional<std::string> expected_key_;

  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  MockStats stats_;
  std::deque<json::object> queue_;
  std::shared_ptr<const std::vector<Rule>> rules_;
  std::deque<RecordedRequest> recorded_;
  // Hashes, not texts: a long benchmark sees many distinct system prompts.
  std::unordered_set<std::size_t> seen_openai_system_;
  std::unordered_set<std::size_t> seen_anthropic_blocks_;
};

// One client connection, HTTP/1.1 keep-alive. Every handler runs on the
// socket's strand, so the state below needs no lock.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(tcp::socket socket, Provider& provider)
      : socket_(std::move(socket)), timer_(socket_.get_executor()), provider_(provider) {}

  void start() {
    asio::dispatch(socket_.get_executor(), [self = shared_from_this()] { self->read_header(); });
  }

 private:
  enum class Phase { waiting, answer_due, done };

  void read_header() {
    if (buffer_.size() == 0 && buffer_.capacity() > kIdleBufferKeep) buffer_.shrink_to_fit();
    parser_.emplace();
    parser_->body_limit(kRequestBodyLimit);
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

  void handle(const Request& request) {
    try {
      answer_ = provider_.answer(request);
    } catch (const std::exception& error) {
      answer_ = Answer{json_response(request, 500, json::serialize(json::object{{"error", error.what()}})), {}, false};
    }
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
    std::make_shared<Connection>(std::move(socket), provider)->start();
  }

  Provider provider;
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
