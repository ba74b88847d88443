/*
 * agenthost/sdk.h: the whole plugin ABI of agenthost, in plain C11.
 *
 * A plugin is a shared library that exports exactly one symbol, the function
 * `ah_plugin_entry_v1`, which returns a static `ah_plugin_entry`. Everything
 * else crosses the boundary through the function pointers in that struct and
 * in the `ah_host` table the host hands to each instance.
 *
 * Stability rules (see sdk/ABI.md for the item list and the version each item
 * was added in):
 *  - The major version must match. The host accepts any plugin minor version
 *    up to its own.
 *  - Structs only ever grow at the end. Each side reads a field only when the
 *    other side's `struct_size` covers it.
 *  - A host service is found by string id (`"ah.log/1"`). A published id never
 *    changes; a new revision gets a new id.
 *  - No exceptions, no C++ types and no allocator crosses the boundary.
 *    Errors are status codes plus a message; whoever allocates frees; strings
 *    passed in are borrowed for the duration of the call.
 *
 * Threading tags used below:
 *  [any-thread]   may be called from any thread, concurrently with itself.
 *  [instance]     calls for one instance are never concurrent with `destroy`
 *                 of that instance; see each function for more.
 */
#ifndef AGENTHOST_SDK_H
#define AGENTHOST_SDK_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- version */

#define AH_ABI_MAJOR 1u
#define AH_ABI_MINOR 2u

/* The name of the one exported symbol. */
#define AH_ENTRY_SYMBOL "ah_plugin_entry_v1"

#if defined(_WIN32)
#define AH_EXPORT __declspec(dllexport)
#else
#define AH_EXPORT __attribute__((visibility("default")))
#endif

/* ----------------------------------------------------------------- status */

typedef int32_t ah_status;

#define AH_OK 0                    /* done: the call has completed */
#define AH_PENDING 1               /* accepted: `ah_host.complete` follows later */
#define AH_ERR_FAILED (-1)         /* the agent failed; the message says why */
#define AH_ERR_INVALID_ARGUMENT (-2) /* input or config the agent cannot use */
#define AH_ERR_CANCELLED (-3)      /* the call was cancelled before it finished */
#define AH_ERR_TIMEOUT (-4)        /* the agent gave up waiting on something */
#define AH_ERR_PERMISSION_DENIED (-5) /* a host service refused the request */
#define AH_ERR_UNAVAILABLE (-6)    /* transient: a retry may succeed */
#define AH_ERR_INTERNAL (-7)       /* a bug: an exception escaped, a broken invariant */
#define AH_ERR_UNSUPPORTED (-8)    /* the operation is not implemented */

/* ------------------------------------------------------------ small types */

/* A message buffer owned by the caller. The callee writes at most
 * `capacity - 1` bytes and a terminating NUL; it may truncate. */
typedef struct ah_error {
    char *message;   /* caller-owned, `capacity` bytes, never NULL */
    size_t capacity; /* > 0 */
} ah_error;

/* An in-flight call. Opaque; owned by the host. It stays valid from the start
 * of `invoke` until `ah_host.complete` has been called for it. */
typedef struct ah_call ah_call;

/* Log levels for the `ah.log/1` service. */
#define AH_LOG_TRACE 0
#define AH_LOG_DEBUG 1
#define AH_LOG_INFO 2
#define AH_LOG_WARNING 3
#define AH_LOG_ERROR 4

/* ------------------------------------------------------------- host table */

/* The host side, one table per plugin instance: the host uses its address to
 * know which instance is asking, and so what that instance was granted. Valid
 * from `create` until `destroy` returns. Read-only for the plugin. */
typedef struct ah_host ah_host;
struct ah_host {
    uint32_t struct_size; /* sizeof(ah_host) as the host built it */
    uint32_t abi_major;   /* the host's AH_ABI_MAJOR */
    uint32_t abi_minor;   /* the host's AH_ABI_MINOR */
    uint32_t reserved;    /* zero */

    /* Find a host service by id, e.g. "ah.log/1". Returns a pointer to the
     * service's function table (static for the life of the instance), or NULL
     * when the id is unknown or this instance was not granted it.
     * [any-thread] */
    const void *(*get_extension)(const ah_host *host, const char *id);

    /* Deliver the result of `call`: exactly once for every `invoke`, whether
     * the call succeeds, fails or is refused. From inside `invoke` or later
     * from any thread. `output_json` and `error_message` are borrowed: the
     * host copies them before returning. On success pass AH_OK and the output
     * JSON; on failure a status < 0 and a message (may be NULL). A second
     * `complete` for the same call is ignored. [any-thread] */
    void (*complete)(ah_call *call, ah_status status, const char *output_json, size_t output_size,
                     const char *error_message);

    /* Nonzero once the host wants `call` to stop (timeout, run cancelled).
     * Long-running synchronous work polls this and completes with
     * AH_ERR_CANCELLED. [any-thread, until `complete` returns] */
    int32_t (*is_cancelled)(const ah_call *call);

    /* ---- added in 1.2 ---- */

    /* Ask the host to wait at least `delay_ms` before it retries `call`: for
     * a retryable failure (AH_ERR_UNAVAILABLE, AH_ERR_TIMEOUT, AH_ERR_FAILED)
     * that the plugin is about to report, such as a provider's 429 with
     * Retry-After. The host waits for the longer of this and its own backoff;
     * when this is longer than the agent's max_backoff, or the wait would pass
     * the run's deadline, it calls the agent's fallback at once instead.
     * Call before `complete`; a later call replaces an earlier one.
     * [any-thread, until `complete` for `call` returns] */
    void (*retry_after)(ah_call *call, uint64_t delay_ms);
};

/* --------------------------------------------------------------- invoking */

/* What one call receives. All pointers are borrowed until `invoke` returns; a
 * plugin that completes later copies what it needs. Strings are UTF-8 and
 * NUL-terminated; `input_json` also has its size. */
typedef struct ah_invoke_args {
    uint32_t struct_size;        /* sizeof(ah_invoke_args) as the host built it */
    uint32_t attempt;            /* 1 for the first attempt, 2 for the first retry, ... */
    const char *input_json;      /* the step's input, already valid against input_schema */
    size_t input_size;
    const char *run_id;          /* W3C trace id of the run (32 hex chars) */
    const char *step;            /* the workflow step making the call */
    const char *idempotency_key; /* stable across retries of this step of this run */
} ah_invoke_args;

/* ------------------------------------------------------------ plugin entry */

/* v1.1 flags for `ah_plugin_entry.flags`. */
#define AH_PLUGIN_CONCURRENT_INVOKE 1u /* one instance accepts concurrent invokes */

/* What `ah_plugin_entry_v1()` returns: static data, valid while the library
 * is loaded. The host reads a field only when `struct_size` covers it. */
typedef struct ah_plugin_entry {
    uint32_t struct_size; /* sizeof(ah_plugin_entry) as the plugin built it */
    uint32_t abi_major;   /* AH_ABI_MAJOR the plugin was built with */
    uint32_t abi_minor;   /* AH_ABI_MINOR the plugin was built with */
    uint32_t reserved;    /* zero: the host refuses an entry where it is not */

    /* The manifest: NUL-terminated UTF-8 JSON, static. */
    const char *manifest_json;

    /* Make an instance from the agent's config JSON (already valid against
     * the manifest's config_schema). On success store the instance in
     * `*out_instance` and return AH_OK. On failure return a status < 0 and
     * write a message to `error`. `host` outlives the instance.
     * [any-thread; instances are independent of each other] */
    ah_status (*create)(const ah_host *host, const char *config_json, size_t config_size,
                        void **out_instance, ah_error *error);

    /* Start a call, and see that `host->complete` is called for it exactly
     * once. Return AH_OK when `complete` has already been called, AH_PENDING
     * when it will be called later from any thread. The host delivers the
     * result only after `invoke` has returned. Without
     * AH_PLUGIN_CONCURRENT_INVOKE the host never runs two invokes on one
     * instance at the same time. [instance] */
    ah_status (*invoke)(void *instance, ah_call *call, const ah_invoke_args *args);

    /* Ask a call to stop. Cooperative: the plugin still calls `complete`,
     * preferably soon and with AH_ERR_CANCELLED, and may do so from inside
     * `cancel`. It may race with the plugin's own `complete`: a cancel for a
     * call the plugin has already completed is to be ignored. `call` stays
     * valid (never reused) until `cancel` returns. The host holds no lock of
     * its own while it calls `cancel`. May be NULL when the plugin cannot
     * stop early. [any-thread] */
    void (*cancel)(void *instance, ah_call *call);

    /* Free an instance and join any thread it started. The host calls it
     * once, after every call of the instance has completed, and never from
     * inside `invoke`, `cancel` or a `complete` of this instance. [instance] */
    void (*destroy)(void *instance);

    /* ---- added in 1.1 ---- */
    uint64_t flags; /* AH_PLUGIN_* bits; the host refuses bits it does not know */
} ah_plugin_entry;

/* The one exported function. It must not fail and must return the same
 * pointer every time. [any-thread] */
typedef const ah_plugin_entry *(*ah_plugin_entry_fn)(void);
AH_EXPORT const ah_plugin_entry *ah_plugin_entry_v1(void);

/* ---------------------------------------------------------- host services */

/* "ah.log/1": structured logging through the host. Always available. */
#define AH_EXT_LOG_V1 "ah.log/1"
typedef struct ah_log_v1 {
    uint32_t struct_size;
    uint32_t reserved;
    /* Log one message, tagged by the host with the run, step and agent.
     * `call` may be NULL outside a call. `message` is borrowed, `size` bytes.
     * [any-thread] */
    void (*write)(const ah_host *host, const ah_call *call, int32_t level, const char *message,
                  size_t size);
} ah_log_v1;

/* "ah.usage/1" (added in 1.1): report what a model call used. The host
 * prices it from the config's price table and charges the run's token and
 * cost budgets. Always available. */
#define AH_EXT_USAGE_V1 "ah.usage/1"
typedef struct ah_usage_v1 {
    uint32_t struct_size;
    uint32_t reserved;
    /* Report one model call made for `call`. `model` is borrowed. May be
     * called several times per call; the amounts add up. [any-thread, until
     * `complete` for `call` returns] */
    void (*report)(const ah_host *host, const ah_call *call, const char *model, uint64_t input_tokens,
                   uint64_t output_tokens, uint64_t cached_input_tokens);
} ah_usage_v1;

/* "ah.context/1" (added in 1.1): read and write the run's state directly,
 * within the context permissions granted to the agent. Needs a grant. */
#define AH_EXT_CONTEXT_V1 "ah.context/1"

/* Receives JSON from `ah_context_v1.read`; `json` is borrowed for the call. */
typedef void (*ah_json_sink)(void *user, const char *json, size_t size);

typedef struct ah_context_v1 {
    uint32_t struct_size;
    uint32_t reserved;
    /* Pass the JSON at `pointer` (a JSON pointer into run state) to `sink`.
     * AH_ERR_PERMISSION_DENIED unless the pointer is within a granted read;
     * AH_ERR_INVALID_ARGUMENT when nothing is there. [any-thread, until
     * `complete` for `call` returns] */
    ah_status (*read)(const ah_host *host, const ah_call *call, const char *pointer, ah_json_sink sink,
                      void *user);
    /* Set the JSON at `pointer` in run state, applied when the call succeeds.
     * AH_ERR_PERMISSION_DENIED unless the pointer is within a granted write
     * and inside the state key that the calling step owns;
     * AH_ERR_INVALID_ARGUMENT when `json` does not parse. [any-thread, until
     * `complete` for `call` returns] */
    ah_status (*write)(const ah_host *host, const ah_call *call, const char *pointer, const char *json,
                       size_t size);
} ah_context_v1;

/* "ah.http/1" (added in 1.2): asynchronous HTTP through the host, which
 * checks every URL against the network patterns granted to the agent, applies
 * timeouts and TLS verification, reuses connections, records a span per
 * request, and aborts a call's requests when the call is cancelled. Needs a
 * grant. */
#define AH_EXT_HTTP_V1 "ah.http/1"

/* One header; both strings NUL-terminated and borrowed. */
typedef struct ah_http_header {
    const char *name;
    const char *value;
} ah_http_header;

/* `ah_http_request.flags`: the host's response cache (when the workflow
 * config turns it on) may answer this request, and keeps its answer. Only for
 * requests whose answer depends on nothing but the request itself. */
#define AH_HTTP_CACHEABLE 1u
/* With AH_HTTP_CACHEABLE: go to the network even when the cache has an answer,
 * and keep the new one in its place; for a retry after an answer that was
 * delivered but unusable, which the cache would otherwise repeat. */
#define AH_HTTP_REFRESH 2u
/* On a cleartext http:// URL, offer the server HTTP/2 ("Upgrade: h2c"), so
 * that many requests can share a few connections; a server that does not
 * speak it answers in HTTP/1.1 as before. Over https HTTP/2 is negotiated
 * anyway. */
#define AH_HTTP_HTTP2_CLEARTEXT 4u

typedef struct ah_http_request {
    uint32_t struct_size;          /* sizeof(ah_http_request) as the plugin built it */
    uint32_t flags;                /* AH_HTTP_* bits; the host refuses bits it does not know */
    const char *method;            /* "GET", "POST", ...; NULL: POST when there is a body, else GET */
    const char *url;               /* absolute http:// or https:// URL */
    const ah_http_header *headers; /* `header_count` request headers; NULL when there are none */
    size_t header_count;
    const char *body;              /* `body_size` bytes; NULL when there is none */
    size_t body_size;
    uint32_t timeout_ms;           /* the whole transfer; 0: no limit but the call's own */
    uint32_t reserved;             /* zero */
} ah_http_request;

/* What came back. Everything it points to is borrowed for the callback. */
typedef struct ah_http_response {
    uint32_t struct_size;          /* sizeof(ah_http_response) as the host built it */
    ah_status status;              /* AH_OK when a response arrived, whatever its HTTP
                                    * status; else AH_ERR_TIMEOUT, AH_ERR_UNAVAILABLE
                                    * (no connection, or it broke), AH_ERR_CANCELLED or
                                    * AH_ERR_FAILED */
    int32_t http_status;           /* 200, 429, ...; 0 when no response arrived */
    uint32_t from_cache;           /* nonzero when the host's response cache answered */
    const ah_http_header *headers; /* response headers, names in lower case */
    size_t header_count;
    const char *body;              /* `body_size` bytes, not NUL-terminated */
    size_t body_size;
    const char *error;             /* why, when status != AH_OK; else NULL */
} ah_http_response;

/* Receives the outcome of one `ah_http_v1.send`: exactly once per accepted
 * request, on a host thread, never inside `send`. `response` is borrowed for
 * the duration of the callback. */
typedef void (*ah_http_callback)(void *user, const ah_http_response *response);

typedef struct ah_http_v1 {
    uint32_t struct_size;
    uint32_t reserved;
    /* Start `request` on behalf of `call`. AH_OK: accepted; `callback` runs
     * once, later, and `*out_id` (when `out_id` is not NULL) names the request
     * for `cancel`. AH_ERR_PERMISSION_DENIED: the URL is not within the
     * agent's granted network patterns (the host logs which agent asked for
     * what); AH_ERR_INVALID_ARGUMENT: a malformed request, or `call` is NULL.
     * On a refusal `callback` is never called. The host aborts every request
     * of a call that is cancelled, and so of one that times out.
     * [any-thread, until `complete` for `call` returns] */
    ah_status (*send)(const ah_host *host, const ah_call *call, const ah_http_request *request,
                      ah_http_callback callback, void *user, uint64_t *out_id);
    /* Abort request `id`. Its callback still runs, with AH_ERR_CANCELLED
     * unless the request had already finished. An unknown or finished id is
     * ignored. [any-thread] */
    void (*cancel)(const ah_host *host, uint64_t id);
} ah_http_v1;

/* "ah.secrets/1" (added in 1.2): read a secret the agent was granted, by
 * name. Values come from the environment or from files that the workflow
 * config names, and the host redacts them from every log and trace line it
 * writes; a value the plugin transforms (encodes, splits) escapes that, so do
 * not log secrets. Needs a grant. */
#define AH_EXT_SECRETS_V1 "ah.secrets/1"

/* Receives bytes; `data` is borrowed for the call. */
typedef void (*ah_bytes_sink)(void *user, const char *data, size_t size);

typedef struct ah_secrets_v1 {
    uint32_t struct_size;
    uint32_t reserved;
    /* Pass the value of secret `name` to `sink`. AH_ERR_PERMISSION_DENIED
     * unless the agent was granted `name`; AH_ERR_UNAVAILABLE when it was but
     * the config gives the secret no value. [any-thread] */
    ah_status (*read)(const ah_host *host, const char *name, ah_bytes_sink sink, void *user);
} ah_secrets_v1;

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* AGENTHOST_SDK_H */
