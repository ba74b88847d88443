// batch_output.hpp: the output file of `agenthost batch`: one JSON line per
// input line, appended whole and at once, so that whatever the process dies
// of, the file holds complete lines and at most one torn line at its end,
// which the next run cuts off and redoes.
#pragma once

#include <agenthost/registry/result.hpp>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace agenthost::cli {

//! What an existing output file says is already done.
struct BatchResume {
    std::vector<bool> done;       //!< done[n]: input line n has its output line
    std::size_t lines = 0;        //!< complete output lines found
    std::size_t failed = 0;       //!< of those, the ones with "ok": false
    uintmax_t valid_bytes = 0;    //!< where the complete lines end
    std::optional<std::string> torn;  //!< what was wrong with the last line, when it is cut

    bool is_done(std::size_t line) const noexcept { return line < done.size() && done[line]; }
};

class BatchOutput {
public:
    //! Opens (or creates) `path` and locks it, so that two batches never
    //! append to one file. Reads what it holds: every complete line that
    //! parses as an object with a "line" number marks that input line done.
    //! A last line without its newline, or that does not parse, is torn (a
    //! kill mid-write); any other line that does not parse is an Error, since
    //! the file is then not a batch output that may safely be appended to.
    static Result<BatchOutput> open(const std::filesystem::path& path);

    BatchOutput(BatchOutput&& other) noexcept;
    BatchOutput& operator=(BatchOutput&&) = delete;
    BatchOutput(const BatchOutput&) = delete;
    BatchOutput& operator=(const BatchOutput&) = delete;
    ~BatchOutput();

    const BatchResume& resume() const noexcept { return resume_; }
    const std::filesystem::path& path() const noexcept { return path_; }

    //! Cuts a torn last line off the file, so that appending starts on a line of its own.
    Result<bool> cut_torn_line();

    //! Appends `line` and a newline in one write, under a lock: lines never
    //! interleave, and each is in the file (not in a buffer) on return.
    //! Thread-safe. An Error says why the file could not take it.
    Result<bool> append(std::string_view line);

    //! Holds off every append while it lives: for exiting between two lines.
    std::unique_lock<std::mutex> hold() { return std::unique_lock<std::mutex>(*mutex_); }

private:
    BatchOutput(std::filesystem::path path, int fd, BatchResume resume);

    std::filesystem::path path_;
    int fd_ = -1;
    BatchResume resume_;
    std::unique_ptr<std::mutex> mutex_ = std::make_unique<std::mutex>();  // movable owner of an immovable mutex
    std::string buffer_;  //!< reused for line + newline
};

}  // namespace agenthost::cli
