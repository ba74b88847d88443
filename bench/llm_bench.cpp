// llm_bench.cpp: many LLM runs in flight at once on a few host threads.
//
// A two-step workflow of llm agents (an OpenAI-dialect draft, then an
// Anthropic-dialect rewrite of it: two model calls in sequence per run) runs
// against the mock provider, started as its own process on 127.0.0.1 with a
// fixed latency per answer (200 ms by default). All runs start at once, so
// the ideal wall time is two latencies: nothing but the provider's waiting.
// What the host adds on top is HTTP on one curl multi handle, JSON work on the
// worker pool, and the engine.
//
//   llm_bench [--runs N] [--latency-ms N] [--workers N] [--rounds N] [--http1] [--plugin-dir DIR]
//
// The agents offer the mock HTTP/2 (http2_cleartext), as they would get it from
// a real provider over TLS; --http1 keeps them on HTTP/1.1, one connection per
// request in flight.
//
// Prints, per round: wall time against the ideal, the peak thread count of
// this process (sampled every millisecond while runs are in flight), and, at
// the end, the peak RSS. Asserts no timing; exits 1 only when runs fail.
#include <agenthost/host.hpp>
#include <agenthost/host/logging.hpp>

#include <boost/json/object.hpp>

#include "mock_provider/mock_process.hpp"

#include <sys/resource.h>

#include <algorithm>
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
#include <string>
#include <string_view>

#ifndef AGENTHOST_BENCH_PLUGIN_DIR
#define AGENTHOST_BENCH_PLUGIN_DIR ""
#endif

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct Options {
    std::size_t runs = 10000;
    unsigned latency_ms = 200;
    std::size_t workers = 0;
    std::size_t rounds = 2;
    bool http1 = false;  //!< HTTP/1.1 only: one connection per request in flight
    std::string plugin_dir = AGENTHOST_BENCH_PLUGIN_DIR;
};

std::size_t count_arg(std::string_view text, const char* what) {
    std::size_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size()) {
        std::cerr << "llm_bench: " << what << " expects a number, got \"" << text << "\"\n";
        std::exit(2);
    }
    return value;
}

Options parse(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        auto value = [&]() -> std::string_view {
            if (i + 1 >= argc) {
                std::cerr << "llm_bench: " << arg << " needs a value\n";
                std::exit(2);
            }
            return argv[++i];
        };
        if (arg == "--runs") o.runs = count_arg(value(), "--runs");
        else if (arg == "--latency-ms") o.latency_ms = static_cast<unsigned>(count_arg(value(), "--latency-ms"));
        else if (arg == "--workers") o.workers = count_arg(value(), "--workers");
        else if (arg == "--rounds") o.rounds = std::max<std::size_t>(1, count_arg(value(), "--rounds"));
        else if (arg == "--plugin-dir") o.plugin_dir = std::string(value());
        else if (arg == "--http1") o.http1 = true;
        else {
            std::cerr << "usage: llm_bench [--runs N] [--latency-ms N] [--workers N] [--rounds N] [--http1] "
                         "[--plugin-dir DIR]\n";
            std::exit(2);
        }
    }
    return o;
}

// Every run holds a connection: lift the soft limit on open files to the hard one.
void raise_open_file_limit() {
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &limit);
    }
}

std::size_t thread_count() {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind("Threads:", 0) == 0) return count_arg(line.substr(line.find_first_not_of(" \t", 8)), "Threads");
    }
    return 0;
}

// The workflow: draft (OpenAI dialect) → polish (Anthropic dialect) → end.
std::string workflow_config(const Options& o, const std::string& base_url) {
    const std::string http2 = o.http1 ? "false" : "true";
    const std::string llm_grants = R"({"services": ["ah.http/1", "ah.secrets/1"], "network": [")" + base_url +
                                   R"(/*"], "secrets": ["LLM_API_KEY"]})";
    return R"({
  "name": "llm-bench",
  "plugin_dirs": [")" + o.plugin_dir + R"("],
  "limits": {"max_steps": 4, "deadline_ms": 600000},
  "prices": {"bench-small": {"input_per_mtok": 0.15, "output_per_mtok": 0.6},
             "bench-large": {"input_per_mtok": 3.0, "output_per_mtok": 15.0}},
  "secrets": {"LLM_API_KEY": {"env": "AGENTHOST_LLM_API_KEY"}},
  "agents": {
    "draft": {
      "plugin": "llm@^1",
      "config": {"provider": "openai", "model": "bench-small", "base_url": ")" + base_url + R"(/v1",
                 "api_key_secret": "LLM_API_KEY", "system": "Draft a reply.", "prompt": "{{/question}}",
                 "max_tokens": 100, "http2_cleartext": )" + http2 + R"(},
      "grants": )" + llm_grants + R"(,
      "timeout_ms": 120000
    },
    "polish": {
      "plugin": "llm@^1",
      "config": {"provider": "anthropic", "model": "bench-large", "base_url": ")" + base_url + R"(",
                 "api_key_secret": "LLM_API_KEY", "system": "Polish the draft.", "prompt": "{{/text}}",
                 "max_tokens": 100, "http2_cleartext": )" + http2 + R"(},
      "grants": )" + llm_grants + R"(,
      "timeout_ms": 120000
    }
  },
  "start": "draft",
  "steps": {
    "draft": {"kind": "agent", "agent": "draft", "reads": {"question": "/input/question"}, "writes": "draft",
              "next": "polish"},
    "polish": {"kind": "agent", "agent": "polish", "reads": {"text": "/draft/text"}, "writes": "polish",
               "next": "done"},
    "done": {"kind": "end", "result": "/polish"}
  }
})";
}

struct Round {
    double wall_s = 0;
    std::size_t failures = 0;
    std::size_t peak_threads = 0;
    std::string first_error;
};

Round run_round(agenthost::Host& host, const std::shared_ptr<const agenthost::Workflow>& workflow, std::size_t runs) {
    std::mutex mutex;
    std::condition_variable all_done;
    std::size_t finished = 0;
    Round round;
    const auto started = Clock::now();
    for (std::size_t i = 0; i < runs; ++i) {
        boost::json::object input{{"question", "Where is parcel " + std::to_string(i) + "?"}};
        host.start(workflow, std::move(input), [&](agenthost::RunResult result) {
            std::lock_guard lock(mutex);
            if (!result.ok) {
                if (round.failures++ == 0 && result.error) round.first_error = result.error->message;
            }
            if (++finished == runs) all_done.notify_one();
        });
    }
    std::unique_lock lock(mutex);
    // Sampling, not synchronisation: the wait ends on the last run's notify.
    while (!all_done.wait_for(lock, std::chrono::milliseconds(1), [&] { return finished == runs; })) {
        round.peak_threads = std::max(round.peak_threads, thread_count());
    }
    round.wall_s = std::chrono::duration<double>(Clock::now() - started).count();
    round.peak_threads = std::max(round.peak_threads, thread_count());
    return round;
}

}  // namespace

int main(int argc, char** argv) {
    const Options o = parse(argc, argv);
    raise_open_file_limit();
#ifdef NDEBUG
    const char* build = "Release";
#else
    const char* build = "Debug (figures mean little: build Release, see bench/README.md)";
#endif
    try {
        // Warnings and errors only: a failed run is counted below, not logged line by line.
        const agenthost::Logging logging({agenthost::LogLevel::warning, agenthost::LogFormat::text, nullptr});
        agenthost::testing::MockProcess mock(AGENTHOST_MOCK_PROVIDER,
                                             {"--latency-ms", std::to_string(o.latency_ms)});
        // The secret the config names; the bench's own process environment.
        setenv("AGENTHOST_LLM_API_KEY", "bench-key", 1);

        const fs::path config = fs::temp_directory_path() / ("agenthost-llm-bench-" + std::to_string(getpid()) + ".json");
        {
            std::ofstream out(config);
            out << workflow_config(o, mock.base_url());
        }
        agenthost::HostOptions options;
        options.worker_threads = o.workers;
        agenthost::Host host(options);
        auto loaded = host.load(config);
        fs::remove(config);
        if (auto* issues = std::get_if<agenthost::ConfigIssues>(&loaded)) {
            for (const auto& issue : *issues) std::cerr << issue.to_string() << '\n';
            return 1;
        }
        auto workflow = std::get<std::shared_ptr<const agenthost::Workflow>>(loaded);

        std::printf("llm_bench (%s): %zu runs of 2 LLM steps in flight at once over %s, mock latency %u ms, ideal %.3f s\n",
                    build, o.runs, o.http1 ? "HTTP/1.1" : "HTTP/2 (h2c)", o.latency_ms, 2.0 * o.latency_ms / 1000.0);
        std::printf("threads before the first run: %zu\n", thread_count());
        std::size_t failures = 0;
        for (std::size_t r = 1; r <= o.rounds; ++r) {
            const Round round = run_round(host, workflow, o.runs);
            const double ideal = 2.0 * o.latency_ms / 1000.0;
            std::printf("round %zu: wall %.3f s = %.2f x ideal, %.0f runs/s, peak threads %zu, failed %zu\n", r,
                        round.wall_s, round.wall_s / ideal, static_cast<double>(o.runs) / round.wall_s,
                        round.peak_threads, round.failures);
            if (round.failures > 0) std::printf("  first failure: %s\n", round.first_error.c_str());
            failures += round.failures;
        }
        rusage usage{};
        getrusage(RUSAGE_SELF, &usage);
        std::printf("peak RSS %.1f MB; host CPU %.2f s user, %.2f s system\n", static_cast<double>(usage.ru_maxrss) / 1024.0,
                    static_cast<double>(usage.ru_utime.tv_sec) + static_cast<double>(usage.ru_utime.tv_usec) / 1e6,
                    static_cast<double>(usage.ru_stime.tv_sec) + static_cast<double>(usage.ru_stime.tv_usec) / 1e6);
        return failures == 0 ? 0 : 1;
    } catch (const std::exception& e) {
        std::cerr << "llm_bench: " << e.what() << '\n';
        return 1;
    }
}
