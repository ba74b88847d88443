// tests/mock_provider/mock_answers.cpp
// What the mock provider answers, whatever the transport (see mock_answers.hpp):
// dialects, behaviours, token usage, prompt-cache emulation, control
// endpoints and counters.
#include "mock_provider/mock_answers.hpp"

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/verb.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <exception>
#include <set>
#include <stdexcept>
#include <string_view>
#include <utility>

namespace agenthost::testing::detail {

namespace http = boost::beast::http;
namespace json = boost::json;
using error_code = boost::system::error_code;

// What the answer depends on, read from either dialect's request body.
struct Prompt {
  std::string model;
  std::string last_user_text;
  std::size_t text_bytes = 0;               // All message text, system included.
  std::vector<std::string> system_texts;    // OpenAI: each system/developer message.
  std::vector<std::string> cached_blocks;   // Anthropic: system blocks marked cache_control.
};

namespace {

constexpr std::size_t kRecordedRequestLimit = 200;

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
                      {"max_in_flight", stats.max_in_flight}, {"connections", stats.connections},
                      {"http2_connections", stats.http2_connections}, {"http2_requests", stats.http2_requests}};
}


}  // namespace

Provider::Provider(const MockOptions& options)
    : latency_(options.latency), default_content_(options.default_content), expected_key_(options.expected_key) {
  set_rules(options.rules);
}

Answer Provider::answer(const Request& request, Transport transport) {
  try {
    const std::string_view target = request.target();
    const std::string_view path = target.substr(0, target.find('?'));
    if (path.find("/_mock/") != std::string_view::npos) return {control(request, path), {}, false};
    if (ends_with(path, "/chat/completions")) return provider_answer(request, Dialect::openai, transport);
    if (ends_with(path, "/messages")) return provider_answer(request, Dialect::anthropic, transport);
    return {json_response(request, 404,
                          json::serialize(json::object{{"error", "no such endpoint: " + std::string(path)}})),
            {}, false};
  } catch (const std::exception& error) {
    return {json_response(request, 500, json::serialize(json::object{{"error", error.what()}})), {}, false};
  }
}

Answer Provider::provider_answer(const Request& request, Dialect dialect, Transport transport) {
  if (request.method() != http::verb::post) return {error_response(request, dialect, 405, "use POST"), {}, false};
  const std::uint64_t sequence = admit(request, dialect, transport);
  Answer result{std::nullopt, latency_, true};
  try {
    result.response = respond(request, dialect, sequence, result);
  } catch (const std::exception& error) {
    // Admitted, so still answered as a provider request: in_flight comes back down.
    result.response = json_response(request, 500, json::serialize(json::object{{"error", error.what()}}));
  }
  return result;
}

void Provider::finished(bool aborted) {
  {
    const std::lock_guard lock(mutex_);
    --stats_.in_flight;
    if (aborted) ++stats_.aborted;
  }
  changed_.notify_all();
}

void Provider::connection_accepted() {
  {
    const std::lock_guard lock(mutex_);
    ++stats_.connections;
  }
  changed_.notify_all();
}

void Provider::connection_is_http2() {
  {
    const std::lock_guard lock(mutex_);
    ++stats_.http2_connections;
  }
  changed_.notify_all();
}

void Provider::script(const json::array& behaviours) {
  std::vector<json::object> checked;
  for (const json::value& behaviour : behaviours) checked.push_back(checked_behaviour(behaviour));
  const std::lock_guard lock(mutex_);
  queue_.insert(queue_.end(), checked.begin(), checked.end());
}

void Provider::set_rules(const json::array& rules) {
  auto checked = std::make_shared<const std::vector<Rule>>(checked_rules(rules));
  const std::lock_guard lock(mutex_);
  rules_ = std::move(checked);
}

void Provider::reset() {
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

MockStats Provider::stats() const {
  const std::lock_guard lock(mutex_);
  return stats_;
}

std::vector<RecordedRequest> Provider::requests() const {
  const std::lock_guard lock(mutex_);
  return {recorded_.begin(), recorded_.end()};
}

bool Provider::wait_for(const std::function<bool(const MockStats&)>& done, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return done(stats_); });
}

std::uint64_t Provider::admit(const Request& request, Dialect dialect, Transport transport) {
  std::uint64_t sequence = 0;
  {
    const std::lock_guard lock(mutex_);
    sequence = ++stats_.requests;
    ++(dialect == Dialect::openai ? stats_.openai : stats_.anthropic);
    if (transport == Transport::http2) ++stats_.http2_requests;
    stats_.max_in_flight = std::max(stats_.max_in_flight, ++stats_.in_flight);
    recorded_.push_back(record_of(request));
    if (recorded_.size() > kRecordedRequestLimit) recorded_.pop_front();
  }
  changed_.notify_all();
  return sequence;
}

void Provider::count_kind(const std::string& kind) {
  {
    const std::lock_guard lock(mutex_);
    ++stats_.by_kind[kind];
  }
  changed_.notify_all();
}

// The key the client sent, or an error answer when it is missing or wrong.
std::optional<Response> Provider::rejection(const Request& request, Dialect dialect) const {
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

json::object Provider::choose_behaviour(const std::string& last_user_text) {
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

std::optional<Response> Provider::respond(const Request& request, Dialect dialect, std::uint64_t sequence, Answer& answer) {
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

json::object Provider::envelope(Dialect dialect, std::uint64_t sequence, const Prompt& prompt, const std::string& content) {
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

Response Provider::control(const Request& request, std::string_view path) {
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

}  // namespace agenthost::testing::detail
