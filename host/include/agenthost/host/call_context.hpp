// call_context.hpp: what host services need from the engine about the call
// they serve. The engine hangs one of these on every call it makes
// (CallRequest::context); ah.usage/1 and ah.context/1 reach the run through it,
// and ah.http/1 finds the span and the response cache of the call there.
#pragma once

#include <agenthost/sdk.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace agenthost {

class ResponseCache;

class CallContext {
public:
    virtual ~CallContext() = default;
    //! Adds a model call's usage to the run and prices it.
    virtual void add_usage(std::string_view model, uint64_t input_tokens, uint64_t output_tokens,
                           uint64_t cached_input_tokens) = 0;
    //! The run state at `pointer` as JSON; AH_ERR_INVALID_ARGUMENT when nothing is there.
    virtual ah_status read_state(std::string_view pointer, std::string& json) = 0;
    //! Stages a write, applied when the call succeeds; AH_ERR_PERMISSION_DENIED
    //! outside the key the calling step owns.
    virtual ah_status write_state(std::string_view pointer, std::string_view json) = 0;
    //! The span that host services hang their own spans under (the attempt's);
    //! empty when the call is not traced.
    virtual std::string_view parent_span_id() const { return {}; }
    //! The workflow's response cache for ah.http/1; nullptr when it has none.
    virtual std::shared_ptr<ResponseCache> response_cache() const { return nullptr; }
};

}  // namespace agenthost
