#pragma once

// The service's Prometheus metrics, kept with prometheus-cpp (Debian
// prometheus-cpp-dev) and served as text by GET /metrics.
//
// One `metrics` object per process, made before the actor system and
// destroyed after it: actors and the HTTP layer keep plain pointers into it.
//
// Label values are bounded: series with a tenant label exist only for
// tenants the registry has told about (add_tenant), so a client sending
// made-up tenant ids cannot grow the label set; the HTTP layer files those
// requests under the tenant "_unknown" (tenant ids never start with '_'),
// and requests to routes without a tenant under "". Routes are templates
// ("/tenants/{id}"), never raw paths.
//
// A scrape stays cheap with thousands of tenants: the per-tenant series are
// plain atomics written out by this class itself (prometheus-cpp's
// collection copies every series' labels at each scrape), and the latency
// histogram has no tenant label (a tenant's latency is its summary's sum
// and count). docs/benchmarks.md, "Scrape".

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

namespace tenantd::metrics {

/// One figure of a tenant: a counter (Increment) or a gauge (Set), any
/// thread, read by a scrape. The calls are prometheus-cpp's.
class tenant_value {
public:
  void Increment(double by = 1.0) noexcept {
    auto v = value_.load(std::memory_order_relaxed);
    while (!value_.compare_exchange_weak(v, v + by, std::memory_order_relaxed))
      ;
  }
  void Set(double v) noexcept {
    value_.store(v, std::memory_order_relaxed);
  }
  double Value() const noexcept {
    return value_.load(std::memory_order_relaxed);
  }

private:
  std::atomic<double> value_{0};
};

/// A tenant's calls to its AI upstreams, by the configured model of the
/// route that made them (a tenant has at most five routes, so the labels
/// are bounded; the model an upstream names in its answer is not used, it
/// could be anything): written by the tenant's actor as each call ends,
/// read by a scrape.
class upstream_figures {
public:
  /// The histograms' bucket bounds, in seconds.
  static constexpr double bounds[] = {0.05, 0.1, 0.25, 0.5, 1,
                                      2.5,  5,   10,   30,  60};

  struct call {
    std::string model;
    /// Empty if answered, else the failure's kind ("timeout", ...).
    std::string failure;
    uint32_t retries = 0;
    double seconds = 0;
    /// Until the first token reached the service (for a call answered
    /// whole, its answer).
    double first_token_seconds = 0;
    uint64_t prompt_tokens = 0;
    uint64_t completion_tokens = 0;
  };

  void record(const call& c);

  /// Each route's breaker, in route order: its model and 0 (closed), 1
  /// (open) or 2 (half-open).
  void set_breakers(std::vector<std::pair<std::string, int>> routes);

  /// Appends this tenant's samples to `out`, one string per family, in
  /// the order of family_names.
  void append_samples(std::string_view tenant, std::string* out) const;

  static constexpr std::size_t family_count = 7;
  /// Name, help and type of each family.
  static const std::array<std::array<std::string_view, 3>, family_count>
    families;

private:
  struct histogram {
    std::array<uint64_t, std::size(bounds)> buckets{};
    double sum = 0;
    uint64_t count = 0;
    void observe(double seconds);
  };
  struct per_model {
    uint64_t answered = 0;
    uint64_t prompt_tokens = 0;
    uint64_t completion_tokens = 0;
    uint64_t retries = 0;
    std::map<std::string, uint64_t> errors;
    histogram latency;
    histogram first_token;
  };

  mutable std::mutex mtx_;
  std::map<std::string, per_model> models_;
  std::vector<std::pair<std::string, int>> breakers_;
};

/// What a tenant actor counts about its own work.
struct tenant_series {
  tenant_value chats;            ///< chats answered
  tenant_value rate_limited;     ///< chats refused by the rate limit
  tenant_value sessions_created; ///< sessions granted
  tenant_value sessions_expired; ///< sessions ended by their TTL
  /// Unexpired sessions held by the tenant's actor; a passivated tenant
  /// keeps the figure it had when it was passivated.
  tenant_value sessions_active;
  upstream_figures upstreams;
};

/// The tenant label of requests that name no tenant the registry knows.
constexpr std::string_view unknown_tenant = "_unknown";

class metrics {
public:
  metrics();
  ~metrics();

  metrics(const metrics&) = delete;
  metrics& operator=(const metrics&) = delete;

  /// The series of tenant `id`, made on first call; from then on `id` is a
  /// known tenant label. Called by the registry for every tenant it holds.
  tenant_series& add_tenant(const std::string& id);

  /// Drops the series of tenant `id` (an archived tenant whose actor is
  /// gone: nothing may use its tenant_series any more) and its request
  /// series; from then on `id` counts as "_unknown". A scrape never grows
  /// with tenants that no longer serve.
  void remove_tenant(std::string_view id);

  /// Counts one answered HTTP request and its latency.
  /// @param tenant The tenant id the request named, or "" for routes that
  ///        name none; ids never added are counted as "_unknown".
  /// @param route The route's template, or "unmatched"; must outlive this
  ///        object (a literal).
  /// @param method The request's method (a literal, e.g. from Beast).
  void observe_request(std::string_view tenant, std::string_view route,
                       std::string_view method, unsigned code,
                       std::chrono::steady_clock::duration latency);

  /// `tenant` if it is a known tenant label, else "_unknown" (for logs).
  std::string_view tenant_label(std::string_view tenant);

  /// Sets the number of tenants in `status` ("active", "suspended",
  /// "archived").
  void set_tenants(std::string_view status, double count);

  /// Live tenant actors (active and passivating).
  prometheus::Gauge& tenant_actors();

  /// Adds a value read at each scrape (connection counts, asks in flight):
  /// `read` runs on the scraping thread and must be thread-safe. Samples
  /// of one name (with different `labels`) form one metric.
  void add_sampled_gauge(std::string name, std::string help,
                         std::function<double()> read,
                         prometheus::Labels labels = {});
  void add_sampled_counter(std::string name, std::string help,
                           std::function<double()> read,
                           prometheus::Labels labels = {});

  /// Every metric in Prometheus's text exposition format (version 0.0.4).
  std::string scrape() const;

private:
  struct tenant_entry;
  struct sampled;

  tenant_entry& entry_for(std::string_view tenant);
  tenant_entry& make_entry(const std::string& label);
  /// Appends the series with a tenant label, family by family.
  void write_tenant_families(std::string& out) const;

  std::shared_ptr<prometheus::Registry> registry_;
  /// By route and method only (see above).
  prometheus::Family<prometheus::Histogram>& request_duration_;
  prometheus::Family<prometheus::Gauge>& tenants_;
  prometheus::Gauge& tenant_actors_;

  /// Known tenant labels; keys view the entries' own strings.
  mutable std::shared_mutex tenants_mtx_;
  std::unordered_map<std::string_view, std::unique_ptr<tenant_entry>>
    tenant_entries_;
  tenant_entry* unknown_ = nullptr;
  tenant_entry* none_ = nullptr;

  /// The size of the last scrape, to reserve the next one's.
  mutable std::atomic<std::size_t> last_scrape_bytes_{0};
  mutable std::mutex sampled_mtx_;
  std::vector<sampled> sampled_;
  std::chrono::system_clock::time_point started_;
};

} // namespace tenantd::metrics
