// The operators' routes against the running service: the OpenAPI document,
// Prometheus metrics (bounded labels, promtool-clean), health and readiness.

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>

#include "tests/support/http_fixture.hpp"

namespace {

using namespace tenantd;
using namespace tenantd::test;
using namespace std::chrono_literals;
namespace json = boost::json;
using bhttp::status;
using bhttp::verb;

using HttpOpenApi = http_test;

// -- OpenAPI
// ---------------------------------------------------------------------

TEST_F(HttpOpenApi, ServesTheDocumentInTheRepository) {
  auto res = client.get("/openapi.json");
  ASSERT_EQ(res.result(), status::ok);
  EXPECT_EQ(header(res, "Content-Type"), "application/json");
  auto doc = json::parse(res.body());
  ASSERT_TRUE(doc.at("openapi").is_string());
  EXPECT_EQ(std::string{doc.at("openapi").as_string().c_str()}.substr(0, 2),
            "3.");
  auto& paths = doc.at("paths").as_object();
  for (auto path : {"/", "/session", "/chat", "/metrics", "/healthz", "/readyz"})
    EXPECT_TRUE(paths.contains(path)) << path;
  std::ifstream file{repo_path("docs/openapi.json")};
  std::string text{std::istreambuf_iterator<char>{file}, {}};
  EXPECT_EQ(doc, json::parse(text));
}

TEST(HttpMetrics, CountsRequestsByTenantRouteAndCodeWithBoundedLabels) {
  auto cfg = test_config();
  running_service server{seed_tenants(), cfg};
  http_client client{server.port()};
  auto sid = json::parse(client.post("/session", session_json("acme")).body())
               .at("session_id")
               .as_string();
  for (int i = 0; i < 3; ++i)
    ASSERT_EQ(client.post("/chat", chat_json("acme", sid, "hi")).result(),
              status::ok);
  EXPECT_EQ(client.post("/chat", chat_json("globex", sid, "x")).result(),
            status::forbidden);
  // Made-up tenant ids and paths must not become label values.
  for (auto bogus : {"nope-1", "nope-2", "nope-3"})
    EXPECT_EQ(client.post("/session", session_json(bogus)).result(),
              status::not_found);
  EXPECT_EQ(client.get("/no/such/path-123").result(), status::not_found);
  EXPECT_EQ(admin_request(client, verb::get, "/tenants/acme").result(),
            status::ok);
  auto res = client.get("/metrics");
  ASSERT_EQ(res.result(), status::ok);
  EXPECT_EQ(header(res, "Content-Type"),
            "text/plain; version=0.0.4; charset=utf-8");
  auto text = "\n" + res.body();
  EXPECT_EQ(sample(text, requests_series("acme", "/session", "POST", 200)), 1);
  EXPECT_EQ(sample(text, requests_series("acme", "/chat", "POST", 200)), 3);
  EXPECT_EQ(sample(text, requests_series("globex", "/chat", "POST", 403)), 1);
  EXPECT_EQ(sample(text, requests_series("_unknown", "/session", "POST", 404)),
            3);
  EXPECT_EQ(sample(text, requests_series("", "unmatched", "GET", 404)), 1);
  EXPECT_EQ(sample(text, requests_series("", "/tenants/{id}", "GET", 200)), 1);
  EXPECT_EQ(text.find("nope-"), std::string::npos);
  EXPECT_EQ(text.find("path-123"), std::string::npos);
  EXPECT_EQ(sample(text, "tenantd_http_tenant_request_duration_seconds_count{"
                         "method=\"POST\",route=\"/chat\",tenant=\"acme\"}"),
            3);
  EXPECT_GT(sample(text, "tenantd_http_tenant_request_duration_seconds_sum{"
                         "method=\"POST\",route=\"/chat\",tenant=\"acme\"}"),
            0);
  // The buckets are by route: every tenant's chats, 403 included.
  EXPECT_EQ(sample(text, "tenantd_http_request_duration_seconds_count{method="
                         "\"POST\",route=\"/chat\"}"),
            sample(text, requests_series("acme", "/chat", "POST", 200))
              + sample(text, requests_series("globex", "/chat", "POST", 403)));
  std::istringstream lines{text};
  std::size_t buckets = 0;
  for (std::string line; std::getline(lines, line);)
    if (line.rfind("tenantd_http_request_duration_seconds_bucket{", 0) == 0) {
      ++buckets;
      EXPECT_EQ(line.find("tenant="), std::string::npos) << line;
    }
  EXPECT_GT(buckets, 0u);
  EXPECT_EQ(sample(text, "tenantd_chats_total{tenant=\"acme\"}"), 3);
  EXPECT_EQ(sample(text, "tenantd_sessions_created_total{tenant=\"acme\"}"), 1);
  EXPECT_EQ(sample(text, "tenantd_sessions_active{tenant=\"acme\"}"), 1);
  EXPECT_EQ(sample(text, "tenantd_tenants{status=\"active\"}"), 3);
  EXPECT_EQ(sample(text, "tenantd_tenant_actors"), 2); // acme and globex
  EXPECT_EQ(sample(text, "tenantd_asks_in_flight"), 0);
  EXPECT_EQ(sample(text, "tenantd_ask_timeouts_total"), 0);
  EXPECT_GT(sample(text, "process_resident_memory_bytes"), 1e6);
}

TEST(HttpMetrics, AnArchivedTenantsSeriesAreDropped) {
  // The attack run: 5,000 tenants created and archived made a 19.8 MB
  // scrape. An archived tenant never serves again; its series go.
  auto cfg = test_config();
  temp_dir dir;
  cfg.data_dir = dir.path();
  {
    running_service server{seed_tenants(), cfg};
    http_client client{server.port()};
    auto sid = test::open_session(client, "acme");
    ASSERT_EQ(client.post("/chat", chat_json("acme", sid, "hi")).result(),
              status::ok);
    ASSERT_NE(client.get("/metrics").body().find("tenant=\"acme\""),
              std::string::npos);
    ASSERT_EQ(admin_request(client, verb::delete_, "/tenants/acme").result(),
              status::ok);
    EXPECT_TRUE(eventually([&] {
      return client.get("/metrics").body().find("tenant=\"acme\"")
             == std::string::npos;
    })) << client.get("/metrics").body();
    auto text = client.get("/metrics").body();
    EXPECT_NE(text.find("tenant=\"globex\""), std::string::npos);
    // Its later requests count as unknown.
    EXPECT_EQ(client.post("/session", session_json("acme")).result(),
              status::not_found);
    EXPECT_NE(client.get("/metrics").body().find(
                requests_series("_unknown", "/session", "POST", 404)),
              std::string::npos);
  }
  // Loaded archived, it gets none either.
  running_service again{seed_tenants(), cfg};
  http_client client{again.port()};
  EXPECT_EQ(client.get("/metrics").body().find("tenant=\"acme\""),
            std::string::npos);
}

TEST(HttpMetrics, AScrapePassesPromtoolCheckMetrics) {
  running_service server{seed_tenants()};
  http_client client{server.port()};
  auto sid = json::parse(client.post("/session", session_json("globex")).body())
               .at("session_id")
               .as_string();
  client.post("/chat", chat_json("globex", sid, "hello"));
  client.post("/session", session_json("nope"));
  client.post("/chat", "{oops");
  auto scrape = client.get("/metrics").body();
  temp_dir dir;
  auto file = dir.path() + "/scrape.txt";
  std::ofstream{file} << scrape;
  // promtool (Debian package prometheus) lints names, types, help and
  // units; it prints nothing and exits 0 for a clean scrape.
  auto out_file = dir.path() + "/promtool.out";
  auto rc = std::system(("promtool check metrics < " + file + " > " + out_file
                         + " 2>&1")
                          .c_str());
  std::ifstream out{out_file};
  std::string said{std::istreambuf_iterator<char>{out}, {}};
  EXPECT_EQ(rc, 0) << "promtool said:\n" << said << "\nscrape:\n" << scrape;
  EXPECT_EQ(said, "");
}

TEST(HttpHealth, HealthzAndReadyzAnswerWithoutAuthentication) {
  running_service server{seed_tenants()};
  http_client client{server.port()};
  auto alive = client.get("/healthz");
  EXPECT_EQ(alive.result(), status::ok);
  EXPECT_EQ(alive.body(), R"({"status":"ok"})");
  // Ready once run() accepts: poll, as a load balancer would.
  EXPECT_TRUE(eventually([&] { return client.get("/readyz").result() == status::ok; }));
  EXPECT_EQ(client.get("/readyz").body(), R"({"status":"ready"})");
  EXPECT_EQ(client.request(verb::post, "/healthz").result(),
            status::method_not_allowed);
}

TEST(HttpMetrics, RequestsRefusedBeforeRoutingAreCountedAndCarryTheirId) {
  auto cfg = test_config();
  cfg.body_limit = 64;
  running_service server{seed_tenants(), cfg};
  {
    http_client client{server.port()};
    auto res = client.send(make_request(verb::post, "/session",
                                        std::string(100, 'x'),
                                        "application/json",
                                        {{"X-Request-Id", "too-big-1"}}));
    EXPECT_EQ(res.result(), status::payload_too_large);
    EXPECT_EQ(header(res, "X-Request-Id"), "too-big-1");
  }
  http_client client{server.port()};
  auto text = "\n" + client.get("/metrics").body();
  EXPECT_EQ(sample(text, "tenantd_http_requests_refused_total{code=\"413\"}"), 1);
  EXPECT_EQ(sample(text, "tenantd_http_requests_refused_total{code=\"431\"}"), 0);
  EXPECT_EQ(sample(text, "tenantd_http_connections_accepted_total"), 2);
  EXPECT_EQ(sample(text, "tenantd_http_connections_refused_total"), 0);
  EXPECT_GE(sample(text, "tenantd_http_connections"), 1);
}

} // namespace
