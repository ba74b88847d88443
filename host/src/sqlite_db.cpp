// sqlite_db.cpp: the RAII layer over the SQLite C API used by the run store.
#include "sqlite_db.hpp"

#include <sqlite3.h>

#include <limits>

namespace agenthost::sqlite {

void CloseConnection::operator()(sqlite3* db) const noexcept {
    // _v2: a statement still alive would make plain close fail and leak the file.
    sqlite3_close_v2(db);
}

void FinalizeStatement::operator()(sqlite3_stmt* stmt) const noexcept { sqlite3_finalize(stmt); }

Query::~Query() {
    if (stmt_ != nullptr) {
        sqlite3_reset(stmt_);
        sqlite3_clear_bindings(stmt_);
    }
}

Query& Query::bind(int index, int64_t value) {
    sqlite3_bind_int64(stmt_, index, value);
    return *this;
}

Query& Query::bind(int index, double value) {
    sqlite3_bind_double(stmt_, index, value);
    return *this;
}

Query& Query::bind(int index, std::string_view value) {
    // Bind errors (only SQLITE_RANGE and SQLITE_TOOBIG here) resurface from step().
    sqlite3_bind_text64(stmt_, index, value.data(), value.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
    return *this;
}

Query& Query::bind_null(int index) {
    sqlite3_bind_null(stmt_, index);
    return *this;
}

Query& Query::bind(int index, const std::optional<std::string>& value) {
    return value ? bind(index, std::string_view(*value)) : bind_null(index);
}

Result<bool> Query::step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return db_->error("a statement failed");
}

Result<Ok> Query::run() {
    auto stepped = step();
    // Reset at once, so that the same query can be bound and run again (one row per event).
    sqlite3_reset(stmt_);
    if (!stepped) return stepped.error();
    return Ok{};
}

int64_t Query::int64_at(int column) const { return sqlite3_column_int64(stmt_, column); }

double Query::double_at(int column) const { return sqlite3_column_double(stmt_, column); }

std::string Query::text_at(int column) const {
    const auto* text = sqlite3_column_text(stmt_, column);
    if (text == nullptr) return {};
    return std::string(reinterpret_cast<const char*>(text), static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column)));
}

bool Query::null_at(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }

Result<Db> Db::open(const std::filesystem::path& file, std::chrono::milliseconds busy_timeout) {
    Db db;
    db.file_ = file;
    sqlite3* raw = nullptr;
    // NOMUTEX: the store serializes every use of a connection itself.
    const int rc = sqlite3_open_v2(file.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    db.handle_.reset(raw);
    if (rc != SQLITE_OK) {
        return Error{file.string(), std::string("cannot open the run store: ") + (raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)),
                     "check that the directory exists and is writable", {}};
    }
    sqlite3_extended_result_codes(raw, 1);
    const auto ms = busy_timeout.count();
    sqlite3_busy_timeout(raw, ms > std::numeric_limits<int>::max() ? std::numeric_limits<int>::max() : static_cast<int>(ms));
    return db;
}

Result<Ok> Db::exec(std::string_view sql) {
    const std::string text(sql);
    char* message = nullptr;
    const int rc = sqlite3_exec(handle_.get(), text.c_str(), nullptr, nullptr, &message);
    if (rc != SQLITE_OK) {
        std::string what = message ? message : sqlite3_errstr(rc);
        sqlite3_free(message);
        return Error{file_.string(), "run store: " + what, {}, {}};
    }
    return Ok{};
}

Result<Query> Db::query(std::string_view sql) {
    auto found = statements_.find(std::string(sql));
    if (found == statements_.end()) {
        sqlite3_stmt* raw = nullptr;
        const int rc = sqlite3_prepare_v3(handle_.get(), sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
        if (rc != SQLITE_OK) return error("cannot prepare a statement");
        found = statements_.emplace(std::string(sql), std::unique_ptr<sqlite3_stmt, FinalizeStatement>(raw)).first;
    }
    return Query(*this, found->second.get());
}

int64_t Db::changes() const noexcept { return sqlite3_changes64(handle_.get()); }
int64_t Db::last_insert_rowid() const noexcept { return sqlite3_last_insert_rowid(handle_.get()); }

void Db::on_wal_commit(std::function<void(int)> hook) {
    if (!hook) {
        wal_hook_.reset();
        sqlite3_wal_autocheckpoint(handle_.get(), 1000);  // SQLite's default
        return;
    }
    wal_hook_ = std::make_unique<std::function<void(int)>>(std::move(hook));
    sqlite3_wal_hook(
        handle_.get(),
        [](void* context, sqlite3*, const char*, int pages) {
            (*static_cast<std::function<void(int)>*>(context))(pages);
            return SQLITE_OK;
        },
        wal_hook_.get());
}

Result<Ok> Db::checkpoint() {
    const int rc = sqlite3_wal_checkpoint_v2(handle_.get(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    if (rc != SQLITE_OK && rc != SQLITE_BUSY) return error("cannot checkpoint the write-ahead log");
    return Ok{};
}

std::string Db::last_error() const { return sqlite3_errmsg(handle_.get()); }

Error Db::error(std::string_view what) const {
    return Error{file_.string(), "run store: " + std::string(what) + ": " + last_error(), {}, {}};
}

Result<Transaction> Transaction::begin(Db& db) {
    auto begun = db.exec("BEGIN IMMEDIATE");
    if (!begun) return begun.error();
    return Transaction(db);
}

Transaction::~Transaction() {
    if (db_ != nullptr) (void)db_->exec("ROLLBACK");
}

Result<Ok> Transaction::commit() {
    Db* db = std::exchange(db_, nullptr);
    auto committed = db->exec("COMMIT");
    if (!committed) {
        (void)db->exec("ROLLBACK");
        return committed.error();
    }
    return Ok{};
}

}  // namespace agenthost::sqlite
