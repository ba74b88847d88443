// host.cpp: the embedding API over the config loader, the registry and the engine.
#include <agenthost/host.hpp>

#include <agenthost/host/call_context.hpp>
#include <agenthost/host/config_loader.hpp>
#include <agenthost/host/engine.hpp>
#include <agenthost/host/host_services.hpp>
#include <agenthost/host/http_service.hpp>
#include <agenthost/host/run_store.hpp>
#include <agenthost/host/secret_store.hpp>
#include <agenthost/host/tracer.hpp>
#include <agenthost/registry/registry.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <stdexcept>
#include <tuple>

namespace agenthost {

struct Host::Impl {
    HostOptions options;
    // Every writer of lines holds it and redacts against what it holds then:
    // secrets arrive with the workflows, after the writers exist.
    std::shared_ptr<SecretStore> secrets = std::make_shared<SecretStore>();
    Logger logger{secrets};
    HostServices services{logger, secrets};
    std::unique_ptr<Tracer> tracer;
    // Outlives the engine: the store answers its last appends on its own
    // thread, and those answers post to the engine's pool.
    std::unique_ptr<RunStore> store;
    // Declared before the engine, so destroyed after it: HTTP callbacks run on
    // the engine's pool, and the pool runs the last of them while it joins.
    std::unique_ptr<HttpService> http;
    std::unique_ptr<Engine> engine;

    explicit Impl(HostOptions o) : options(std::move(o)) {
        if (options.trace_file) tracer = std::make_unique<Tracer>(*options.trace_file, secrets);
        if (!options.store.empty()) {
            auto opened = open_sqlite_run_store(options.store);
            if (!opened) {
                throw std::runtime_error("cannot open the run store " + options.store.string() + ": " +
                                         opened.error().to_string());
            }
            store = std::move(opened).value();
        } else {
            store = make_memory_run_store();
        }
        RunStore* records = options.store.empty() && !options.record_in_memory ? nullptr : store.get();
        engine = std::make_unique<Engine>(EngineOptions{options.worker_threads, options.max_output_bytes, tracer.get(),
                                                        &logger, secrets.get(), records,
                                                        [this](const std::string& id) { resume_due(id); }});
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
        stopping = true;  // approval timeouts that fire from now on resume nothing
        engine->drain();
        http->stop();
        engine.reset();
    }
    Impl(const Impl&) = delete;
    Impl& operator=(const Impl&) = delete;

    // Names are host-wide, like environment variables: the last workflow loaded decides a value.
    void add_secrets(const std::vector<SecretValue>& values, const std::string& workflow) const {
        for (const std::string& name : secrets->put(values)) {
            logger.log(LogLevel::info, "secret " + name + ": workflow " + workflow +
                                           " gives it a new value, which replaces the one an earlier workflow gave");
        }
        for (const SecretValue& secret : values) {
            if (secret.value.size() >= SecretStore::min_redacted_size) continue;
            logger.log(LogLevel::warning, "secret " + secret.name + " of workflow " + workflow + " is shorter than " +
                                              std::to_string(SecretStore::min_redacted_size) +
                                              " characters, too short to be redacted from logs and traces");
        }
    }

    // Workflows by config and plugin versions, so that a run resumes on the
    // very workflow (and error budgets) that this host already runs.
    mutable std::mutex workflows_mutex;
    mutable std::map<std::string, std::shared_ptr<const Workflow>> workflows;

    static std::string workflow_key(const std::string& sha256, const boost::json::object& plugins) {
        return sha256 + " " + boost::json::serialize(plugins);
    }

    LoadResult compile(ConfigResult loaded) const;
    Result<std::monostate> resume(const std::string& run_id, std::function<void(RunResult)> done);

    std::atomic<bool> stopping{false};
    // A run this host stored as waiting reached its approval timeout: it goes
    // on with the default, unless someone decided or took it up meanwhile.
    void resume_due(const std::string& id) {
        engine->post([this, id] {
            if (stopping) return;
            auto done = [this](RunResult result) {
                if (options.on_resumed_result) return options.on_resumed_result(std::move(result));
                logger.log(LogLevel::info, "run " + result.run_id + " went on after its approval timeout and " +
                                               (result.ok ? "succeeded" : result.waiting ? "waits again" : "failed"),
                           LogTags{result.run_id, {}, {}});
            };
            if (auto resumed = resume(id, std::move(done)); !resumed) {
                logger.log(LogLevel::debug, "approval timeout of run " + id + ": not resumed: " + resumed.error().to_string(),
                           LogTags{id, {}, {}});
            }
        });
    }
    Result<std::shared_ptr<const Workflow>> workflow_of(const RunRecord& run) const;

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
    return impl_->compile(load_config(config));  // ${CONFIG_DIR} is built into the loader
}

LoadResult Host::Impl::compile(ConfigResult loaded) const {
    if (auto* issues = std::get_if<ConfigIssues>(&loaded)) return std::move(*issues);
    WorkflowConfig& cfg = std::get<WorkflowConfig>(loaded);
    // Read now, so that a missing value stops the load (and `validate`) rather than a run.
    SecretValuesResult secret_values = read_secret_values(cfg);
    const std::string workflow_name = cfg.name;
    Registry registry = registry_for(cfg.plugin_dirs);
    auto compiled = Workflow::compile(std::move(cfg), registry);
    if (auto* secret_issues = std::get_if<ConfigIssues>(&secret_values)) {
        ConfigIssues issues = std::move(*secret_issues);
        if (auto* more = std::get_if<ConfigIssues>(&compiled)) issues.insert(issues.end(), more->begin(), more->end());
        std::stable_sort(issues.begin(), issues.end(), [](const ConfigIssue& a, const ConfigIssue& b) {
            return std::tie(a.line, a.column) < std::tie(b.line, b.column);
        });
        return issues;
    }
    if (auto* issues = std::get_if<ConfigIssues>(&compiled)) return std::move(*issues);
    add_secrets(std::get<std::vector<SecretValue>>(secret_values), workflow_name);
    auto workflow = std::get<std::shared_ptr<const Workflow>>(std::move(compiled));
    std::lock_guard lock(workflows_mutex);
    workflows[workflow_key(workflow->config().sha256, workflow->plugin_pins())] = workflow;
    return workflow;
}

// The workflow a stored run started under: its config as the store keeps it,
// every agent on the exact plugin version the run pinned.
Result<std::shared_ptr<const Workflow>> Host::Impl::workflow_of(const RunRecord& run) const {
    const std::string key = workflow_key(run.config_sha256, run.plugins);
    {
        std::lock_guard lock(workflows_mutex);
        if (auto found = workflows.find(key); found != workflows.end()) return found->second;
    }
    auto config = store->load_config(run.config_sha256);
    if (!config) return config.error();
    ConfigResult parsed = parse_config(config->text, config->file);
    if (auto* cfg = std::get_if<WorkflowConfig>(&parsed)) {
        for (AgentConfig& agent : cfg->agents) {
            const boost::json::value* pinned = run.plugins.if_contains(agent.name);
            if (pinned == nullptr || !pinned->is_string() || PluginRef::names_a_file(agent.plugin)) continue;
            std::string id(pinned->get_string());  // name@version
            if (auto at = id.rfind('@'); at != std::string::npos) agent.plugin = id.substr(0, at) + "@=" + id.substr(at + 1);
        }
    }
    LoadResult loaded = compile(std::move(parsed));
    if (auto* issues = std::get_if<ConfigIssues>(&loaded)) {
        std::string text;
        for (const ConfigIssue& issue : *issues) text += "\n  " + issue.to_string();
        return Error{"run " + run.id,
                     "the workflow it started under (" + config->file + ", as it was then) no longer loads:" + text,
                     "install the plugin versions it pinned, or set the values it needs", {}};
    }
    return std::get<std::shared_ptr<const Workflow>>(std::move(loaded));
}

RunResult Host::run(const std::shared_ptr<const Workflow>& workflow, boost::json::value input) {
    return impl_->engine->run(workflow, std::move(input));
}

std::string Host::start(const std::shared_ptr<const Workflow>& workflow, boost::json::value input,
                        std::function<void(RunResult)> done, std::string run_id) {
    return impl_->engine->start(workflow, std::move(input), std::move(done), std::move(run_id));
}

RunStore& Host::store() const noexcept { return *impl_->store; }

Result<std::monostate> Host::resume(const std::string& run_id, std::function<void(RunResult)> done) {
    return impl_->resume(run_id, std::move(done));
}

Result<std::monostate> Host::Impl::resume(const std::string& run_id, std::function<void(RunResult)> done) {
    auto stored = store->load_run(run_id);
    if (!stored) return stored.error();
    if (is_finished(stored->run.status))
        return Error{"run " + run_id, "the run has finished (" + std::string(to_string(stored->run.status)) + ")",
                     "see it with 'agenthost runs show " + run_id + "'", {}};
    auto workflow = workflow_of(stored->run);
    if (!workflow) return workflow.error();
    return engine->resume(std::move(workflow).value(), stored.value(), std::move(done));
}

ResumeReport Host::resume_unfinished(const std::function<void(RunResult)>& done,
                                     const std::function<bool(const RunRecord&)>& which) {
    ResumeReport report;
    auto unfinished = impl_->store->unfinished_runs();
    if (!unfinished) {
        report.failed.emplace_back("", unfinished.error());
        return report;
    }
    for (const RunRecord& run : unfinished.value()) {
        if (which && !which(run)) continue;
        if (run.status == RunStatus::running && impl_->store->held_elsewhere(run)) {
            report.elsewhere.push_back(run.id);
            continue;
        }
        auto resumed = resume(run.id, done);
        if (resumed) report.resumed.push_back(run.id);
        else if (run.status == RunStatus::waiting && resumed.error().message.find("waits for a decision") != std::string::npos)
            report.waiting.push_back(run.id);
        else report.failed.emplace_back(run.id, resumed.error());
    }
    return report;
}

Result<std::monostate> Host::decide(const std::string& run_id, const ApprovalDecision& decision) {
    auto stored = impl_->store->load_run(run_id);
    if (!stored) return stored.error();
    if (stored->run.status != RunStatus::waiting)
        return Error{"run " + run_id, "the run is " + std::string(to_string(stored->run.status)) + ", not waiting for a decision", {}, {}};
    // The open question: the last waiting event, with nothing decided after it.
    const RunEvent* waiting = nullptr;
    bool decided = false;
    for (const RunEvent& e : stored->events) {
        if (e.kind == "waiting") {
            waiting = &e;
            decided = false;
        } else if (e.kind == event_kind::decision) {
            decided = true;
        }
    }
    if (waiting == nullptr) return Error{"run " + run_id, "the run has no open question", {}, {}};
    if (decided)
        return Error{"run " + run_id, "the run has a decision already; it goes on when it is resumed",
                     "resume it with 'agenthost resume " + run_id + "'", {}};
    auto workflow = impl_->workflow_of(stored->run);
    if (!workflow) return workflow.error();
    auto index = workflow.value()->step_index(waiting->step);
    const auto* step = index ? std::get_if<ApprovalStep>(&workflow.value()->steps()[*index].config->body) : nullptr;
    if (step == nullptr) return Error{"run " + run_id, "it waits at " + waiting->step + ", which is not an approval step", {}, {}};
    ApprovalDecision given = decision;
    given.timed_out = false;  // only a timeout takes a decision that timed out
    auto checked = apply_decision(*step, workflow.value()->steps()[*index].edit_schema.get(), stored->state, given,
                                  StoreClock::now());
    if (!checked) return checked.error();
    RunUpdate update;
    update.run_id = run_id;
    update.events.push_back({std::string(event_kind::decision), waiting->step, given.to_json()});
    update.expect_last_seq = stored->run.last_seq;  // one decision per question, whoever comes first
    auto appended = impl_->store->append(std::move(update));
    if (!appended) return appended.error();
    return std::monostate{};
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

    // Every requested permission is granted. A requested secret the host does
    // not hold yet takes its value from the environment variable of its name.
    std::vector<SecretValue> from_env;
    const EnvLookup env = process_environment();
    for (const std::string& name : manifest.requested.secrets) {
        if (impl_->secrets->contains(name)) continue;
        if (auto value = env(name); value && !value->empty()) {
            from_env.push_back({name, std::move(*value)});
        } else {
            // Info, not a warning: a plugin may request secrets that only some of its configs use.
            impl_->logger.log(LogLevel::info, "secret " + name + " is requested by the plugin, but environment variable " +
                                                     name + " is not set: reading it answers AH_ERR_UNAVAILABLE");
        }
    }
    impl_->add_secrets(from_env, "test-agent");
    // What the plugin said or returned is printed: redacted like every run's result.
    const auto redacted = [&]() -> AgentTestReport {
        for (std::string& problem : report.problems) impl_->secrets->redact_in_place(problem);
        impl_->secrets->redact_in_place(report.output);
        return std::move(report);
    };

    auto output_schema = manifest.output_schema_for(config);
    if (!output_schema) {
        report.problems.push_back(output_schema.error().to_string());
        return report;
    }
    auto instance = AgentInstance::create("test-agent", library, boost::json::serialize(config), manifest.requested,
                                          &impl_->services, std::move(output_schema).value());
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
        return redacted();
    }
    boost::system::error_code ec;
    report.output = boost::json::parse(result.output_json, ec);
    if (ec) {
        report.problems.push_back("output is not JSON: " + ec.message());
        return redacted();
    }
    if (auto v = instance.value()->output_schema().validate(report.output); !v.empty()) {
        report.problems.push_back("output does not match the output_schema:\n" + describe(v));
        return redacted();
    }
    report.ok = true;
    return redacted();
}

}  // namespace agenthost
