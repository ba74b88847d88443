// frozen_v1_0.hpp: the frozen ABI 1.0 header, usable next to today's agenthost/sdk.h.
//
// Both headers declare the same names. This wrapper includes sdk_v1_0.h inside
// namespace agenthost::abi_v1_0, so its types become abi_v1_0::ah_host and so
// on, records the value of each of its macros in `macros`, and then undefines
// the macros, so that agenthost/sdk.h can be included after it. Include it
// before anything that includes agenthost/sdk.h.
#pragma once

#ifdef AGENTHOST_SDK_H
#error "include frozen_v1_0.hpp before agenthost/sdk.h (and before headers that include it)"
#endif

// The C headers sdk_v1_0.h includes, at global scope first so that inside
// the namespace they are already included and add nothing.
#include <stddef.h>
#include <stdint.h>

#include <string_view>

namespace agenthost::abi_v1_0 {

#include "sdk_v1_0.h"

#define AGENTHOST_ABI_V1_0_TEXT(...) #__VA_ARGS__
#define AGENTHOST_ABI_V1_0_EXPANDED_TEXT(...) AGENTHOST_ABI_V1_0_TEXT(__VA_ARGS__)

//! A macro of the 1.0 header: its name and its expansion as written, e.g.
//! {"AH_OK", "0"} or {"AH_ERR_FAILED", "(-1)"}.
struct FrozenMacro {
    std::string_view name;
    std::string_view expansion;
};

//! Every macro of sdk_v1_0.h except its include guard. abi_items_test checks
//! this list against the header's text, so a macro cannot be forgotten here.
#define AGENTHOST_ABI_V1_0_MACRO(name) FrozenMacro{#name, AGENTHOST_ABI_V1_0_EXPANDED_TEXT(name)}
inline constexpr FrozenMacro macros[] = {
    AGENTHOST_ABI_V1_0_MACRO(AH_ABI_MAJOR),
    AGENTHOST_ABI_V1_0_MACRO(AH_ABI_MINOR),
    AGENTHOST_ABI_V1_0_MACRO(AH_ENTRY_SYMBOL),
    AGENTHOST_ABI_V1_0_MACRO(AH_EXPORT),
    AGENTHOST_ABI_V1_0_MACRO(AH_OK),
    AGENTHOST_ABI_V1_0_MACRO(AH_PENDING),
    AGENTHOST_ABI_V1_0_MACRO(AH_ERR_FAILED),
    AGENTHOST_ABI_V1_0_MACRO(AH_ERR_INVALID_ARGUMENT),
    AGENTHOST_ABI_V1_0_MACRO(AH_ERR_CANCELLED),
    AGENTHOST_ABI_V1_0_MACRO(AH_ERR_TIMEOUT),
    AGENTHOST_ABI_V1_0_MACRO(AH_ERR_PERMISSION_DENIED),
    AGENTHOST_ABI_V1_0_MACRO(AH_ERR_UNAVAILABLE),
    AGENTHOST_ABI_V1_0_MACRO(AH_ERR_INTERNAL),
    AGENTHOST_ABI_V1_0_MACRO(AH_ERR_UNSUPPORTED),
    AGENTHOST_ABI_V1_0_MACRO(AH_LOG_TRACE),
    AGENTHOST_ABI_V1_0_MACRO(AH_LOG_DEBUG),
    AGENTHOST_ABI_V1_0_MACRO(AH_LOG_INFO),
    AGENTHOST_ABI_V1_0_MACRO(AH_LOG_WARNING),
    AGENTHOST_ABI_V1_0_MACRO(AH_LOG_ERROR),
    AGENTHOST_ABI_V1_0_MACRO(AH_EXT_LOG_V1),
};
#undef AGENTHOST_ABI_V1_0_MACRO

//! The version the frozen header declares, as numbers.
inline constexpr uint32_t abi_major = AH_ABI_MAJOR;
inline constexpr uint32_t abi_minor = AH_ABI_MINOR;

}  // namespace agenthost::abi_v1_0

#undef AGENTHOST_ABI_V1_0_TEXT
#undef AGENTHOST_ABI_V1_0_EXPANDED_TEXT

#undef AH_ABI_MAJOR
#undef AH_ABI_MINOR
#undef AH_ENTRY_SYMBOL
#undef AH_EXPORT
#undef AH_OK
#undef AH_PENDING
#undef AH_ERR_FAILED
#undef AH_ERR_INVALID_ARGUMENT
#undef AH_ERR_CANCELLED
#undef AH_ERR_TIMEOUT
#undef AH_ERR_PERMISSION_DENIED
#undef AH_ERR_UNAVAILABLE
#undef AH_ERR_INTERNAL
#undef AH_ERR_UNSUPPORTED
#undef AH_LOG_TRACE
#undef AH_LOG_DEBUG
#undef AH_LOG_INFO
#undef AH_LOG_WARNING
#undef AH_LOG_ERROR
#undef AH_EXT_LOG_V1
