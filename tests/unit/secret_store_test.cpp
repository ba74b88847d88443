// secret_store_test.cpp: the secret store and its redactor: every occurrence of
// every value goes, the longest value names the marker, short values stay, a
// replaced value stops being served but stays redacted, JSON strings and keys are covered, and
// readers and a writer can share the store.
#include <agenthost/host/secret_store.hpp>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

using namespace agenthost;

BOOST_AUTO_TEST_SUITE(secret_store)

BOOST_AUTO_TEST_CASE(an_empty_store_changes_nothing) {
    const SecretStore store;
    BOOST_TEST(!store.redacts());
    BOOST_TEST(store.redact("sk-live-123456") == "sk-live-123456");
    BOOST_TEST(!store.value("API_KEY").has_value());
    BOOST_TEST(!store.contains("API_KEY"));
}

BOOST_AUTO_TEST_CASE(every_occurrence_is_replaced_by_the_secrets_name) {
    SecretStore store;
    store.put({{"API_KEY", "sk-live-123456"}});
    BOOST_TEST(store.redacts());
    BOOST_TEST(store.value("API_KEY").value_or("") == "sk-live-123456");
    BOOST_TEST(store.redact("key=sk-live-123456, again sk-live-123456") ==
               "key=[REDACTED:API_KEY], again [REDACTED:API_KEY]");
    BOOST_TEST(store.redact("sk-live-123456") == "[REDACTED:API_KEY]");
    BOOST_TEST(store.redact("sk-live-12345") == "sk-live-12345");  // a prefix is not the value
    BOOST_TEST(store.redact("") == "");
}

BOOST_AUTO_TEST_CASE(the_longest_value_wins_where_one_contains_another) {
    SecretStore store;
    store.put({{"SHORT", "abcd"}, {"LONG", "abcd-efgh"}});
    BOOST_TEST(store.redact("x abcd-efgh y abcd z") == "x [REDACTED:LONG] y [REDACTED:SHORT] z");
}

BOOST_AUTO_TEST_CASE(overlapping_values_leave_no_byte_of_either) {
    SecretStore store;
    store.put({{"A", "1234567"}, {"B", "567890"}});
    // A covers 1234567, B covers 567890: the stretch 1234567890 is one marker, named after A (longer).
    BOOST_TEST(store.redact("<1234567890>") == "<[REDACTED:A]>");
    // A value that overlaps itself: "aaaa" found at 0 and 1 in "aaaaa".
    SecretStore repeats;
    repeats.put({{"R", "aaaa"}});
    BOOST_TEST(repeats.redact("aaaaa") == "[REDACTED:R]");
    BOOST_TEST(repeats.redact("aaaa aaaa") == "[REDACTED:R] [REDACTED:R]");
}

BOOST_AUTO_TEST_CASE(equal_lengths_are_named_after_the_first_loaded) {
    SecretStore store;
    store.put({{"FIRST", "same-value"}, {"SECOND", "same-value"}});
    BOOST_TEST(store.redact("same-value") == "[REDACTED:FIRST]");
}

BOOST_AUTO_TEST_CASE(values_shorter_than_four_bytes_are_served_but_not_redacted) {
    SecretStore store;
    store.put({{"PIN", "123"}});
    BOOST_TEST(store.value("PIN").value_or("") == "123");
    BOOST_TEST(!store.redacts());
    BOOST_TEST(store.redact("pin 123") == "pin 123");
    store.put({{"CODE", "1234"}});
    BOOST_TEST(store.redacts());
    BOOST_TEST(store.redact("pin 123, code 1234") == "pin 123, code [REDACTED:CODE]");
}

BOOST_AUTO_TEST_CASE(a_new_value_replaces_the_old_and_is_reported) {
    SecretStore store;
    BOOST_TEST(store.put({{"K", "first-value"}, {"L", "other-value"}}).empty());
    BOOST_TEST(store.put({{"L", "other-value"}}).empty());  // the same value is no change
    const std::vector<std::string> changed = store.put({{"K", "second-value"}});
    BOOST_TEST(changed == std::vector<std::string>{"K"});
    BOOST_TEST(store.value("K").value_or("") == "second-value");
    // The old value is no longer served, but still redacted: a call that read it may quote it late.
    BOOST_TEST(store.redact("first-value second-value") == "[REDACTED:K] [REDACTED:K]");
}

BOOST_AUTO_TEST_CASE(json_strings_and_keys_are_redacted_recursively) {
    SecretStore store;
    store.put({{"TOKEN", "tok\"en-42"}});
    boost::json::value v = boost::json::parse(R"({"a": "x tok\"en-42 y", "b": [1, "tok\"en-42", {"tok\"en-42": true}]})");
    store.redact_in_place(v);
    BOOST_TEST(boost::json::serialize(v) ==
               R"({"a":"x [REDACTED:TOKEN] y","b":[1,"[REDACTED:TOKEN]",{"[REDACTED:TOKEN]":true}]})");
}

BOOST_AUTO_TEST_CASE(readers_and_a_writer_share_the_store) {
    SecretStore store;
    store.put({{"S0", "value-0000"}});
    std::atomic<bool> stop{false};
    std::atomic<int> leaks{0};
    std::vector<std::thread> readers;
    for (int t = 0; t < 4; ++t) {
        readers.emplace_back([&] {
            while (!stop.load()) {
                // S0 is never replaced, so it must always be redacted, whatever else is being written.
                if (store.redact("a value-0000 b").find("value-0000") != std::string::npos) ++leaks;
                (void)store.value("S1");
            }
        });
    }
    for (int i = 0; i < 2000; ++i) store.put({{"S1", "changing-" + std::to_string(i)}});
    stop = true;
    for (std::thread& t : readers) t.join();
    BOOST_TEST(leaks.load() == 0);
    BOOST_TEST(store.value("S1").value_or("") == "changing-1999");
}

BOOST_AUTO_TEST_SUITE_END()
