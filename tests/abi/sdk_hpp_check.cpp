// sdk_hpp_check.cpp: compiles agenthost/sdk.hpp on its own, as C++17 and C++20.
//
// tests/abi/CMakeLists.txt turns this file into ctest tests that run the
// compiler with -pedantic -Werror and the project's warnings. The wrapper is
// templates and inline functions, which a compiler only checks fully once
// they are used, so this file declares one synchronous and one asynchronous
// agent and exports one of them, instantiating everything a plugin would.
// It is compiled, never run.
#include <agenthost/sdk.hpp>

#include <string>
#include <string_view>
#include <utility>

namespace {

class SyncAgent : public agenthost::Agent {
public:
    SyncAgent(const agenthost::HostApi& host, std::string_view config_json) : config_(config_json) {
        host.log(agenthost::LogLevel::debug, "created");
    }
    std::string invoke(agenthost::Context& ctx, const agenthost::Input& input) override {
        if (ctx.cancelled()) throw agenthost::Failure(AH_ERR_CANCELLED, "cancelled");
        ctx.log(agenthost::LogLevel::info, ctx.run_id());
        return std::string(input.json) + config_ + std::string(ctx.step()) + std::string(ctx.idempotency_key()) +
               std::to_string(ctx.attempt());
    }

private:
    std::string config_;
};

class AsyncAgent : public agenthost::Agent {
public:
    AsyncAgent(const agenthost::HostApi& /*host*/, std::string_view /*config_json*/) {}
    void invoke_async(agenthost::Context& /*ctx*/, const agenthost::Input& input, agenthost::Completion& done) override {
        agenthost::Completion later = std::move(done);
        if (input.json.empty()) {
            later.fail(AH_ERR_INVALID_ARGUMENT, "empty input");
        } else {
            later.succeed(input.json);
        }
    }
    void cancel(ah_call* call) noexcept override { (void)call; }
};

// Both agents' entries instantiated; only one can be the exported symbol.
const ah_plugin_entry* const async_entry = agenthost::detail::entry<AsyncAgent>("{}", AH_PLUGIN_CONCURRENT_INVOKE);

}  // namespace

AGENTHOST_PLUGIN(SyncAgent, "{}")

const ah_plugin_entry* sdk_hpp_check_async_entry();
const ah_plugin_entry* sdk_hpp_check_async_entry() { return async_entry; }
