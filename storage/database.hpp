#pragma once

// The SQLite connection every table file (tenants.hpp, sessions.hpp) works
// on: opening the file, its pragmas, the schema migrations, transactions,
// savepoints, and prepared statements with their one-use `query`.
//
// Durability: WAL journal with synchronous=FULL, so a COMMIT returns only
// after the log is fsync'd.
//
// The schema is one list of migrations in database.cpp, append only; each
// table file says which tables it owns. A new table family (users, keys,
// audit, usage) adds its migration there and a file of its own here.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/session_id.hpp"
#include "storage/backend.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace tenantd {

struct finalize_statement {
  void operator()(sqlite3_stmt* stmt) const noexcept;
};

/// A prepared statement, finalized with its owner.
using statement_ptr = std::unique_ptr<sqlite3_stmt, finalize_statement>;

struct close_connection {
  void operator()(sqlite3* db) const noexcept;
};

class database {
public:
  /// The schema version this build writes (PRAGMA user_version).
  static const int schema_version;

  /// The file inside the data directory.
  static constexpr const char* file_name = "tenantd.db";

  /// Opens `dir`/tenantd.db, creating the directory (0700) and the file
  /// (0600) if missing, and runs the migrations up to schema_version.
  /// Throws storage_error if the directory or file cannot be created or
  /// written, the file is not a SQLite database or is corrupt, or its
  /// schema is newer than this build knows. Never replaces an existing
  /// file.
  explicit database(const std::string& dir);
  ~database();

  database(const database&) = delete;
  database& operator=(const database&) = delete;

  /// The database file's path.
  const std::string& path() const noexcept {
    return path_;
  }

  /// Prepares `sql` once, for the life of the connection.
  statement_ptr prepare(const char* sql);

  /// Throws the storage_error for SQLite result `rc` while doing `what`:
  /// the file, `what` and SQLite's own words (plus the OS error for I/O
  /// failures).
  [[noreturn]] void fail(int rc, std::string_view what) const;

  /// The rowid of the last row inserted.
  int64_t last_insert_rowid() const;

  // -- transactions -----------------------------------------------------------

  /// BEGIN IMMEDIATE.
  void begin();
  /// COMMIT; durable when this returns.
  void commit();
  /// ROLLBACK unless SQLite has ended the transaction itself (as it may
  /// after an error); never throws.
  void rollback() noexcept;
  bool in_transaction() const;

private:
  friend class query;
  friend class write_scope;

  std::string path_;
  /// Declared before the statements: destroyed after them.
  std::unique_ptr<sqlite3, close_connection> db_;
  statement_ptr begin_;
  statement_ptr commit_;
  statement_ptr rollback_;
  statement_ptr savepoint_;
  statement_ptr release_;
  statement_ptr rollback_to_;
};

/// One use of a prepared statement: bind the parameters in order, step,
/// read columns. The destructor resets the statement and clears its
/// bindings, so it is ready for the next use whatever happened.
class query {
public:
  query(database& db, const statement_ptr& stmt);
  ~query();

  query(const query&) = delete;
  query& operator=(const query&) = delete;

  query& bind(int64_t x);
  query& bind(std::string_view x);
  /// A session id as stored: 16 bytes, big-endian, hi then lo.
  query& bind(const session_id& id);

  /// Steps once: true if there is a row to read, false when done.
  bool next();

  /// Runs a statement that returns no rows; returns the rows it changed.
  uint64_t run();

  int64_t int64(int col);
  std::string text(int col);
  /// A session id stored by bind(const session_id&).
  session_id id(int col);

private:
  void check(int rc);

  database& db_;
  sqlite3_stmt* stmt_;
  int next_ = 1;
};

/// A savepoint: several writes of one method become one atomic change,
/// inside the caller's transaction or on their own. Released by done();
/// rolled back to (and released) if the scope is left without done(), e.g.
/// by an exception.
class write_scope {
public:
  explicit write_scope(database& db);
  ~write_scope();

  write_scope(const write_scope&) = delete;
  write_scope& operator=(const write_scope&) = delete;

  void done();

private:
  database& db_;
  bool done_ = false;
};

} // namespace tenantd
