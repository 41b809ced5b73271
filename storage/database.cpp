#include "storage/database.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iterator>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

namespace tenantd {

namespace {

// Migration i takes the schema from user_version i to i + 1. Append only:
// a released script never changes, since databases already ran it.
constexpr const char* migrations[] = {
  // 1: tenants, their history and their sessions.
  R"sql(
    CREATE TABLE tenants (
      seq INTEGER PRIMARY KEY,
      id TEXT NOT NULL UNIQUE,
      status TEXT NOT NULL
        CHECK (status IN ('active', 'suspended', 'archived')),
      config TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL,
      chats INTEGER NOT NULL DEFAULT 0,
      rate_limited INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE tenant_history (
      seq INTEGER PRIMARY KEY,
      tenant TEXT NOT NULL REFERENCES tenants (id),
      at INTEGER NOT NULL,
      action TEXT NOT NULL,
      status TEXT NOT NULL,
      config TEXT NOT NULL
    );
    CREATE INDEX tenant_history_by_tenant ON tenant_history (tenant);
    -- Rows in insertion order, so inserts append to the last page. The
    -- random ids have no index here: database keeps id -> seq in memory
    -- (see database.hpp).
    CREATE TABLE sessions (
      seq INTEGER PRIMARY KEY,
      id BLOB NOT NULL,
      tenant TEXT NOT NULL REFERENCES tenants (id),
      created_at INTEGER NOT NULL,
      last_used INTEGER NOT NULL,
      expires_at INTEGER NOT NULL
    );
    CREATE INDEX sessions_by_tenant ON sessions (tenant, expires_at);
    CREATE INDEX sessions_by_expiry ON sessions (expires_at);
  )sql",
  // 2: a tenant's sessions in insertion order, so they are read in pages
  // from where the last page ended (the expiry stays in the index for
  // counting live sessions without reading the rows).
  R"sql(
    DROP INDEX sessions_by_tenant;
    CREATE INDEX sessions_by_tenant ON sessions (tenant, seq, expires_at);
  )sql",
  // 3: identity and access: a tenant's users and API keys (storage/
  // identity.hpp), and the principal each session belongs to.
  R"sql(
    CREATE TABLE users (
      seq INTEGER PRIMARY KEY,
      id TEXT NOT NULL UNIQUE,
      tenant TEXT NOT NULL REFERENCES tenants (id),
      email TEXT NOT NULL,
      email_key TEXT NOT NULL,
      password_hash TEXT NOT NULL,
      role TEXT NOT NULL CHECK (role IN ('member', 'admin')),
      disabled INTEGER NOT NULL DEFAULT 0,
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL,
      UNIQUE (tenant, email_key)
    );
    CREATE TABLE api_keys (
      seq INTEGER PRIMARY KEY,
      id TEXT NOT NULL UNIQUE,
      tenant TEXT NOT NULL REFERENCES tenants (id),
      name TEXT NOT NULL,
      role TEXT NOT NULL CHECK (role IN ('member', 'admin')),
      prefix TEXT NOT NULL,
      digest TEXT NOT NULL UNIQUE,
      created_at INTEGER NOT NULL,
      expires_at INTEGER NOT NULL,
      last_used_at INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX api_keys_by_tenant ON api_keys (tenant);
    ALTER TABLE sessions ADD COLUMN owner TEXT NOT NULL DEFAULT '';
    -- The audit trail (storage/audit.hpp): append-only, a hash chain per
    -- tenant ('' for the platform's).
    CREATE TABLE audit_events (
      row INTEGER PRIMARY KEY,
      seq INTEGER NOT NULL,
      id TEXT NOT NULL UNIQUE,
      at INTEGER NOT NULL,
      tenant TEXT NOT NULL,
      actor_kind TEXT NOT NULL,
      actor_id TEXT NOT NULL,
      actor_tenant TEXT NOT NULL,
      action TEXT NOT NULL,
      target TEXT NOT NULL,
      outcome TEXT NOT NULL,
      request_id TEXT NOT NULL,
      source TEXT NOT NULL,
      changes TEXT NOT NULL,
      prev_hash TEXT NOT NULL,
      hash TEXT NOT NULL,
      UNIQUE (tenant, seq)
    );
    CREATE INDEX audit_by_time ON audit_events (at);
    CREATE TRIGGER audit_events_append_only BEFORE UPDATE ON audit_events
    BEGIN
      SELECT RAISE(ABORT, 'audit events are append-only');
    END;
  )sql",
  // 4: sessions' conversations with their tenants' AI upstreams
  // (storage/messages.hpp), gone with their session however it goes
  // (expired, purged, its tenant archived).
  R"sql(
    CREATE TABLE session_messages (
      -- Never reused, so that a page's cursor stays valid.
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      tenant TEXT NOT NULL,
      session BLOB NOT NULL,
      at INTEGER NOT NULL,
      role TEXT NOT NULL,
      content TEXT NOT NULL,
      tokens INTEGER NOT NULL,
      estimated INTEGER NOT NULL,
      model TEXT NOT NULL
    );
    CREATE INDEX session_messages_by_session
      ON session_messages (session, seq);
    CREATE TRIGGER sessions_take_their_messages AFTER DELETE ON sessions
    BEGIN
      DELETE FROM session_messages WHERE session = OLD.id;
    END;
  )sql",
};

} // namespace

const int database::schema_version = static_cast<int>(std::size(migrations));

void finalize_statement::operator()(sqlite3_stmt* stmt) const noexcept {
  sqlite3_finalize(stmt);
}

namespace {

[[noreturn]] void fail_with(const std::string& path, sqlite3* db, int rc,
                            std::string_view what) {
  std::string cause = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  auto primary = rc & 0xFF;
  if ((primary == SQLITE_CANTOPEN || primary == SQLITE_IOERR) && db != nullptr
      && sqlite3_system_errno(db) != 0)
    cause += std::string{": "} + std::strerror(sqlite3_system_errno(db));
  if (primary == SQLITE_NOTADB || primary == SQLITE_CORRUPT)
    throw storage_error(path + ": not a SQLite database or corrupt (" + cause
                        + ")");
  throw storage_error(path + ": " + std::string{what} + " (" + cause + ")");
}

statement_ptr prepare_on(sqlite3* db, const std::string& path,
                         const char* sql) {
  sqlite3_stmt* stmt = nullptr;
  auto rc = sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt,
                               nullptr);
  statement_ptr result{stmt};
  if (rc != SQLITE_OK)
    fail_with(path, db, rc, std::string{"cannot prepare: "} + sql);
  return result;
}

// Runs one pragma and returns its first value as text ("" if none).
std::string pragma(sqlite3* db, const std::string& path, const char* sql) {
  auto stmt = prepare_on(db, path, sql);
  auto rc = sqlite3_step(stmt.get());
  if (rc == SQLITE_DONE)
    return "";
  if (rc != SQLITE_ROW)
    fail_with(path, db, rc, sql);
  auto text = sqlite3_column_text(stmt.get(), 0);
  return text != nullptr ? reinterpret_cast<const char*>(text) : "";
}

// Creates `dir` (one level, mode 0700) unless it is a directory already,
// and checks that we may create files in it: the WAL journal lives next to
// the database. (SQLite itself would fall back to read-only and report a
// misleading cause.)
void make_writable_directory(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0700) != 0) {
    auto err = errno;
    struct stat st {};
    auto is_dir = ::stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
    if (err == EEXIST && !is_dir)
      throw storage_error(dir + ": cannot create the database directory "
                                 "(a file of that name exists)");
    if (err != EEXIST)
      throw storage_error(dir + ": cannot create the database directory ("
                           + std::strerror(err) + ")");
  }
  if (::access(dir.c_str(), W_OK | X_OK) != 0)
    throw storage_error(dir + ": cannot write in the database directory ("
                         + std::strerror(errno) + ")");
}

// Runs the migrations the file has not had yet, each in its own
// transaction with its new user_version.
void migrate(sqlite3* db, const std::string& path) {
  auto version = std::stoi(pragma(db, path, "PRAGMA user_version"));
  if (version > database::schema_version)
    throw storage_error(path + ": schema version " + std::to_string(version)
                         + " is newer than this build supports ("
                         + std::to_string(database::schema_version) + ")");
  for (auto i = version; i < database::schema_version; ++i) {
    auto script = std::string{"BEGIN IMMEDIATE;"} + migrations[i]
                  + "PRAGMA user_version = " + std::to_string(i + 1)
                  + ";COMMIT;";
    auto rc = sqlite3_exec(db, script.c_str(), nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) {
      // Keep SQLite's message: the rollback would replace it.
      std::string cause = sqlite3_errmsg(db);
      if (!sqlite3_get_autocommit(db))
        sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
      throw storage_error(path + ": cannot migrate the schema to version "
                           + std::to_string(i + 1) + " (" + cause + ")");
    }
  }
}

// Steps a statement that cannot usefully fail (a rollback) and resets it.
void step_quietly(sqlite3_stmt* stmt) noexcept {
  sqlite3_step(stmt);
  sqlite3_reset(stmt);
}

} // namespace

void close_connection::operator()(sqlite3* db) const noexcept {
  // Statements are finalized before (they are declared after the
  // connection, so destroyed first); v2 closes once they are all gone.
  sqlite3_close_v2(db);
}

database::database(const std::string& dir) {
  make_writable_directory(dir);
  path_ = (std::filesystem::path{dir} / file_name).string();
  // Sessions ids are bearer secrets: the file (and the -wal and -shm files,
  // which SQLite gives the same mode) is for the owner only. O_EXCL leaves
  // an existing file alone; an empty file is an empty database.
  if (int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
                      0600);
      fd >= 0)
    ::close(fd);
  sqlite3* raw = nullptr;
  auto rc = sqlite3_open_v2(path_.c_str(), &raw,
                            SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
                              | SQLITE_OPEN_NOMUTEX,
                            nullptr);
  // From here on the connection closes with `db_`, even if this throws.
  db_.reset(raw);
  if (rc != SQLITE_OK)
    fail(rc, "cannot open");
  rc = sqlite3_extended_result_codes(raw, 1);
  if (rc == SQLITE_OK)
    rc = sqlite3_busy_timeout(raw, 5000);
  if (rc != SQLITE_OK)
    fail(rc, "cannot configure the connection");
  // The first read of the file: a file that is no database fails here,
  // before anything is written to it.
  pragma(raw, path_, "PRAGMA user_version");
  // SQLite falls back to read-only when it may not write the file.
  if (sqlite3_db_readonly(raw, "main") == 1)
    throw storage_error(path_ + ": cannot write the file (opened read-only)");
  auto mode = pragma(raw, path_, "PRAGMA journal_mode = WAL");
  if (mode != "wal")
    throw storage_error(path_ + ": cannot use the WAL journal (journal_mode "
                                "is '" + mode + "')");
  pragma(raw, path_, "PRAGMA synchronous = FULL");
  pragma(raw, path_, "PRAGMA foreign_keys = ON");
  migrate(raw, path_);
  begin_ = prepare("BEGIN IMMEDIATE");
  commit_ = prepare("COMMIT");
  rollback_ = prepare("ROLLBACK");
  savepoint_ = prepare("SAVEPOINT tenantd_write");
  release_ = prepare("RELEASE tenantd_write");
  rollback_to_ = prepare("ROLLBACK TO tenantd_write");
}

database::~database() = default;

statement_ptr database::prepare(const char* sql) {
  return prepare_on(db_.get(), path_, sql);
}

void database::fail(int rc, std::string_view what) const {
  fail_with(path_, db_.get(), rc, what);
}

int64_t database::last_insert_rowid() const {
  return sqlite3_last_insert_rowid(db_.get());
}

// -- transactions -------------------------------------------------------------

void database::begin() {
  query{*this, begin_}.run();
}

void database::commit() {
  query{*this, commit_}.run();
}

void database::rollback() noexcept {
  if (in_transaction())
    step_quietly(rollback_.get());
}

bool database::in_transaction() const {
  return db_ != nullptr && sqlite3_get_autocommit(db_.get()) == 0;
}

// -- query --------------------------------------------------------------------

query::query(database& db, const statement_ptr& stmt)
  : db_(db), stmt_(stmt.get()) {
}

query::~query() {
  // reset() repeats the error of a failed step, reported already.
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

query& query::bind(int64_t x) {
  check(sqlite3_bind_int64(stmt_, next_++, x));
  return *this;
}

query& query::bind(std::string_view x) {
  check(sqlite3_bind_text(stmt_, next_++, x.data(), static_cast<int>(x.size()),
                          SQLITE_TRANSIENT));
  return *this;
}

query& query::bind(const session_id& id) {
  unsigned char blob[16];
  for (int i = 0; i < 8; ++i) {
    blob[i] = static_cast<unsigned char>(id.hi >> (56 - 8 * i));
    blob[8 + i] = static_cast<unsigned char>(id.lo >> (56 - 8 * i));
  }
  check(sqlite3_bind_blob(stmt_, next_++, blob, sizeof(blob),
                          SQLITE_TRANSIENT));
  return *this;
}

bool query::next() {
  auto rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW)
    return true;
  if (rc == SQLITE_DONE)
    return false;
  db_.fail(rc, sqlite3_sql(stmt_));
}

uint64_t query::run() {
  next();
  return static_cast<uint64_t>(sqlite3_changes64(db_.db_.get()));
}

int64_t query::int64(int col) {
  return sqlite3_column_int64(stmt_, col);
}

std::string query::text(int col) {
  auto p = sqlite3_column_text(stmt_, col);
  auto n = sqlite3_column_bytes(stmt_, col);
  return p != nullptr ? std::string{reinterpret_cast<const char*>(p),
                                    static_cast<std::size_t>(n)}
                      : std::string{};
}

session_id query::id(int col) {
  auto p = static_cast<const unsigned char*>(sqlite3_column_blob(stmt_, col));
  if (p == nullptr || sqlite3_column_bytes(stmt_, col) != 16)
    throw storage_error(db_.path() + ": a stored session id is not 16 bytes");
  session_id result;
  for (int i = 0; i < 8; ++i) {
    result.hi = (result.hi << 8) | p[i];
    result.lo = (result.lo << 8) | p[8 + i];
  }
  return result;
}

void query::check(int rc) {
  if (rc != SQLITE_OK)
    db_.fail(rc, std::string{"cannot bind a parameter of "} + sqlite3_sql(stmt_));
}

// -- write_scope --------------------------------------------------------------

write_scope::write_scope(database& db) : db_(db) {
  query{db_, db_.savepoint_}.run();
}

write_scope::~write_scope() {
  if (done_)
    return;
  // Never throws: a failed rollback leaves the caller's error to report.
  step_quietly(db_.rollback_to_.get());
  step_quietly(db_.release_.get());
}

void write_scope::done() {
  query{db_, db_.release_}.run();
  done_ = true;
}

} // namespace tenantd
