// The metrics' bounds on label values (metrics/metrics).

#include <string>

#include "metrics/metrics.hpp"

#include <gtest/gtest.h>

namespace {

using namespace tenantd;

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
