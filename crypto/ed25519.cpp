#include "crypto/ed25519.hpp"

#include <stdexcept>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

namespace tenantd::crypto {

namespace {

constexpr std::size_t key_size = 32;
constexpr std::size_t signature_size = 64;

struct bio_deleter {
  void operator()(BIO* b) const {
    BIO_free(b);
  }
};
using bio_ptr = std::unique_ptr<BIO, bio_deleter>;

struct md_ctx_deleter {
  void operator()(EVP_MD_CTX* c) const {
    EVP_MD_CTX_free(c);
  }
};
using md_ctx_ptr = std::unique_ptr<EVP_MD_CTX, md_ctx_deleter>;

std::shared_ptr<EVP_PKEY> own(EVP_PKEY* key) {
  return {key, EVP_PKEY_free};
}

const unsigned char* bytes_of(std::string_view s) {
  static const unsigned char none = 0;
  return s.empty() ? &none : reinterpret_cast<const unsigned char*>(s.data());
}

// A refused input leaves OpenSSL's per-thread error queue filled; empty it
// so that a later, unrelated failure does not report this one.
template <class T>
T refused(T result) {
  ERR_clear_error();
  return result;
}

// PEM_read_bio_PrivateKey would prompt on the terminal for an encrypted
// key; there is no passphrase.
int no_passphrase(char*, int, int, void*) {
  return 0;
}

} // namespace

ed25519_key ed25519_key::generate() {
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  if (key == nullptr)
    throw std::runtime_error(refused("Ed25519 key generation failed"));
  return {own(key), true};
}

std::optional<ed25519_key> ed25519_key::from_private_pem(std::string_view pem) {
  if (pem.empty())
    return std::nullopt;
  bio_ptr bio{BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()))};
  if (!bio)
    throw std::runtime_error(refused("BIO_new_mem_buf failed"));
  EVP_PKEY* read =
    PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr);
  if (read == nullptr)
    return refused(std::nullopt);
  auto key = own(read);
  if (EVP_PKEY_get_id(key.get()) != EVP_PKEY_ED25519)
    return std::nullopt;
  return ed25519_key{std::move(key), true};
}

std::optional<ed25519_key> ed25519_key::from_private_raw(std::string_view seed32) {
  if (seed32.size() != key_size)
    return std::nullopt;
  EVP_PKEY* key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr,
                                               bytes_of(seed32), key_size);
  if (key == nullptr)
    return refused(std::nullopt);
  return ed25519_key{own(key), true};
}

std::optional<ed25519_key> ed25519_key::from_public_raw(std::string_view raw32) {
  if (raw32.size() != key_size)
    return std::nullopt;
  EVP_PKEY* key = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr,
                                              bytes_of(raw32), key_size);
  if (key == nullptr)
    return refused(std::nullopt);
  return ed25519_key{own(key), false};
}

std::string ed25519_key::private_pem() const {
  if (!has_private_)
    throw std::logic_error("an Ed25519 public key has no private PEM");
  bio_ptr bio{BIO_new(BIO_s_mem())};
  if (!bio
      || PEM_write_bio_PrivateKey(bio.get(), key_.get(), nullptr, nullptr, 0,
                                  nullptr, nullptr)
           != 1)
    throw std::runtime_error(refused("writing an Ed25519 PEM failed"));
  char* data = nullptr;
  long size = BIO_get_mem_data(bio.get(), &data);
  return {data, static_cast<std::size_t>(size)};
}

std::string ed25519_key::public_raw() const {
  std::string raw(key_size, '\0');
  std::size_t size = raw.size();
  if (EVP_PKEY_get_raw_public_key(
        key_.get(), reinterpret_cast<unsigned char*>(raw.data()), &size)
        != 1
      || size != key_size)
    throw std::runtime_error(refused("reading an Ed25519 public key failed"));
  return raw;
}

std::string ed25519_key::sign(std::string_view data) const {
  if (!has_private_)
    throw std::logic_error("an Ed25519 public key cannot sign");
  md_ctx_ptr ctx{EVP_MD_CTX_new()};
  std::string signature(signature_size, '\0');
  std::size_t size = signature.size();
  // Ed25519 hashes inside the algorithm: no digest, and one-shot only.
  if (!ctx
      || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key_.get())
           != 1
      || EVP_DigestSign(ctx.get(),
                        reinterpret_cast<unsigned char*>(signature.data()),
                        &size, bytes_of(data), data.size())
           != 1
      || size != signature_size)
    throw std::runtime_error(refused("Ed25519 signing failed"));
  return signature;
}

bool ed25519_key::verify(std::string_view data,
                         std::string_view signature) const {
  if (signature.size() != signature_size)
    return false;
  md_ctx_ptr ctx{EVP_MD_CTX_new()};
  if (!ctx)
    throw std::runtime_error(refused("EVP_MD_CTX_new failed"));
  bool ok =
    EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key_.get()) == 1
    && EVP_DigestVerify(ctx.get(), bytes_of(signature), signature.size(),
                        bytes_of(data), data.size())
         == 1;
  return ok ? true : refused(false);
}

} // namespace tenantd::crypto
