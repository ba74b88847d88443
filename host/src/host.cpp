// host.cpp: the embedding API over the config loader, the registry and the engine.
#include <agenthost/host.hpp>

#include <agenthost/host/call_context.hpp>
#include <agenthost/host/config_loader.hpp>
#include <agenthost/host/engine.hpp>
#include <agenthost/host/host_services.hpp>
#include <agenthost/host/http_service.hpp>
#include <agenthost/host/tracer.hpp>
#include <agenthost/registry/registry.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace agenthost {

struct Host::Impl {
    HostOptions options;
    Logger logger;
    HostServices services{logger};
    std::unique_ptr<Tracer> tracer;
    // Declared before the engine, so destroyed after it: HTTP callbacks run on
    // the engine's pool, and the pool runs the last of them while it joins.
    std::unique_ptr<HttpService> http;
    std::unique_ptr<Engine> engine;

    explicit Impl(HostOptions o) : options(std::move(o)) {
        if (options.trace_file) tracer = std::make_unique<Tracer>(*options.trace_file);
        engine = std::make_unique<Engine>(
            EngineOptions{options.worker_threads, options.max_output_bytes, tracer.get(), &logger});
        HttpServiceOptions http_options;
        http_options.dispatch = [engine = engine.get()](std::function<void()> work) { engine->post(std::move(work)); };
        http_options.tracer = tracer.get();
        http_options.logger = &logger;
        http = std::make_unique<HttpService>(std::move(http_options));
        services.set_http(http.get());
    }

    // Runs end first, with the HTTP client still serving them; then what is
    // left in flight (requests of calls that timed out) is aborted, its
    // callbacks queued on the pool; then the engine joins the pool, which runs them.
    ~Impl() {
        engine->drain();
        http->stop();
        engine.reset();
    }
    Impl(const Impl&) = delete;
    Impl& operator=(const Impl&) = delete;

    Registry registry_for(const std::vector<std::filesystem::path>& extra) const {
        std::vector<std::filesystem::path> dirs = options.plugin_dirs;
        dirs.insert(dirs.end(), extra.begin(), extra.end());
        Registry registry({dirs, &services});
        registry.scan();
        for (const PluginRefusal& r : registry.refusals()) {
            logger.log(LogLevel::debug, "plugin refused: " + r.file.string() + ": " + r.reason);
        }
        return registry;
    }
};

Host::Host(HostOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
Host::~Host() = default;

const Logger& Host::logger() const noexcept { return impl_->logger; }

LoadResult Host::load(const std::filesystem::path& config) const {
    ConfigResult loaded = load_config(config);  // ${CONFIG_DIR} is built into the loader
    if (auto* issues = std::get_if<ConfigIssues>(&loaded)) return std::move(*issues);
    WorkflowConfig& cfg = std::get<WorkflowConfig>(loaded);
    Registry registry = impl_->registry_for(cfg.plugin_dirs);
    auto compiled = Workflow::compile(std::move(cfg), registry);
    if (auto* issues = std::get_if<ConfigIssues>(&compiled)) return std::move(*issues);
    return std::get<std::shared_ptr<const Workflow>>(std::move(compiled));
}

RunResult Host::run(const std::shared_ptr<const Workflow>& workflow, boost::json::value input) {
    return impl_->engine->run(workflow, std::move(input));
}

std::string Host::start(const std::shared_ptr<const Workflow>& workflow, boost::json::value input,
                        std::function<void(RunResult)> done) {
    return impl_->engine->start(workflow, std::move(input), std::move(done));
}

std::future<RunResult> Host::start(const std::shared_ptr<const Workflow>& workflow, boost::json::value input) {
    auto promise = std::make_shared<std::promise<RunResult>>();
    auto future = promise->get_future();
    start(workflow, std::move(input), [promise](RunResult r) { promise->set_value(std::move(r)); });
    return future;
}

namespace {

// A call outside any run: usage is counted, and there is no run state.
struct StandaloneCall final : CallContext {
    uint64_t input_tokens = 0, output_tokens = 0, cached_input_tokens = 0;
    void add_usage(std::string_view, uint64_t in, uint64_t out, uint64_t cached) override {
        input_tokens += in;
        output_tokens += out;
        cached_input_tokens += cached;
    }
    ah_status read_state(std::string_view, std::string&) override { return AH_ERR_INVALID_ARGUMENT; }
    ah_status write_state(std::string_view, std::string_view) override { return AH_ERR_PERMISSION_DENIED; }
};

}  // namespace

AgentTestReport Host::test_agent(const std::string& plugin, const boost::json::value& config,
                                 const boost::json::value& input) const {
    AgentTestReport report;
    Registry registry = impl_->registry_for({});
    std::shared_ptr<PluginLibrary> library;
    if (PluginRef::names_a_file(plugin)) {
        auto loaded = registry.load(plugin);
        if (!loaded) {
            report.problems.push_back(loaded.error().to_string());
            return report;
        }
        library = loaded.value();
    } else {
        auto ref = PluginRef::parse(plugin);
        auto resolved = ref ? registry.resolve(ref.value()) : Result<std::shared_ptr<PluginLibrary>>(ref.error());
        if (!resolved) {
            report.problems.push_back(resolved.error().to_string());
            return report;
        }
        library = resolved.value();
    }
    report.plugin = library->id();
    const PluginManifest& manifest = library->manifest();

    if (auto v = manifest.config_schema->validate(config); !v.empty()) {
        report.problems.push_back("config does not match the config_schema:\n" + describe(v));
    }
    if (auto v = manifest.input_schema->validate(input); !v.empty()) {
        report.problems.push_back("input does not match the input_schema:\n" + describe(v));
    }
    if (!report.problems.empty()) {
        report.status = AH_ERR_INVALID_ARGUMENT;
        return report;
    }

    auto instance = AgentInstance::create("test-agent", library, boost::json::serialize(config), manifest.requested,
                                          &impl_->services);
    if (!instance) {
        report.problems.push_back(instance.error().to_string());
        return report;
    }
    StandaloneCall usage;
    const auto started = std::chrono::steady_clock::now();
    CallResult result = instance.value()->invoke_sync(
        {boost::json::serialize(input), "00000000000000000000000000000001", "test-agent", "test-agent", 1, &usage});
    report.latency =
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started);
    report.status = result.status;
    report.input_tokens = usage.input_tokens;
    report.output_tokens = usage.output_tokens;
    report.cached_input_tokens = usage.cached_input_tokens;
    if (!result.ok()) {
        report.problems.push_back(status_name(result.status) + ": " + result.error);
        return report;
    }
    boost::system::error_code ec;
    report.output = boost::json::parse(result.output_json, ec);
    if (ec) {
        report.problems.push_back("output is not JSON: " + ec.message());
        return report;
    }
    if (auto v = manifest.output_schema->validate(report.output); !v.empty()) {
        report.problems.push_back("output does not match the output_schema:\n" + describe(v));
        return report;
    }
    report.ok = true;
    return report;
}

}  // namespace agenthost
