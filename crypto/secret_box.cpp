#include "crypto/secret_box.hpp"

#include <memory>
#include <stdexcept>

#include <openssl/evp.h>

#include "core/random.hpp"
#include "crypto/encoding.hpp"

namespace tenantd::crypto {

namespace {

constexpr std::size_t key_size = 32;
constexpr std::size_t nonce_size = 12;
constexpr std::size_t tag_size = 16;
constexpr std::string_view version = "v1.";

using cipher_context =
  std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

const unsigned char* bytes_of(std::string_view s) {
  static const unsigned char none = 0;
  return s.empty() ? &none : reinterpret_cast<const unsigned char*>(s.data());
}

unsigned char* bytes_of(std::string& s) {
  return reinterpret_cast<unsigned char*>(s.data());
}

void check_sizes(std::string_view key, std::string_view nonce) {
  if (key.size() != key_size)
    throw std::invalid_argument("AES-256-GCM needs a 32-byte key");
  if (nonce.size() != nonce_size)
    throw std::invalid_argument("AES-256-GCM needs a 12-byte nonce");
}

// A context set up for `encrypt` (or decrypt) under key and nonce, with
// `aad` passed in; null if OpenSSL refused.
cipher_context start(bool encrypt, std::string_view key,
                     std::string_view nonce, std::string_view aad) {
  cipher_context ctx{EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free};
  int n = 0;
  if (!ctx
      || EVP_CipherInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, bytes_of(key),
                           bytes_of(nonce), encrypt ? 1 : 0)
           != 1
      || (!aad.empty()
          && EVP_CipherUpdate(ctx.get(), nullptr, &n, bytes_of(aad),
                              static_cast<int>(aad.size()))
               != 1))
    return {nullptr, &EVP_CIPHER_CTX_free};
  return ctx;
}

} // namespace

std::string aes256gcm_seal(std::string_view key, std::string_view nonce,
                           std::string_view aad, std::string_view plaintext) {
  check_sizes(key, nonce);
  auto ctx = start(true, key, nonce, aad);
  std::string out(plaintext.size() + tag_size, '\0');
  int n = 0;
  int last = 0;
  if (!ctx
      || EVP_CipherUpdate(ctx.get(), bytes_of(out), &n, bytes_of(plaintext),
                          static_cast<int>(plaintext.size()))
           != 1
      || EVP_CipherFinal_ex(ctx.get(), bytes_of(out) + n, &last) != 1
      || EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG,
                             static_cast<int>(tag_size),
                             bytes_of(out) + plaintext.size())
           != 1)
    throw std::runtime_error("AES-256-GCM sealing failed");
  return out;
}

std::optional<std::string> aes256gcm_open(std::string_view key,
                                          std::string_view nonce,
                                          std::string_view aad,
                                          std::string_view sealed) {
  check_sizes(key, nonce);
  if (sealed.size() < tag_size)
    return std::nullopt;
  auto body = sealed.substr(0, sealed.size() - tag_size);
  std::string tag{sealed.substr(body.size())};
  auto ctx = start(false, key, nonce, aad);
  std::string out(body.size(), '\0');
  int n = 0;
  int last = 0;
  if (!ctx
      || EVP_CipherUpdate(ctx.get(), bytes_of(out), &n, bytes_of(body),
                          static_cast<int>(body.size()))
           != 1
      || EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG,
                             static_cast<int>(tag_size), tag.data())
           != 1
      // The tag is checked here: a mismatch fails the final step.
      || EVP_CipherFinal_ex(ctx.get(), bytes_of(out) + n, &last) != 1)
    return std::nullopt;
  return out;
}

secret_box::secret_box(std::string key) : key_(std::move(key)) {
  if (key_.size() != key_size)
    throw std::invalid_argument("a secret box needs a 32-byte key");
}

std::string secret_box::seal(std::string_view plaintext,
                             std::string_view context) const {
  std::string nonce(nonce_size, '\0');
  secure_random(nonce.data(), nonce.size());
  return std::string{version}
         + base64url_encode(nonce + aes256gcm_seal(key_, nonce, context,
                                                   plaintext));
}

std::optional<std::string> secret_box::open(std::string_view sealed,
                                            std::string_view context) const {
  if (sealed.substr(0, version.size()) != version)
    return std::nullopt;
  auto raw = base64url_decode(sealed.substr(version.size()));
  if (!raw || raw->size() < nonce_size + tag_size)
    return std::nullopt;
  std::string_view all = *raw;
  return aes256gcm_open(key_, all.substr(0, nonce_size), context,
                        all.substr(nonce_size));
}

} // namespace tenantd::crypto
