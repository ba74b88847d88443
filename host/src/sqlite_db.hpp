// sqlite_db.hpp: a thin RAII layer over the SQLite C API for the run store: a
// connection, prepared statements that are finalized by their owner and
// reset after each use, and a transaction that rolls back unless committed.
// Errors are values; nothing here throws.
#pragma once

#include <agenthost/registry/result.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <variant>

struct sqlite3;
struct sqlite3_stmt;

namespace agenthost::sqlite {

using Ok = std::monostate;

struct CloseConnection {
    void operator()(sqlite3* db) const noexcept;
};
struct FinalizeStatement {
    void operator()(sqlite3_stmt* stmt) const noexcept;
};

class Db;

//! A prepared statement in use: bind, step, read columns. Resets itself and
//! clears its bindings when it goes out of scope, so that a half-read query
//! never keeps a WAL read snapshot open.
class Query {
public:
    Query(Db& db, sqlite3_stmt* stmt) noexcept : db_(&db), stmt_(stmt) {}
    Query(const Query&) = delete;
    Query& operator=(const Query&) = delete;
    Query(Query&& other) noexcept : db_(other.db_), stmt_(std::exchange(other.stmt_, nullptr)) {}
    Query& operator=(Query&&) = delete;
    ~Query();

    // Parameters are numbered from 1, as in SQL. Text is copied by SQLite.
    Query& bind(int index, int64_t value);
    Query& bind(int index, double value);
    Query& bind(int index, std::string_view value);
    Query& bind_null(int index);
    Query& bind(int index, const std::optional<std::string>& value);

    //! true: a row is ready; false: done. An error ends the query.
    Result<bool> step();
    //! Runs a statement that returns no rows; it may be bound and run again at once.
    Result<Ok> run();

    int64_t int64_at(int column) const;
    double double_at(int column) const;
    std::string text_at(int column) const;
    bool null_at(int column) const;

private:
    Db* db_;
    sqlite3_stmt* stmt_;
};

//! One connection. Not thread-safe: its owner serializes every use.
class Db {
public:
    static Result<Db> open(const std::filesystem::path& file, std::chrono::milliseconds busy_timeout);

    Db(Db&&) noexcept = default;
    Db& operator=(Db&&) noexcept = default;
    ~Db() = default;

    //! One or more statements with no parameters and no rows wanted.
    Result<Ok> exec(std::string_view sql);
    //! A statement prepared once per connection and reused.
    Result<Query> query(std::string_view sql);
    //! Rows changed by the last INSERT, UPDATE or DELETE (not counting cascades).
    int64_t changes() const noexcept;
    //! The rowid of the last row inserted on this connection.
    int64_t last_insert_rowid() const noexcept;

    //! `hook` runs after each commit of this connection in WAL mode, with the
    //! number of pages the write-ahead log holds; it replaces SQLite's own
    //! automatic checkpoints on this connection. Empty: automatic checkpoints.
    void on_wal_commit(std::function<void(int pages)> hook);
    //! Copies what it can of the write-ahead log into the database file
    //! without waiting for readers or writers (SQLITE_CHECKPOINT_PASSIVE).
    Result<Ok> checkpoint();

    //! SQLite's message for the connection's last error.
    std::string last_error() const;
    //! An Error naming the file, with SQLite's message.
    Error error(std::string_view what) const;
    const std::filesystem::path& file() const noexcept { return file_; }

private:
    Db() = default;

    std::filesystem::path file_;
    // Declared before the statements, so that they are finalized before it closes.
    std::unique_ptr<sqlite3, CloseConnection> handle_;
    // Where SQLite's WAL hook finds the hook: stable while the Db moves.
    std::unique_ptr<std::function<void(int)>> wal_hook_;
    std::unordered_map<std::string, std::unique_ptr<sqlite3_stmt, FinalizeStatement>> statements_;
};

//! BEGIN IMMEDIATE ... COMMIT; rolls back when dropped uncommitted. IMMEDIATE
//! takes the write lock up front, so a transaction never fails half-way for
//! want of an upgrade from a read lock.
class Transaction {
public:
    static Result<Transaction> begin(Db& db);
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    Transaction(Transaction&& other) noexcept : db_(std::exchange(other.db_, nullptr)) {}
    Transaction& operator=(Transaction&&) = delete;
    ~Transaction();

    Result<Ok> commit();

private:
    explicit Transaction(Db& db) noexcept : db_(&db) {}
    Db* db_;
};

}  // namespace agenthost::sqlite
