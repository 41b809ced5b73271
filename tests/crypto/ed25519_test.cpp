// Unit tests of crypto/ed25519: RFC 8032 §7.1 TEST 1 from a PKCS#8 PEM and
// from the raw seed, verification failures, and the PEM and raw round trips.

#include "crypto/ed25519.hpp"

#include <string>

#include <gtest/gtest.h>

#include "tests/crypto/test_vectors.hpp"

namespace {

using tenantd::crypto::ed25519_key;
using namespace tenantd::test;

TEST(Ed25519, TheRfc8032Test1KeyLoadsFromItsPkcs8Pem) {
  auto key = ed25519_key::from_private_pem(ed25519_pem_of_seed(rfc8032_test1_seed));
  ASSERT_TRUE(key);
  EXPECT_TRUE(key->has_private());
  EXPECT_EQ(key->public_raw(), rfc8032_test1_public);
}

TEST(Ed25519, SignsTheEmptyMessageAsRfc8032Test1Says) {
  auto key = ed25519_key::from_private_pem(ed25519_pem_of_seed(rfc8032_test1_seed));
  ASSERT_TRUE(key);
  EXPECT_EQ(key->sign(""), rfc8032_test1_signature);
}

TEST(Ed25519, TheRawSeedGivesTheSameKey) {
  auto key = ed25519_key::from_private_raw(rfc8032_test1_seed);
  ASSERT_TRUE(key);
  EXPECT_EQ(key->public_raw(), rfc8032_test1_public);
  EXPECT_EQ(key->sign(""), rfc8032_test1_signature);
  EXPECT_FALSE(ed25519_key::from_private_raw(rfc8032_test1_seed.substr(1)));
}

TEST(Ed25519, ThePublicKeyVerifiesTheRfc8032Signature) {
  auto key = ed25519_key::from_public_raw(rfc8032_test1_public);
  ASSERT_TRUE(key);
  EXPECT_FALSE(key->has_private());
  EXPECT_TRUE(key->verify("", rfc8032_test1_signature));
}

TEST(Ed25519, AFlippedBitFailsVerification) {
  auto key = ed25519_key::from_public_raw(rfc8032_test1_public);
  ASSERT_TRUE(key);
  for (std::size_t bit = 0; bit < 64 * 8; bit += 37) {
    auto signature = rfc8032_test1_signature;
    signature[bit / 8] = static_cast<char>(signature[bit / 8] ^ (1 << (bit % 8)));
    EXPECT_FALSE(key->verify("", signature)) << "bit " << bit;
  }
  EXPECT_FALSE(key->verify("x", rfc8032_test1_signature));
}

TEST(Ed25519, ASignatureOfTheWrongLengthFailsVerification) {
  auto key = ed25519_key::generate();
  auto signature = key.sign("data");
  EXPECT_TRUE(key.verify("data", signature));
  EXPECT_FALSE(key.verify("data", signature.substr(0, 63)));
  EXPECT_FALSE(key.verify("data", signature + '\0'));
  EXPECT_FALSE(key.verify("data", ""));
}

TEST(Ed25519, GeneratedKeysDifferAndVerifyOnlyTheirOwnSignatures) {
  auto a = ed25519_key::generate();
  auto b = ed25519_key::generate();
  EXPECT_NE(a.public_raw(), b.public_raw());
  EXPECT_FALSE(b.verify("data", a.sign("data")));
}

TEST(Ed25519, ThePrivatePemRoundTrips) {
  auto key = ed25519_key::generate();
  auto pem = key.private_pem();
  EXPECT_EQ(pem.rfind("-----BEGIN PRIVATE KEY-----\n", 0), 0u) << pem;
  auto back = ed25519_key::from_private_pem(pem);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->public_raw(), key.public_raw());
  EXPECT_EQ(back->private_pem(), pem);
  EXPECT_TRUE(key.verify("data", back->sign("data")));
}

TEST(Ed25519, CopiesShareTheKey) {
  auto key = ed25519_key::generate();
  auto copy = key;
  EXPECT_EQ(copy.public_raw(), key.public_raw());
  EXPECT_TRUE(key.verify("data", copy.sign("data")));
}

TEST(Ed25519, WhatIsNotAnEd25519PemIsRefused) {
  EXPECT_FALSE(ed25519_key::from_private_pem(""));
  EXPECT_FALSE(ed25519_key::from_private_pem("not a pem"));
  auto pem = ed25519_pem_of_seed(rfc8032_test1_seed);
  EXPECT_FALSE(ed25519_key::from_private_pem(pem.substr(0, 40)));
  // An X25519 key (OID 1.3.101.110) is a private key, but not for signing.
  auto x25519_pem = pem_of_private_der(
    from_hex("302e020100300506032b656e04220420") + rfc8032_test1_seed);
  EXPECT_FALSE(ed25519_key::from_private_pem(x25519_pem));
}

TEST(Ed25519, APublicKeyOfTheWrongLengthIsRefused) {
  EXPECT_FALSE(ed25519_key::from_public_raw(""));
  EXPECT_FALSE(ed25519_key::from_public_raw(rfc8032_test1_public.substr(1)));
  EXPECT_FALSE(ed25519_key::from_public_raw(rfc8032_test1_public + "x"));
}

TEST(Ed25519, APublicKeyCannotSignOrWriteAPrivatePem) {
  auto key = ed25519_key::from_public_raw(rfc8032_test1_public);
  ASSERT_TRUE(key);
  EXPECT_THROW(key->sign("data"), std::logic_error);
  EXPECT_THROW(key->private_pem(), std::logic_error);
}

} // namespace
