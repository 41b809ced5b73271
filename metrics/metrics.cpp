#include "metrics/metrics.hpp"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include <prometheus/text_serializer.h>

namespace tenantd::metrics {

namespace {

using prometheus::Counter;
using prometheus::Histogram;

// Request latency buckets, in seconds: the service answers in well under a
// millisecond when idle and times asks out after 2 s by default.
const Histogram::BucketBoundaries latency_buckets = {
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
  0.025,  0.05,    0.1,    0.25,  0.5,    1,     2.5, 5};

bool same(std::string_view a, std::string_view b) {
  return (a.data() == b.data() && a.size() == b.size()) || a == b;
}

// -- process figures, read at each scrape (Linux /proc) -----------------------

double resident_memory_bytes() {
  long pages = 0;
  long resident = 0;
  if (auto* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2)
      resident = 0;
    std::fclose(f);
  }
  return static_cast<double>(resident) * static_cast<double>(::sysconf(_SC_PAGESIZE));
}

double open_fds() {
  double n = 0;
  if (auto* dir = ::opendir("/proc/self/fd")) {
    while (auto* e = ::readdir(dir))
      if (e->d_name[0] != '.')
        ++n;
    ::closedir(dir);
    --n; // the directory stream's own descriptor
  }
  return n;
}

double max_fds() {
  rlimit lim{};
  ::getrlimit(RLIMIT_NOFILE, &lim);
  return static_cast<double>(lim.rlim_cur);
}

double cpu_seconds() {
  rusage use{};
  ::getrusage(RUSAGE_SELF, &use);
  auto secs = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return secs(use.ru_utime) + secs(use.ru_stime);
}

} // namespace

/// The series of one tenant label, and its request series made on demand.
struct metrics::tenant_entry {
  std::string label;
  /// Null for "_unknown" and "": nothing but requests is counted there.
  std::unique_ptr<tenant_series> series;

  struct request_counter {
    std::string_view route;
    std::string_view method;
    unsigned code;
    Counter* counter;
  };
  struct request_histogram {
    std::string_view route;
    std::string_view method;
    Histogram* histogram;
  };
  /// A few per tenant (routes x methods x codes seen): a scan is cheapest.
  std::mutex mtx;
  std::vector<request_counter> counters;
  std::vector<request_histogram> histograms;
};

struct metrics::sampled {
  std::string name;
  std::string help;
  prometheus::MetricType type;
  std::function<double()> read;
  prometheus::Labels labels;
};

metrics::metrics()
  : registry_(std::make_shared<prometheus::Registry>()),
    requests_(prometheus::BuildCounter()
                .Name("tenantd_http_requests_total")
                .Help("HTTP requests answered, by tenant, route template, "
                      "method and status code")
                .Register(*registry_)),
    request_duration_(prometheus::BuildHistogram()
                        .Name("tenantd_http_request_duration_seconds")
                        .Help("Time from a parsed request to its answer, by "
                              "tenant, route template and method")
                        .Register(*registry_)),
    chats_(prometheus::BuildCounter()
             .Name("tenantd_chats_total")
             .Help("Chats answered, by tenant")
             .Register(*registry_)),
    rate_limited_(prometheus::BuildCounter()
                    .Name("tenantd_chats_rate_limited_total")
                    .Help("Chats refused by the tenant's rate limit")
                    .Register(*registry_)),
    sessions_created_(prometheus::BuildCounter()
                        .Name("tenantd_sessions_created_total")
                        .Help("Sessions granted, by tenant")
                        .Register(*registry_)),
    sessions_expired_(prometheus::BuildCounter()
                        .Name("tenantd_sessions_expired_total")
                        .Help("Sessions ended by their TTL in an active "
                              "tenant actor, by tenant")
                        .Register(*registry_)),
    sessions_active_(prometheus::BuildGauge()
                       .Name("tenantd_sessions_active")
                       .Help("Unexpired sessions held by the tenant's actor "
                             "(as of its passivation, if passivated)")
                       .Register(*registry_)),
    tenants_(prometheus::BuildGauge()
               .Name("tenantd_tenants")
               .Help("Tenants by status")
               .Register(*registry_)),
    tenant_actors_(prometheus::BuildGauge()
                     .Name("tenantd_tenant_actors")
                     .Help("Live tenant actors (serving or passivating)")
                     .Register(*registry_)
                     .Add({})),
    started_(std::chrono::system_clock::now()) {
  unknown_ = &make_entry(std::string{unknown_tenant});
  none_ = &make_entry("");
  for (auto status : {"active", "suspended", "archived"})
    set_tenants(status, 0);
  add_sampled_gauge("process_resident_memory_bytes",
                    "Resident memory size in bytes", resident_memory_bytes);
  add_sampled_gauge("process_open_fds", "Open file descriptors", open_fds);
  add_sampled_gauge("process_max_fds", "Limit on open file descriptors",
                    max_fds);
  add_sampled_counter("process_cpu_seconds_total",
                      "User and system CPU time spent, in seconds",
                      cpu_seconds);
  auto start = std::chrono::duration<double>(started_.time_since_epoch()).count();
  add_sampled_gauge("process_start_time_seconds",
                    "Start time of the process since the Unix epoch, in seconds",
                    [start] { return start; });
}

metrics::~metrics() = default;

metrics::tenant_entry& metrics::make_entry(const std::string& label) {
  auto entry = std::make_unique<tenant_entry>();
  entry->label = label;
  auto& ref = *entry;
  tenant_entries_.emplace(std::string_view{ref.label}, std::move(entry));
  return ref;
}

tenant_series& metrics::add_tenant(const std::string& id) {
  std::unique_lock<std::shared_mutex> guard{tenants_mtx_};
  auto it = tenant_entries_.find(id);
  auto& entry = it != tenant_entries_.end() ? *it->second : make_entry(id);
  if (!entry.series) {
    prometheus::Labels labels{{"tenant", id}};
    entry.series.reset(new tenant_series{
      chats_.Add(labels), rate_limited_.Add(labels),
      sessions_created_.Add(labels), sessions_expired_.Add(labels),
      sessions_active_.Add(labels)});
  }
  return *entry.series;
}

void metrics::remove_tenant(std::string_view id) {
  // The entry stays (observe_request may hold a reference to it), empty:
  // entry_for maps an entry without series to "_unknown".
  std::unique_lock<std::shared_mutex> guard{tenants_mtx_};
  auto it = tenant_entries_.find(id);
  if (it == tenant_entries_.end() || !it->second->series)
    return;
  auto& entry = *it->second;
  std::lock_guard<std::mutex> series_guard{entry.mtx};
  chats_.Remove(&entry.series->chats);
  rate_limited_.Remove(&entry.series->rate_limited);
  sessions_created_.Remove(&entry.series->sessions_created);
  sessions_expired_.Remove(&entry.series->sessions_expired);
  sessions_active_.Remove(&entry.series->sessions_active);
  entry.series.reset();
  for (auto& c : entry.counters)
    requests_.Remove(c.counter);
  for (auto& h : entry.histograms)
    request_duration_.Remove(h.histogram);
  entry.counters.clear();
  entry.histograms.clear();
}

metrics::tenant_entry& metrics::entry_for(std::string_view tenant) {
  if (tenant.empty())
    return *none_;
  std::shared_lock<std::shared_mutex> guard{tenants_mtx_};
  auto it = tenant_entries_.find(tenant);
  // "_unknown" is in the map, but only for what this maps to it.
  return it != tenant_entries_.end() && it->second->series ? *it->second
                                                           : *unknown_;
}

void metrics::observe_request(std::string_view tenant, std::string_view route,
                              std::string_view method, unsigned code,
                              std::chrono::steady_clock::duration latency) {
  auto* found = &entry_for(tenant);
  std::unique_lock<std::mutex> guard{found->mtx};
  if (!found->series && found != unknown_ && found != none_) {
    // Removed meanwhile (remove_tenant): counted as unknown from now on.
    guard.unlock();
    found = unknown_;
    guard = std::unique_lock<std::mutex>{found->mtx};
  }
  auto& entry = *found;
  Counter* counter = nullptr;
  Histogram* histogram = nullptr;
  {
    for (auto& c : entry.counters)
      if (c.code == code && same(c.route, route) && same(c.method, method)) {
        counter = c.counter;
        break;
      }
    for (auto& h : entry.histograms)
      if (same(h.route, route) && same(h.method, method)) {
        histogram = h.histogram;
        break;
      }
    // Family::Add returns the existing series for known labels.
    if (!counter) {
      counter = &requests_.Add({{"tenant", entry.label},
                                {"route", std::string{route}},
                                {"method", std::string{method}},
                                {"code", std::to_string(code)}});
      entry.counters.push_back({route, method, code, counter});
    }
    if (!histogram) {
      histogram = &request_duration_.Add({{"tenant", entry.label},
                                          {"route", std::string{route}},
                                          {"method", std::string{method}}},
                                         latency_buckets);
      entry.histograms.push_back({route, method, histogram});
    }
    // Under the entry's lock: remove_tenant may drop them right after.
    counter->Increment();
    histogram->Observe(std::chrono::duration<double>(latency).count());
  }
}

std::string_view metrics::tenant_label(std::string_view tenant) {
  return entry_for(tenant).label;
}

void metrics::set_tenants(std::string_view status, double count) {
  tenants_.Add({{"status", std::string{status}}}).Set(count);
}

prometheus::Gauge& metrics::tenant_actors() {
  return tenant_actors_;
}

void metrics::add_sampled_gauge(std::string name, std::string help,
                                std::function<double()> read,
                                prometheus::Labels labels) {
  std::lock_guard<std::mutex> guard{sampled_mtx_};
  sampled_.push_back({std::move(name), std::move(help),
                      prometheus::MetricType::Gauge, std::move(read),
                      std::move(labels)});
}

void metrics::add_sampled_counter(std::string name, std::string help,
                                  std::function<double()> read,
                                  prometheus::Labels labels) {
  std::lock_guard<std::mutex> guard{sampled_mtx_};
  sampled_.push_back({std::move(name), std::move(help),
                      prometheus::MetricType::Counter, std::move(read),
                      std::move(labels)});
}

std::string metrics::scrape() const {
  auto families = registry_->Collect();
  {
    std::lock_guard<std::mutex> guard{sampled_mtx_};
    auto first_sampled = families.size();
    for (auto& s : sampled_) {
      prometheus::ClientMetric value;
      for (auto& [name, label] : s.labels)
        value.label.push_back({name, label});
      if (s.type == prometheus::MetricType::Counter)
        value.counter.value = s.read();
      else
        value.gauge.value = s.read();
      auto family = std::find_if(families.begin() + first_sampled,
                                 families.end(),
                                 [&](auto& f) { return f.name == s.name; });
      if (family == families.end())
        families.push_back({s.name, s.help, s.type, {std::move(value)}});
      else
        family->metric.push_back(std::move(value));
    }
  }
  return prometheus::TextSerializer{}.Serialize(families);
}

} // namespace tenantd::metrics
