// Unit tests of crypto/digest: SHA-256 and HMAC-SHA-256 against published
// vectors (FIPS 180-2, RFC 4231), and the constant-time comparison.

#include "crypto/digest.hpp"

#include <string>

#include <gtest/gtest.h>

namespace {

using namespace tenantd::crypto;

TEST(Digest, Sha256OfAbcIsTheFipsVector) {
  EXPECT_EQ(to_hex(sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Digest, Sha256OfNothingIsTheKnownEmptyHash) {
  EXPECT_EQ(to_hex(sha256("")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Digest, HmacSha256MatchesRfc4231TestCase1) {
  EXPECT_EQ(to_hex(hmac_sha256(std::string(20, '\x0b'), "Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
}

TEST(Digest, HmacSha256MatchesRfc4231TestCase2) {
  EXPECT_EQ(to_hex(hmac_sha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(Digest, HmacSha256TakesAnEmptyKeyAndMessage) {
  // Python: hmac.new(b"", b"", hashlib.sha256).hexdigest()
  EXPECT_EQ(to_hex(hmac_sha256("", "")),
            "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

TEST(Digest, ToBytesGivesTheRawDigest) {
  auto d = sha256("abc");
  auto bytes = to_bytes(d);
  ASSERT_EQ(bytes.size(), 32u);
  EXPECT_EQ(static_cast<unsigned char>(bytes[0]), 0xba);
  EXPECT_EQ(static_cast<unsigned char>(bytes[31]), 0xad);
}

TEST(Digest, EqualInConstantTimeComparesBytesAndLengths) {
  EXPECT_TRUE(equal_in_constant_time("", ""));
  EXPECT_TRUE(equal_in_constant_time("secret", "secret"));
  EXPECT_FALSE(equal_in_constant_time("secret", "secreT"));
  EXPECT_FALSE(equal_in_constant_time("secret", "Secret"));
  EXPECT_FALSE(equal_in_constant_time("secret", "secrets"));
  EXPECT_FALSE(equal_in_constant_time("secret", ""));
  EXPECT_TRUE(equal_in_constant_time(std::string_view{"a\0b", 3},
                                     std::string_view{"a\0b", 3}));
  EXPECT_FALSE(equal_in_constant_time(std::string_view{"a\0b", 3},
                                      std::string_view{"a\0c", 3}));
}

} // namespace
