// Unit tests of crypto/password: Argon2id hashes through libsodium, their
// PHC form, verification, rehash decisions and the dummy hash. Costs are
// libsodium's smallest where the cost itself is not under test, for speed.

#include "crypto/password.hpp"

#include <string>

#include <gtest/gtest.h>
#include <sodium.h>

namespace {

using namespace tenantd::crypto;

// 1 iteration, 1 MiB: cheap, and above crypto_pwhash_MEMLIMIT_MIN.
const password_cost cheap{1, 1024 * 1024};

TEST(Password, AHashVerifiesItsPasswordOnly) {
  auto hash = hash_password("correct horse", cheap);
  EXPECT_TRUE(verify_password(hash, "correct horse"));
  EXPECT_FALSE(verify_password(hash, "correct horsE"));
  EXPECT_FALSE(verify_password(hash, "correct horse "));
  EXPECT_FALSE(verify_password(hash, ""));
}

TEST(Password, TheSamePasswordHashesDifferentlyEachTime) {
  // A fresh random salt each time.
  auto a = hash_password("pw", cheap);
  auto b = hash_password("pw", cheap);
  EXPECT_NE(a, b);
  EXPECT_TRUE(verify_password(a, "pw"));
  EXPECT_TRUE(verify_password(b, "pw"));
}

TEST(Password, PasswordsWithNulBytesAreHashedWhole) {
  std::string with_nul{"ab\0cd", 5};
  auto hash = hash_password(with_nul, cheap);
  EXPECT_TRUE(verify_password(hash, with_nul));
  EXPECT_FALSE(verify_password(hash, "ab"));
}

TEST(Password, TheDefaultCostIsOwaspsArgon2idMinimum) {
  auto hash = hash_password("pw", password_cost{});
  EXPECT_EQ(hash.rfind("$argon2id$v=19$m=19456,t=2,p=1$", 0), 0u) << hash;
  EXPECT_TRUE(verify_password(hash, "pw"));
}

TEST(Password, NeedsRehashWhenTheCostChanged) {
  auto hash = hash_password("pw", cheap);
  EXPECT_FALSE(needs_rehash(hash, cheap));
  EXPECT_TRUE(needs_rehash(hash, password_cost{2, cheap.memory_bytes}));
  EXPECT_TRUE(needs_rehash(hash, password_cost{1, 2 * cheap.memory_bytes}));
  auto lower_memory = hash_password("pw", password_cost{1, 512 * 1024});
  EXPECT_TRUE(needs_rehash(lower_memory, cheap));
}

TEST(Password, NeedsRehashForWhatIsNotAnArgon2idHash) {
  EXPECT_TRUE(needs_rehash("", cheap));
  EXPECT_TRUE(needs_rehash("plain text", cheap));
  ASSERT_GE(sodium_init(), 0);
  char argon2i[crypto_pwhash_argon2i_STRBYTES];
  ASSERT_EQ(crypto_pwhash_argon2i_str(argon2i, "pw", 2, 3, cheap.memory_bytes),
            0);
  EXPECT_TRUE(needs_rehash(argon2i, cheap));
}

TEST(Password, MalformedHashesVerifyFalse) {
  auto hash = hash_password("pw", cheap);
  EXPECT_FALSE(verify_password("", "pw"));
  EXPECT_FALSE(verify_password("pw", "pw"));
  EXPECT_FALSE(verify_password(hash.substr(0, hash.size() - 4), "pw"));
  EXPECT_FALSE(verify_password(hash + std::string(200, 'A'), "pw"));
  EXPECT_FALSE(verify_password(hash + std::string(1, '\0'), "pw"));
  auto changed = hash;
  changed.back() = changed.back() == 'A' ? 'B' : 'A';
  EXPECT_FALSE(verify_password(changed, "pw"));
}

TEST(Password, Argon2iHashesAreNotAccepted) {
  // Only Argon2id is ever made; a hash of another algorithm is not ours.
  ASSERT_GE(sodium_init(), 0);
  char argon2i[crypto_pwhash_argon2i_STRBYTES];
  ASSERT_EQ(crypto_pwhash_argon2i_str(argon2i, "pw", 2, 3, cheap.memory_bytes),
            0);
  EXPECT_FALSE(verify_password(argon2i, "pw"));
}

TEST(Password, TheDummyHashIsMadeOncePerCost) {
  auto& a = dummy_hash(cheap);
  auto& b = dummy_hash(cheap);
  EXPECT_EQ(&a, &b);
  EXPECT_FALSE(needs_rehash(a, cheap));
  EXPECT_FALSE(verify_password(a, ""));
  password_cost other{2, cheap.memory_bytes};
  auto& c = dummy_hash(other);
  EXPECT_NE(a, c);
  EXPECT_FALSE(needs_rehash(c, other));
  EXPECT_EQ(&dummy_hash(cheap), &a);
}

TEST(Password, ACostBelowTheMinimumThrows) {
  EXPECT_THROW(hash_password("pw", password_cost{0, cheap.memory_bytes}),
               std::runtime_error);
  EXPECT_THROW(hash_password("pw", password_cost{1, 1024}), std::runtime_error);
}

} // namespace
