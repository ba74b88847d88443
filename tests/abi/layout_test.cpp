// layout_test.cpp: the memory layout of every public struct, pinned, and the 1.0 prefix of the entry.
//
// Plugins are compiled once and loaded by hosts built years later, so the
// layout of each struct in sdk.h is the ABI itself. The static_asserts below
// pin it for LP64 (x86-64 and AArch64 Linux): a change fails the build of
// this file. The runtime checks repeat the key facts so that ctest reports
// them, and show that an entry written by a 1.0 plugin reads correctly
// through today's struct.
#include "frozen_v1_0.hpp"  // first: see the file

#include <agenthost/sdk.h>

#include <boost/test/unit_test.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace {

namespace v1_0 = agenthost::abi_v1_0;

static_assert(sizeof(void*) == 8 && sizeof(std::size_t) == 8 && alignof(std::uint64_t) == 8,
              "the layouts pinned here are LP64's; pin the other data model's before building there");

// ---------------------------------------------------------------- ah_error
static_assert(sizeof(ah_error) == 16 && alignof(ah_error) == 8);
static_assert(offsetof(ah_error, message) == 0);
static_assert(offsetof(ah_error, capacity) == 8);

// ----------------------------------------------------------------- ah_host
static_assert(sizeof(ah_host) == 48 && alignof(ah_host) == 8);
static_assert(offsetof(ah_host, struct_size) == 0);
static_assert(offsetof(ah_host, abi_major) == 4);
static_assert(offsetof(ah_host, abi_minor) == 8);
static_assert(offsetof(ah_host, reserved) == 12);
static_assert(offsetof(ah_host, get_extension) == 16);
static_assert(offsetof(ah_host, complete) == 24);
static_assert(offsetof(ah_host, is_cancelled) == 32);
static_assert(offsetof(ah_host, retry_after) == 40);

// ---------------------------------------------------------- ah_invoke_args
static_assert(sizeof(ah_invoke_args) == 48 && alignof(ah_invoke_args) == 8);
static_assert(offsetof(ah_invoke_args, struct_size) == 0);
static_assert(offsetof(ah_invoke_args, attempt) == 4);
static_assert(offsetof(ah_invoke_args, input_json) == 8);
static_assert(offsetof(ah_invoke_args, input_size) == 16);
static_assert(offsetof(ah_invoke_args, run_id) == 24);
static_assert(offsetof(ah_invoke_args, step) == 32);
static_assert(offsetof(ah_invoke_args, idempotency_key) == 40);

// --------------------------------------------------------- ah_plugin_entry
static_assert(sizeof(ah_plugin_entry) == 64 && alignof(ah_plugin_entry) == 8);
static_assert(offsetof(ah_plugin_entry, struct_size) == 0);
static_assert(offsetof(ah_plugin_entry, abi_major) == 4);
static_assert(offsetof(ah_plugin_entry, abi_minor) == 8);
static_assert(offsetof(ah_plugin_entry, reserved) == 12);
static_assert(offsetof(ah_plugin_entry, manifest_json) == 16);
static_assert(offsetof(ah_plugin_entry, create) == 24);
static_assert(offsetof(ah_plugin_entry, invoke) == 32);
static_assert(offsetof(ah_plugin_entry, cancel) == 40);
static_assert(offsetof(ah_plugin_entry, destroy) == 48);
static_assert(offsetof(ah_plugin_entry, flags) == 56 && sizeof(ah_plugin_entry::flags) == 8);

// --------------------------------------------------------------- ah_log_v1
static_assert(sizeof(ah_log_v1) == 16 && alignof(ah_log_v1) == 8);
static_assert(offsetof(ah_log_v1, struct_size) == 0);
static_assert(offsetof(ah_log_v1, reserved) == 4);
static_assert(offsetof(ah_log_v1, write) == 8);

// ------------------------------------------------ ah_usage_v1, ah_context_v1
static_assert(sizeof(ah_usage_v1) == 16 && alignof(ah_usage_v1) == 8);
static_assert(offsetof(ah_usage_v1, report) == 8);
static_assert(sizeof(ah_context_v1) == 24 && alignof(ah_context_v1) == 8);
static_assert(offsetof(ah_context_v1, read) == 8);
static_assert(offsetof(ah_context_v1, write) == 16);

// ------------------------------------------------- ah_http_v1, ah_secrets_v1
static_assert(sizeof(ah_http_header) == 16 && alignof(ah_http_header) == 8);
static_assert(sizeof(ah_http_request) == 64 && alignof(ah_http_request) == 8);
static_assert(offsetof(ah_http_request, flags) == 4);
static_assert(offsetof(ah_http_request, url) == 16);
static_assert(offsetof(ah_http_request, headers) == 24);
static_assert(offsetof(ah_http_request, body) == 40);
static_assert(offsetof(ah_http_request, timeout_ms) == 56);
static_assert(sizeof(ah_http_response) == 56 && alignof(ah_http_response) == 8);
static_assert(offsetof(ah_http_response, status) == 4);
static_assert(offsetof(ah_http_response, http_status) == 8);
static_assert(offsetof(ah_http_response, headers) == 16);
static_assert(offsetof(ah_http_response, body) == 32);
static_assert(offsetof(ah_http_response, error) == 48);
static_assert(sizeof(ah_http_v1) == 24 && alignof(ah_http_v1) == 8);
static_assert(offsetof(ah_http_v1, send) == 8);
static_assert(offsetof(ah_http_v1, cancel) == 16);
static_assert(sizeof(ah_secrets_v1) == 16 && alignof(ah_secrets_v1) == 8);
static_assert(offsetof(ah_secrets_v1, read) == 8);

// ----------------------------------- the entry's 1.0 prefix, field by field
// Same offset and same size for every field the 1.0 entry has, and the 1.0
// entry ends exactly where the first 1.1 field begins.
#define AGENTHOST_SAME_AS_V1_0(member)                                                     \
    static_assert(offsetof(ah_plugin_entry, member) == offsetof(v1_0::ah_plugin_entry, member) && \
                      sizeof(ah_plugin_entry::member) == sizeof(v1_0::ah_plugin_entry::member),   \
                  "ah_plugin_entry." #member " moved or changed size since ABI 1.0")
AGENTHOST_SAME_AS_V1_0(struct_size);
AGENTHOST_SAME_AS_V1_0(abi_major);
AGENTHOST_SAME_AS_V1_0(abi_minor);
AGENTHOST_SAME_AS_V1_0(reserved);
AGENTHOST_SAME_AS_V1_0(manifest_json);
AGENTHOST_SAME_AS_V1_0(create);
AGENTHOST_SAME_AS_V1_0(invoke);
AGENTHOST_SAME_AS_V1_0(cancel);
AGENTHOST_SAME_AS_V1_0(destroy);
#undef AGENTHOST_SAME_AS_V1_0
static_assert(sizeof(v1_0::ah_plugin_entry) == offsetof(ah_plugin_entry, flags),
              "a 1.0 entry must end where `flags` begins");

// The host table grew in 1.2 (above); the other structs have not grown since 1.0.
static_assert(sizeof(v1_0::ah_error) == sizeof(ah_error));
static_assert(sizeof(v1_0::ah_host) == offsetof(ah_host, retry_after),
              "a 1.0 host table must end where `retry_after` begins");
static_assert(sizeof(v1_0::ah_invoke_args) == sizeof(ah_invoke_args));
static_assert(sizeof(v1_0::ah_log_v1) == sizeof(ah_log_v1));

// Stand-ins for a 1.0 plugin's functions: only their addresses matter here.
ah_status v1_0_create(const v1_0::ah_host*, const char*, std::size_t, void**, v1_0::ah_error*) { return 0; }
ah_status v1_0_invoke(void*, v1_0::ah_call*, const v1_0::ah_invoke_args*) { return 0; }
void v1_0_cancel(void*, v1_0::ah_call*) {}
void v1_0_destroy(void*) {}

//! A function's address, comparable across the 1.0 and current signatures
//! (which differ only in which header's structs they name).
template <class Function>
auto address_of(Function* function) {
    return reinterpret_cast<void (*)()>(function);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(layout)

BOOST_AUTO_TEST_CASE(struct_sizes_are_the_pinned_lp64_ones) {
    BOOST_TEST(sizeof(ah_error) == 16u);
    BOOST_TEST(sizeof(ah_host) == 48u);
    BOOST_TEST(sizeof(ah_invoke_args) == 48u);
    BOOST_TEST(sizeof(ah_plugin_entry) == 64u);
    BOOST_TEST(sizeof(ah_log_v1) == 16u);
    BOOST_TEST(sizeof(ah_http_request) == 64u);
    BOOST_TEST(sizeof(ah_http_response) == 56u);
    BOOST_TEST(sizeof(ah_http_v1) == 24u);
    BOOST_TEST(sizeof(ah_secrets_v1) == 16u);
}

BOOST_AUTO_TEST_CASE(every_struct_starts_with_its_size_where_it_has_one) {
    // The host and the plugin find out each other's version from the first
    // four bytes of each growable struct; they must stay there.
    BOOST_TEST(offsetof(ah_host, struct_size) == 0u);
    BOOST_TEST(offsetof(ah_invoke_args, struct_size) == 0u);
    BOOST_TEST(offsetof(ah_plugin_entry, struct_size) == 0u);
    BOOST_TEST(offsetof(ah_log_v1, struct_size) == 0u);
}

BOOST_AUTO_TEST_CASE(v1_0_entry_size_is_the_offset_of_flags) {
    BOOST_TEST(sizeof(v1_0::ah_plugin_entry) == offsetof(ah_plugin_entry, flags));
    BOOST_TEST(sizeof(v1_0::ah_plugin_entry) == 56u);
}

BOOST_AUTO_TEST_CASE(v1_0_entry_reads_the_same_through_the_current_struct) {
    // What a host does with a 1.0 plugin's entry: copy struct_size bytes into
    // a zeroed current struct and read every field from there.
    static const char manifest[] = "{}";
    const v1_0::ah_plugin_entry old_entry = {
        static_cast<uint32_t>(sizeof(v1_0::ah_plugin_entry)), 1u, 0u, 0u, manifest,
        &v1_0_create, &v1_0_invoke, &v1_0_cancel, &v1_0_destroy,
    };
    BOOST_TEST_REQUIRE(old_entry.struct_size <= sizeof(ah_plugin_entry));
    ah_plugin_entry entry{};
    std::memcpy(&entry, &old_entry, old_entry.struct_size);

    BOOST_TEST(entry.struct_size == 56u);
    BOOST_TEST(entry.abi_major == 1u);
    BOOST_TEST(entry.abi_minor == 0u);
    BOOST_TEST(entry.reserved == 0u);
    BOOST_TEST(entry.manifest_json == manifest);
    BOOST_TEST(address_of(entry.create) == address_of(&v1_0_create));
    BOOST_TEST(address_of(entry.invoke) == address_of(&v1_0_invoke));
    BOOST_TEST(address_of(entry.cancel) == address_of(&v1_0_cancel));
    BOOST_TEST(address_of(entry.destroy) == address_of(&v1_0_destroy));
    BOOST_TEST(entry.flags == 0u, "the copy of a 1.0 entry reached `flags`");
}

BOOST_AUTO_TEST_CASE(current_entry_reads_the_same_through_the_v1_0_struct) {
    // What a 1.0-era reader of an entry sees of a 1.1 plugin: the prefix, unchanged.
    static const char manifest[] = "{}";
    const ah_plugin_entry new_entry = {
        static_cast<uint32_t>(sizeof(ah_plugin_entry)), AH_ABI_MAJOR, AH_ABI_MINOR, 0u, manifest,
        nullptr, nullptr, nullptr, nullptr, AH_PLUGIN_CONCURRENT_INVOKE,
    };
    v1_0::ah_plugin_entry prefix{};
    std::memcpy(&prefix, &new_entry, sizeof prefix);
    BOOST_TEST(prefix.struct_size == sizeof(ah_plugin_entry));
    BOOST_TEST(prefix.abi_major == AH_ABI_MAJOR);
    BOOST_TEST(prefix.abi_minor == AH_ABI_MINOR);
    BOOST_TEST(prefix.manifest_json == manifest);
}

BOOST_AUTO_TEST_SUITE_END()
