#include "storage/database.hpp"

#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <iterator>
#include <utility>
#include <variant>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <sqlite3.h>

namespace tenantd {

namespace json = boost::json;

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
};

static_assert(std::size(migrations) == database::schema_version,
              "one migration per schema version");

// Throws the database_error for a failed SQLite call: the file, what we
// were doing and SQLite's own words (plus the OS error for I/O failures).
[[noreturn]] void fail(const std::string& path, sqlite3* db, int rc,
                       std::string_view what) {
  std::string cause = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  auto primary = rc & 0xFF;
  if ((primary == SQLITE_CANTOPEN || primary == SQLITE_IOERR) && db != nullptr
      && sqlite3_system_errno(db) != 0)
    cause += std::string{": "} + std::strerror(sqlite3_system_errno(db));
  if (primary == SQLITE_NOTADB || primary == SQLITE_CORRUPT)
    throw database_error(path + ": not a SQLite database or corrupt (" + cause
                         + ")");
  throw database_error(path + ": " + std::string{what} + " (" + cause + ")");
}

struct finalize_statement {
  void operator()(sqlite3_stmt* stmt) const noexcept {
    sqlite3_finalize(stmt);
  }
};

using statement_ptr = std::unique_ptr<sqlite3_stmt, finalize_statement>;

statement_ptr prepare(sqlite3* db, const std::string& path, const char* sql) {
  sqlite3_stmt* stmt = nullptr;
  auto rc = sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt,
                               nullptr);
  statement_ptr result{stmt};
  if (rc != SQLITE_OK)
    fail(path, db, rc, std::string{"cannot prepare: "} + sql);
  return result;
}

// Runs one pragma and returns its first value as text ("" if none).
std::string pragma(sqlite3* db, const std::string& path, const char* sql) {
  auto stmt = prepare(db, path, sql);
  auto rc = sqlite3_step(stmt.get());
  if (rc == SQLITE_DONE)
    return "";
  if (rc != SQLITE_ROW)
    fail(path, db, rc, sql);
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
      throw database_error(dir + ": cannot create the database directory "
                                 "(a file of that name exists)");
    if (err != EEXIST)
      throw database_error(dir + ": cannot create the database directory ("
                           + std::strerror(err) + ")");
  }
  if (::access(dir.c_str(), W_OK | X_OK) != 0)
    throw database_error(dir + ": cannot write in the database directory ("
                         + std::strerror(errno) + ")");
}

// Runs the migrations the file has not had yet, each in its own
// transaction with its new user_version.
void migrate(sqlite3* db, const std::string& path) {
  auto version = std::stoi(pragma(db, path, "PRAGMA user_version"));
  if (version > database::schema_version)
    throw database_error(path + ": schema version " + std::to_string(version)
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
      throw database_error(path + ": cannot migrate the schema to version "
                           + std::to_string(i + 1) + " (" + cause + ")");
    }
  }
}

// A session id as stored: 16 bytes, big-endian, hi then lo.
std::array<unsigned char, 16> to_blob(const session_id& id) {
  std::array<unsigned char, 16> out{};
  for (int i = 0; i < 8; ++i) {
    out[i] = static_cast<unsigned char>(id.hi >> (56 - 8 * i));
    out[8 + i] = static_cast<unsigned char>(id.lo >> (56 - 8 * i));
  }
  return out;
}

// One use of a prepared statement: bind the parameters in order, step,
// read columns. The destructor resets the statement and clears its
// bindings, so it is ready for the next use whatever happened.
class query {
public:
  query(sqlite3* db, const std::string& path, const statement_ptr& stmt)
    : db_(db), path_(path), stmt_(stmt.get()) {
  }

  ~query() {
    // reset() repeats the error of a failed step, reported already.
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }

  query(const query&) = delete;
  query& operator=(const query&) = delete;

  query& bind(int64_t x) {
    check(sqlite3_bind_int64(stmt_, next_++, x));
    return *this;
  }

  query& bind(std::string_view x) {
    check(sqlite3_bind_text(stmt_, next_++, x.data(),
                            static_cast<int>(x.size()), SQLITE_TRANSIENT));
    return *this;
  }

  query& bind(const session_id& id) {
    auto blob = to_blob(id);
    check(sqlite3_bind_blob(stmt_, next_++, blob.data(),
                            static_cast<int>(blob.size()), SQLITE_TRANSIENT));
    return *this;
  }

  /// Steps once: true if there is a row to read, false when done.
  bool next() {
    auto rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW)
      return true;
    if (rc == SQLITE_DONE)
      return false;
    fail(path_, db_, rc, sqlite3_sql(stmt_));
  }

  /// Runs a statement that returns no rows; returns the rows it changed.
  uint64_t run() {
    next();
    return static_cast<uint64_t>(sqlite3_changes64(db_));
  }

  int64_t int64(int col) {
    return sqlite3_column_int64(stmt_, col);
  }

  std::string text(int col) {
    auto p = sqlite3_column_text(stmt_, col);
    auto n = sqlite3_column_bytes(stmt_, col);
    return p != nullptr ? std::string{reinterpret_cast<const char*>(p),
                                      static_cast<std::size_t>(n)}
                        : std::string{};
  }

  session_id id(int col) {
    auto p = static_cast<const unsigned char*>(sqlite3_column_blob(stmt_, col));
    if (p == nullptr || sqlite3_column_bytes(stmt_, col) != 16)
      throw database_error(path_ + ": a stored session id is not 16 bytes");
    session_id result;
    for (int i = 0; i < 8; ++i) {
      result.hi = (result.hi << 8) | p[i];
      result.lo = (result.lo << 8) | p[8 + i];
    }
    return result;
  }

private:
  void check(int rc) {
    if (rc != SQLITE_OK)
      fail(path_, db_, rc, std::string{"cannot bind a parameter of "}
                             + sqlite3_sql(stmt_));
  }

  sqlite3* db_;
  const std::string& path_;
  sqlite3_stmt* stmt_;
  int next_ = 1;
};

// The statements that make a method's several writes one atomic change,
// inside the caller's transaction or on their own.
struct savepoint_statements {
  statement_ptr begin;
  statement_ptr release;
  statement_ptr rollback_to;
};

// A savepoint: released by done(); rolled back to (and released) if the
// scope is left without done(), e.g. by an exception.
class write_scope {
public:
  write_scope(sqlite3* db, const std::string& path,
              const savepoint_statements& s)
    : db_(db), path_(path), s_(s) {
    query{db_, path_, s_.begin}.run();
  }

  ~write_scope() {
    if (done_)
      return;
    // Never throws: a failed rollback leaves the caller's error to report.
    for (auto* stmt : {s_.rollback_to.get(), s_.release.get()}) {
      sqlite3_step(stmt);
      sqlite3_reset(stmt);
    }
  }

  write_scope(const write_scope&) = delete;
  write_scope& operator=(const write_scope&) = delete;

  void done() {
    query{db_, path_, s_.release}.run();
    done_ = true;
  }

private:
  sqlite3* db_;
  const std::string& path_;
  const savepoint_statements& s_;
  bool done_ = false;
};

tenant_status read_status(const std::string& path, const std::string& text) {
  tenant_status status;
  if (!from_string(text, status))
    throw database_error(path + ": unknown stored tenant status '" + text
                         + "'");
  return status;
}

tenant_config read_config(const std::string& path, const std::string& text) {
  boost::system::error_code ec;
  auto value = json::parse(text, ec);
  if (ec)
    throw database_error(path + ": a stored tenant config is not JSON ("
                         + ec.message() + ")");
  auto parsed = parse_tenant_config(value);
  if (auto* errors = std::get_if<std::vector<config_error>>(&parsed)) {
    auto& first = errors->front();
    throw database_error(path + ": a stored tenant config is invalid ("
                         + first.field + " " + first.problem + ")");
  }
  return std::get<tenant_config>(std::move(parsed));
}

// A config's session TTL in milliseconds, the service default when unset.
int64_t session_ttl_ms(const tenant_config& config, int64_t default_ttl) {
  auto seconds = config.limits.session_ttl != 0
                   ? static_cast<int64_t>(config.limits.session_ttl)
                   : default_ttl;
  return seconds * 1000;
}

} // namespace

struct database::statements {
  statements(sqlite3* db, const std::string& path)
    : begin{prepare(db, path, "BEGIN IMMEDIATE")},
      commit{prepare(db, path, "COMMIT")},
      rollback{prepare(db, path, "ROLLBACK")},
      savepoint{prepare(db, path, "SAVEPOINT tenantd_write"),
                prepare(db, path, "RELEASE tenantd_write"),
                prepare(db, path, "ROLLBACK TO tenantd_write")},
      tenants{prepare(db, path, "SELECT id, status FROM tenants ORDER BY seq")},
      tenant{prepare(db, path,
                     "SELECT config, status, created_at, updated_at, chats, "
                     "rate_limited FROM tenants WHERE id = ?")},
      insert_tenant{prepare(db, path,
                            "INSERT INTO tenants (id, status, config, "
                            "created_at, updated_at) VALUES (?, 'active', ?, "
                            "?, ?) ON CONFLICT (id) DO NOTHING")},
      update_config{prepare(db, path,
                            "UPDATE tenants SET config = ?, updated_at = ? "
                            "WHERE id = ?")},
      update_status{prepare(db, path,
                            "UPDATE tenants SET status = ?, updated_at = ? "
                            "WHERE id = ?")},
      update_counters{prepare(db, path,
                              "UPDATE tenants SET chats = ?, rate_limited = ? "
                              "WHERE id = ?")},
      // The history row copies the tenant row as the change left it.
      insert_history{prepare(db, path,
                             "INSERT INTO tenant_history (tenant, at, action, "
                             "status, config) SELECT id, ?, ?, status, config "
                             "FROM tenants WHERE id = ?")},
      history_size{prepare(db, path,
                           "SELECT count(*) FROM tenant_history "
                           "WHERE tenant = ?")},
      // One statement checks the tenant, so a refusal changes nothing (the
      // id was checked in memory).
      insert_session{prepare(db, path,
                             "INSERT INTO sessions (id, tenant, created_at, "
                             "last_used, expires_at) SELECT ?, id, ?, ?, ? "
                             "FROM tenants WHERE id = ? AND status != "
                             "'archived'")},
      session_ids{prepare(db, path, "SELECT seq, id FROM sessions")},
      // A session is found by its seq from the index; the id is checked
      // too, since seqs of deleted last rows are given out again.
      touch_session{prepare(db, path,
                            "UPDATE sessions SET last_used = ?, expires_at = ? "
                            "WHERE seq = ? AND id = ?")},
      delete_session{prepare(db, path,
                             "DELETE FROM sessions WHERE seq = ? AND id = ?")},
      delete_tenant_sessions{prepare(db, path,
                                     "DELETE FROM sessions WHERE tenant = ? "
                                     "RETURNING id")},
      retime_sessions{prepare(db, path,
                              "UPDATE sessions SET expires_at = last_used + ? "
                              "WHERE tenant = ?")},
      sessions{prepare(db, path,
                       "SELECT id, created_at, last_used, expires_at FROM "
                       "sessions WHERE tenant = ? AND expires_at > ?")},
      session_count{prepare(db, path,
                            "SELECT count(*) FROM sessions WHERE tenant = ? "
                            "AND expires_at > ?")},
      session_owner{prepare(db, path,
                            "SELECT tenant FROM sessions WHERE seq = ? AND "
                            "id = ? AND expires_at > ?")},
      purge_sessions{prepare(db, path,
                             "DELETE FROM sessions WHERE expires_at <= ? "
                             "RETURNING id")} {
  }

  statement_ptr begin;
  statement_ptr commit;
  statement_ptr rollback;
  savepoint_statements savepoint;
  statement_ptr tenants;
  statement_ptr tenant;
  statement_ptr insert_tenant;
  statement_ptr update_config;
  statement_ptr update_status;
  statement_ptr update_counters;
  statement_ptr insert_history;
  statement_ptr history_size;
  statement_ptr insert_session;
  statement_ptr session_ids;
  statement_ptr touch_session;
  statement_ptr delete_session;
  statement_ptr delete_tenant_sessions;
  statement_ptr retime_sessions;
  statement_ptr sessions;
  statement_ptr session_count;
  statement_ptr session_owner;
  statement_ptr purge_sessions;
};

database database::open(const std::string& dir) {
  make_writable_directory(dir);
  auto path = (std::filesystem::path{dir} / file_name).string();
  // Sessions ids are bearer secrets: the file (and the -wal and -shm files,
  // which SQLite gives the same mode) is for the owner only. O_EXCL leaves
  // an existing file alone; an empty file is an empty database.
  if (int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
      fd >= 0)
    ::close(fd);
  sqlite3* db = nullptr;
  auto rc = sqlite3_open_v2(path.c_str(), &db,
                            SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
                              | SQLITE_OPEN_NOMUTEX,
                            nullptr);
  // From here on the connection closes with `result`, even on errors.
  database result{path, db};
  if (rc != SQLITE_OK)
    fail(path, db, rc, "cannot open");
  rc = sqlite3_extended_result_codes(db, 1);
  if (rc == SQLITE_OK)
    rc = sqlite3_busy_timeout(db, 5000);
  if (rc != SQLITE_OK)
    fail(path, db, rc, "cannot configure the connection");
  // The first read of the file: a file that is no database fails here,
  // before anything is written to it.
  pragma(db, path, "PRAGMA user_version");
  // SQLite falls back to read-only when it may not write the file.
  if (sqlite3_db_readonly(db, "main") == 1)
    throw database_error(path + ": cannot write the file (opened read-only)");
  auto mode = pragma(db, path, "PRAGMA journal_mode = WAL");
  if (mode != "wal")
    throw database_error(path + ": cannot use the WAL journal (journal_mode "
                                "is '" + mode + "')");
  pragma(db, path, "PRAGMA synchronous = FULL");
  pragma(db, path, "PRAGMA foreign_keys = ON");
  migrate(db, path);
  result.stmts_ = std::make_unique<statements>(db, path);
  result.load_ids();
  return result;
}

database::database(std::string path, sqlite3* db)
  : path_(std::move(path)), db_(db) {
}

database::database(database&& other) noexcept
  : path_(std::move(other.path_)),
    db_(std::exchange(other.db_, nullptr)),
    stmts_(std::move(other.stmts_)),
    ids_(std::move(other.ids_)),
    ids_uncommitted_(other.ids_uncommitted_) {
}

database& database::operator=(database&& other) noexcept {
  if (this != &other) {
    // Statements first: a connection closes only once they are finalized.
    stmts_.reset();
    sqlite3_close_v2(db_);
    path_ = std::move(other.path_);
    db_ = std::exchange(other.db_, nullptr);
    stmts_ = std::move(other.stmts_);
    ids_ = std::move(other.ids_);
    ids_uncommitted_ = other.ids_uncommitted_;
  }
  return *this;
}

database::~database() {
  stmts_.reset();
  sqlite3_close_v2(db_);
}

// -- transactions -------------------------------------------------------------

void database::begin() {
  ids(); // reloads it if a transaction ended without commit() or rollback()
  query{db_, path_, stmts_->begin}.run();
}

void database::commit() {
  query{db_, path_, stmts_->commit}.run();
  ids_uncommitted_ = false;
}

void database::rollback() noexcept {
  if (!stmts_)
    return;
  if (in_transaction()) {
    auto* stmt = stmts_->rollback.get();
    sqlite3_step(stmt);
    sqlite3_reset(stmt);
  }
  // Reloads the index if the transaction changed it. A failed reload
  // leaves ids_uncommitted_ set, so the next use of the index retries.
  try {
    ids();
  } catch (...) {
  }
}

bool database::in_transaction() const {
  return db_ != nullptr && sqlite3_get_autocommit(db_) == 0;
}

// -- tenants ------------------------------------------------------------------

std::vector<tenant_summary> database::tenants() {
  std::vector<tenant_summary> result;
  query q{db_, path_, stmts_->tenants};
  while (q.next())
    result.push_back({q.text(0), read_status(path_, q.text(1))});
  return result;
}

std::optional<stored_tenant> database::tenant(std::string_view id) {
  query q{db_, path_, stmts_->tenant};
  q.bind(id);
  if (!q.next())
    return std::nullopt;
  stored_tenant t;
  t.config = read_config(path_, q.text(0));
  t.status = read_status(path_, q.text(1));
  t.created_at = q.int64(2);
  t.updated_at = q.int64(3);
  t.chats = static_cast<uint64_t>(q.int64(4));
  t.rate_limited = static_cast<uint64_t>(q.int64(5));
  return t;
}

bool database::insert_tenant(const tenant_config& config, int64_t now,
                             std::string_view action) {
  write_scope scope{db_, path_, stmts_->savepoint};
  auto added = query{db_, path_, stmts_->insert_tenant}
                 .bind(config.id)
                 .bind(json::serialize(to_json(config)))
                 .bind(now)
                 .bind(now)
                 .run();
  if (added == 0)
    return false; // nothing written; the scope ends the savepoint
  query{db_, path_, stmts_->insert_history}.bind(now).bind(action).bind(
    config.id).run();
  scope.done();
  return true;
}

void database::update_tenant(const tenant_config& config, int64_t now,
                             int64_t default_ttl) {
  write_scope scope{db_, path_, stmts_->savepoint};
  auto old = tenant(config.id);
  if (!old)
    throw database_error(path_ + ": cannot update unknown tenant '"
                         + config.id + "'");
  query{db_, path_, stmts_->update_config}
    .bind(json::serialize(to_json(config)))
    .bind(now)
    .bind(config.id)
    .run();
  query{db_, path_, stmts_->insert_history}.bind(now).bind("update").bind(
    config.id).run();
  auto ttl = session_ttl_ms(config, default_ttl);
  if (ttl != session_ttl_ms(old->config, default_ttl))
    query{db_, path_, stmts_->retime_sessions}.bind(ttl).bind(config.id).run();
  scope.done();
}

void database::set_status(std::string_view id, tenant_status status,
                          int64_t now) {
  write_scope scope{db_, path_, stmts_->savepoint};
  auto changed = query{db_, path_, stmts_->update_status}
                   .bind(to_string(status))
                   .bind(now)
                   .bind(id)
                   .run();
  if (changed == 0)
    throw database_error(path_ + ": cannot set the status of unknown tenant '"
                         + std::string{id} + "'");
  query{db_, path_, stmts_->insert_history}.bind(now).bind(to_string(status))
    .bind(id).run();
  std::vector<session_id> deleted;
  if (status == tenant_status::archived) {
    query q{db_, path_, stmts_->delete_tenant_sessions};
    q.bind(id);
    while (q.next())
      deleted.push_back(q.id(0));
  }
  scope.done();
  // Only now: had the savepoint failed, its rows would still be there.
  forget(deleted);
}

void database::set_counters(std::string_view id, uint64_t chats,
                            uint64_t rate_limited) {
  query{db_, path_, stmts_->update_counters}
    .bind(static_cast<int64_t>(chats))
    .bind(static_cast<int64_t>(rate_limited))
    .bind(id)
    .run();
}

uint64_t database::history_size(std::string_view id) {
  query q{db_, path_, stmts_->history_size};
  q.bind(id).next();
  return static_cast<uint64_t>(q.int64(0));
}

// -- sessions -----------------------------------------------------------------

bool database::insert_session(std::string_view tenant_id,
                              const stored_session& s) {
  auto& index = ids();
  if (index.count(s.id) != 0)
    return false;
  auto added = query{db_, path_, stmts_->insert_session}
                 .bind(s.id)
                 .bind(s.created_at)
                 .bind(s.last_used)
                 .bind(s.expires_at)
                 .bind(tenant_id)
                 .run();
  if (added == 0)
    return false; // unknown or archived tenant
  index.emplace(s.id, sqlite3_last_insert_rowid(db_));
  ids_changed();
  return true;
}

void database::touch_session(const stored_session& s) {
  auto& index = ids();
  auto i = index.find(s.id);
  if (i == index.end())
    return;
  query{db_, path_, stmts_->touch_session}
    .bind(s.last_used)
    .bind(s.expires_at)
    .bind(i->second)
    .bind(s.id)
    .run();
}

void database::delete_session(const session_id& id) {
  auto& index = ids();
  auto i = index.find(id);
  if (i == index.end())
    return;
  query{db_, path_, stmts_->delete_session}.bind(i->second).bind(id).run();
  index.erase(i);
  ids_changed();
}

std::vector<stored_session> database::sessions(std::string_view tenant_id,
                                               int64_t now) {
  std::vector<stored_session> result;
  query q{db_, path_, stmts_->sessions};
  q.bind(tenant_id).bind(now);
  while (q.next())
    result.push_back({q.id(0), q.int64(1), q.int64(2), q.int64(3)});
  return result;
}

uint64_t database::session_count(std::string_view tenant_id, int64_t now) {
  query q{db_, path_, stmts_->session_count};
  q.bind(tenant_id).bind(now).next();
  return static_cast<uint64_t>(q.int64(0));
}

std::string database::session_owner(const session_id& id, int64_t now) {
  auto& index = ids();
  auto i = index.find(id);
  if (i == index.end())
    return {};
  query q{db_, path_, stmts_->session_owner};
  q.bind(i->second).bind(id).bind(now);
  return q.next() ? q.text(0) : std::string{};
}

uint64_t database::purge_expired_sessions(int64_t now) {
  std::vector<session_id> deleted;
  {
    query q{db_, path_, stmts_->purge_sessions};
    q.bind(now);
    while (q.next())
      deleted.push_back(q.id(0));
  }
  // Only once the statement is done: a failure keeps the rows.
  forget(deleted);
  return deleted.size();
}

// -- the session index --------------------------------------------------------

std::unordered_map<session_id, int64_t>& database::ids() {
  if (ids_uncommitted_ && !in_transaction())
    load_ids();
  return ids_;
}

void database::load_ids() {
  // Set until the scan is complete, so a failed reload is retried.
  ids_uncommitted_ = true;
  ids_.clear();
  query q{db_, path_, stmts_->session_ids};
  while (q.next())
    ids_[q.id(1)] = q.int64(0);
  ids_uncommitted_ = false;
}

void database::ids_changed() {
  // Outside a transaction the change is committed already.
  if (in_transaction())
    ids_uncommitted_ = true;
}

void database::forget(const std::vector<session_id>& deleted) {
  if (deleted.empty())
    return;
  auto& index = ids();
  for (auto& id : deleted)
    index.erase(id);
  ids_changed();
}

// -- free functions -----------------------------------------------------------

std::size_t bootstrap_tenants(database& db,
                              const std::vector<tenant_config>& configs,
                              int64_t now) {
  std::size_t added = 0;
  db.begin();
  try {
    for (auto& config : configs)
      if (db.insert_tenant(config, now, "bootstrap"))
        ++added;
    db.commit();
  } catch (...) {
    db.rollback();
    throw;
  }
  return added;
}


} // namespace tenantd
