// tests/mock_provider/mock_provider_test.cpp
// The mock LLM provider, tested as its clients use it: real HTTP over
// 127.0.0.1 with libcurl, in-process (MockProvider) and as its own process
// (MockProcess running mock-provider).
#include "mock_provider/mock_process.hpp"
#include "mock_provider/mock_provider.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>
#include <curl/curl.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace {

namespace json = boost::json;
using agenthost::testing::MockOptions;
using agenthost::testing::MockProcess;
using agenthost::testing::MockProvider;
using agenthost::testing::MockStats;
using namespace std::chrono_literals;

struct Reply {
  CURLcode code = CURLE_OK;
  long status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // Names lowercased.
  std::chrono::steady_clock::duration elapsed{};
  long new_connections = 0;
  long http_version = 0;  // CURL_HTTP_VERSION_1_1 or CURL_HTTP_VERSION_2_0.

  json::value json_body() const { return json::parse(body); }
};

using CurlHandle = std::unique_ptr<CURL, decltype(&curl_easy_cleanup)>;
using CurlHeaders = std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)>;

CurlHandle new_handle() { return CurlHandle(curl_easy_init(), &curl_easy_cleanup); }

size_t append_body(char* data, size_t size, size_t count, void* reply) {
  static_cast<Reply*>(reply)->body.append(data, size * count);
  return size * count;
}

size_t append_header(char* data, size_t size, size_t count, void* reply) {
  const std::string line(data, size * count);
  const auto colon = line.find(':');
  if (colon != std::string::npos) {
    std::string name = line.substr(0, colon);
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const auto start = line.find_first_not_of(' ', colon + 1);
    const auto end = line.find_last_not_of("\r\n");
    static_cast<Reply*>(reply)->headers[name] = start <= end ? line.substr(start, end - start + 1) : "";
  }
  return size * count;
}

// One HTTP exchange on `handle` (reused handles keep their connection alive).
Reply send(CURL* handle, const std::string& method, const std::string& url, const std::string& body,
           const std::vector<std::string>& headers, long timeout_ms = 10'000) {
  Reply reply;
  CurlHeaders header_list(nullptr, &curl_slist_free_all);
  for (const std::string& header : headers) header_list.reset(curl_slist_append(header_list.release(), header.c_str()));
  curl_easy_setopt(handle, CURLOPT_URL, url.c_str());
  curl_easy_setopt(handle, CURLOPT_CUSTOMREQUEST, method.c_str());
  if (method == "POST") {
    curl_easy_setopt(handle, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(handle, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  } else {
    curl_easy_setopt(handle, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(handle, CURLOPT_CUSTOMREQUEST, method.c_str());
  }
  curl_easy_setopt(handle, CURLOPT_HTTPHEADER, header_list.get());
  curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, &append_body);
  curl_easy_setopt(handle, CURLOPT_WRITEDATA, &reply);
  curl_easy_setopt(handle, CURLOPT_HEADERFUNCTION, &append_header);
  curl_easy_setopt(handle, CURLOPT_HEADERDATA, &reply);
  curl_easy_setopt(handle, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);
  const auto started = std::chrono::steady_clock::now();
  reply.code = curl_easy_perform(handle);
  reply.elapsed = std::chrono::steady_clock::now() - started;
  curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &reply.status);
  curl_easy_getinfo(handle, CURLINFO_NUM_CONNECTS, &reply.new_connections);
  curl_easy_getinfo(handle, CURLINFO_HTTP_VERSION, &reply.http_version);
  curl_easy_setopt(handle, CURLOPT_HTTPHEADER, nullptr);
  return reply;
}

Reply send(const std::string& method, const std::string& url, const std::string& body = "",
           const std::vector<std::string>& headers = {}, long timeout_ms = 10'000) {
  const CurlHandle handle = new_handle();
  return send(handle.get(), method, url, body, headers, timeout_ms);
}

json::object openai_request(const std::string& user_text) {
  return {{"model", "gpt-test"}, {"messages", json::array{json::object{{"role", "user"}, {"content", user_text}}}}};
}

json::object anthropic_request(const std::string& user_text) {
  return {{"model", "claude-test"},
          {"max_tokens", 64},
          {"messages", json::array{json::object{{"role", "user"}, {"content", user_text}}}}};
}

Reply ask_openai(const MockProvider& mock, const json::object& request, long timeout_ms = 10'000) {
  return send("POST", mock.base_url() + "/v1/chat/completions", json::serialize(request),
              {"Authorization: Bearer sk-test", "Content-Type: application/json"}, timeout_ms);
}

Reply ask_anthropic(const MockProvider& mock, const json::object& request) {
  return send("POST", mock.base_url() + "/v1/messages", json::serialize(request),
              {"x-api-key: sk-ant-test", "anthropic-version: 2023-06-01", "Content-Type: application/json"});
}

std::string openai_content(const Reply& reply) {
  return std::string(reply.json_body().at("choices").at(0).at("message").at("content").as_string());
}

std::string anthropic_text(const Reply& reply) {
  return std::string(reply.json_body().at("content").at(0).at("text").as_string());
}

std::uint64_t count(const json::value& value) { return value.to_number<std::uint64_t>(); }

// ---- HTTP/2 over cleartext (h2c, prior knowledge) ---------------------------

const std::vector<std::string> kOpenaiHeaders = {"Authorization: Bearer sk-test", "Content-Type: application/json"};
const std::vector<std::string> kAnthropicHeaders = {"x-api-key: sk-ant-test", "anthropic-version: 2023-06-01",
                                                    "Content-Type: application/json"};

CurlHandle new_h2_handle() {
  CurlHandle handle = new_handle();
  curl_easy_setopt(handle.get(), CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE));
  return handle;
}

Reply send_h2(const std::string& method, const std::string& url, const std::string& body,
              const std::vector<std::string>& headers, long timeout_ms = 10'000) {
  const CurlHandle handle = new_h2_handle();
  return send(handle.get(), method, url, body, headers, timeout_ms);
}

// One request of a batch sent at once over multiplexed h2c.
struct Multiplexed {
  std::string body;
  long timeout_ms = 10'000;
};

struct Batch {
  std::vector<Reply> replies;
  std::chrono::steady_clock::duration elapsed{};
};

// Sends every request at once on one curl multi that multiplexes them over
// h2c and waits for a connection to become multiplexable rather than open one
// per request (CURLOPT_PIPEWAIT), as an HTTP/2 client of many requests should.
//
// Over "Upgrade: h2c" (CURL_HTTP_VERSION_2_0 on http://), not prior knowledge:
// libcurl 7.88.1 fails every request that reuses a prior-knowledge connection
// with CURLE_HTTP2 before sending it (curl issue #10634, fixed in 8.0.0), so
// with it only the upgrade lets requests share a connection.
//
// `while_connected` runs once every transfer is done, before the connection closes.
Batch send_multiplexed(const std::string& url, const std::vector<Multiplexed>& requests,
                       const std::function<void()>& while_connected = {}) {
  std::unique_ptr<CURLM, decltype(&curl_multi_cleanup)> multi(curl_multi_init(), &curl_multi_cleanup);
  curl_multi_setopt(multi.get(), CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
  curl_multi_setopt(multi.get(), CURLMOPT_MAX_CONCURRENT_STREAMS, static_cast<long>(requests.size()));
  CurlHeaders headers(nullptr, &curl_slist_free_all);
  for (const std::string& header : kOpenaiHeaders) headers.reset(curl_slist_append(headers.release(), header.c_str()));
  Batch batch;
  batch.replies.resize(requests.size());
  std::vector<CurlHandle> handles;
  for (std::size_t i = 0; i < requests.size(); ++i) {
    CurlHandle& handle = handles.emplace_back(new_handle());
    curl_easy_setopt(handle.get(), CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_2_0));
    curl_easy_setopt(handle.get(), CURLOPT_URL, url.c_str());
    curl_easy_setopt(handle.get(), CURLOPT_POSTFIELDS, requests[i].body.c_str());
    curl_easy_setopt(handle.get(), CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(handle.get(), CURLOPT_PIPEWAIT, 1L);
    curl_easy_setopt(handle.get(), CURLOPT_WRITEFUNCTION, &append_body);
    curl_easy_setopt(handle.get(), CURLOPT_WRITEDATA, &batch.replies[i]);
    curl_easy_setopt(handle.get(), CURLOPT_HEADERFUNCTION, &append_header);
    curl_easy_setopt(handle.get(), CURLOPT_HEADERDATA, &batch.replies[i]);
    curl_easy_setopt(handle.get(), CURLOPT_TIMEOUT_MS, requests[i].timeout_ms);
    curl_easy_setopt(handle.get(), CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(handle.get(), CURLOPT_PRIVATE, &batch.replies[i]);
    curl_multi_add_handle(multi.get(), handle.get());
  }
  const auto started = std::chrono::steady_clock::now();
  int running = 0;
  do {
    curl_multi_perform(multi.get(), &running);
    int queued = 0;
    while (CURLMsg* message = curl_multi_info_read(multi.get(), &queued)) {
      if (message->msg != CURLMSG_DONE) continue;
      Reply* reply = nullptr;
      curl_easy_getinfo(message->easy_handle, CURLINFO_PRIVATE, &reply);
      reply->code = message->data.result;
      reply->elapsed = std::chrono::steady_clock::now() - started;
    }
    if (running > 0) curl_multi_poll(multi.get(), nullptr, 0, 1000, nullptr);
  } while (running > 0);
  batch.elapsed = std::chrono::steady_clock::now() - started;
  if (while_connected) while_connected();
  for (std::size_t i = 0; i < handles.size(); ++i) {
    curl_easy_getinfo(handles[i].get(), CURLINFO_RESPONSE_CODE, &batch.replies[i].status);
    curl_easy_getinfo(handles[i].get(), CURLINFO_HTTP_VERSION, &batch.replies[i].http_version);
    curl_multi_remove_handle(multi.get(), handles[i].get());
  }
  return batch;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(mock_provider)

BOOST_AUTO_TEST_CASE(openai_answers_with_a_chat_completion_and_deterministic_usage) {
  MockProvider mock;
  json::object request = openai_request("hello world");
  request["messages"].as_array().insert(request["messages"].as_array().begin(),
                                        json::object{{"role", "system"}, {"content", "abcd"}});
  const Reply reply = ask_openai(mock, request);
  BOOST_TEST_REQUIRE(reply.code == CURLE_OK);
  BOOST_TEST(reply.status == 200);
  BOOST_TEST(reply.headers.at("content-type") == "application/json");
  const json::value body = reply.json_body();
  BOOST_TEST(body.at("id").as_string() == "chatcmpl-mock-1");
  BOOST_TEST(body.at("object").as_string() == "chat.completion");
  BOOST_TEST(body.at("created").is_int64());
  BOOST_TEST(body.at("model").as_string() == "gpt-test");
  const json::value& choice = body.at("choices").at(0);
  BOOST_TEST(choice.at("index").as_int64() == 0);
  BOOST_TEST(choice.at("message").at("role").as_string() == "assistant");
  BOOST_TEST(choice.at("finish_reason").as_string() == "stop");
  const std::string content = openai_content(reply);
  BOOST_TEST(content == R"({"echo":"hello world"})");
  const json::value& usage = body.at("usage");
  BOOST_TEST(count(usage.at("prompt_tokens")) == 4u);  // ceil((4 + 11) / 4)
  BOOST_TEST(count(usage.at("completion_tokens")) == (content.size() + 3) / 4);
  BOOST_TEST(count(usage.at("total_tokens")) == 4u + (content.size() + 3) / 4);
  BOOST_TEST(count(usage.at("prompt_tokens_details").at("cached_tokens")) == 0u);
}

BOOST_AUTO_TEST_CASE(anthropic_answers_with_a_message_and_deterministic_usage) {
  MockOptions options;
  options.default_content = "fixed answer";
  MockProvider mock(options);
  json::object request = anthropic_request("");
  request["system"] = "be brief";
  request["messages"] = json::array{json::object{
      {"role", "user"}, {"content", json::array{json::object{{"type", "text"}, {"text", "question?"}}}}}};
  const Reply reply = ask_anthropic(mock, request);
  BOOST_TEST_REQUIRE(reply.code == CURLE_OK);
  BOOST_TEST(reply.status == 200);
  const json::value body = reply.json_body();
  BOOST_TEST(body.at("id").as_string() == "msg_mock_1");
  BOOST_TEST(body.at("type").as_string() == "message");
  BOOST_TEST(body.at("role").as_string() == "assistant");
  BOOST_TEST(body.at("model").as_string() == "claude-test");
  BOOST_TEST(body.at("content").at(0).at("type").as_string() == "text");
  BOOST_TEST(anthropic_text(reply) == "fixed answer");
  BOOST_TEST(body.at("stop_reason").as_string() == "end_turn");
  BOOST_TEST(body.at("stop_sequence").is_null());
  const json::value& usage = body.at("usage");
  BOOST_TEST(count(usage.at("input_tokens")) == 5u);   // ceil((8 + 9) / 4)
  BOOST_TEST(count(usage.at("output_tokens")) == 3u);  // ceil(12 / 4)
  BOOST_TEST(count(usage.at("cache_creation_input_tokens")) == 0u);
  BOOST_TEST(count(usage.at("cache_read_input_tokens")) == 0u);
}

BOOST_AUTO_TEST_CASE(missing_or_wrong_keys_are_refused_in_each_dialect) {
  MockOptions options;
  options.expected_key = "sk-right";
  MockProvider mock(options);
  const std::string openai_url = mock.base_url() + "/chat/completions";
  const std::string anthropic_url = mock.base_url() + "/messages";
  const std::string openai_body = json::serialize(openai_request("hi"));
  const std::string anthropic_body = json::serialize(anthropic_request("hi"));

  for (const std::vector<std::string>& headers : std::vector<std::vector<std::string>>{
           {}, {"Authorization: Bearer "}, {"Authorization: sk-right"}, {"Authorization: Bearer sk-wrong"}}) {
    const Reply reply = send("POST", openai_url, openai_body, headers);
    BOOST_TEST(reply.status == 401);
    BOOST_TEST(reply.json_body().at("error").at("code").as_string() == "invalid_api_key");
    BOOST_TEST(reply.json_body().at("error").at("type").as_string() == "invalid_request_error");
  }
  BOOST_TEST(send("POST", openai_url, openai_body, {"Authorization: Bearer sk-right"}).status == 200);

  for (const std::vector<std::string>& headers : std::vector<std::vector<std::string>>{
           {"anthropic-version: 2023-06-01"}, {"x-api-key: sk-wrong", "anthropic-version: 2023-06-01"}}) {
    const Reply reply = send("POST", anthropic_url, anthropic_body, headers);
    BOOST_TEST(reply.status == 401);
    BOOST_TEST(reply.json_body().at("type").as_string() == "error");
    BOOST_TEST(reply.json_body().at("error").at("type").as_string() == "authentication_error");
  }
  const Reply no_version = send("POST", anthropic_url, anthropic_body, {"x-api-key: sk-right"});
  BOOST_TEST(no_version.status == 400);
  BOOST_TEST(no_version.json_body().at("error").at("type").as_string() == "invalid_request_error");
  BOOST_TEST(send("POST", anthropic_url, anthropic_body, {"x-api-key: sk-right", "anthropic-version: 2023-06-01"})
                 .status == 200);
  BOOST_TEST(mock.stats().by_kind.at("rejected") == 7u);
}

BOOST_AUTO_TEST_CASE(rate_limit_answers_429_with_retry_after) {
  MockProvider mock;
  mock.script(json::array{json::object{{"kind", "rate_limit"}, {"retry_after", 3}},
                          json::object{{"kind", "rate_limit"}, {"retry_after_ms", 250}},
                          json::object{{"kind", "rate_limit"}}});
  const Reply seconds = ask_openai(mock, openai_request("hi"));
  BOOST_TEST(seconds.status == 429);
  BOOST_TEST(seconds.headers.at("retry-after") == "3");
  BOOST_TEST(seconds.headers.count("retry-after-ms") == 0u);
  BOOST_TEST(seconds.json_body().at("error").at("code").as_string() == "rate_limit_exceeded");
  const Reply milliseconds = ask_anthropic(mock, anthropic_request("hi"));
  BOOST_TEST(milliseconds.status == 429);
  BOOST_TEST(milliseconds.headers.at("retry-after-ms") == "250");
  BOOST_TEST(milliseconds.headers.at("retry-after") == "1");
  BOOST_TEST(milliseconds.json_body().at("error").at("type").as_string() == "rate_limit_error");
  BOOST_TEST(ask_openai(mock, openai_request("hi")).headers.at("retry-after") == "1");
}

BOOST_AUTO_TEST_CASE(server_error_and_status_answer_with_the_dialects_error_body) {
  MockProvider mock;
  mock.script(json::array{json::object{{"kind", "server_error"}},
                          json::object{{"kind", "server_error"}, {"status", 529}},
                          json::object{{"kind", "status"}, {"status", 400}},
                          json::object{{"kind", "status"}, {"status", 404}}});
  const Reply internal = ask_openai(mock, openai_request("hi"));
  BOOST_TEST(internal.status == 500);
  BOOST_TEST(internal.json_body().at("error").at("type").as_string() == "server_error");
  const Reply overloaded = ask_anthropic(mock, anthropic_request("hi"));
  BOOST_TEST(overloaded.status == 529);
  BOOST_TEST(overloaded.json_body().at("error").at("type").as_string() == "overloaded_error");
  const Reply bad_request = ask_anthropic(mock, anthropic_request("hi"));
  BOOST_TEST(bad_request.status == 400);
  BOOST_TEST(bad_request.json_body().at("error").at("type").as_string() == "invalid_request_error");
  const Reply not_found = ask_openai(mock, openai_request("hi"));
  BOOST_TEST(not_found.status == 404);
  BOOST_TEST(not_found.json_body().at("error").at("message").is_string());
  BOOST_TEST(mock.stats().by_kind.at("server_error") == 2u);
  BOOST_TEST(mock.stats().by_kind.at("status") == 2u);
}

BOOST_AUTO_TEST_CASE(slow_answers_after_its_delay_plus_the_latency) {
  MockOptions options;
  options.latency = 100ms;
  MockProvider mock(options);
  mock.script(json::array{json::object{{"kind", "slow"}, {"delay_ms", 300}, {"content", "late"}}});
  const Reply slow = ask_openai(mock, openai_request("hi"));
  BOOST_TEST(slow.status == 200);
  BOOST_TEST(openai_content(slow) == "late");
  BOOST_TEST(slow.elapsed >= 400ms);
  BOOST_TEST(ask_openai(mock, openai_request("hi")).elapsed >= 100ms);
}

BOOST_AUTO_TEST_CASE(drop_closes_the_connection_without_an_answer) {
  MockProvider mock;
  mock.script(json::array{json::object{{"kind", "drop"}}});
  const Reply dropped = ask_openai(mock, openai_request("hi"));
  BOOST_TEST(dropped.code == CURLE_GOT_NOTHING);
  BOOST_TEST(dropped.body.empty());
  BOOST_TEST(ask_openai(mock, openai_request("hi")).status == 200);
  const MockStats stats = mock.stats();
  BOOST_TEST(stats.by_kind.at("drop") == 1u);
  BOOST_TEST(stats.aborted == 0u);
  BOOST_TEST(stats.in_flight == 0u);
}

BOOST_AUTO_TEST_CASE(malformed_answers_200_with_a_body_that_is_not_json) {
  MockProvider mock;
  mock.script(json::array{json::object{{"kind", "malformed"}}, json::object{{"kind", "malformed"}}});
  for (const Reply& reply : {ask_openai(mock, openai_request("hi")), ask_anthropic(mock, anthropic_request("hi"))}) {
    BOOST_TEST(reply.status == 200);
    BOOST_TEST(!reply.body.empty());
    boost::system::error_code error;
    json::parse(reply.body, error);
    BOOST_TEST(static_cast<bool>(error));
  }
}

BOOST_AUTO_TEST_CASE(bad_schema_answers_a_valid_envelope_with_unexpected_content) {
  MockProvider mock;
  mock.script(json::array{json::object{{"kind", "bad_schema"}}, json::object{{"kind", "bad_schema"}}});
  const Reply openai = ask_openai(mock, openai_request("hi"));
  BOOST_TEST(openai.status == 200);
  BOOST_TEST(json::parse(openai_content(openai)) == json::parse(R"({"unexpected": true})"));
  const Reply anthropic = ask_anthropic(mock, anthropic_request("hi"));
  BOOST_TEST(json::parse(anthropic_text(anthropic)) == json::parse(R"({"unexpected": true})"));
}

BOOST_AUTO_TEST_CASE(queue_comes_first_then_rules_then_the_default) {
  MockOptions options;
  options.rules = json::array{json::object{{"match", "weather"}, {"content", "sunny"}},
                              json::object{{"match", "^boom$"}, {"behaviour", {{"kind", "server_error"}}}},
                              json::object{{"match", "weather|boom"}, {"content", "never: an earlier rule wins"}}};
  MockProvider mock(options);
  mock.script(json::array{json::object{{"kind", "ok"}, {"content", "first"}},
                          json::object{{"kind", "status"}, {"status", 418}}});
  BOOST_TEST(openai_content(ask_openai(mock, openai_request("what's the WEATHER"))) == "first");
  BOOST_TEST(ask_openai(mock, openai_request("what's the weather")).status == 418);
  BOOST_TEST(openai_content(ask_openai(mock, openai_request("what's the WEATHER"))) == "sunny");
  BOOST_TEST(ask_anthropic(mock, anthropic_request("Boom")).status == 500);
  BOOST_TEST(anthropic_text(ask_anthropic(mock, anthropic_request("other"))) == R"({"echo":"other"})");

  // The rule looks at the last user message only.
  json::object request = openai_request("weather");
  request["messages"].as_array().push_back(json::object{{"role", "assistant"}, {"content", "boom"}});
  request["messages"].as_array().push_back(json::object{{"role", "user"}, {"content", "thanks"}});
  BOOST_TEST(openai_content(ask_openai(mock, request)) == R"({"echo":"thanks"})");

  mock.set_rules(json::array{json::object{{"match", "."}, {"content", "replaced"}}});
  BOOST_TEST(openai_content(ask_openai(mock, openai_request("weather"))) == "replaced");
}

BOOST_AUTO_TEST_CASE(invalid_behaviours_and_rules_are_refused) {
  MockProvider mock;
  BOOST_CHECK_THROW(mock.script(json::array{json::object{{"kind", "ok"}}, json::object{{"kind", "explode"}}}),
                    std::invalid_argument);
  BOOST_CHECK_THROW(mock.script(json::array{json::object{{"kind", "status"}}}), std::invalid_argument);
  BOOST_CHECK_THROW(mock.script(json::array{json::object{{"kind", "slow"}}}), std::invalid_argument);
  BOOST_CHECK_THROW(mock.set_rules(json::array{json::object{{"match", "("}, {"content", "x"}}}),
                    std::invalid_argument);
  BOOST_CHECK_THROW(mock.set_rules(json::array{json::object{{"match", "x"}}}), std::invalid_argument);
  MockOptions bad_rules;
  bad_rules.rules = json::array{json::object{{"content", "no match"}}};
  BOOST_CHECK_THROW(MockProvider{bad_rules}, std::invalid_argument);
  // Nothing of a refused script was queued.
  BOOST_TEST(openai_content(ask_openai(mock, openai_request("hi"))) == R"({"echo":"hi"})");
}

BOOST_AUTO_TEST_CASE(requests_are_counted_by_dialect_and_kind_but_control_requests_are_not) {
  MockProvider mock;
  mock.script(json::array{json::object{{"kind", "rate_limit"}}});
  ask_openai(mock, openai_request("a"));
  ask_openai(mock, openai_request("b"));
  ask_anthropic(mock, anthropic_request("c"));
  send("GET", mock.base_url() + "/_mock/stats");
  BOOST_TEST(send("GET", mock.base_url() + "/v1/models").status == 404);
  const MockStats stats = mock.stats();
  BOOST_TEST(stats.requests == 3u);
  BOOST_TEST(stats.openai == 2u);
  BOOST_TEST(stats.anthropic == 1u);
  BOOST_TEST(stats.by_kind.at("ok") == 2u);
  BOOST_TEST(stats.by_kind.at("rate_limit") == 1u);
  BOOST_TEST(stats.aborted == 0u);
  BOOST_TEST(stats.in_flight == 0u);
  BOOST_TEST(stats.max_in_flight == 1u);
}

BOOST_AUTO_TEST_CASE(a_client_that_gives_up_before_the_answer_is_counted_as_aborted) {
  MockOptions options;
  options.latency = 5s;
  MockProvider mock(options);
  const Reply timed_out = ask_openai(mock, openai_request("hi"), 200);
  BOOST_TEST(timed_out.code == CURLE_OPERATION_TIMEDOUT);
  BOOST_TEST(mock.wait_for([](const MockStats& stats) { return stats.aborted == 1; }, 3s));
  const MockStats stats = mock.stats();
  BOOST_TEST(stats.requests == 1u);
  BOOST_TEST(stats.in_flight == 0u);
}

BOOST_AUTO_TEST_CASE(anthropic_cache_control_blocks_are_written_then_read) {
  MockProvider mock;
  const std::string cached_text(400, 's');
  json::object request = anthropic_request("hi");
  request["system"] = json::array{
      json::object{{"type", "text"}, {"text", cached_text}, {"cache_control", {{"type", "ephemeral"}}}},
      json::object{{"type", "text"}, {"text", "uncached"}}};
  const json::value first = ask_anthropic(mock, request).json_body().at("usage");
  BOOST_TEST(count(first.at("cache_creation_input_tokens")) == 100u);
  BOOST_TEST(count(first.at("cache_read_input_tokens")) == 0u);
  BOOST_TEST(count(first.at("input_tokens")) == 3u);  // ceil((400 + 8 + 2) / 4) - 100
  const json::value second = ask_anthropic(mock, request).json_body().at("usage");
  BOOST_TEST(count(second.at("cache_creation_input_tokens")) == 0u);
  BOOST_TEST(count(second.at("cache_read_input_tokens")) == 100u);
  BOOST_TEST(count(second.at("input_tokens")) == 3u);

  // A plain string system prompt has no cache_control, so nothing is cached.
  request["system"] = cached_text;
  const json::value plain = ask_anthropic(mock, request).json_body().at("usage");
  BOOST_TEST(count(plain.at("cache_read_input_tokens")) == 0u);
  BOOST_TEST(count(plain.at("input_tokens")) == 101u);

  mock.reset();
  request["system"] = json::array{
      json::object{{"type", "text"}, {"text", cached_text}, {"cache_control", {{"type", "ephemeral"}}}}};
  BOOST_TEST(count(ask_anthropic(mock, request).json_body().at("usage").at("cache_creation_input_tokens")) == 100u);
}

BOOST_AUTO_TEST_CASE(openai_reports_a_system_prompt_seen_before_as_cached) {
  MockProvider mock;
  const std::string system_text(400, 's');
  json::object request = openai_request("hi");
  request["messages"].as_array().insert(request["messages"].as_array().begin(),
                                        json::object{{"role", "system"}, {"content", system_text}});
  const json::value first = ask_openai(mock, request).json_body().at("usage");
  BOOST_TEST(count(first.at("prompt_tokens")) == 101u);
  BOOST_TEST(count(first.at("prompt_tokens_details").at("cached_tokens")) == 0u);
  const json::value second = ask_openai(mock, request).json_body().at("usage");
  BOOST_TEST(count(second.at("prompt_tokens")) == 101u);
  BOOST_TEST(count(second.at("prompt_tokens_details").at("cached_tokens")) == 100u);
}

BOOST_AUTO_TEST_CASE(the_http_control_api_scripts_sets_rules_reports_and_resets) {
  MockProvider mock;
  const std::string control = mock.base_url() + "/_mock";
  const Reply queued = send("POST", control + "/script", R"([{"kind":"status","status":403},{"kind":"ok","content":"x"}])");
  BOOST_TEST(queued.status == 200);
  BOOST_TEST(count(queued.json_body().at("queued")) == 2u);
  BOOST_TEST(send("POST", control + "/script", R"([{"kind":"nope"}])").status == 400);
  BOOST_TEST(send("POST", control + "/script", "not json").status == 400);
  BOOST_TEST(send("POST", control + "/rules", R"([{"match":"ping","content":"pong"}])").status == 200);
  BOOST_TEST(send("POST", control + "/rules", R"([{"match":"("}])").status == 400);

  json::object request = openai_request("ping");
  request["response_format"] = {{"type", "json_object"}};
  BOOST_TEST(ask_openai(mock, request).status == 403);
  BOOST_TEST(openai_content(ask_openai(mock, request)) == "x");
  BOOST_TEST(openai_content(ask_openai(mock, request)) == "pong");

  const json::value stats = send("GET", control + "/stats").json_body();
  BOOST_TEST(count(stats.at("requests")) == 3u);
  BOOST_TEST(count(stats.at("openai")) == 3u);
  BOOST_TEST(count(stats.at("anthropic")) == 0u);
  BOOST_TEST(count(stats.at("aborted")) == 0u);
  BOOST_TEST(count(stats.at("in_flight")) == 0u);
  BOOST_TEST(count(stats.at("max_in_flight")) == 1u);
  BOOST_TEST(count(stats.at("by_kind").at("ok")) == 2u);
  BOOST_TEST(count(stats.at("by_kind").at("status")) == 1u);

  const json::value recorded = send("GET", control + "/requests").json_body();
  BOOST_TEST_REQUIRE(recorded.as_array().size() == 3u);
  const json::value& last = recorded.at(2);
  BOOST_TEST(last.at("method").as_string() == "POST");
  BOOST_TEST(last.at("path").as_string() == "/v1/chat/completions");
  BOOST_TEST(last.at("headers").at("authorization").as_string() == "Bearer sk-test");
  BOOST_TEST(last.at("headers").at("content-type").as_string() == "application/json");
  BOOST_TEST(json::parse(last.at("body").as_string()).at("response_format").at("type").as_string() == "json_object");
  BOOST_TEST(mock.requests().size() == 3u);
  BOOST_TEST(mock.requests().back().headers.at("authorization") == "Bearer sk-test");

  BOOST_TEST(send("POST", control + "/reset").status == 200);
  const json::value after_reset = send("GET", control + "/stats").json_body();
  BOOST_TEST(count(after_reset.at("requests")) == 0u);
  BOOST_TEST(after_reset.at("by_kind").as_object().empty());
  BOOST_TEST(send("GET", control + "/requests").json_body().as_array().empty());
  // Rules survive a reset.
  BOOST_TEST(openai_content(ask_openai(mock, request)) == "pong");
}

BOOST_AUTO_TEST_CASE(only_the_last_200_requests_are_kept) {
  MockProvider mock;
  const CurlHandle handle = new_handle();
  for (int i = 0; i < 205; ++i) {
    send(handle.get(), "POST", mock.base_url() + "/chat/completions", json::serialize(openai_request(std::to_string(i))),
         {"Authorization: Bearer k"});
  }
  const auto recorded = mock.requests();
  BOOST_TEST_REQUIRE(recorded.size() == 200u);
  BOOST_TEST(json::parse(recorded.front().body).at("messages").at(0).at("content").as_string() == "5");
  BOOST_TEST(json::parse(recorded.back().body).at("messages").at(0).at("content").as_string() == "204");
}

BOOST_AUTO_TEST_CASE(a_large_request_gets_100_continue_without_waiting) {
  MockProvider mock;
  const std::string long_text(2 * 1024 * 1024, 'x');
  const CurlHandle handle = new_handle();
  // Long enough that passing the test cannot come from curl giving up on the interim answer.
  curl_easy_setopt(handle.get(), CURLOPT_EXPECT_100_TIMEOUT_MS, 60'000L);
  const Reply reply = send(handle.get(), "POST", mock.base_url() + "/v1/chat/completions",
                           json::serialize(openai_request(long_text)),
                           {"Authorization: Bearer k", "Expect: 100-continue"}, 30'000);
  BOOST_TEST(reply.status == 200);
  BOOST_TEST(count(reply.json_body().at("usage").at("prompt_tokens")) == long_text.size() / 4);
  BOOST_TEST(mock.requests().back().headers.at("expect") == "100-continue");
}

BOOST_AUTO_TEST_CASE(connections_are_kept_alive_between_requests) {
  MockProvider mock;
  const CurlHandle handle = new_handle();
  const std::string url = mock.base_url() + "/v1/chat/completions";
  const std::string body = json::serialize(openai_request("hi"));
  BOOST_TEST(send(handle.get(), "POST", url, body, {"Authorization: Bearer k"}).new_connections == 1);
  const Reply second = send(handle.get(), "POST", url, body, {"Authorization: Bearer k"});
  BOOST_TEST(second.status == 200);
  BOOST_TEST(second.new_connections == 0);
}

BOOST_AUTO_TEST_CASE(concurrent_requests_wait_out_their_latency_together) {
  MockOptions options;
  options.latency = 300ms;
  options.threads = 2;
  MockProvider mock(options);
  constexpr int kRequests = 50;
  const std::string body = json::serialize(openai_request("hi"));
  std::unique_ptr<CURLM, decltype(&curl_multi_cleanup)> multi(curl_multi_init(), &curl_multi_cleanup);
  CurlHeaders headers(curl_slist_append(nullptr, "Authorization: Bearer k"), &curl_slist_free_all);
  std::vector<CurlHandle> handles;
  std::vector<Reply> replies(kRequests);
  const std::string url = mock.base_url() + "/v1/chat/completions";
  for (int i = 0; i < kRequests; ++i) {
    CurlHandle& handle = handles.emplace_back(new_handle());
    curl_easy_setopt(handle.get(), CURLOPT_URL, url.c_str());
    curl_easy_setopt(handle.get(), CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(handle.get(), CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(handle.get(), CURLOPT_WRITEFUNCTION, &append_body);
    curl_easy_setopt(handle.get(), CURLOPT_WRITEDATA, &replies[static_cast<std::size_t>(i)]);
    curl_easy_setopt(handle.get(), CURLOPT_TIMEOUT_MS, 10'000L);
    curl_multi_add_handle(multi.get(), handle.get());
  }
  const auto started = std::chrono::steady_clock::now();
  int running = 0;
  do {
    curl_multi_perform(multi.get(), &running);
    if (running > 0) curl_multi_poll(multi.get(), nullptr, 0, 1000, nullptr);
  } while (running > 0);
  const auto elapsed = std::chrono::steady_clock::now() - started;
  for (CurlHandle& handle : handles) {
    long status = 0;
    curl_easy_getinfo(handle.get(), CURLINFO_RESPONSE_CODE, &status);
    BOOST_TEST(status == 200);
    curl_multi_remove_handle(multi.get(), handle.get());
  }
  BOOST_TEST(elapsed >= 300ms);
  BOOST_TEST(elapsed < 7500ms);  // Serially it would take 15 s.
  const MockStats stats = mock.stats();
  BOOST_TEST(stats.requests == static_cast<std::uint64_t>(kRequests));
  BOOST_TEST(stats.max_in_flight == static_cast<std::uint64_t>(kRequests));
  BOOST_TEST(stats.in_flight == 0u);
}

BOOST_AUTO_TEST_CASE(h2c_requests_get_each_dialects_envelope) {
  MockOptions options;
  options.latency = 20ms;
  MockProvider mock(options);
  const Reply openai = send_h2("POST", mock.base_url() + "/v1/chat/completions",
                               json::serialize(openai_request("hello h2")), kOpenaiHeaders);
  BOOST_TEST_REQUIRE(openai.code == CURLE_OK);
  BOOST_TEST(openai.http_version == static_cast<long>(CURL_HTTP_VERSION_2_0));
  BOOST_TEST(openai.status == 200);
  BOOST_TEST(openai.headers.at("content-type") == "application/json");
  BOOST_TEST(openai.json_body().at("object").as_string() == "chat.completion");
  BOOST_TEST(openai_content(openai) == R"({"echo":"hello h2"})");

  const Reply anthropic = send_h2("POST", mock.base_url() + "/v1/messages",
                                  json::serialize(anthropic_request("hello h2")), kAnthropicHeaders);
  BOOST_TEST_REQUIRE(anthropic.code == CURLE_OK);
  BOOST_TEST(anthropic.http_version == static_cast<long>(CURL_HTTP_VERSION_2_0));
  BOOST_TEST(anthropic.json_body().at("type").as_string() == "message");
  BOOST_TEST(anthropic_text(anthropic) == R"({"echo":"hello h2"})");

  // Auth is checked per stream, and the control API answers over h2 too.
  const Reply unauthorized = send_h2("POST", mock.base_url() + "/v1/messages",
                                     json::serialize(anthropic_request("hi")), {"anthropic-version: 2023-06-01"});
  BOOST_TEST(unauthorized.status == 401);
  BOOST_TEST(unauthorized.json_body().at("error").at("type").as_string() == "authentication_error");
  const Reply stats = send_h2("GET", mock.base_url() + "/_mock/stats", "", {});
  BOOST_TEST(stats.http_version == static_cast<long>(CURL_HTTP_VERSION_2_0));
  BOOST_TEST(count(stats.json_body().at("http2_requests")) == 3u);

  const MockStats counted = mock.stats();
  BOOST_TEST(counted.requests == 3u);
  BOOST_TEST(counted.http2_requests == 3u);
  BOOST_TEST(counted.openai == 1u);
  BOOST_TEST(counted.anthropic == 2u);
  BOOST_TEST(counted.by_kind.at("rejected") == 1u);
  BOOST_TEST(counted.connections == 4u);
  BOOST_TEST(counted.http2_connections == 4u);
  BOOST_TEST(counted.in_flight == 0u);
  BOOST_TEST(mock.requests().back().headers.at("host") == "127.0.0.1:" + std::to_string(mock.port()));
}

BOOST_AUTO_TEST_CASE(h2c_rate_limit_carries_retry_after) {
  MockProvider mock;
  mock.script(json::array{json::object{{"kind", "rate_limit"}, {"retry_after", 3}},
                          json::object{{"kind", "rate_limit"}, {"retry_after_ms", 250}}});
  const std::string url = mock.base_url() + "/v1/chat/completions";
  const Reply seconds = send_h2("POST", url, json::serialize(openai_request("hi")), kOpenaiHeaders);
  BOOST_TEST(seconds.http_version == static_cast<long>(CURL_HTTP_VERSION_2_0));
  BOOST_TEST(seconds.status == 429);
  BOOST_TEST(seconds.headers.at("retry-after") == "3");
  BOOST_TEST(seconds.json_body().at("error").at("code").as_string() == "rate_limit_exceeded");
  const Reply milliseconds = send_h2("POST", url, json::serialize(openai_request("hi")), kOpenaiHeaders);
  BOOST_TEST(milliseconds.status == 429);
  BOOST_TEST(milliseconds.headers.at("retry-after") == "1");
  BOOST_TEST(milliseconds.headers.at("retry-after-ms") == "250");
  BOOST_TEST(mock.stats().by_kind.at("rate_limit") == 2u);
}

BOOST_AUTO_TEST_CASE(h2c_drop_resets_that_stream_only) {
  MockOptions options;
  options.latency = 100ms;  // All three are in flight on the connection when the drop happens.
  options.rules = json::array{json::object{{"match", "^drop me$"}, {"behaviour", {{"kind", "drop"}}}}};
  MockProvider mock(options);
  const Batch batch = send_multiplexed(mock.base_url() + "/v1/chat/completions",
                                       {{json::serialize(openai_request("before"))},
                                        {json::serialize(openai_request("drop me"))},
                                        {json::serialize(openai_request("after"))}});
  BOOST_TEST(batch.replies[0].code == CURLE_OK);
  BOOST_TEST(batch.replies[0].status == 200);
  BOOST_TEST(batch.replies[1].code == CURLE_HTTP2_STREAM);  // RST_STREAM (INTERNAL_ERROR)
  BOOST_TEST(batch.replies[1].body.empty());
  BOOST_TEST(batch.replies[2].code == CURLE_OK);
  BOOST_TEST(openai_content(batch.replies[2]) == R"({"echo":"after"})");
  const MockStats stats = mock.stats();
  BOOST_TEST(stats.connections == 1u);
  BOOST_TEST(stats.http2_requests == 3u);
  BOOST_TEST(stats.max_in_flight == 3u);
  BOOST_TEST(stats.by_kind.at("drop") == 1u);
  BOOST_TEST(stats.aborted == 0u);
  BOOST_TEST(stats.in_flight == 0u);
}

BOOST_AUTO_TEST_CASE(a_thousand_concurrent_h2c_requests_share_a_handful_of_connections) {
  MockOptions options;
  options.latency = 200ms;
  MockProvider mock(options);
  constexpr std::size_t kRequests = 1000;
  std::vector<Multiplexed> requests;
  for (std::size_t i = 0; i < kRequests; ++i) requests.push_back({json::serialize(openai_request(std::to_string(i)))});
  const Batch batch = send_multiplexed(mock.base_url() + "/v1/chat/completions", requests);
  for (std::size_t i = 0; i < kRequests; ++i) {
    BOOST_TEST_REQUIRE(batch.replies[i].code == CURLE_OK);
    BOOST_TEST_REQUIRE(batch.replies[i].status == 200);
    BOOST_TEST_REQUIRE(batch.replies[i].http_version == static_cast<long>(CURL_HTTP_VERSION_2_0));
    BOOST_TEST_REQUIRE(openai_content(batch.replies[i]) == json::serialize(json::object{{"echo", std::to_string(i)}}));
  }
  BOOST_TEST(batch.elapsed >= 200ms);
  BOOST_TEST(batch.elapsed < 5s);  // One after another: 200 s.
  const MockStats stats = mock.stats();
  BOOST_TEST(stats.http2_requests == kRequests);
  BOOST_TEST(stats.connections <= 4u);
  BOOST_TEST(stats.http2_connections == stats.connections);
  BOOST_TEST(stats.max_in_flight >= kRequests / 2);
  BOOST_TEST(stats.in_flight == 0u);
  BOOST_TEST(stats.aborted == 0u);
}

BOOST_AUTO_TEST_CASE(an_h2c_client_that_gives_up_before_the_answer_is_counted_as_aborted) {
  MockOptions options;
  options.latency = 1s;
  MockProvider mock(options);
  // Alone on its connection: curl gives up on the stream and the connection.
  const Reply timed_out = send_h2("POST", mock.base_url() + "/v1/chat/completions",
                                  json::serialize(openai_request("hi")), kOpenaiHeaders, 100);
  BOOST_TEST(timed_out.code == CURLE_OPERATION_TIMEDOUT);
  BOOST_TEST(mock.wait_for([](const MockStats& stats) { return stats.aborted == 1; }, 3s));

  // Sharing a connection: curl resets the stream (RST_STREAM) and keeps the
  // connection. libcurl 7.88.1 sends that RST_STREAM the next time it reads
  // the connection, so another answer comes 300 ms later.
  MockProvider shared;
  shared.set_rules(json::array{
      json::object{{"match", "impatient"}, {"behaviour", {{"kind", "slow"}, {"delay_ms", 4000}}}},
      json::object{{"match", "quick"}, {"behaviour", {{"kind", "slow"}, {"delay_ms", 300}}}}});
  bool aborted_while_connected = false;
  const Batch batch = send_multiplexed(
      shared.base_url() + "/v1/chat/completions",
      {{json::serialize(openai_request("quick"))}, {json::serialize(openai_request("impatient")), 100}},
      [&] {
        aborted_while_connected = shared.wait_for([](const MockStats& stats) { return stats.aborted == 1; }, 3s);
      });
  BOOST_TEST(batch.replies[0].status == 200);
  BOOST_TEST(batch.replies[1].code == CURLE_OPERATION_TIMEDOUT);
  BOOST_TEST(aborted_while_connected);
  const MockStats stats = shared.stats();
  BOOST_TEST(stats.connections == 1u);
  BOOST_TEST(stats.requests == 2u);
  BOOST_TEST(stats.by_kind.at("slow") == 2u);
  BOOST_TEST(stats.in_flight == 0u);
}

BOOST_AUTO_TEST_CASE(an_http1_request_can_upgrade_to_h2c_and_the_connection_is_reused) {
  MockProvider mock;
  const CurlHandle handle = new_handle();
  curl_easy_setopt(handle.get(), CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_2_0));
  const std::string url = mock.base_url() + "/v1/messages";
  const Reply first = send(handle.get(), "POST", url, json::serialize(anthropic_request("one")), kAnthropicHeaders);
  BOOST_TEST(first.status == 200);
  BOOST_TEST(first.http_version == static_cast<long>(CURL_HTTP_VERSION_2_0));
  BOOST_TEST(anthropic_text(first) == R"({"echo":"one"})");
  BOOST_TEST(mock.requests().back().headers.at("upgrade") == "h2c");
  const Reply second = send(handle.get(), "POST", url, json::serialize(anthropic_request("two")), kAnthropicHeaders);
  BOOST_TEST(second.status == 200);
  BOOST_TEST(second.new_connections == 0);
  BOOST_TEST(anthropic_text(second) == R"({"echo":"two"})");
  const MockStats stats = mock.stats();
  BOOST_TEST(stats.http2_requests == 2u);
  BOOST_TEST(stats.connections == 1u);
  BOOST_TEST(stats.http2_connections == 1u);
}

BOOST_AUTO_TEST_CASE(http1_and_h2c_share_the_port) {
  MockProvider mock;
  const std::string url = mock.base_url() + "/v1/chat/completions";
  const std::string body = json::serialize(openai_request("hi"));
  const Reply http1 = send("POST", url, body, kOpenaiHeaders);
  BOOST_TEST(http1.status == 200);
  BOOST_TEST(http1.http_version == static_cast<long>(CURL_HTTP_VERSION_1_1));
  const Reply http2 = send_h2("POST", url, body, kOpenaiHeaders);
  BOOST_TEST(http2.status == 200);
  BOOST_TEST(http2.http_version == static_cast<long>(CURL_HTTP_VERSION_2_0));
  BOOST_TEST(openai_content(http1) == openai_content(http2));
  const MockStats stats = mock.stats();
  BOOST_TEST(stats.requests == 2u);
  BOOST_TEST(stats.http2_requests == 1u);
  BOOST_TEST(stats.connections == 2u);
  BOOST_TEST(stats.http2_connections == 1u);
}

BOOST_AUTO_TEST_CASE(the_executable_prints_its_port_answers_and_exits_0_on_sigterm) {
  MockProcess mock(AGENTHOST_MOCK_PROVIDER, {"--latency-ms", "10", "--default-content", "from the process",
                                             "--expected-key", "sk-process"});
  BOOST_TEST(mock.port() > 0);
  const std::string body = json::serialize(openai_request("hi"));
  const Reply reply = send("POST", mock.base_url() + "/v1/chat/completions", body, {"Authorization: Bearer sk-process"});
  BOOST_TEST(reply.status == 200);
  BOOST_TEST(openai_content(reply) == "from the process");
  BOOST_TEST(send("POST", mock.base_url() + "/v1/chat/completions", body, {"Authorization: Bearer other"}).status == 401);
  BOOST_TEST(count(send("GET", mock.base_url() + "/_mock/stats").json_body().at("requests")) == 2u);
  const int status = mock.terminate();
  BOOST_TEST(WIFEXITED(status));
  BOOST_TEST(WEXITSTATUS(status) == 0);
}

BOOST_AUTO_TEST_CASE(the_executable_loads_rules_and_writes_its_port_file) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("mock-provider-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "rules.json") << R"([{"match": "ping", "content": "pong"}])";
  std::ofstream(dir / "broken.json") << R"([{"match": "ping",)";
  {
    MockProcess mock(AGENTHOST_MOCK_PROVIDER,
                     {"--rules", (dir / "rules.json").string(), "--port-file", (dir / "port").string()});
    std::ifstream port_file(dir / "port");
    unsigned short written_port = 0;
    port_file >> written_port;
    BOOST_TEST(written_port == mock.port());
    const Reply reply = send("POST", mock.base_url() + "/chat/completions",
                             json::serialize(openai_request("ping?")), {"Authorization: Bearer k"});
    BOOST_TEST(openai_content(reply) == "pong");
  }
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"--rules", (dir / "broken.json").string()}, {"--bogus"}, {"--port", "70000"}, {"--threads"}}) {
    try {
      MockProcess mock(AGENTHOST_MOCK_PROVIDER, args);
      BOOST_ERROR("mock-provider started with " + args.front());
    } catch (const std::runtime_error& error) {
      BOOST_TEST(std::string(error.what()).find("exit status 2") != std::string::npos, error.what());
    }
  }
  std::filesystem::remove_all(dir);
}

BOOST_AUTO_TEST_SUITE_END()
