// Unit tests of crypto/keyring on real files: the first key and the modes
// of its directory and file, reloading, rotation and which keys still
// verify, persistence of retired keys, dropping keys past their usefulness,
// and the refusal of loose permissions and bad files.

#include "crypto/keyring.hpp"

#include <filesystem>
#include <fstream>
#include <string>

#include <sys/stat.h>

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include "crypto/jws.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

using namespace tenantd::crypto;
using tenantd::test::temp_dir;

constexpr int64_t t0 = 1'700'000'000'000;    // Unix ms
constexpr int64_t hour = 3'600'000;
constexpr int64_t max_token_ms = hour;

unsigned mode_of(const std::string& path) {
  struct stat st{};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

std::string read_text(const std::string& path) {
  std::ifstream in{path};
  return {std::istreambuf_iterator<char>{in}, {}};
}

void write_text(const std::string& path, const std::string& text,
                unsigned mode = 0600) {
  std::ofstream{path} << text;
  ::chmod(path.c_str(), mode);
}

std::vector<std::string> kids(const std::vector<const signing_key*>& keys) {
  std::vector<std::string> out;
  for (auto* k : keys)
    out.push_back(k->kid);
  return out;
}

std::string dir_in(const temp_dir& tmp) {
  return tmp.path() + "/keys";
}

std::string file_in(const temp_dir& tmp) {
  return dir_in(tmp) + "/" + keyring::file_name;
}

TEST(Keyring, OpenCreatesAFirstKeyInAPrivateDirectoryAndFile) {
  temp_dir tmp;
  auto ring = keyring::open(dir_in(tmp), t0);
  EXPECT_EQ(mode_of(dir_in(tmp)), 0700u);
  EXPECT_EQ(mode_of(file_in(tmp)), 0600u);
  auto& current = ring.current();
  EXPECT_EQ(current.created_ms, t0);
  EXPECT_EQ(current.retired_ms, 0);
  EXPECT_TRUE(current.key.has_private());
  EXPECT_EQ(current.kid, jwk_thumbprint(current.key));
  EXPECT_EQ(ring.find(current.kid), &current);
  EXPECT_EQ(ring.find("no such kid"), nullptr);
  EXPECT_EQ(kids(ring.verifying(t0, max_token_ms)),
            std::vector<std::string>{current.kid});
}

TEST(Keyring, ReopeningLoadsTheSameKey) {
  temp_dir tmp;
  auto first = keyring::open(dir_in(tmp), t0);
  auto again = keyring::open(dir_in(tmp), t0 + hour);
  EXPECT_EQ(again.current().kid, first.current().kid);
  EXPECT_EQ(again.current().created_ms, t0);
  EXPECT_EQ(again.current().key.public_raw(), first.current().key.public_raw());
  // It still signs what the first one verifies.
  EXPECT_TRUE(first.current().key.verify("x", again.current().key.sign("x")));
}

TEST(Keyring, RotateMakesANewCurrentKeyAndKeepsTheOldOneForVerifying) {
  temp_dir tmp;
  auto ring = keyring::open(dir_in(tmp), t0);
  auto old_kid = ring.current().kid;
  auto new_kid = ring.rotate(t0 + 10, max_token_ms);
  EXPECT_NE(new_kid, old_kid);
  EXPECT_EQ(ring.current().kid, new_kid);
  EXPECT_EQ(ring.current().created_ms, t0 + 10);
  ASSERT_NE(ring.find(old_kid), nullptr);
  EXPECT_EQ(ring.find(old_kid)->retired_ms, t0 + 10);
  EXPECT_EQ(kids(ring.verifying(t0 + 10, max_token_ms)),
            (std::vector<std::string>{new_kid, old_kid}));
  // Tokens the old key signed live at most max_token_ms after it retired.
  EXPECT_EQ(kids(ring.verifying(t0 + 10 + max_token_ms - 1, max_token_ms)),
            (std::vector<std::string>{new_kid, old_kid}));
  EXPECT_EQ(kids(ring.verifying(t0 + 10 + max_token_ms, max_token_ms)),
            std::vector<std::string>{new_kid});
  EXPECT_EQ(mode_of(file_in(tmp)), 0600u);
}

TEST(Keyring, BothKeysAndTheRetirementSurviveAReopen) {
  temp_dir tmp;
  auto ring = keyring::open(dir_in(tmp), t0);
  auto old_kid = ring.current().kid;
  auto new_kid = ring.rotate(t0 + 10, max_token_ms);
  auto again = keyring::open(dir_in(tmp), t0 + 20);
  EXPECT_EQ(again.current().kid, new_kid);
  ASSERT_NE(again.find(old_kid), nullptr);
  EXPECT_EQ(again.find(old_kid)->retired_ms, t0 + 10);
  EXPECT_EQ(again.find(old_kid)->created_ms, t0);
  EXPECT_EQ(kids(again.verifying(t0 + 20, max_token_ms)),
            (std::vector<std::string>{new_kid, old_kid}));
}

TEST(Keyring, ALaterRotateDropsAKeyPastItsUsefulness) {
  temp_dir tmp;
  auto ring = keyring::open(dir_in(tmp), t0);
  auto first = ring.current().kid;
  auto second = ring.rotate(t0 + hour, max_token_ms);
  // Within max_token_ms of the first key's retirement: it is kept.
  auto third = ring.rotate(t0 + hour + max_token_ms / 2, max_token_ms);
  EXPECT_NE(ring.find(first), nullptr);
  EXPECT_EQ(ring.keys().size(), 3u);
  // Past it: the first key is gone from memory and from the file.
  auto fourth = ring.rotate(t0 + hour + max_token_ms, max_token_ms);
  EXPECT_EQ(ring.find(first), nullptr);
  EXPECT_NE(ring.find(second), nullptr);
  EXPECT_NE(ring.find(third), nullptr);
  EXPECT_EQ(ring.current().kid, fourth);
  EXPECT_EQ(read_text(file_in(tmp)).find(first), std::string::npos);
  auto again = keyring::open(dir_in(tmp), t0 + 3 * hour);
  EXPECT_EQ(again.find(first), nullptr);
  EXPECT_EQ(again.keys().size(), 3u);
  // No temporary file is left behind.
  std::size_t files = 0;
  for (auto& entry : std::filesystem::directory_iterator{dir_in(tmp)}) {
    EXPECT_EQ(entry.path().filename(), keyring::file_name);
    ++files;
  }
  EXPECT_EQ(files, 1u);
}

TEST(Keyring, AKeyFileReadableByOthersIsRefused) {
  temp_dir tmp;
  keyring::open(dir_in(tmp), t0);
  ::chmod(file_in(tmp).c_str(), 0644);
  try {
    keyring::open(dir_in(tmp), t0);
    FAIL() << "a 0644 key file was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string{e.what()}.find(file_in(tmp)), std::string::npos)
      << e.what();
    EXPECT_NE(std::string{e.what()}.find("group or others"), std::string::npos)
      << e.what();
  }
  ::chmod(file_in(tmp).c_str(), 0640);
  EXPECT_THROW(keyring::open(dir_in(tmp), t0), std::runtime_error);
  ::chmod(file_in(tmp).c_str(), 0600);
  EXPECT_NO_THROW(keyring::open(dir_in(tmp), t0));
}

// Expects opening the keyring to fail with a message naming its file.
void expect_refused(const temp_dir& tmp, const std::string& text) {
  write_text(file_in(tmp), text);
  try {
    keyring::open(dir_in(tmp), t0);
    ADD_FAILURE() << "accepted: " << text;
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string{e.what()}.find(file_in(tmp)), std::string::npos)
      << e.what();
  }
}

TEST(Keyring, BadKeyFilesAreRefusedNamingTheFile) {
  temp_dir tmp;
  auto ring = keyring::open(dir_in(tmp), t0);
  auto good = read_text(file_in(tmp));
  auto pem = ring.current().key.private_pem();
  auto entry = [&](std::string_view kid, int64_t retired) {
    boost::json::object k{{"kid", kid},
                          {"created_ms", t0},
                          {"retired_ms", retired},
                          {"private_pem", pem}};
    return boost::json::serialize(k);
  };
  auto kid = ring.current().kid;
  expect_refused(tmp, "");
  expect_refused(tmp, "not json");
  expect_refused(tmp, "[]");
  expect_refused(tmp, R"({"keys": []})");
  expect_refused(tmp, R"({"keys": [1]})");
  expect_refused(tmp, R"({"keys": [{"kid": "x"}]})");
  // A kid that is not its key's thumbprint.
  expect_refused(tmp, R"({"keys": [)" + entry("someone-else", 0) + "]}");
  // No current key, and two.
  expect_refused(tmp, R"({"keys": [)" + entry(kid, t0) + "]}");
  expect_refused(tmp, R"({"keys": [)" + entry(kid, 0) + "," + entry(kid, 0)
                        + "]}");
  // A PEM that is not a key.
  auto broken = good;
  broken.replace(broken.find("BEGIN PRIVATE KEY-----") + 30, 4, "AAAA");
  expect_refused(tmp, broken);
  // The good file still loads.
  write_text(file_in(tmp), good);
  EXPECT_EQ(keyring::open(dir_in(tmp), t0).current().kid, kid);
}

TEST(Keyring, ADirectoryThatCannotBeCreatedIsReported) {
  temp_dir tmp;
  EXPECT_THROW(keyring::open(tmp.path() + "/missing/keys", t0),
               std::runtime_error);
  write_text(tmp.path() + "/a-file", "x");
  EXPECT_THROW(keyring::open(tmp.path() + "/a-file", t0), std::runtime_error);
}

TEST(Keyring, CopiesAreSnapshots) {
  temp_dir tmp;
  auto ring = keyring::open(dir_in(tmp), t0);
  auto snapshot = ring;
  auto kid = ring.rotate(t0 + 1, max_token_ms);
  EXPECT_NE(snapshot.current().kid, kid);
  EXPECT_EQ(snapshot.keys().size(), 1u);
}

} // namespace
