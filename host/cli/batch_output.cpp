// batch_output.cpp: reading back, locking, repairing and appending to the
// output file of `agenthost batch`.
#include "batch_output.hpp"

#include <agenthost/registry/json_text.hpp>

#include <boost/json/value.hpp>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <utility>

namespace agenthost::cli {
namespace {

namespace json = boost::json;

std::string errno_text() { return std::strerror(errno); }

// The input line number an output line records, or why it records none.
Result<std::size_t> recorded_line(const json::value& value) {
    const json::object* object = value.if_object();
    if (object == nullptr) return Error{"", "not a JSON object", ""};
    const json::value* line = object->if_contains("line");
    if (line == nullptr || !line->is_number()) return Error{"", "it has no \"line\" number", ""};
    std::error_code ec;
    const auto n = line->to_number<std::size_t>(ec);
    if (ec || n == 0) return Error{"", "its \"line\" is not a line number (an integer from 1)", ""};
    return n;
}

Result<BatchResume> read_back(const std::filesystem::path& path) {
    BatchResume resume;
    std::ifstream in(path, std::ios::binary);
    if (!in) return Error{path.string(), "cannot read the output file to resume from it", ""};
    std::string text;
    std::size_t number = 0;
    uintmax_t offset = 0;
    while (std::getline(in, text)) {
        ++number;
        const bool has_newline = !in.eof();
        const bool last = !has_newline || in.peek() == std::char_traits<char>::eof();
        const std::string where = path.string() + ":" + std::to_string(number);
        if (!has_newline) {
            resume.torn = where + ": the last line has no newline (the batch stopped while writing it)";
            break;
        }
        if (text.find_first_not_of(" \t\r") == std::string::npos) {
            offset += text.size() + 1;
            resume.valid_bytes = offset;
            continue;
        }
        auto parsed = parse_json(text, where);
        Result<std::size_t> line = parsed ? recorded_line(parsed.value()) : Result<std::size_t>(parsed.error());
        if (!line) {
            const std::string why = parsed ? line.error().message : parsed.error().to_string();
            if (last) {
                resume.torn = where + ": the last line is not a complete output line (" + why + ")";
                break;
            }
            return Error{where, "not an agenthost batch output line: " + why,
                         "an output file is only ever appended to; give another --output, or remove the line "
                         "if the file was edited"};
        }
        // A run that waits for a decision has not answered its line: a rerun takes it up again.
        const json::value* status = parsed.value().as_object().if_contains("status");
        if (status != nullptr && status->is_string() && status->get_string() == "waiting") {
            offset += text.size() + 1;
            resume.valid_bytes = offset;
            continue;
        }
        if (resume.done.size() <= line.value()) resume.done.resize(line.value() + 1, false);
        if (!resume.done[line.value()]) {
            resume.done[line.value()] = true;
            ++resume.lines;
            const json::value* ok = parsed.value().as_object().if_contains("ok");
            if (ok == nullptr || !ok->is_bool() || !ok->get_bool()) ++resume.failed;
        }
        offset += text.size() + 1;
        resume.valid_bytes = offset;
    }
    if (in.bad()) return Error{path.string(), "cannot read the output file to resume from it", ""};
    return resume;
}

}  // namespace

Result<BatchOutput> BatchOutput::open(const std::filesystem::path& path) {
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) return Error{path.string(), "cannot open the output file: " + errno_text(), ""};
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        const bool busy = errno == EWOULDBLOCK;
        const std::string why = busy ? "another agenthost batch is writing to it" : "cannot lock it: " + errno_text();
        ::close(fd);
        return Error{path.string(), why, busy ? "wait for that batch to finish, or give another --output" : ""};
    }
    auto resume = read_back(path);
    if (!resume) {
        ::close(fd);
        return resume.error();
    }
    return BatchOutput(path, fd, std::move(resume).value());
}

BatchOutput::BatchOutput(std::filesystem::path path, int fd, BatchResume resume)
    : path_(std::move(path)), fd_(fd), resume_(std::move(resume)) {}

BatchOutput::BatchOutput(BatchOutput&& other) noexcept
    : path_(std::move(other.path_)),
      fd_(std::exchange(other.fd_, -1)),
      resume_(std::move(other.resume_)),
      mutex_(std::move(other.mutex_)),
      buffer_(std::move(other.buffer_)) {}

BatchOutput::~BatchOutput() {
    if (fd_ >= 0) ::close(fd_);  // releases the lock too
}

Result<bool> BatchOutput::cut_torn_line() {
    if (!resume_.torn) return false;
    if (ftruncate(fd_, static_cast<off_t>(resume_.valid_bytes)) != 0) {
        return Error{path_.string(), "cannot cut the torn last line off the output file: " + errno_text(),
                     "remove the last line by hand and run the same command again"};
    }
    return true;
}

Result<bool> BatchOutput::append(std::string_view line) {
    std::lock_guard lock(*mutex_);
    buffer_.assign(line);
    buffer_ += '\n';
    std::string_view rest = buffer_;
    while (!rest.empty()) {
        const ssize_t n = ::write(fd_, rest.data(), rest.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            return Error{path_.string(), "cannot append to the output file: " + errno_text(),
                         "free some space or fix the file's permissions, then run the same command again to "
                         "resume"};
        }
        rest.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

}  // namespace agenthost::cli
