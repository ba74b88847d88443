/*
 * header_check.c: compiles agenthost/sdk.h on its own, as C and as C++.
 *
 * tests/abi/CMakeLists.txt turns this file into ctest tests that run the
 * compiler with -pedantic -Werror -Wall -Wextra as C11 and, with -x c++, as
 * C++11, C++17 and C++20, the way CLAP checks its headers. The code below
 * only names every item of the header, so that each declaration is used and
 * checked, not merely skipped over; it is never run.
 */
#include <agenthost/sdk.h>

/* Every status code, log level and flag, as the types they are used with. */
static const ah_status header_check_statuses[] = {
    AH_OK,           AH_PENDING,         AH_ERR_FAILED,      AH_ERR_INVALID_ARGUMENT, AH_ERR_CANCELLED,
    AH_ERR_TIMEOUT,  AH_ERR_PERMISSION_DENIED, AH_ERR_UNAVAILABLE, AH_ERR_INTERNAL,   AH_ERR_UNSUPPORTED,
};
static const int32_t header_check_log_levels[] = {
    AH_LOG_TRACE, AH_LOG_DEBUG, AH_LOG_INFO, AH_LOG_WARNING, AH_LOG_ERROR,
};

/* The entry function's type, declared as a plugin defines it. */
AH_EXPORT const ah_plugin_entry *ah_plugin_entry_v1(void);

/* Sums the sizes of every public type and touches every constant. */
size_t header_check_everything(const ah_host *host, const ah_plugin_entry *entry, const ah_log_v1 *log,
                               ah_call *call, const ah_invoke_args *args, ah_error *error);
size_t header_check_everything(const ah_host *host, const ah_plugin_entry *entry, const ah_log_v1 *log,
                               ah_call *call, const ah_invoke_args *args, ah_error *error) {
    const char *names[] = {AH_ENTRY_SYMBOL, AH_EXT_LOG_V1};
    ah_plugin_entry_fn entry_fn = ah_plugin_entry_v1;
    size_t total = sizeof(ah_error) + sizeof(ah_host) + sizeof(ah_invoke_args) + sizeof(ah_plugin_entry) +
                   sizeof(ah_log_v1) + sizeof names + sizeof header_check_statuses + sizeof header_check_log_levels;
    total += (size_t)(AH_ABI_MAJOR + AH_ABI_MINOR) + (size_t)(entry->flags & AH_PLUGIN_CONCURRENT_INVOKE);
    total += host->get_extension(host, AH_EXT_LOG_V1) != NULL;
    host->complete(call, AH_OK, args->input_json, args->input_size, error->message);
    total += (size_t)host->is_cancelled(call);
    log->write(host, call, AH_LOG_INFO, "", 0);
    return total + (entry_fn == NULL);
}
