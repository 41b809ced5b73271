// Unit tests of crypto/encoding: base64url without padding (RFC 4648 §5),
// its test vectors, round trips, and the strict refusals.

#include "crypto/encoding.hpp"

#include <string>

#include <gtest/gtest.h>

#include "core/random.hpp"

namespace {

using tenantd::crypto::base64url_decode;
using tenantd::crypto::base64url_encode;

TEST(Base64url, EncodesTheRfc4648VectorsWithoutPadding) {
  // RFC 4648 §10, padding removed.
  EXPECT_EQ(base64url_encode(""), "");
  EXPECT_EQ(base64url_encode("f"), "Zg");
  EXPECT_EQ(base64url_encode("fo"), "Zm8");
  EXPECT_EQ(base64url_encode("foo"), "Zm9v");
  EXPECT_EQ(base64url_encode("foob"), "Zm9vYg");
  EXPECT_EQ(base64url_encode("fooba"), "Zm9vYmE");
  EXPECT_EQ(base64url_encode("foobar"), "Zm9vYmFy");
}

TEST(Base64url, DecodesTheRfc4648Vectors) {
  EXPECT_EQ(base64url_decode(""), "");
  EXPECT_EQ(base64url_decode("Zg"), "f");
  EXPECT_EQ(base64url_decode("Zm8"), "fo");
  EXPECT_EQ(base64url_decode("Zm9v"), "foo");
  EXPECT_EQ(base64url_decode("Zm9vYg"), "foob");
  EXPECT_EQ(base64url_decode("Zm9vYmE"), "fooba");
  EXPECT_EQ(base64url_decode("Zm9vYmFy"), "foobar");
}

TEST(Base64url, UsesDashAndUnderscoreForTheLastTwoDigits) {
  EXPECT_EQ(base64url_encode("\xfb\xff"), "-_8");
  EXPECT_EQ(base64url_decode("-_8"), "\xfb\xff");
  EXPECT_EQ(base64url_encode(std::string(3, '\xff')), "____");
}

TEST(Base64url, RandomBytesOfEveryLengthRoundTrip) {
  for (std::size_t size = 0; size < 100; ++size) {
    std::string bytes(size, '\0');
    tenantd::secure_random(bytes.data(), bytes.size());
    auto text = base64url_encode(bytes);
    ASSERT_EQ(text.find_first_of("+/="), std::string::npos) << text;
    ASSERT_EQ(base64url_decode(text), bytes) << text;
  }
}

TEST(Base64url, DecodeRefusesPadding) {
  EXPECT_FALSE(base64url_decode("Zg=="));
  EXPECT_FALSE(base64url_decode("Zm8="));
  EXPECT_FALSE(base64url_decode("Zm9v===="));
}

TEST(Base64url, DecodeRefusesCharactersOutsideTheAlphabet) {
  EXPECT_FALSE(base64url_decode("+/8"));  // standard base64's 62 and 63
  EXPECT_FALSE(base64url_decode("Zm9 v"));
  EXPECT_FALSE(base64url_decode("Zm9v\n"));
  EXPECT_FALSE(base64url_decode("Zm.v"));
  EXPECT_FALSE(base64url_decode(std::string_view{"Zm\0v", 4}));
}

TEST(Base64url, DecodeRefusesALengthThatHoldsNoWholeByte) {
  EXPECT_FALSE(base64url_decode("Z"));
  EXPECT_FALSE(base64url_decode("Zm9vY"));
}

TEST(Base64url, DecodeRefusesNonZeroLeftoverBits) {
  // "Zg" is 'f'; "Zh" spells the same byte with a stray bit after it.
  EXPECT_FALSE(base64url_decode("Zh"));
  EXPECT_FALSE(base64url_decode("Zm9"));  // "Zm8" is "fo"
  EXPECT_TRUE(base64url_decode("Zm8"));
}

} // namespace
