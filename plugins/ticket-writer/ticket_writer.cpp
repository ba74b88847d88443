// ticket-writer: writes the tickets it is given as JSON files into a folder,
// once per idempotency key. The input is one ticket, or {"tickets": [...]} to
// file several in one call. Every ticket it writes is recorded in
// <folder>/applied.jsonl as {"idempotency_key", "file", "attempt"}; a ticket
// whose key is recorded there is not written again and is answered with the
// earlier file, so a step that runs again after a crash or a retry never
// writes a ticket twice.
//
// Keys: one ticket is applied under the call's idempotency key and answered
// with {"file", "already_applied": bool}. In a list, each ticket is applied
// under "<idempotency key>/<ticket id>" (ids must differ within the list) and
// the call answers {"files": [each ticket's file, in list order], "applied":
// tickets written now, "already_applied": tickets recorded earlier}. A retry
// after a crash part-way through a list writes only the tickets not yet
// recorded. An empty list writes nothing, not even the folder.
//
// Crash safety, for each ticket: it goes to a temporary file that is fsynced
// and then renamed into place (the folder is fsynced too), and only then is its
// line appended to applied.jsonl (O_APPEND, one write, fsync). A crash before
// the append leaves the ticket unrecorded, and the retry with the same key
// writes the same content again and records it. A torn last line (a crash
// during the append) is ignored when reading and cut off before the next
// append. Every file name and conflict of a list is checked before its first
// ticket is written, so a list that cannot be filed whole writes nothing.
//
// Concurrency: calls on one instance are serialized by a mutex, and every
// call holds an exclusive flock on applied.jsonl from reading it to appending
// its last line, so instances and processes sharing a folder are safe as well.
#include <agenthost/sdk.hpp>

#include <boost/json/src.hpp>  // header-only Boost.JSON, private to this plugin

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <system_error>
#include <vector>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace {

namespace json = boost::json;
namespace fs = std::filesystem;

constexpr const char* manifest = R"json({
  "name": "ticket-writer",
  "version": "1.1.0",
  "description": "Writes each ticket, or each of a list of tickets, as a JSON file into a folder, exactly once per idempotency key (recorded in applied.jsonl).",
  "sdk_abi": "1.1",
  "config_schema": {
    "type": "object",
    "required": ["folder"],
    "properties": {
      "folder": {"type": "string", "minLength": 1, "description": "where the tickets and applied.jsonl go; created when missing"},
      "file_name": {"type": "string", "minLength": 1, "description": "template over each ticket, {{/json/pointer}} placeholders; default {{/id}}.json"},
      "replace": {"type": "boolean", "description": "overwrite a file that another key (or no key) wrote; default false: refuse"}
    },
    "additionalProperties": false
  },
  "input_schema": {
    "definitions": {
      "ticket": {
        "type": "object",
        "required": ["id", "title"],
        "properties": {
          "id": {"type": "string", "minLength": 1, "maxLength": 128},
          "title": {"type": "string", "minLength": 1},
          "body": {"type": "string"},
          "owner": {"type": "string"},
          "priority": {"type": "string", "enum": ["P1", "P2", "P3", "P4"]},
          "incident": {"type": "string"},
          "labels": {"type": "array", "items": {"type": "string"}},
          "due": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}
        },
        "additionalProperties": false
      }
    },
    "oneOf": [
      {"$ref": "#/definitions/ticket"},
      {
        "type": "object",
        "required": ["tickets"],
        "properties": {
          "tickets": {"type": "array", "items": {"$ref": "#/definitions/ticket"}, "description": "each applied under <idempotency key>/<id>; ids differ"}
        },
        "additionalProperties": false
      }
    ]
  },
  "output_schema": {
    "oneOf": [
      {
        "type": "object",
        "required": ["file", "already_applied"],
        "properties": {
          "file": {"type": "string"},
          "already_applied": {"type": "boolean"}
        },
        "additionalProperties": false
      },
      {
        "type": "object",
        "required": ["files", "applied", "already_applied"],
        "properties": {
          "files": {"type": "array", "items": {"type": "string"}, "description": "each ticket's file, in the order of the list"},
          "applied": {"type": "integer", "minimum": 0, "description": "tickets written by this call"},
          "already_applied": {"type": "integer", "minimum": 0, "description": "tickets an earlier call with the same key wrote"}
        },
        "additionalProperties": false
      }
    ]
  }
})json";

constexpr const char* ledger_name = "applied.jsonl";

[[noreturn]] void fail(ah_status status, const std::string& message) {
    throw agenthost::Failure(status, "ticket-writer: " + message);
}

[[noreturn]] void fail_errno(const std::string& what, const fs::path& path, const std::string& todo) {
    const int error = errno;
    fail(error == EINTR || error == EAGAIN || error == ENOSPC || error == EIO ? AH_ERR_UNAVAILABLE : AH_ERR_FAILED,
         what + " " + path.string() + ": " + std::strerror(error) + "; " + todo);
}

//! An open file descriptor, closed on destruction.
class Fd {
public:
    explicit Fd(int fd) noexcept : fd_(fd) {}
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd() {
        if (fd_ >= 0) ::close(fd_);
    }
    int get() const noexcept { return fd_; }

private:
    int fd_;
};

//! An exclusive flock held for the object's lifetime.
class FileLock {
public:
    FileLock(int fd, const fs::path& path) : fd_(fd) {
        while (::flock(fd_, LOCK_EX) != 0) {
            if (errno != EINTR) fail_errno("cannot lock", path, "check that the folder is on a local file system");
        }
    }
    FileLock(const FileLock&) = delete;
    FileLock& operator=(const FileLock&) = delete;
    ~FileLock() { ::flock(fd_, LOCK_UN); }

private:
    int fd_;
};

//! A temporary file beside its destination, removed unless it was renamed into place.
class TempFile {
public:
    explicit TempFile(const fs::path& destination) {
        std::string pattern = (destination.parent_path() / ("." + destination.filename().string() + ".XXXXXX")).string();
        const int fd = ::mkstemp(pattern.data());
        if (fd < 0) fail_errno("cannot create a temporary file beside", destination, "check the folder's permissions");
        path_ = pattern;
        fd_ = fd;
        // mkstemp makes it 0600; a ticket is for other tools to read.
        if (::fchmod(fd_, 0644) != 0) fail_errno("cannot make readable", path_, "check the folder's permissions");
    }
    TempFile(const TempFile&) = delete;
    TempFile& operator=(const TempFile&) = delete;
    ~TempFile() {
        if (fd_ >= 0) ::close(fd_);
        if (!renamed_) ::unlink(path_.c_str());
    }

    void write_synced(std::string_view content) {
        write_all(fd_, content, path_);
        if (::fsync(fd_) != 0) fail_errno("cannot fsync", path_, "check the disk");
        const int fd = fd_;
        fd_ = -1;
        if (::close(fd) != 0) fail_errno("cannot close", path_, "check the disk");
    }

    void rename_to(const fs::path& destination) {
        if (::rename(path_.c_str(), destination.c_str()) != 0) {
            fail_errno("cannot rename the temporary file to", destination, "check the folder's permissions");
        }
        renamed_ = true;
    }

    static void write_all(int fd, std::string_view data, const fs::path& path) {
        while (!data.empty()) {
            const ssize_t n = ::write(fd, data.data(), data.size());
            if (n < 0) {
                if (errno == EINTR) continue;
                fail_errno("cannot write", path, "check the disk and the folder's permissions");
            }
            data.remove_prefix(static_cast<std::size_t>(n));
        }
    }

private:
    fs::path path_;
    int fd_ = -1;
    bool renamed_ = false;
};

void fsync_directory(const fs::path& folder) {
    Fd dir(::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dir.get() < 0 || ::fsync(dir.get()) != 0) fail_errno("cannot fsync the folder", folder, "check the disk");
}

std::string read_all(int fd, const fs::path& path) {
    std::string text;
    char buffer[65536];
    off_t at = 0;
    for (;;) {
        const ssize_t n = ::pread(fd, buffer, sizeof buffer, at);
        if (n < 0) {
            if (errno == EINTR) continue;
            fail_errno("cannot read", path, "check the file's permissions");
        }
        if (n == 0) return text;
        text.append(buffer, static_cast<std::size_t>(n));
        at += n;
    }
}

//! What applied.jsonl says: the applied keys, which key wrote each file, and
//! how many bytes are whole lines (the rest is a torn line, ignored).
struct Ledger {
    struct Applied {
        std::string file;
        std::string key;
    };
    std::map<std::string, Applied, std::less<>> by_key;
    std::map<std::string, std::string, std::less<>> key_by_file;
    std::size_t whole = 0;
    std::size_t size = 0;
};

Ledger parse_ledger(const std::string& text, const fs::path& path) {
    Ledger ledger;
    ledger.size = text.size();
    std::size_t at = 0;
    std::size_t line_number = 0;
    while (at < text.size()) {
        const std::size_t end = text.find('\n', at);
        if (end == std::string::npos) break;  // a torn last line: its write never finished
        ++line_number;
        const std::string_view line(text.data() + at, end - at);
        at = end + 1;
        if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
        boost::system::error_code ec;
        const json::value record = json::parse(line, ec);
        const json::object* object = ec ? nullptr : record.if_object();
        const json::value* key = object != nullptr ? object->if_contains("idempotency_key") : nullptr;
        const json::value* file = object != nullptr ? object->if_contains("file") : nullptr;
        if (key == nullptr || !key->is_string() || file == nullptr || !file->is_string()) {
            fail(AH_ERR_FAILED, path.string() + " line " + std::to_string(line_number) +
                                    " is not a record {\"idempotency_key\", \"file\", \"attempt\"}; repair or "
                                    "remove that line (only a torn last line is skipped)");
        }
        const std::string k(key->get_string());
        const std::string f(file->get_string());
        ledger.by_key.insert_or_assign(k, Ledger::Applied{f, k});
        ledger.key_by_file.insert_or_assign(f, k);
    }
    ledger.whole = at;
    return ledger;
}

//! One piece of the file name template: literal text, or a JSON pointer into the input.
struct Piece {
    std::string literal;
    std::string pointer;  // empty for a literal
};

bool valid_pointer(std::string_view p) {
    if (p.empty() || p.front() != '/') return false;
    for (std::size_t i = 0; i < p.size(); ++i) {
        if (p[i] == '~' && (i + 1 == p.size() || (p[i + 1] != '0' && p[i + 1] != '1'))) return false;
    }
    return true;
}

std::string trim(std::string_view s) {
    const auto first = s.find_first_not_of(" \t");
    if (first == std::string_view::npos) return {};
    return std::string(s.substr(first, s.find_last_not_of(" \t") - first + 1));
}

std::vector<Piece> compile_file_name(const std::string& text) {
    const std::string where = "config file_name \"" + text + "\"";
    std::vector<Piece> pieces;
    bool placeholder = false;
    std::size_t at = 0;
    while (at < text.size()) {
        const std::size_t open = text.find("{{", at);
        std::string literal = text.substr(at, open == std::string::npos ? std::string::npos : open - at);
        if (literal.find('/') != std::string::npos || literal.find('\0') != std::string::npos) {
            fail(AH_ERR_INVALID_ARGUMENT, where + " holds a '/': it names a file inside folder, not a path");
        }
        if (!literal.empty()) pieces.push_back({std::move(literal), {}});
        if (open == std::string::npos) break;
        const std::size_t close = text.find("}}", open + 2);
        if (close == std::string::npos) fail(AH_ERR_INVALID_ARGUMENT, where + ": \"{{\" is never closed");
        std::string pointer = trim(text.substr(open + 2, close - open - 2));
        if (!valid_pointer(pointer)) {
            fail(AH_ERR_INVALID_ARGUMENT, where + ": {{" + pointer + "}} is not a JSON pointer (write {{/id}})");
        }
        pieces.push_back({{}, std::move(pointer)});
        placeholder = true;
        at = close + 2;
    }
    if (!placeholder) {
        fail(AH_ERR_INVALID_ARGUMENT, where + " has no {{/pointer}}: every ticket would overwrite the same file "
                                              "(write e.g. {{/id}}.json)");
    }
    return pieces;
}

std::string render_value(const json::value& v, const std::string& pointer) {
    switch (v.kind()) {
    case json::kind::string: return std::string(v.get_string());
    case json::kind::int64: return std::to_string(v.get_int64());
    case json::kind::uint64: return std::to_string(v.get_uint64());
    default:
        fail(AH_ERR_INVALID_ARGUMENT, "file_name placeholder {{" + pointer + "}} is " + json::serialize(v) +
                                          " in the ticket; it must be a string or an integer");
    }
}

//! applied.jsonl for the length of one call: open, exclusively locked, its
//! records read; append() records a ticket and keeps those records current.
class LedgerFile {
public:
    explicit LedgerFile(const fs::path& folder)
        : path_(folder / ledger_name),
          fd_(open_ledger(path_)),
          lock_(fd_.get(), path_),
          ledger_(parse_ledger(read_all(fd_.get(), path_), path_)) {}

    const Ledger& records() const noexcept { return ledger_; }

    //! The file recorded for `key`, or nullptr when the key was never applied.
    const Ledger::Applied* applied(const std::string& key) const {
        const auto it = ledger_.by_key.find(key);
        return it == ledger_.by_key.end() ? nullptr : &it->second;
    }

    //! Appends the record of a ticket whose file is already in place (one write, fsync).
    void append(const std::string& key, const std::string& file, uint32_t attempt) {
        if (ledger_.whole < ledger_.size) {
            if (::ftruncate(fd_.get(), static_cast<off_t>(ledger_.whole)) != 0) {
                fail_errno("cannot cut the torn last line of", path_, "check the file's permissions");
            }
            ledger_.size = ledger_.whole;
        }
        const json::object record{{"idempotency_key", key}, {"file", file}, {"attempt", attempt}};
        const std::string line = json::serialize(record) + "\n";
        TempFile::write_all(fd_.get(), line, path_);
        if (::fsync(fd_.get()) != 0) fail_errno("cannot fsync", path_, "check the disk");
        ledger_.whole += line.size();
        ledger_.size = ledger_.whole;
        ledger_.by_key.insert_or_assign(key, Ledger::Applied{file, key});
        ledger_.key_by_file.insert_or_assign(file, key);
    }

private:
    static int open_ledger(const fs::path& path) {
        const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (fd < 0) fail_errno("cannot open", path, "check the folder's permissions");
        return fd;
    }

    fs::path path_;
    Fd fd_;
    FileLock lock_;
    Ledger ledger_;
};

//! One ticket to apply: its ledger key, file name and content.
struct Planned {
    std::string key;
    std::string name;
    fs::path target;
    std::string content;
    std::string what;  // how messages name it: "the ticket", "tickets/2 (INC-2041-3)"
};

class TicketWriter : public agenthost::Agent {
public:
    TicketWriter(const agenthost::HostApi& /*host*/, std::string_view config_json) {
        const json::object config = json::parse(config_json).as_object();
        folder_ = std::string(config.at("folder").as_string());
        const json::value* name = config.if_contains("file_name");
        file_name_ = compile_file_name(name != nullptr ? std::string(name->as_string()) : "{{/id}}.json");
        if (const json::value* r = config.if_contains("replace")) replace_ = r->as_bool();
    }

    std::string invoke(agenthost::Context& ctx, const agenthost::Input& input) override {
        const std::string key(ctx.idempotency_key());
        if (key.empty()) {
            fail(AH_ERR_INVALID_ARGUMENT, "the call has no idempotency key, so a retry could write the ticket twice; "
                                          "run ticket-writer as a workflow step (the host gives each step a key)");
        }
        const json::value in = json::parse(input.json);
        if (const json::value* list = in.as_object().if_contains("tickets")) {
            return write_list(list->as_array(), key, ctx.attempt());
        }
        const Planned ticket = plan(in, key, "the ticket");

        const std::lock_guard<std::mutex> lock(mutex_);
        LedgerFile ledger(open_folder());
        if (const Ledger::Applied* applied = ledger.applied(key)) return output(folder_ / applied->file, true);
        if (!replace_) refuse_conflict(ledger.records(), ticket);
        write(ledger, ticket, ctx.attempt());
        return output(ticket.target, false);
    }

private:
    //! Checks the whole list before writing any of it, then writes each ticket not yet applied.
    std::string write_list(const json::array& tickets, const std::string& key, uint32_t attempt) {
        std::vector<Planned> planned;
        std::map<std::string, std::size_t, std::less<>> by_id;
        std::map<std::string, std::size_t, std::less<>> by_name;
        for (std::size_t i = 0; i < tickets.size(); ++i) {
            const std::string id(tickets[i].at("id").as_string());
            const std::string what = "tickets/" + std::to_string(i) + " (" + id + ")";
            if (auto [it, fresh] = by_id.emplace(id, i); !fresh) {
                fail(AH_ERR_INVALID_ARGUMENT, what + " has the same id as tickets/" + std::to_string(it->second) +
                                                  "; each ticket of a list is applied once per id, so give every "
                                                  "ticket its own id");
            }
            planned.push_back(plan(tickets[i], key + "/" + id, what));
            if (auto [it, fresh] = by_name.emplace(planned.back().name, i); !fresh) {
                fail(AH_ERR_INVALID_ARGUMENT, what + " and tickets/" + std::to_string(it->second) +
                                                  " would both be written to " + planned.back().target.string() +
                                                  "; change config file_name so that it tells them apart "
                                                  "(e.g. include {{/id}})");
            }
        }
        json::array files;
        if (planned.empty()) return list_output(files, 0, 0);

        const std::lock_guard<std::mutex> lock(mutex_);
        LedgerFile ledger(open_folder());
        if (!replace_) {
            for (const Planned& ticket : planned) {
                if (ledger.applied(ticket.key) == nullptr) refuse_conflict(ledger.records(), ticket);
            }
        }
        std::size_t applied = 0;
        std::size_t already = 0;
        for (const Planned& ticket : planned) {
            if (const Ledger::Applied* earlier = ledger.applied(ticket.key)) {
                files.emplace_back((folder_ / earlier->file).string());
                ++already;
                continue;
            }
            write(ledger, ticket, attempt);
            files.emplace_back(ticket.target.string());
            ++applied;
        }
        return list_output(files, applied, already);
    }

    Planned plan(const json::value& ticket, std::string key, const std::string& what) const {
        Planned p;
        p.key = std::move(key);
        p.name = file_name(ticket, what);
        p.target = folder_ / p.name;
        p.content = json::serialize(ticket) + "\n";
        p.what = what;
        return p;
    }

    //! The folder, created when missing; with mutex_ held.
    const fs::path& open_folder() const {
        std::error_code ec;
        fs::create_directories(folder_, ec);
        if (ec) {
            fail(AH_ERR_FAILED, "cannot create the folder " + folder_.string() + ": " + ec.message() +
                                    "; create it, or point config folder at a writable one");
        }
        return folder_;
    }

    //! Temporary file, fsync, rename, fsync of the folder, and only then the ledger's line.
    void write(LedgerFile& ledger, const Planned& ticket, uint32_t attempt) const {
        TempFile temp(ticket.target);
        temp.write_synced(ticket.content);
        temp.rename_to(ticket.target);
        fsync_directory(folder_);
        ledger.append(ticket.key, ticket.name, attempt);
    }

    std::string file_name(const json::value& ticket, const std::string& what) const {
        std::string name;
        for (const Piece& piece : file_name_) {
            if (piece.pointer.empty()) {
                name += piece.literal;
                continue;
            }
            boost::system::error_code ec;
            const json::value* v = ticket.find_pointer(piece.pointer, ec);
            if (v == nullptr) {
                fail(AH_ERR_INVALID_ARGUMENT, "file_name placeholder {{" + piece.pointer + "}} finds nothing in " +
                                                  what + "; give the ticket that field or change config file_name");
            }
            name += render_value(*v, piece.pointer);
        }
        const bool control = std::any_of(name.begin(), name.end(), [](char c) {
            return static_cast<unsigned char>(c) < 0x20;
        });
        if (name.empty() || name.size() > 255 || name.front() == '.' || name == ledger_name || control ||
            name.find('/') != std::string::npos) {
            fail(AH_ERR_INVALID_ARGUMENT, "the file name \"" + name + "\" of " + what +
                                              " is not a plain file name in " + folder_.string() +
                                              " (no '/', no leading '.', not applied.jsonl, at most 255 bytes); "
                                              "fix the ticket's id or change config file_name");
        }
        return name;
    }

    //! A file that another key wrote, or that ticket-writer did not write, is not replaced.
    static void refuse_conflict(const Ledger& ledger, const Planned& ticket) {
        if (auto owner = ledger.key_by_file.find(ticket.name); owner != ledger.key_by_file.end()) {
            fail(AH_ERR_FAILED, ticket.target.string() + " (" + ticket.what +
                                    ") was already written for idempotency key \"" + owner->second + "\" (" +
                                    ledger_name + "); give this ticket another id or file_name, "
                                    "or set config \"replace\": true");
        }
        Fd existing(::open(ticket.target.c_str(), O_RDONLY | O_CLOEXEC));
        if (existing.get() < 0) return;  // no such file: nothing to replace
        // Unrecorded: the same content is what a crash before the append leaves behind.
        if (read_all(existing.get(), ticket.target) != ticket.content) {
            fail(AH_ERR_FAILED, ticket.target.string() + " (" + ticket.what +
                                    ") exists and ticket-writer did not write it (it is not in " + ledger_name +
                                    "); move it away, or set config \"replace\": true");
        }
    }

    static std::string output(const fs::path& file, bool already_applied) {
        return json::serialize(json::object{{"file", file.string()}, {"already_applied", already_applied}});
    }

    static std::string list_output(json::array files, std::size_t applied, std::size_t already_applied) {
        return json::serialize(json::object{{"files", std::move(files)},
                                            {"applied", applied},
                                            {"already_applied", already_applied}});
    }

    fs::path folder_;
    std::vector<Piece> file_name_;
    bool replace_ = false;
    std::mutex mutex_;  // one call at a time reads and appends applied.jsonl in this instance
};

}  // namespace

AGENTHOST_PLUGIN_WITH_FLAGS(TicketWriter, manifest, AH_PLUGIN_CONCURRENT_INVOKE)
