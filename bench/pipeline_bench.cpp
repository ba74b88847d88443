// pipeline_bench.cpp: the host's orchestration overhead per hop.
//
// A 4-agent pipeline (agent → agent → agent → agent → end) of a trivial
// in-process agent, fixture-echo-strict, whose input and output schemas are
// both strict ({"text": string, "n": integer}), runs through agenthost::Host.
// The floor is the same JSON work done by direct calls: for each hop, build
// the input from state, validate it, serialize it, call the function, parse
// its output, validate that, and store it into a state object. The difference
// is what the host adds: scheduling, timeouts, records, ids, the ABI crossing.
//
//   pipeline_bench [RUNS] [--runs N] [--serial-runs N] [--floor-runs N]
//                  [--concurrency N] [--workers N] [--plugin-dir DIR] [--store FILE] [--durable]
//                  [--no-record]
//
// Runs are recorded in the host's in-memory run store. --store records them
// in a SQLite run store instead (HostOptions::store). --durable measures both
// in one go: in memory, then again with a SQLite store (WAL) in a temporary
// folder, and prints the durable hops per second as a share of in-memory ones.
// --no-record records nothing (HostOptions::record_in_memory = false).
// RUNS (default 100000) is the number of runs at concurrency 256; the serial
// (concurrency 1) and floor measurements default to min(RUNS, 20000) and
// min(RUNS, 50000). `pipeline_bench 200` is a smoke run. Build in Release for
// figures that mean anything (bench/README.md). Prints figures; asserts no timing.
#include <agenthost/host.hpp>
#include <agenthost/registry/json_schema.hpp>

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#ifndef AGENTHOST_BENCH_PLUGIN_DIR
#define AGENTHOST_BENCH_PLUGIN_DIR ""
#endif

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr int kHops = 4;
constexpr std::size_t kHighConcurrency = 256;

// fixture-echo-strict's input_schema and output_schema, as its manifest has them
// (tests/fixtures/plugins/echo/echo.cpp). Checked against the loaded plugin at start.
constexpr const char* kEchoSchema =
    R"({"type": "object", "required": ["text", "n"],)"
    R"( "properties": {"text": {"type": "string"}, "n": {"type": "integer"}},)"
    R"( "additionalProperties": false})";

constexpr std::string_view kText = "The quick brown fox jumps over the lazy dog; hop by hop.";

struct Options {
    std::size_t runs = 100000;
    std::optional<std::size_t> serial_runs;
    std::optional<std::size_t> floor_runs;
    std::size_t concurrency = kHighConcurrency;
    std::size_t workers = 0;  // HostOptions::worker_threads; 0: the host's default
    fs::path plugin_dir = AGENTHOST_BENCH_PLUGIN_DIR;
    fs::path store;  // HostOptions::store; empty: runs are recorded in memory
    bool durable = false;  // also measure with a SQLite store in the temporary folder, and compare
    bool record = true;    // HostOptions::record_in_memory
};

[[noreturn]] void usage(const std::string& problem) {
    std::cerr << "pipeline_bench: " << problem << "\n"
              << "usage: pipeline_bench [RUNS] [--runs N] [--serial-runs N] [--floor-runs N] [--concurrency N]"
                 " [--workers N] [--plugin-dir DIR] [--store FILE] [--durable] [--no-record]\n";
    std::exit(2);
}

std::size_t count_arg(std::string_view text) {
    std::size_t n = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec != std::errc() || end != text.data() + text.size() || n == 0) {
        usage("expected a positive count, got \"" + std::string(text) + "\"");
    }
    return n;
}

Options parse_options(int argc, char** argv) {
    Options o;
    if (const char* dir = std::getenv("AGENTHOST_BENCH_PLUGIN_DIR"); dir != nullptr && *dir != '\0') o.plugin_dir = dir;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        auto value = [&]() -> std::string_view {
            if (i + 1 >= argc) usage(std::string(arg) + " needs a value");
            return argv[++i];
        };
        if (arg == "--runs") o.runs = count_arg(value());
        else if (arg == "--serial-runs") o.serial_runs = count_arg(value());
        else if (arg == "--floor-runs") o.floor_runs = count_arg(value());
        else if (arg == "--concurrency") o.concurrency = count_arg(value());
        else if (arg == "--workers") o.workers = count_arg(value());
        else if (arg == "--plugin-dir") o.plugin_dir = value();
        else if (arg == "--store") o.store = value();
        else if (arg == "--durable") o.durable = true;
        else if (arg == "--no-record") o.record = false;
        else if (arg == "-h" || arg == "--help") usage("prints figures; no options are required");
        else if (!arg.empty() && arg[0] != '-') o.runs = count_arg(arg);
        else usage("unknown option " + std::string(arg));
    }
    if (o.plugin_dir.empty()) usage("no plugin directory: pass --plugin-dir DIR (where fixture-echo-strict.so is)");
    return o;
}

// The run's input: what the first hop reads.
boost::json::value run_input(std::size_t i) {
    boost::json::object input;
    input["text"] = kText;
    input["n"] = static_cast<std::int64_t>(i);
    return input;
}

std::string workflow_config(const fs::path& plugin_dir) {
    boost::json::object agents, steps;
    for (int hop = 1; hop <= kHops; ++hop) {
        const std::string n = std::to_string(hop);
        agents["echo" + n] = boost::json::object{{"plugin", "fixture-echo-strict@^1"}};
        const std::string from = hop == 1 ? "/input" : "/s" + std::to_string(hop - 1);
        steps["hop" + n] = boost::json::object{
            {"kind", "agent"},
            {"agent", "echo" + n},
            {"reads", boost::json::object{{"text", from + "/text"}, {"n", from + "/n"}}},
            {"writes", "s" + n},
            {"next", hop == kHops ? std::string("done") : "hop" + std::to_string(hop + 1)}};
    }
    steps["done"] = boost::json::object{{"kind", "end"}, {"result", "/s" + std::to_string(kHops)}};
    boost::json::object config{
        {"name", "pipeline-bench"},
        {"description", "Four echo agents in a row, strict schemas on both sides."},
        {"plugin_dirs", boost::json::array{plugin_dir.string()}},
        {"agents", std::move(agents)},
        {"start", "hop1"},
        {"steps", std::move(steps)}};
    return boost::json::serialize(config);
}

// ------------------------------------------------------------------ floor

// What fixture-echo-strict does, as a plain function: the output is the input's bytes.
// Called through a volatile pointer so that the compiler cannot see through it.
std::string echo(std::string_view input_json) { return std::string(input_json); }
std::string (*volatile echo_fn)(std::string_view) = &echo;

struct FloorFigures {
    double seconds = 0;
    std::size_t runs = 0;
};

// One run of the pipeline without the host. Returns false when any check fails.
bool floor_run(const agenthost::JsonSchema& in_schema, const agenthost::JsonSchema& out_schema, std::size_t i) {
    static constexpr const char* keys[kHops] = {"s1", "s2", "s3", "s4"};
    static constexpr const char* text_ptrs[kHops] = {"/input/text", "/s1/text", "/s2/text", "/s3/text"};
    static constexpr const char* n_ptrs[kHops] = {"/input/n", "/s1/n", "/s2/n", "/s3/n"};
    boost::json::value state = boost::json::object();
    state.as_object()["input"] = run_input(i);
    for (int hop = 0; hop < kHops; ++hop) {
        boost::json::object input;
        boost::system::error_code ec;
        const boost::json::value* text = state.find_pointer(text_ptrs[hop], ec);
        const boost::json::value* n = state.find_pointer(n_ptrs[hop], ec);
        if (text == nullptr || n == nullptr) return false;
        input["text"] = *text;
        input["n"] = *n;
        if (!in_schema.validate(input).empty()) return false;
        const std::string input_json = boost::json::serialize(input);
        const std::string output_json = echo_fn(input_json);
        boost::json::value output = boost::json::parse(output_json, ec);
        if (ec) return false;
        if (!out_schema.validate(output).empty()) return false;
        state.as_object()[keys[hop]] = std::move(output);
    }
    boost::system::error_code ec;
    const boost::json::value* result = state.find_pointer("/s4", ec);
    if (result == nullptr) return false;
    const boost::json::value output = *result;  // the run's result, copied out as the host does
    return output.at("n").as_int64() == static_cast<std::int64_t>(i);
}

double cpu_seconds();

struct FloorSchemas {
    agenthost::JsonSchema in;
    agenthost::JsonSchema out;
};

FloorSchemas floor_schemas() {
    auto in = agenthost::JsonSchema::compile(boost::json::parse(kEchoSchema));
    auto out = agenthost::JsonSchema::compile(boost::json::parse(kEchoSchema));
    if (!in || !out) {
        std::cerr << "pipeline_bench: the echo schema does not compile\n";
        std::exit(1);
    }
    return {std::move(in.value()), std::move(out.value())};
}

void floor_loop(const FloorSchemas& schemas, std::size_t first, std::size_t runs) {
    for (std::size_t i = first; i < first + runs; ++i) {
        if (!floor_run(schemas.in, schemas.out, i)) {
            std::cerr << "pipeline_bench: floor run " << i << " failed its checks\n";
            std::exit(1);
        }
    }
}

// The floor on this thread alone: its wall time is its CPU time.
FloorFigures measure_floor(std::size_t runs) {
    const FloorSchemas schemas = floor_schemas();
    floor_loop(schemas, 0, std::min<std::size_t>(runs, 1000));  // warm-up
    const auto start = Clock::now();
    floor_loop(schemas, 0, runs);
    return {std::chrono::duration<double>(Clock::now() - start).count(), runs};
}

// The floor on `threads` threads at once, as the host's pool runs: the CPU time it
// takes, all threads together. The allocator and caches are shared here too.
FloorFigures measure_parallel_floor(std::size_t runs, std::size_t threads) {
    const FloorSchemas schemas = floor_schemas();
    const double cpu_before = cpu_seconds();
    {
        std::vector<std::jthread> workers;
        for (std::size_t t = 0; t < threads; ++t) {
            workers.emplace_back([&schemas, t, runs, threads] { floor_loop(schemas, t * runs, runs / threads); });
        }
    }
    return {cpu_seconds() - cpu_before, (runs / threads) * threads};
}

// ------------------------------------------------------------------ host

double cpu_seconds() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
    return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

struct HostFigures {
    double seconds = 0;
    double cpu = 0;  // process CPU time (every thread) while the runs went on
    std::size_t runs = 0;
};

// Runs `runs` runs, keeping `concurrency` of them in flight: each run that ends starts the next.
class Driver {
public:
    Driver(agenthost::Host& host, std::shared_ptr<const agenthost::Workflow> workflow)
        : host_(host), workflow_(std::move(workflow)) {}

    HostFigures measure(std::size_t runs, std::size_t concurrency) {
        total_ = runs;
        started_ = 0;
        {
            std::lock_guard lock(mutex_);
            finished_ = 0;
        }
        const double cpu_before = cpu_seconds();
        const auto start = Clock::now();
        const std::size_t first = std::min(runs, concurrency);
        for (std::size_t k = 0; k < first; ++k) start_next();
        {
            std::unique_lock lock(mutex_);
            all_done_.wait(lock, [&] { return finished_ == total_; });
        }
        const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
        if (!first_error_.empty()) {
            std::cerr << "pipeline_bench: " << failures_ << " run(s) failed; the first: " << first_error_ << "\n";
            std::exit(1);
        }
        return {seconds, cpu_seconds() - cpu_before, runs};
    }

private:
    void start_next() {
        const std::size_t i = started_.fetch_add(1, std::memory_order_relaxed);
        if (i >= total_) return;
        host_.start(workflow_, run_input(i), [this, i](agenthost::RunResult result) { on_done(i, std::move(result)); });
    }

    void on_done(std::size_t i, agenthost::RunResult result) {
        const bool ok = result.ok && result.output.is_object() && result.output.as_object().contains("n") &&
                        result.output.at("n") == static_cast<std::int64_t>(i);
        if (!ok) {
            std::lock_guard lock(mutex_);
            if (failures_++ == 0) {
                first_error_ = result.error ? boost::json::serialize(result.error->to_json())
                                            : "unexpected output " + boost::json::serialize(result.output);
            }
        }
        start_next();
        std::lock_guard lock(mutex_);
        if (++finished_ == total_) all_done_.notify_all();
    }

    agenthost::Host& host_;
    std::shared_ptr<const agenthost::Workflow> workflow_;
    std::size_t total_ = 0;
    std::atomic<std::size_t> started_{0};
    std::mutex mutex_;
    std::condition_variable all_done_;
    std::size_t finished_ = 0;
    std::size_t failures_ = 0;
    std::string first_error_;
};

// ------------------------------------------------------------------ process

long peak_rss_kib() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_maxrss;  // KiB on Linux
}

int thread_count() {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind("Threads:", 0) == 0) return std::atoi(line.c_str() + 8);
    }
    return -1;
}

// A temporary folder for the config, removed on the way out.
struct TempDir {
    fs::path path;
    TempDir() {
        path = fs::temp_directory_path() / ("agenthost-pipeline-bench-" + std::to_string(::getpid()));
        fs::create_directories(path);
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
};

void print_row(const char* label, const std::string& value, const std::string& note = {}) {
    std::printf("  %-44s %14s  %s\n", label, value.c_str(), note.c_str());
}

std::string fixed(double v, int decimals) {
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%.*f", decimals, v);
    return buffer;
}

const char* verdict(bool met) { return met ? "(target met)" : "(target MISSED)"; }

}  // namespace

int main(int argc, char** argv) {
    const Options options = parse_options(argc, argv);
    const std::size_t serial_runs = options.serial_runs.value_or(std::min<std::size_t>(options.runs, 20000));
    const std::size_t floor_runs = options.floor_runs.value_or(std::min<std::size_t>(options.runs, 50000));

    TempDir temp;
    const fs::path config_file = temp.path / "pipeline.json";
    {
        std::ofstream out(config_file);
        out << workflow_config(fs::absolute(options.plugin_dir)) << "\n";
        if (!out) {
            std::cerr << "pipeline_bench: cannot write " << config_file << "\n";
            return 1;
        }
    }

    agenthost::HostOptions host_options;
    host_options.worker_threads = options.workers;
    host_options.store = options.store;
    host_options.record_in_memory = options.record;
    agenthost::Host host(host_options);
    auto loaded = host.load(config_file);
    if (auto* issues = std::get_if<agenthost::ConfigIssues>(&loaded)) {
        std::cerr << "pipeline_bench: the pipeline config does not load (is fixture-echo-strict built in "
                  << options.plugin_dir << "?):\n";
        for (const auto& issue : *issues) std::cerr << "  " << issue.to_string() << "\n";
        return 1;
    }
    auto workflow = std::get<std::shared_ptr<const agenthost::Workflow>>(loaded);
    const auto& manifest = workflow->agents().front().instance->plugin().manifest();
    if (manifest.input_schema->source() != boost::json::parse(kEchoSchema) ||
        manifest.output_schema->source() != boost::json::parse(kEchoSchema)) {
        std::cerr << "pipeline_bench: fixture-echo-strict's schemas differ from the floor's; update kEchoSchema\n";
        return 1;
    }

    // The floor first, alone in the process.
    const FloorFigures floor = measure_floor(floor_runs);
    const std::size_t cores = std::max(2u, std::thread::hardware_concurrency());
    const FloorFigures parallel_floor = measure_parallel_floor(floor_runs, cores);

    Driver driver(host, workflow);
    driver.measure(std::min<std::size_t>(serial_runs, 1000), 1);  // warm-up: code, allocator, instances
    const HostFigures serial = driver.measure(serial_runs, 1);
    const HostFigures wide = driver.measure(options.runs, options.concurrency);
    const int threads = thread_count();

    const double floor_us = floor.seconds * 1e6 / static_cast<double>(floor.runs * kHops);
    const double serial_us = serial.seconds * 1e6 / static_cast<double>(serial.runs * kHops);
    const double serial_cpu_us = serial.cpu * 1e6 / static_cast<double>(serial.runs * kHops);
    const double wide_us = wide.seconds * 1e6 / static_cast<double>(wide.runs * kHops);
    const double wide_cpu_us = wide.cpu * 1e6 / static_cast<double>(wide.runs * kHops);
    const double parallel_floor_cpu_us =
        parallel_floor.seconds * 1e6 / static_cast<double>(parallel_floor.runs * kHops);
    const double ratio = serial_us / floor_us;
    const double cpu_ratio = wide_cpu_us / floor_us;
    const double wall_for_100k = wide.seconds * 100000.0 / static_cast<double>(wide.runs);

    std::printf("agenthost pipeline_bench: %d agent hops per run (fixture-echo-strict, schemas on), %u cores\n",
                kHops, std::thread::hardware_concurrency());
    if (options.store.empty()) std::printf(options.record ? "  runs: recorded in memory (no --store)\n" : "  runs: not recorded (--no-record)\n");
    else std::printf("  runs: recorded in the SQLite store %s (one append per step)\n", options.store.c_str());
#ifdef NDEBUG
    std::printf("  build: optimised (NDEBUG)\n");
#else
    std::printf("  build: NOT optimised (no NDEBUG): figures are not meaningful, see bench/README.md\n");
#endif
    std::printf("  runs: floor %zu, concurrency 1: %zu, concurrency %zu: %zu\n\n", floor.runs, serial.runs,
                options.concurrency, wide.runs);
    print_row("floor: direct calls, µs per hop", fixed(floor_us, 2), "one thread");
    print_row(("floor on " + std::to_string(cores) + " threads: CPU µs per hop").c_str(),
              fixed(parallel_floor_cpu_us, 2), "all threads");
    print_row("host, concurrency 1: µs per hop (latency)", fixed(serial_us, 2));
    print_row("host, concurrency 1: CPU µs per hop", fixed(serial_cpu_us, 2), "all threads");
    print_row("host / floor per hop (concurrency 1)", fixed(ratio, 2) + "x", verdict(ratio <= 2.0));
    print_row(("host, concurrency " + std::to_string(options.concurrency) + ": CPU µs per hop").c_str(),
              fixed(wide_cpu_us, 2), "all threads");
    print_row("host CPU / floor per hop (high concurrency)", fixed(cpu_ratio, 2) + "x", verdict(cpu_ratio <= 2.0));
    print_row("hops per second, concurrency 1", fixed(static_cast<double>(serial.runs * kHops) / serial.seconds, 0));
    print_row(("hops per second, concurrency " + std::to_string(options.concurrency)).c_str(),
              fixed(static_cast<double>(wide.runs * kHops) / wide.seconds, 0));
    print_row(("wall µs per hop, concurrency " + std::to_string(options.concurrency)).c_str(), fixed(wide_us, 2));
    print_row(("wall for " + std::to_string(wide.runs) + " runs, concurrency " + std::to_string(options.concurrency))
                  .c_str(),
              fixed(wide.seconds, 3) + " s",
              wide.runs == 100000 ? verdict(wide.seconds < 2.0)
                                  : "(≈ " + fixed(wall_for_100k, 2) + " s per 100,000 runs)");
    print_row("peak RSS", fixed(static_cast<double>(peak_rss_kib()) / 1024.0, 1) + " MiB");
    print_row("threads in the process", std::to_string(threads), "host pool + timer + main");
    if (options.durable) {
        // The same runs with every step checkpointed to a SQLite file (WAL), in a host of their own.
        agenthost::HostOptions durable_options = host_options;
        durable_options.store = temp.path / "durable.db";
        agenthost::Host durable_host(durable_options);
        auto durable_loaded = durable_host.load(config_file);
        auto durable_workflow = std::get<std::shared_ptr<const agenthost::Workflow>>(durable_loaded);
        Driver durable_driver(durable_host, durable_workflow);
        durable_driver.measure(std::min<std::size_t>(serial_runs, 1000), 1);  // warm-up
        const HostFigures durable_serial = durable_driver.measure(serial_runs, 1);
        const HostFigures durable_wide = durable_driver.measure(options.runs, options.concurrency);
        const auto per_second = [](const HostFigures& f) { return static_cast<double>(f.runs * kHops) / f.seconds; };
        const double serial_share = per_second(durable_serial) / per_second(serial);
        const double wide_share = per_second(durable_wide) / per_second(wide);
        std::printf("\n  durable checkpoints: the same pipeline, every step committed to SQLite (WAL) before the next\n");
        print_row("durable hops per second, concurrency 1", fixed(per_second(durable_serial), 0),
                  "(" + fixed(100.0 * serial_share, 1) + "% of in memory)");
        print_row(("durable hops per second, concurrency " + std::to_string(options.concurrency)).c_str(),
                  fixed(per_second(durable_wide), 0),
                  "(" + fixed(100.0 * wide_share, 1) + "% of in memory) " + verdict(wide_share >= 0.5));
        print_row(("durable CPU µs per hop, concurrency " + std::to_string(options.concurrency)).c_str(),
                  fixed(durable_wide.cpu * 1e6 / static_cast<double>(durable_wide.runs * kHops), 2), "all threads");
    }
    return 0;
}
