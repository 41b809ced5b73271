// Unit tests of the pieces that keep the service operable under abuse: the
// per-tenant in-flight gate, request ids, and the metrics' label bounds.

#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "http/in_flight_gate.hpp"
#include "http/request_id.hpp"
#include "metrics/metrics.hpp"

namespace {

using namespace tenantd;

TEST(InFlightGate, RefusesPastTheCapPerTenantAndAdmitsAgainAfterLeave) {
  http::in_flight_gate gate{2};
  EXPECT_TRUE(gate.try_enter("a"));
  EXPECT_TRUE(gate.try_enter("a"));
  EXPECT_FALSE(gate.try_enter("a"));
  EXPECT_TRUE(gate.try_enter("b")); // another tenant is not affected
  EXPECT_EQ(gate.in_flight("a"), 2u);
  gate.leave("a");
  EXPECT_TRUE(gate.try_enter("a"));
  EXPECT_FALSE(gate.try_enter("a"));
  gate.leave("never-entered"); // harmless
  EXPECT_EQ(gate.in_flight("never-entered"), 0u);
}

TEST(InFlightGate, MadeUpTenantIdsDoNotGrowTheTableWithoutBound) {
  http::in_flight_gate gate{4};
  for (int i = 0; i < 100000; ++i) {
    auto id = "made-up-" + std::to_string(i);
    ASSERT_TRUE(gate.try_enter(id));
    gate.leave(id);
  }
  // 16 shards pruned at 1024 entries, plus the one being entered.
  EXPECT_LE(gate.entries(), 16u * 1025u);
  // Counts in flight survive the pruning (and many of them keep it cheap).
  ASSERT_TRUE(gate.try_enter("busy"));
  for (int i = 0; i < 100000; ++i)
    gate.try_enter("other-" + std::to_string(i));
  EXPECT_EQ(gate.in_flight("busy"), 1u);
  EXPECT_EQ(gate.in_flight("other-99999"), 1u);
}

TEST(InFlightGate, CountsStayExactUnderConcurrency) {
  http::in_flight_gate gate{1000000};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 50000; ++i) {
        ASSERT_TRUE(gate.try_enter("t"));
        if (i % 2 == 0)
          gate.leave("t");
      }
    });
  for (auto& t : threads)
    t.join();
  EXPECT_EQ(gate.in_flight("t"), 4u * 25000u);
}

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

TEST(MetricsLabels, UnknownTenantsFoldIntoOneLabelValue) {
  metrics::metrics m;
  m.add_tenant("acme");
  EXPECT_EQ(m.tenant_label("acme"), "acme");
  EXPECT_EQ(m.tenant_label("nope"), "_unknown");
  EXPECT_EQ(m.tenant_label("_unknown"), "_unknown");
  EXPECT_EQ(m.tenant_label(""), "");
  for (int i = 0; i < 1000; ++i)
    m.observe_request("made-up-" + std::to_string(i), "/chat", "POST", 404,
                      std::chrono::microseconds{10});
  m.observe_request("acme", "/chat", "POST", 200, std::chrono::microseconds{10});
  auto text = m.scrape();
  EXPECT_EQ(text.find("made-up-"), std::string::npos);
  EXPECT_NE(text.find("tenantd_http_requests_total{code=\"404\",method=\"POST\","
                      "route=\"/chat\",tenant=\"_unknown\"} 1000"),
            std::string::npos)
    << text;
  EXPECT_NE(text.find("tenantd_http_requests_total{code=\"200\",method=\"POST\","
                      "route=\"/chat\",tenant=\"acme\"} 1"),
            std::string::npos);
}

TEST(MetricsLabels, SampledValuesOfOneNameFormOneMetric) {
  metrics::metrics m;
  m.add_sampled_counter("x_total", "help", [] { return 1.0; }, {{"code", "400"}});
  m.add_sampled_counter("x_total", "help", [] { return 2.0; }, {{"code", "413"}});
  auto text = m.scrape();
  auto first = text.find("# TYPE x_total counter");
  ASSERT_NE(first, std::string::npos);
  EXPECT_EQ(text.find("# TYPE x_total counter", first + 1), std::string::npos);
  EXPECT_NE(text.find("x_total{code=\"400\"} 1"), std::string::npos) << text;
  EXPECT_NE(text.find("x_total{code=\"413\"} 2"), std::string::npos) << text;
}

} // namespace
