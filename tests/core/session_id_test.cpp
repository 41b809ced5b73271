// Unit tests of actors/session_id: UUIDv4 generation, canonical parsing and
// printing.

#include "core/session_id.hpp"

#include <string>
#include <unordered_set>

#include <gtest/gtest.h>

namespace {

using tenantd::session_id;

bool is_lower_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

TEST(SessionId, GeneratedIdsHaveTheCanonicalUuidv4Form) {
  for (int i = 0; i < 1000; ++i) {
    auto s = session_id::generate().to_string();
    ASSERT_EQ(s.size(), 36u) << s;
    for (std::size_t k = 0; k < s.size(); ++k) {
      if (k == 8 || k == 13 || k == 18 || k == 23)
        ASSERT_EQ(s[k], '-') << s;
      else
        ASSERT_TRUE(is_lower_hex(s[k])) << s << " at " << k;
    }
    // Version 4 (RFC 9562): the first digit of the third group.
    ASSERT_EQ(s[14], '4') << s;
    // Variant 10xx: the first digit of the fourth group is 8, 9, a or b.
    ASSERT_NE(std::string{"89ab"}.find(s[19]), std::string::npos) << s;
  }
}

TEST(SessionId, GeneratedIdsHaveVersionAndVariantBits) {
  for (int i = 0; i < 1000; ++i) {
    auto id = session_id::generate();
    ASSERT_EQ((id.hi >> 12) & 0xF, 4u);
    ASSERT_EQ(id.lo >> 62, 2u);
  }
}

TEST(SessionId, TenThousandGeneratedIdsAreUniqueAndParseBack) {
  std::unordered_set<std::string> texts;
  std::unordered_set<session_id> ids;
  for (int i = 0; i < 10000; ++i) {
    auto id = session_id::generate();
    auto text = id.to_string();
    auto parsed = session_id::parse(text);
    ASSERT_TRUE(parsed.has_value()) << text;
    ASSERT_EQ(*parsed, id) << text;
    texts.insert(text);
    ids.insert(id);
  }
  EXPECT_EQ(texts.size(), 10000u);
  EXPECT_EQ(ids.size(), 10000u);
}

TEST(SessionId, RandomBitsVaryAcrossTheWholeId) {
  // Every one of the 122 random bits is set in some id and clear in
  // another among 1000 ids (chance of a false failure: ~122 * 2^-999).
  uint64_t hi_or = 0, lo_or = 0, hi_and = ~0ull, lo_and = ~0ull;
  for (int i = 0; i < 1000; ++i) {
    auto id = session_id::generate();
    hi_or |= id.hi;
    lo_or |= id.lo;
    hi_and &= id.hi;
    lo_and &= id.lo;
  }
  EXPECT_EQ(hi_or | 0xF000ull, ~0ull);              // all but the version
  EXPECT_EQ(hi_and & ~0xF000ull, 0ull);
  EXPECT_EQ(lo_or | 0xC000000000000000ull, ~0ull);  // all but the variant
  EXPECT_EQ(lo_and & ~0xC000000000000000ull, 0ull);
}

TEST(SessionId, ParseReadsTheHexDigitsInOrder) {
  // Python: uuid.UUID('0123abcd-4567-489a-bcde-f0123456789a').int
  //   >> 64 == 0x0123abcd4567489a, & (2**64-1) == 0xbcdef0123456789a
  auto id = session_id::parse("0123abcd-4567-489a-bcde-f0123456789a");
  ASSERT_TRUE(id.has_value());
  EXPECT_EQ(id->hi, 0x0123abcd4567489aull);
  EXPECT_EQ(id->lo, 0xbcdef0123456789aull);
}

TEST(SessionId, ToStringPrintsLowercaseCanonicalForm) {
  session_id id{0x0123abcd4567489aull, 0xbcdef0123456789aull};
  EXPECT_EQ(id.to_string(), "0123abcd-4567-489a-bcde-f0123456789a");
  EXPECT_EQ(session_id{}.to_string(), "00000000-0000-0000-0000-000000000000");
  EXPECT_EQ((session_id{~0ull, ~0ull}.to_string()),
            "ffffffff-ffff-ffff-ffff-ffffffffffff");
}

TEST(SessionId, ParseAcceptsAnyCanonicalUuidNotOnlyVersion4) {
  // The seed compares strings; a stored id is whatever uuid4() printed, but
  // parsing need not check the version.
  auto nil = session_id::parse("00000000-0000-0000-0000-000000000000");
  ASSERT_TRUE(nil.has_value());
  EXPECT_EQ(*nil, session_id{});
  EXPECT_TRUE(session_id::parse("ffffffff-ffff-1fff-cfff-ffffffffffff"));
}

TEST(SessionId, RoundTripsThroughToString) {
  const char* texts[] = {"0123abcd-4567-489a-bcde-f0123456789a",
                         "9f1c2b7e-0d3a-4c5b-8e6f-7a8b9c0d1e2f",
                         "00000000-0000-4000-8000-000000000000"};
  for (auto text : texts) {
    auto id = session_id::parse(text);
    ASSERT_TRUE(id.has_value()) << text;
    EXPECT_EQ(id->to_string(), text);
  }
}

TEST(SessionId, ParseRejectsUppercase) {
  EXPECT_FALSE(session_id::parse("0123ABCD-4567-489A-BCDE-F0123456789A"));
  // One uppercase digit is enough.
  EXPECT_FALSE(session_id::parse("0123abcd-4567-489a-bcde-f0123456789A"));
}

TEST(SessionId, ParseRejectsWrongLengths) {
  EXPECT_FALSE(session_id::parse(""));
  EXPECT_FALSE(session_id::parse("0123abcd-4567-489a-bcde-f0123456789"));   // 35
  EXPECT_FALSE(session_id::parse("0123abcd-4567-489a-bcde-f0123456789aa")); // 37
  EXPECT_FALSE(session_id::parse("0123abcd-4567-489a-bcde-f0123456789a "));
  EXPECT_FALSE(session_id::parse(" 0123abcd-4567-489a-bcde-f0123456789a"));
}

TEST(SessionId, ParseRejectsOtherUuidSpellings) {
  EXPECT_FALSE(session_id::parse("0123abcd4567489abcdef0123456789a"));      // 32, no dashes
  EXPECT_FALSE(session_id::parse("{0123abcd-4567-489a-bcde-f0123456789a}"));
  EXPECT_FALSE(session_id::parse("urn:uuid:0123abcd-4567-489a-bcde-f0123456789a"));
}

TEST(SessionId, ParseRejectsMisplacedDashes) {
  // 36 characters, dashes shifted by one.
  EXPECT_FALSE(session_id::parse("0123abc-d4567-489a-bcde-f0123456789a"));
  EXPECT_FALSE(session_id::parse("0123abcd-456-7489a-bcde-f0123456789a"));
  EXPECT_FALSE(session_id::parse("0123abcd-4567-489ab-cde-f0123456789a"));
  EXPECT_FALSE(session_id::parse("0123abcd-4567-489a-bcdef-0123456789a"));
}

TEST(SessionId, ParseRejectsAnExtraDashInPlaceOfAHexDigit) {
  // Right length and the four dashes in place, but a fifth dash where a hex
  // digit belongs: only 31 digits.
  EXPECT_FALSE(session_id::parse("0123abcd-4567-489a-bcde-f012345-789a"));
  EXPECT_FALSE(session_id::parse("-123abcd-4567-489a-bcde-f0123456789a"));
  EXPECT_FALSE(session_id::parse("0123abcd-4567-489a-bcde-f0123456789-"));
}

TEST(SessionId, ParseRejectsNonHexCharacters) {
  EXPECT_FALSE(session_id::parse("0123abcg-4567-489a-bcde-f0123456789a"));
  EXPECT_FALSE(session_id::parse("0123abcd-4567-489a-bcde-f0123456789z"));
  EXPECT_FALSE(session_id::parse("0123abcd_4567_489a_bcde_f0123456789a"));
  EXPECT_FALSE(session_id::parse("0123abcd-4567-489a-bcde-f01234 6789a"));
  EXPECT_FALSE(session_id::parse(std::string_view{
    "0123abcd-4567-489a-bcde-f0123456\0" "89a", 36}));
}

TEST(SessionId, EqualityAndHashFollowTheBits) {
  session_id a{1, 2}, b{1, 2}, c{1, 3}, d{2, 2};
  EXPECT_TRUE(a == b);
  EXPECT_FALSE(a != b);
  EXPECT_TRUE(a != c);
  EXPECT_TRUE(a != d);
  EXPECT_EQ(std::hash<session_id>{}(a), std::hash<session_id>{}(b));
}

} // namespace
