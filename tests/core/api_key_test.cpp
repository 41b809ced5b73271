// Unit tests of core/api_key: the tdk_<tenant>_<secret><checksum> format,
// its scanner pattern, the checksum that refuses mistyped keys, and what
// lists show.

#include "core/api_key.hpp"

#include <regex>
#include <string>
#include <unordered_set>
#include <vector>

#include <gtest/gtest.h>

namespace {

using namespace tenantd;

const std::string base62 =
  "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

TEST(ApiKey, AMadeKeyParsesBackToItsTenant) {
  for (const auto& tenant : std::vector<std::string>{
         "acme", "a", "0", "tenant-with-dashes-1", std::string(63, 'z')}) {
    auto key = make_api_key(tenant);
    auto parts = parse_api_key(key);
    ASSERT_TRUE(parts) << key;
    EXPECT_EQ(parts->tenant, tenant);
    EXPECT_EQ(parts->secret_and_checksum.size(), 36u);
    EXPECT_EQ(key, "tdk_" + tenant + "_"
                     + std::string{parts->secret_and_checksum});
  }
}

TEST(ApiKey, MadeKeysMatchTheScannerPatternWhole) {
  std::regex pattern{std::string{api_key_pattern}};
  for (const auto& tenant :
       std::vector<std::string>{"acme", "x", std::string(63, '9'), "a-b"}) {
    auto key = make_api_key(tenant);
    EXPECT_TRUE(std::regex_match(key, pattern)) << key;
  }
}

TEST(ApiKey, SecretsAreFreshAndUseAllOfBase62) {
  std::unordered_set<std::string> keys;
  std::unordered_set<char> seen;
  for (int i = 0; i < 1000; ++i) {
    auto key = make_api_key("acme");
    keys.insert(key);
    for (char c : key.substr(9, 30))
      seen.insert(c);
  }
  EXPECT_EQ(keys.size(), 1000u);
  // 30,000 draws: every one of the 62 characters appears.
  EXPECT_EQ(seen.size(), 62u);
}

TEST(ApiKey, AnyOneCharacterChangeInTheSecretOrChecksumIsRefused) {
  auto key = make_api_key("acme");
  auto tail_start = key.size() - 36;
  for (std::size_t i = tail_start; i < key.size(); ++i) {
    for (char c : {'0', 'Z', 'z', 'q'}) {
      if (key[i] == c)
        continue;
      auto typo = key;
      typo[i] = c;
      EXPECT_FALSE(parse_api_key(typo)) << typo << " (position " << i << ")";
    }
  }
}

TEST(ApiKey, AChangedTenantIsRefusedByTheChecksum) {
  auto key = make_api_key("acme");
  auto other = key;
  other.replace(4, 4, "acmf");
  EXPECT_FALSE(parse_api_key(other));
}

TEST(ApiKey, TheChecksumIsTheZeroPaddedBase62Crc32OfTheRest) {
  // Python: zlib.crc32(b"tdk_acme_" + b"0" * 30) == 2121264062, in base62
  // "2JYbgU"; zlib.crc32(b"tdk_acme_" + b"z" * 30) == 3816357161, "4AH2pl".
  auto zeros = "tdk_acme_" + std::string(30, '0') + "2JYbgU";
  auto parts = parse_api_key(zeros);
  ASSERT_TRUE(parts);
  EXPECT_EQ(parts->tenant, "acme");
  EXPECT_TRUE(parse_api_key("tdk_acme_" + std::string(30, 'z') + "4AH2pl"));
  EXPECT_FALSE(parse_api_key("tdk_acme_" + std::string(30, 'z') + "4AH2pm"));
}

TEST(ApiKey, SmallChecksumsArePaddedWithZeros) {
  // Python: zlib.crc32(b"tdk_acme_" + b"0" * 29 + b"1") == 157866792,
  // below 62^5: five base62 digits "AgOMa" after a padding '0'.
  auto key = "tdk_acme_" + std::string(29, '0') + "1" + "0AgOMa";
  EXPECT_TRUE(parse_api_key(key));
  EXPECT_FALSE(parse_api_key(key.substr(0, key.size() - 6) + "AgOMa0"));
}

TEST(ApiKey, WrongPrefixesAreRefused) {
  auto key = make_api_key("acme");
  auto rest = key.substr(4);
  EXPECT_FALSE(parse_api_key("tdx_" + rest));
  EXPECT_FALSE(parse_api_key("TDK_" + rest));
  EXPECT_FALSE(parse_api_key(rest));
  EXPECT_FALSE(parse_api_key("xtdk_" + rest));
}

TEST(ApiKey, InvalidTenantsAreRefused) {
  auto tail = make_api_key("acme").substr(9);
  EXPECT_FALSE(parse_api_key("tdk__" + tail));           // empty tenant
  EXPECT_FALSE(parse_api_key("tdk_-acme_" + tail));      // leading dash
  EXPECT_FALSE(parse_api_key("tdk_Acme_" + tail));       // uppercase
  EXPECT_FALSE(parse_api_key("tdk_ac_me_" + tail));      // underscore
  EXPECT_FALSE(parse_api_key("tdk_" + std::string(64, 'a') + "_" + tail));
  EXPECT_THROW(make_api_key(""), std::invalid_argument);
  EXPECT_THROW(make_api_key("-acme"), std::invalid_argument);
  EXPECT_THROW(make_api_key("ACME"), std::invalid_argument);
  EXPECT_THROW(make_api_key(std::string(64, 'a')), std::invalid_argument);
}

TEST(ApiKey, WrongLengthsAreRefused) {
  auto key = make_api_key("acme");
  EXPECT_FALSE(parse_api_key(""));
  EXPECT_FALSE(parse_api_key("tdk_"));
  EXPECT_FALSE(parse_api_key(key.substr(0, key.size() - 1)));
  EXPECT_FALSE(parse_api_key(key + "0"));
  EXPECT_FALSE(parse_api_key(key.substr(0, 9) + key.substr(10)));
}

TEST(ApiKey, NonBase62CharactersAreRefused) {
  auto key = make_api_key("acme");
  for (char c : {'-', '_', '+', '/', '=', ' ', '\0'}) {
    auto bad = key;
    bad[15] = c;
    EXPECT_FALSE(parse_api_key(bad)) << bad;
  }
}

TEST(ApiKey, TheDisplayPrefixEndsAfterFourSecretCharacters) {
  auto key = make_api_key("acme");
  EXPECT_EQ(api_key_display_prefix(key), key.substr(0, 13));
  EXPECT_EQ(api_key_display_prefix(key).size(),
            std::string_view{"tdk_acme_Ab3x"}.size());
  auto other = make_api_key("tenant-two");
  EXPECT_EQ(api_key_display_prefix(other), other.substr(0, 4 + 10 + 1 + 4));
  EXPECT_EQ(api_key_display_prefix("not a key"), "");
}

} // namespace
