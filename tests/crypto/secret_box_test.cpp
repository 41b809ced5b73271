// Unit tests of crypto/secret_box: AES-256-GCM against the test cases of
// the GCM specification (McGrew and Viega, test cases 13 to 16), and the
// sealed form: fresh nonces, bound to its key and context, tamper-evident.

#include "crypto/secret_box.hpp"

#include <stdexcept>
#include <string>

#include <gtest/gtest.h>

#include "tests/crypto/test_vectors.hpp"

namespace {

using namespace tenantd::crypto;
using tenantd::test::from_hex;

const std::string zero_key(32, '\0');
const std::string zero_nonce(12, '\0');

const std::string case15_key = from_hex(
  "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308");
const std::string case15_nonce = from_hex("cafebabefacedbaddecaf888");
const std::string case16_plaintext = from_hex(
  "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
  "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39");
const std::string case16_aad =
  from_hex("feedfacedeadbeeffeedfacedeadbeefabaddad2");

TEST(Aes256Gcm, TestCase13EmptyPlaintext) {
  EXPECT_EQ(aes256gcm_seal(zero_key, zero_nonce, "", ""),
            from_hex("530f8afbc74536b9a963b4f1c4cb738b"));
}

TEST(Aes256Gcm, TestCase14OneZeroBlock) {
  EXPECT_EQ(aes256gcm_seal(zero_key, zero_nonce, "", std::string(16, '\0')),
            from_hex("cea7403d4d606b6e074ec5d3baf39d18"
                     "d0d1c8a799996bf0265b98b5d48ab919"));
}

TEST(Aes256Gcm, TestCase16WithAssociatedData) {
  auto sealed = aes256gcm_seal(case15_key, case15_nonce, case16_aad,
                               case16_plaintext);
  EXPECT_EQ(sealed,
            from_hex("522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd"
                     "2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0a"
                     "bcc9f662"
                     "76fc6ece0f4e1768cddf8853bb2d551b"));
  EXPECT_EQ(aes256gcm_open(case15_key, case15_nonce, case16_aad, sealed),
            case16_plaintext);
}

TEST(Aes256Gcm, AnyChangeFailsTheTag) {
  auto sealed = aes256gcm_seal(case15_key, case15_nonce, case16_aad,
                               case16_plaintext);
  for (std::size_t i : {std::size_t{0}, sealed.size() / 2, sealed.size() - 1}) {
    auto altered = sealed;
    altered[i] ^= 1;
    EXPECT_FALSE(aes256gcm_open(case15_key, case15_nonce, case16_aad, altered))
      << "byte " << i;
  }
  EXPECT_FALSE(aes256gcm_open(case15_key, case15_nonce, "other", sealed));
  EXPECT_FALSE(aes256gcm_open(zero_key, case15_nonce, case16_aad, sealed));
  EXPECT_FALSE(aes256gcm_open(case15_key, case15_nonce, case16_aad, "short"));
}

TEST(Aes256Gcm, WrongSizesAreRefused) {
  EXPECT_THROW(aes256gcm_seal("short", zero_nonce, "", "x"),
               std::invalid_argument);
  EXPECT_THROW(aes256gcm_seal(zero_key, "short", "", "x"),
               std::invalid_argument);
  EXPECT_THROW(secret_box{"short"}, std::invalid_argument);
}

TEST(SecretBox, OpensWhatItSealed) {
  secret_box box{case15_key};
  auto sealed = box.seal("sk-live-0123456789", "acme:ai.api_key");
  EXPECT_EQ(sealed.rfind("v1.", 0), 0u);
  EXPECT_EQ(sealed.find("sk-live"), std::string::npos);
  EXPECT_EQ(box.open(sealed, "acme:ai.api_key"), "sk-live-0123456789");
  EXPECT_EQ(box.open(box.seal("", "ctx"), "ctx"), "");
}

TEST(SecretBox, EachSealTakesAFreshNonce) {
  secret_box box{case15_key};
  EXPECT_NE(box.seal("same", "ctx"), box.seal("same", "ctx"));
}

TEST(SecretBox, AnotherContextOrKeyDoesNotOpen) {
  secret_box box{case15_key};
  auto sealed = box.seal("sk-live", "acme:ai.api_key");
  EXPECT_FALSE(box.open(sealed, "globex:ai.api_key"));
  EXPECT_FALSE(box.open(sealed, "acme:ai.fallbacks.0.api_key"));
  EXPECT_FALSE(secret_box{zero_key}.open(sealed, "acme:ai.api_key"));
}

TEST(SecretBox, MalformedSealsDoNotOpen) {
  secret_box box{case15_key};
  auto sealed = box.seal("sk-live", "ctx");
  EXPECT_FALSE(box.open("sk-live", "ctx"));
  EXPECT_FALSE(box.open("v2." + sealed.substr(3), "ctx"));
  EXPECT_FALSE(box.open("v1.", "ctx"));
  EXPECT_FALSE(box.open("v1.!!!!", "ctx"));
  EXPECT_FALSE(box.open(sealed.substr(0, sealed.size() - 2), "ctx"));
}

} // namespace
