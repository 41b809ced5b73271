#include "crypto/keyring.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <optional>
#include <stdexcept>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "crypto/jws.hpp"

namespace tenantd::crypto {

namespace json = boost::json;

namespace {

// A keyring file is a few hundred bytes per key; anything near this is not
// one.
constexpr off_t max_file_size = 1024 * 1024;

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw std::runtime_error(path + ": " + what + ": " + std::strerror(errno));
}

[[noreturn]] void bad_file(const std::string& path, const std::string& what) {
  throw std::runtime_error(path + ": " + what);
}

void fsync_directory(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    fail(dir, "cannot open directory to sync it");
  bool ok = ::fsync(fd) == 0;
  ::close(fd);
  if (!ok)
    fail(dir, "cannot sync directory");
}

// Creates `dir` (its last component only) with mode 0700 if it is missing.
void make_directory(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0700) == 0) {
    // The new entry in the parent must survive a crash too.
    auto slash = dir.find_last_of('/');
    fsync_directory(slash == std::string::npos ? "."
                    : slash == 0               ? "/"
                                               : dir.substr(0, slash));
    return;
  }
  if (errno != EEXIST)
    fail(dir, "cannot create keyring directory");
  struct stat st{};
  if (::stat(dir.c_str(), &st) != 0)
    fail(dir, "cannot stat keyring directory");
  if (!S_ISDIR(st.st_mode))
    bad_file(dir, "keyring directory is not a directory");
}

// The file's text, or nothing if there is no file.
std::optional<std::string> read_key_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT)
      return std::nullopt;
    fail(path, "cannot open key file");
  }
  struct stat st{};
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    fail(path, "cannot stat key file");
  }
  if (!S_ISREG(st.st_mode) || (st.st_mode & 077) != 0
      || st.st_size > max_file_size) {
    ::close(fd);
    bad_file(path, !S_ISREG(st.st_mode) ? "key file is not a regular file"
                   : (st.st_mode & 077) != 0
                     ? "key file is readable or writable by group or others "
                       "(chmod 600 it)"
                     : "key file is too large to be a keyring");
  }
  std::string text(static_cast<std::size_t>(st.st_size), '\0');
  std::size_t got = 0;
  while (got < text.size()) {
    auto n = ::read(fd, text.data() + got, text.size() - got);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      ::close(fd);
      fail(path, "cannot read key file");
    }
    got += static_cast<std::size_t>(n);
  }
  ::close(fd);
  return text;
}

signing_key parse_key(const std::string& path, const json::value& v,
                      std::size_t index) {
  auto where = "key " + std::to_string(index) + ": ";
  auto* obj = v.if_object();
  if (obj == nullptr)
    bad_file(path, where + "must be an object");
  auto* kid = obj->if_contains("kid");
  auto* created = obj->if_contains("created_ms");
  auto* retired = obj->if_contains("retired_ms");
  auto* pem = obj->if_contains("private_pem");
  if (kid == nullptr || !kid->is_string() || created == nullptr
      || !created->is_int64() || created->get_int64() <= 0 || retired == nullptr
      || !retired->is_int64() || retired->get_int64() < 0 || pem == nullptr
      || !pem->is_string())
    bad_file(path, where + "needs kid, created_ms (> 0), retired_ms (>= 0) "
                           "and private_pem");
  auto key = ed25519_key::from_private_pem(pem->get_string());
  if (!key)
    bad_file(path, where + "private_pem is not an Ed25519 PKCS#8 PEM");
  // A kid that is not its key's thumbprint means a hand-edited or mixed-up
  // file: tokens would name the wrong key.
  if (jwk_thumbprint(*key) != kid->get_string())
    bad_file(path, where + "kid is not the key's JWK thumbprint");
  return {std::string{kid->get_string()}, std::move(*key),
          created->get_int64(), retired->get_int64()};
}

std::vector<signing_key> parse_keys(const std::string& path,
                                    const std::string& text) {
  boost::system::error_code ec;
  auto root = json::parse(text, ec);
  if (ec)
    bad_file(path, "not JSON: " + ec.message());
  auto* keys = root.is_object() ? root.get_object().if_contains("keys")
                                : nullptr;
  if (keys == nullptr || !keys->is_array())
    bad_file(path, "must be an object with a \"keys\" array");
  std::vector<signing_key> out;
  for (auto& v : keys->get_array())
    out.push_back(parse_key(path, v, out.size()));
  auto current = std::count_if(out.begin(), out.end(), [](auto& k) {
    return k.retired_ms == 0;
  });
  if (current != 1)
    bad_file(path, "must hold exactly one current key (retired_ms 0), not "
                     + std::to_string(current));
  return out;
}

std::string to_json_text(const std::vector<signing_key>& keys) {
  json::array array;
  for (auto& k : keys)
    array.push_back(json::object{{"kid", k.kid},
                                 {"created_ms", k.created_ms},
                                 {"retired_ms", k.retired_ms},
                                 {"private_pem", k.key.private_pem()}});
  return json::serialize(json::object{{"keys", std::move(array)}}) + "\n";
}

// Replaces `dir`/keys.json with `text` so that a crash leaves the old file
// or the new one, whole.
void save(const std::string& dir, const std::string& text) {
  auto path = dir + "/" + keyring::file_name;
  auto temp = path + ".tmp";
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    fail(temp, "cannot create key file");
  // A temp file left by a crash may have been made with another mode.
  bool ok = ::fchmod(fd, 0600) == 0;
  for (std::size_t done = 0; ok && done < text.size();) {
    auto n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    ok = n > 0;
    if (ok)
      done += static_cast<std::size_t>(n);
  }
  ok = ok && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok)
    fail(temp, "cannot write key file");
  if (::rename(temp.c_str(), path.c_str()) != 0)
    fail(path, "cannot replace key file");
  fsync_directory(dir);
}

signing_key make_key(int64_t now_ms) {
  auto key = ed25519_key::generate();
  auto kid = jwk_thumbprint(key);
  return {std::move(kid), std::move(key), now_ms, 0};
}

} // namespace

keyring keyring::open(std::string dir, int64_t now_ms) {
  make_directory(dir);
  auto path = dir + "/" + file_name;
  auto text = read_key_file(path);
  if (!text) {
    std::vector<signing_key> keys{make_key(now_ms)};
    save(dir, to_json_text(keys));
    return {std::move(dir), std::move(keys)};
  }
  auto keys = parse_keys(path, *text);
  // The current key first, then the most recently retired.
  auto order = [](const signing_key& k) {
    return k.retired_ms == 0 ? std::numeric_limits<int64_t>::max()
                             : k.retired_ms;
  };
  std::stable_sort(keys.begin(), keys.end(), [&](auto& a, auto& b) {
    return order(a) > order(b);
  });
  return {std::move(dir), std::move(keys)};
}

const signing_key& keyring::current() const {
  return keys_.front();
}

std::vector<const signing_key*> keyring::verifying(int64_t now_ms,
                                                   int64_t max_token_ms) const {
  std::vector<const signing_key*> out;
  for (auto& k : keys_)
    if (k.retired_ms == 0 || k.retired_ms + max_token_ms > now_ms)
      out.push_back(&k);
  return out;
}

const signing_key* keyring::find(std::string_view kid) const {
  for (auto& k : keys_)
    if (k.kid == kid)
      return &k;
  return nullptr;
}

std::string keyring::rotate(int64_t now_ms, int64_t max_token_ms) {
  std::vector<signing_key> next{make_key(now_ms)};
  for (auto k : keys_) {
    if (k.retired_ms == 0)
      k.retired_ms = now_ms;
    if (k.retired_ms + max_token_ms > now_ms)
      next.push_back(std::move(k));
  }
  // Saved first: if that throws, memory still matches the disk.
  save(dir_, to_json_text(next));
  keys_ = std::move(next);
  return keys_.front().kid;
}

} // namespace tenantd::crypto
