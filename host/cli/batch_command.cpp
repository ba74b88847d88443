// batch_command.cpp: `agenthost batch`: one workflow, many inputs. Reads a
// JSON Lines file as a stream, keeps at most N runs in flight on the Host's
// asynchronous start, and appends one JSON line per input line to the output
// as each run ends. The output doubles as the batch's progress record: a
// rerun skips every line it already holds, so an interrupted or killed batch
// resumes where it stopped.
#include "batch_output.hpp"
#include "batch_progress.hpp"
#include "command.hpp"
#include "interrupt_watch.hpp"
#include "host_options.hpp"
#include "run_report.hpp"

#include <agenthost/host.hpp>
#include <agenthost/registry/json_text.hpp>

#include <boost/json/serialize.hpp>

#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <condition_variable>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <optional>
#include <set>
#include <ostream>
#include <string>

namespace agenthost::cli {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

constexpr int exit_interrupted = 130;  // 128 + SIGINT, what shells report for a Ctrl-C
constexpr std::size_t default_concurrency = 16;
constexpr std::size_t max_concurrency = 4096;

bool is_blank(std::string_view line) { return line.find_first_not_of(" \t\r") == std::string_view::npos; }

struct InputCount {
    std::size_t lines = 0;    //!< lines to answer: every line that is not blank
    std::size_t skipped = 0;  //!< of those, the ones the output already answers
    std::size_t last_line = 0;  //!< the number of the file's last line
};

// One streaming pass before the batch starts, so that progress can show a
// total and an ETA, and the resume message what it skips.
std::optional<InputCount> count_input(const fs::path& path, const BatchResume& resume) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    InputCount count;
    std::string text;
    for (std::size_t n = 1; std::getline(in, text); ++n) {
        count.last_line = n;
        if (is_blank(text)) continue;
        ++count.lines;
        if (resume.is_done(n)) ++count.skipped;
    }
    if (in.bad()) return std::nullopt;
    return count;
}

std::size_t positive_option(const Invocation& inv, std::string_view name, std::size_t fallback, std::size_t max) {
    const auto text = inv.args.value(name);
    if (!text) return fallback;
    std::size_t n = 0;
    const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), n);
    if (ec != std::errc() || end != text->data() + text->size() || n < 1 || n > max) {
        throw UsageError(std::string(name) + ": expected a whole number from 1 to " + std::to_string(max) + ", not '" +
                         *text + "'.");
    }
    return n;
}

// FNV-1a, 64 bits; two of them with different bases make a run id.
uint64_t fnv1a(std::string_view text, uint64_t hash) {
    for (unsigned char c : text) {
        hash ^= c;
        hash *= 0x100000001b3ULL;
    }
    return hash;
}

//! The run id of input line `number` of the batch `seed` names: the same on every
//! run of the same command, so that a batch run again finds the runs it started.
std::string batch_run_id(const std::string& seed, std::size_t number) {
    const std::string key = seed + "\n" + std::to_string(number);
    char text[33];
    std::snprintf(text, sizeof text, "%016llx%016llx",
                  static_cast<unsigned long long>(fnv1a(key, 0xcbf29ce484222325ULL)),
                  static_cast<unsigned long long>(fnv1a(key, 0x84222325cbf29ce4ULL) | 1));  // never all zero
    return text;
}

double milliseconds(std::chrono::microseconds us) { return static_cast<double>(us.count()) / 1000.0; }

//! One batch: the input stream, the window of runs in flight, and the output.
//!
//! The window is a counting semaphore driven by completions: the caller fills
//! it once, and each run's completion frees its slot and starts the next
//! line. Whoever holds the pumping role reads input and starts runs; a
//! completion that finds the role taken only frees its slot. So the input
//! stream has one reader at a time without a lock around the I/O, and a
//! completion never recurses into another.
class Batch {
public:
    struct Settings {
        fs::path input;
        std::size_t concurrency = default_concurrency;
        bool durable = false;     //!< runs are recorded in a store file, under ids of their lines
        std::string run_id_seed;  //!< what those ids are derived from: the input and output files
    };

    Batch(Settings settings, std::ifstream input, BatchOutput& output, std::ostream& err)
        : settings_(std::move(settings)), input_(std::move(input)), output_(output), err_(err) {}

    //! Runs every line not answered yet, `progress` told of each; returns when
    //! the input is done, or after an interrupt once the runs in flight ended.
    void run(Host& host, std::shared_ptr<const Workflow> workflow, BatchProgress& progress) {
        {
            std::lock_guard lock(mutex_);
            host_ = &host;
            workflow_ = std::move(workflow);
            if (stopping_) return;  // interrupted while loading
            progress_ = &progress;
            free_slots_ = settings_.concurrency;
            pumping_ = true;
        }
        pump();
        std::unique_lock lock(mutex_);
        finished_.wait(lock, [this] { return in_flight_ == 0 && !pumping_ && (input_exhausted_ || stopping_); });
        progress_ = nullptr;  // a late interrupt must not reach it after the caller is done with it
    }

    //! The first interrupt: no new runs; the ones in flight finish and are
    //! written. `message` goes to the operator, clear of the progress line.
    void interrupt(std::string_view message) {
        // Under the lock, so that run() cannot return (and the progress go) meanwhile.
        std::lock_guard lock(mutex_);
        stopping_ = true;
        interrupted_ = true;
        finished_.notify_all();
        if (progress_ != nullptr) {
            progress_->note(message);
        } else {
            err_ << message << std::endl;
        }
    }

    //! Lines whose runs still wait for a decision (and were skipped this time).
    std::size_t still_waiting() const {
        std::lock_guard lock(mutex_);
        return still_waiting_;
    }

    bool interrupted() const {
        std::lock_guard lock(mutex_);
        return interrupted_;
    }
    //! What stopped the batch short, other than an interrupt: the output or input failing.
    std::optional<std::string> stop_error() const {
        std::lock_guard lock(mutex_);
        return stop_error_;
    }

private:
    struct Line {
        std::size_t number = 0;
        std::string text;
    };

    // Holds the pumping role: starts runs while there are free slots and input.
    void pump() {
        for (;;) {
            {
                std::lock_guard lock(mutex_);
                if (free_slots_ == 0 || stopping_ || input_exhausted_) {
                    pumping_ = false;
                    finished_.notify_all();
                    return;
                }
                --free_slots_;
                ++in_flight_;
            }
            try {
                start_next();
            } catch (const std::exception& e) {
                stop_with_error(settings_.input.string() + ": after line " + std::to_string(lines_read_) + ": " +
                                e.what());
                release_slot();
            }
        }
    }

    // With one slot reserved: starts the next line that needs a run, writing
    // the error line of every bad one on the way, or gives the slot back.
    void start_next() {
        while (auto line = next_line()) {
            auto parsed = parse_json(line->text, settings_.input.string());
            if (!parsed) {
                write_bad_input(*line, parsed.error());
                continue;
            }
            std::optional<json::value> id;
            if (const auto* object = parsed.value().if_object()) {
                if (const json::value* v = object->if_contains("id")) id = *v;
            }
            const Started started = start_run(line->number, std::move(parsed).value(), std::move(id));
            if (started == Started::stop) break;
            if (started == Started::run) return;
        }
        release_slot();
    }

    // The next line that is neither blank nor answered already; only the
    // holder of the pumping role calls it.
    std::optional<Line> next_line() {
        Line line;
        while (std::getline(input_, line.text)) {
            line.number = ++lines_read_;
            if (is_blank(line.text) || output_.resume().is_done(line.number)) continue;
            return line;
        }
        if (input_.bad()) {
            stop_with_error("cannot read " + settings_.input.string() + " after line " + std::to_string(lines_read_) +
                            "; the lines after it were not run (run the same command again to resume)");
        }
        std::lock_guard lock(mutex_);
        input_exhausted_ = true;
        return std::nullopt;
    }

    enum class Started { run, skipped, stop };

    Started start_run(std::size_t number, json::value input, std::optional<json::value> id) {
        {
            std::lock_guard lock(mutex_);
            if (stopping_) return Started::stop;  // the line stays unanswered, for the next batch
        }
        try {
            auto done = [this, number, id](RunResult result) { complete(number, id, result); };
            if (!settings_.durable) {
                host_->start(workflow_, std::move(input), std::move(done));
                return Started::run;
            }
            // Durable: the line's run has an id of its own, so that a batch run
            // again after a crash takes up the run it started instead of a new one.
            const std::string run_id = batch_run_id(settings_.run_id_seed, number);
            auto stored = host_->store().load_run(run_id);
            if (!stored) {
                host_->start(workflow_, std::move(input), std::move(done), run_id);
                return Started::run;
            }
            if (is_finished(stored->run.status)) {
                done(stored_result(stored.value()));  // finished before the crash, and never written
                return Started::run;
            }
            if (auto resumed = host_->resume(run_id, done); resumed) return Started::run;
            else if (stored->run.status == RunStatus::waiting) {
                std::lock_guard lock(mutex_);
                ++still_waiting_;  // its waiting line is in the output already
                return Started::skipped;
            } else {
                RunResult failed;
                failed.run_id = run_id;
                failed.error = RunError{"resume_failed", "", "", resumed.error().to_string()};
                done(std::move(failed));
                return Started::run;
            }
        } catch (const std::exception& e) {
            // Not the line's fault, so not written: a rerun tries it again.
            stop_with_error(settings_.input.string() + ":" + std::to_string(number) + ": cannot start a run: " +
                            e.what());
            return Started::stop;
        }
    }

    // The engine's completion, on a worker thread. Whatever happens to the
    // line, the slot is freed, or the batch would wait for it forever.
    void complete(std::size_t number, const std::optional<json::value>& id, const RunResult& result) noexcept {
        try {
            write(result_line(number, id, result), result.ok || result.waiting, result.tokens, result.cost_usd);
        } catch (const std::exception& e) {
            stop_with_error(settings_.input.string() + ":" + std::to_string(number) +
                            ": cannot write the result: " + e.what());
        }
        bool pump_now = false;
        {
            std::lock_guard lock(mutex_);
            --in_flight_;
            ++free_slots_;
            pump_now = !pumping_;
            if (pump_now) pumping_ = true;
            finished_.notify_all();
        }
        if (pump_now) pump();
    }

    static json::object result_line(std::size_t number, const std::optional<json::value>& id, const RunResult& result) {
        json::object line{{"line", number}};
        if (id) line["id"] = *id;
        line["ok"] = result.ok;
        line["run_id"] = result.run_id;
        line["status"] = result.status();
        if (result.ok) {
            line["output"] = result.output;
        } else if (result.waiting) {
            line["waiting"] = result.approval;
        } else if (result.error) {
            line["error"] = result.error->to_json();
        }
        json::array path;
        for (const StepRecord& step : result.steps) path.emplace_back(step.step);
        line["path"] = std::move(path);
        line["tokens"] = result.tokens;
        line["cost_usd"] = result.cost_usd;
        line["duration_ms"] = milliseconds(result.duration);
        return line;
    }

    void write_bad_input(const Line& line, const Error& parse_error) {
        // parse_json located the error in a one-line document; put it at the
        // input file's line instead, keeping the column.
        std::string where = parse_error.where;
        const std::string prefix = settings_.input.string() + ":1:";
        if (where.starts_with(prefix)) {
            where = settings_.input.string() + ":" + std::to_string(line.number) + ":" + where.substr(prefix.size());
        }
        const RunError error{"bad_input", "", "", where + ": " + parse_error.message};
        json::object out{{"line", line.number}, {"ok", false},     {"error", error.to_json()},
                         {"tokens", 0},         {"cost_usd", 0.0}, {"duration_ms", 0.0}};
        write(out, false, 0, 0.0);
    }

    void write(const json::object& line, bool ok, uint64_t tokens, double cost_usd) {
        if (auto written = output_.append(json::serialize(line)); !written) {
            stop_with_error(written.error().to_string());
            return;
        }
        progress_->record(ok, tokens, cost_usd);
    }

    void release_slot() {
        std::lock_guard lock(mutex_);
        --in_flight_;
        ++free_slots_;
        finished_.notify_all();
    }

    void stop_with_error(std::string message) {
        std::lock_guard lock(mutex_);
        stopping_ = true;
        if (!stop_error_) stop_error_ = std::move(message);
        finished_.notify_all();
    }

    const Settings settings_;
    std::ifstream input_;          //!< read only by the holder of the pumping role
    std::size_t lines_read_ = 0;   //!< likewise
    BatchOutput& output_;
    std::ostream& err_;

    mutable std::mutex mutex_;
    std::condition_variable finished_;
    Host* host_ = nullptr;
    std::shared_ptr<const Workflow> workflow_;
    BatchProgress* progress_ = nullptr;
    std::size_t free_slots_ = 0;
    std::size_t in_flight_ = 0;  //!< runs started and not yet written, and slots reserved for a start
    bool pumping_ = false;
    bool input_exhausted_ = false;
    bool stopping_ = false;
    bool interrupted_ = false;
    std::size_t still_waiting_ = 0;
    std::optional<std::string> stop_error_;
};

// The shared settings, and the worker threads that --workers asks for.
std::optional<HostOptions> host_options(const Invocation& inv) {
    auto options = cli_host_options(inv, true);
    if (options) options->worker_threads = positive_option(inv, "--workers", 0, max_concurrency);
    return options;
}

int batch(const Invocation& inv) {
    for (const std::string_view name : {"--input", "--output"}) {
        if (!inv.args.value(name)) throw UsageError("missing " + std::string(name) + " FILE.");
    }
    Batch::Settings settings;
    settings.input = *inv.args.value("--input");
    settings.concurrency = positive_option(inv, "--concurrency", default_concurrency, max_concurrency);
    const fs::path output_path = *inv.args.value("--output");
    auto options = host_options(inv);
    if (!options) return exit_failure;
    settings.durable = !options->store.empty();
    if (settings.durable) {
        std::error_code ec;
        settings.run_id_seed = fs::absolute(settings.input, ec).lexically_normal().string() + "\n" +
                               fs::absolute(output_path, ec).lexically_normal().string();
    }

    std::ifstream input(settings.input, std::ios::binary);
    if (!input) {
        inv.err << "agenthost: error: cannot read the input file " << settings.input.string() << '\n';
        return exit_failure;
    }
    auto opened = BatchOutput::open(output_path);
    if (!opened) {
        inv.err << "agenthost: error: " << opened.error().to_string() << '\n';
        return exit_failure;
    }
    BatchOutput output = std::move(opened).value();
    const BatchResume& resume = output.resume();
    const auto count = count_input(settings.input, resume);
    if (!count) {
        inv.err << "agenthost: error: cannot read the input file " << settings.input.string() << '\n';
        return exit_failure;
    }

    Batch batch(settings, std::move(input), output, inv.err);
    // Declared after the batch and the output, so that it stops (and a second
    // signal can no longer reach them) before they go; and before the Host,
    // so that the Host's threads start with the signals blocked.
    InterruptWatch watch([&](int signals) {
        if (signals == 1) {
            batch.interrupt("agenthost: interrupted: finishing the runs in flight; interrupt again to stop at once");
            return;
        }
        // Between two appends, so every line in the file is whole.
        const auto hold = output.hold();
        inv.err << "\nagenthost: interrupted again: stopped at once; run the same command again to resume\n";
        inv.err.flush();
        std::_Exit(exit_interrupted);
    });
    // The Host goes first, waiting for the runs in flight, whose completions use the batch.
    Host host(*options);
    LoadResult loaded = host.load(inv.args.positionals().front());
    if (const auto* issues = std::get_if<ConfigIssues>(&loaded)) {
        for (const ConfigIssue& issue : *issues) inv.err << issue.to_string() << '\n';
        inv.err << issues->size() << (issues->size() == 1 ? " problem" : " problems") << " found\n";
        return exit_failure;
    }

    if (resume.torn) {
        if (auto cut = output.cut_torn_line(); !cut) {
            inv.err << "agenthost: error: " << cut.error().to_string() << '\n';
            return exit_failure;
        }
        inv.err << "agenthost: warning: " << *resume.torn << "; cut it off, and its input line runs again\n";
    }
    if (resume.lines > 0) {
        inv.err << "agenthost: resuming: " << count->skipped << " of " << count->lines << " lines are already in "
                << output_path.string() << " and are skipped\n";
    }

    if (settings.durable) {
        // Runs of other commands that a crash left unfinished go on beside the batch; its own go with their lines.
        std::optional<std::set<std::string>> own;  // made only when the store has unfinished runs
        report_resumed(inv, host.resume_unfinished([](RunResult) {}, [&](const RunRecord& run) {
            if (!own) {
                own.emplace();
                for (std::size_t n = 1; n <= count->last_line; ++n) own->insert(batch_run_id(settings.run_id_seed, n));
            }
            return !own->contains(run.id);
        }));
    }

    BatchProgress progress(inv.err, isatty(STDERR_FILENO) == 1, count->lines, count->skipped);
    progress.begin();
    batch.run(host, std::get<std::shared_ptr<const Workflow>>(std::move(loaded)), progress);
    progress.finish(output_path.string(), resume.failed);
    if (const std::size_t waiting = batch.still_waiting(); waiting > 0) {
        inv.err << "agenthost: " << waiting << " line" << (waiting == 1 ? "'s run waits" : "s' runs wait")
                << " for a decision (agenthost runs list --status waiting); run the same command again after it\n";
    }

    if (const auto error = batch.stop_error()) {
        inv.err << "agenthost: error: " << *error << '\n';
        return exit_failure;
    }
    if (batch.interrupted()) {
        inv.err << "agenthost: interrupted after " << progress.done() << " of " << progress.total()
                << " lines; run the same command again to resume\n";
        return exit_interrupted;
    }
    return progress.failed() > 0 || resume.failed > 0 ? exit_failure : exit_ok;
}

}  // namespace

std::vector<Command> batch_commands() {
    return {
        Command{{"batch"}, "CONFIG",
                "run a workflow on each line of a JSON Lines file, N runs at a time (resumable)",
                {{"--input", "FILE", "one run's input (JSON) per line; blank lines are skipped"},
                 {"--output", "FILE",
                  "append one result line (JSON) per input line to FILE; the lines it already answers are "
                  "skipped"},
                 {"--concurrency", "N", "at most N runs in flight (default: 16)"},
                 {"--workers", "N", "worker threads for the engine and plugin calls (default: the machine's cores)"},
                 {"--trace", "FILE", "append one JSON line per span (run, step, attempt) to FILE"},
                 store_option,
                 {"--plugin-dir", "DIR", "also search DIR for plugins (repeatable)", true}},
                1, 1, &batch},
    };
}

}  // namespace agenthost::cli
