// Request ids (http/request_id): kept when sane, fresh and random otherwise.

#include <set>
#include <string>

#include "http/request_id.hpp"

#include <gtest/gtest.h>

namespace {

using namespace tenantd;

TEST(RequestId, KeepsASaneClientValue) {
  EXPECT_EQ(http::request_id("abc"), "abc");
  EXPECT_EQ(http::request_id("A-z_0.9:@+/="), "A-z_0.9:@+/=");
  std::string longest(128, 'x');
  EXPECT_EQ(http::request_id(longest), longest);
}

TEST(RequestId, ReplacesEverythingElseWithAFreshRandomId) {
  std::set<std::string> seen;
  for (std::string bad : {std::string{}, std::string(129, 'x'),
                          std::string{"a b"}, std::string{"a\r\nb"},
                          std::string{"a;b"}, std::string{"\xff"},
                          std::string{"caf\xc3\xa9"}}) {
    auto id = http::request_id(bad);
    EXPECT_EQ(id.size(), 32u) << bad;
    EXPECT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos);
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 7u);
}

} // namespace
