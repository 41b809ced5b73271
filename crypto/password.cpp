#include "crypto/password.hpp"

#include "crypto/sodium.hpp"

#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <utility>

#include <sodium.h>

#include "core/random.hpp"

namespace tenantd::crypto {

namespace {

// libsodium reads hashes as NUL-terminated strings of at most
// crypto_pwhash_STRBYTES - 1 characters; anything else is not a hash.
std::optional<std::string> as_c_string(std::string_view hash) {
  if (hash.size() >= crypto_pwhash_STRBYTES
      || hash.find('\0') != std::string_view::npos)
    return std::nullopt;
  return std::string{hash};
}

} // namespace

std::string hash_password(std::string_view password,
                          const password_cost& cost) {
  init_sodium();
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, password.data(), password.size(),
                            cost.iterations, cost.memory_bytes,
                            crypto_pwhash_ALG_ARGON2ID13)
      != 0)
    throw std::runtime_error("Argon2id password hashing failed (out of "
                             "memory, or a cost below the minimum)");
  return out;
}

bool verify_password(std::string_view stored_hash, std::string_view password) {
  init_sodium();
  auto hash = as_c_string(stored_hash);
  // The argon2id-only call: a hash of another algorithm is not ours.
  return hash
         && crypto_pwhash_argon2id_str_verify(hash->c_str(), password.data(),
                                              password.size())
              == 0;
}

bool needs_rehash(std::string_view stored_hash, const password_cost& cost) {
  init_sodium();
  auto hash = as_c_string(stored_hash);
  // -1 (not an Argon2id hash) and 1 (another cost) both mean: make it anew.
  return !hash
         || crypto_pwhash_argon2id_str_needs_rehash(
              hash->c_str(), cost.iterations, cost.memory_bytes)
              != 0;
}

const std::string& dummy_hash(const password_cost& cost) {
  static std::mutex mutex;
  // std::map never moves its elements: the references handed out stay valid.
  static std::map<std::pair<uint64_t, std::size_t>, std::string> hashes;
  std::lock_guard<std::mutex> guard{mutex};
  auto key = std::make_pair(cost.iterations, cost.memory_bytes);
  auto i = hashes.find(key);
  if (i == hashes.end())
    i = hashes.emplace(key, hash_password(random_hex(16), cost)).first;
  return i->second;
}

} // namespace tenantd::crypto
