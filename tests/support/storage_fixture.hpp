#pragma once

// The fixture of the storage tests: a fresh directory per test for the
// SQLite file, and ways to read and write that file behind the class under
// test's back (its own connection).

#include <atomic>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include <unistd.h>

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "storage/database.hpp"
#include "storage/sqlite_storage.hpp"
#include "tests/support/test_tenants.hpp"

namespace tenantd::test {

namespace fs = std::filesystem;

constexpr int64_t t0 = 1'700'000'000'000; // a Unix time in ms
constexpr int64_t default_ttl = 86400;    // seconds

// A config with every field set to something other than its default.
inline tenant_config full_config() {
  auto cfg = acme();
  cfg.name = "Acme \"Corp\" \xc3\xa9t\xc3\xa9";
  cfg.welcome = "Howdy\nfrom Acme!\t\\o/";
  cfg.limits.chat_per_10s = 8;
  cfg.limits.session_ttl = 3600;
  return cfg;
}

inline stored_session make_session(int64_t last_used, int64_t expires_at) {
  return {session_id::generate(), last_used, last_used, expires_at, ""};
}

// Every unexpired session of `tenant`, read page by page as a tenant
// actor does (pages of `page_size`).
inline std::vector<stored_session> all_sessions(storage_backend& db,
                                                std::string_view tenant,
                                                int64_t now,
                                                std::size_t page_size = 3) {
  std::vector<stored_session> all;
  int64_t after = 0;
  do {
    auto page = db.sessions(tenant, now, after, page_size);
    EXPECT_LE(page.sessions.size(), page_size);
    all.insert(all.end(), page.sessions.begin(), page.sessions.end());
    after = page.next;
  } while (after != 0);
  return all;
}

// Purges every session expired at `now`, in batches of `batch` as the
// store does; returns how many.
inline uint64_t purge_all(storage_backend& db, int64_t now,
                          std::size_t batch = 2) {
  uint64_t total = 0;
  for (;;) {
    auto deleted = db.purge_expired_sessions(now, batch);
    EXPECT_LE(deleted, batch);
    total += deleted;
    if (deleted < batch)
      return total;
  }
}

inline bool same_sessions(std::vector<stored_session> xs,
                   std::vector<stored_session> ys) {
  auto by_id = [](const stored_session& x, const stored_session& y) {
    return x.id.hi != y.id.hi ? x.id.hi < y.id.hi : x.id.lo < y.id.lo;
  };
  std::sort(xs.begin(), xs.end(), by_id);
  std::sort(ys.begin(), ys.end(), by_id);
  return std::equal(xs.begin(), xs.end(), ys.begin(), ys.end(),
                    [](const stored_session& x, const stored_session& y) {
                      return x.id == y.id && x.created_at == y.created_at
                             && x.last_used == y.last_used
                             && x.expires_at == y.expires_at;
                    });
}

inline std::string read_file(const std::string& path) {
  std::ifstream in{path, std::ios::binary};
  return {std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
}

// Overwrites `bytes` at `offset` of the file, leaving the rest as it was.
inline void overwrite(const std::string& path, std::size_t offset,
               const std::string& bytes) {
  std::fstream f{path, std::ios::binary | std::ios::in | std::ios::out};
  f.seekp(static_cast<std::streamoff>(offset));
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// Runs `sql` on the file through a connection of its own (bypassing the
// class under test) and returns the first column of the first row.
inline std::string raw_query(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  std::string result;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr)
      == SQLITE_OK) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK
        && sqlite3_step(stmt) == SQLITE_ROW
        && sqlite3_column_text(stmt, 0) != nullptr)
      result = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    else
      result = std::string{"error: "} + sqlite3_errmsg(db);
    sqlite3_finalize(stmt);
  }
  sqlite3_close_v2(db);
  return result;
}

// Runs `sql` (no result wanted) through a connection of its own.
inline void raw_exec(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  auto rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr);
  if (rc == SQLITE_OK)
    rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr);
  EXPECT_EQ(rc, SQLITE_OK) << sql << ": " << sqlite3_errmsg(db);
  sqlite3_close_v2(db);
}

class Database : public ::testing::Test {
protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    auto suffix = std::to_string(::getpid()) + "-"
                  + std::to_string(counter++) + "-"
                  + std::to_string(std::random_device{}());
    base_ = fs::temp_directory_path() / ("tenantd-db-test-" + suffix);
    fs::create_directories(base_);
    // Not created yet: open() must create it.
    dir_ = (base_ / "data").string();
    file_ = (base_ / "data" / database::file_name).string();
  }

  void TearDown() override {
    std::error_code ec;
    fs::permissions(dir_, fs::perms::owner_all, ec); // undo chmod tests
    fs::remove_all(base_, ec);
  }

  // Opens and closes the database once, leaving a valid file behind.
  void create_file() {
    auto db = sqlite_storage::open(dir_);
    db.insert_tenant(acme(), t0);
  }

  // Expects open() to throw a storage_error whose message contains each
  // of `parts`.
  void expect_open_fails(const std::vector<std::string>& parts) {
    try {
      sqlite_storage::open(dir_);
      ADD_FAILURE() << "open succeeded";
    } catch (const storage_error& e) {
      std::string what = e.what();
      for (auto& part : parts)
        EXPECT_NE(what.find(part), std::string::npos)
          << "'" << part << "' not in: " << what;
    }
  }

  fs::path base_;
  std::string dir_;
  std::string file_;
};

} // namespace tenantd::test
