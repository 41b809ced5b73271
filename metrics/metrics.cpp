#include "metrics/metrics.hpp"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

#include <prometheus/text_serializer.h>

namespace tenantd::metrics {

namespace {

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

constexpr std::string_view requests_total = "tenantd_http_requests_total";
constexpr std::string_view tenant_duration
  = "tenantd_http_tenant_request_duration_seconds";
constexpr std::string_view tenant_duration_sum
  = "tenantd_http_tenant_request_duration_seconds_sum";
constexpr std::string_view tenant_duration_count
  = "tenantd_http_tenant_request_duration_seconds_count";

// `name{code="...",method="...",route="...",tenant="..."} `, the text of a
// request sample up to its value (no code label when `code` is 0).
std::string line_start(std::string_view name, unsigned code,
                       std::string_view route, std::string_view method,
                       std::string_view tenant);

} // namespace

/// The series of one tenant label, and its request series made on demand.
struct metrics::tenant_entry {
  std::string label;
  /// Null for "_unknown" and "": nothing but requests is counted there.
  std::unique_ptr<tenant_series> series;

  // Each keeps its sample lines' text up to the value, made once: a scrape
  // with thousands of tenants appends two pieces per line, not ten.
  struct request_count {
    std::string_view route;
    std::string_view method;
    unsigned code;
    uint64_t count;
    std::string line_start;
  };
  struct request_latency {
    std::string_view route;
    std::string_view method;
    double sum_seconds;
    uint64_t count;
    /// The route's histogram (shared by every tenant).
    Histogram* histogram;
    std::string sum_line_start;
    std::string count_line_start;
  };
  /// A few per tenant (routes x methods x codes seen): a scan is cheapest.
  /// Guarded by mtx, as are their figures.
  mutable std::mutex mtx;
  std::vector<request_count> counts;
  std::vector<request_latency> latencies;
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
    request_duration_(prometheus::BuildHistogram()
                        .Name("tenantd_http_request_duration_seconds")
                        .Help("Time from a parsed request to its answer, by "
                              "route template and method")
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
  if (!entry.series)
    entry.series = std::make_unique<tenant_series>();
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
  entry.series.reset();
  entry.counts.clear();
  entry.latencies.clear();
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
  auto seconds = std::chrono::duration<double>(latency).count();
  auto count = std::find_if(entry.counts.begin(), entry.counts.end(),
                            [&](auto& c) {
                              return c.code == code && same(c.route, route)
                                     && same(c.method, method);
                            });
  if (count == entry.counts.end())
    count = entry.counts.insert(
      entry.counts.end(),
      {route, method, code, 0,
       line_start(requests_total, code, route, method, entry.label)});
  ++count->count;
  auto timing = std::find_if(entry.latencies.begin(), entry.latencies.end(),
                             [&](auto& l) {
                               return same(l.route, route)
                                      && same(l.method, method);
                             });
  if (timing == entry.latencies.end()) {
    // Family::Add returns the existing series for known labels.
    auto& histogram = request_duration_.Add(
      {{"route", std::string{route}}, {"method", std::string{method}}},
      latency_buckets);
    timing = entry.latencies.insert(
      entry.latencies.end(),
      {route, method, 0.0, 0, &histogram,
       line_start(tenant_duration_sum, 0, route, method, entry.label),
       line_start(tenant_duration_count, 0, route, method, entry.label)});
  }
  timing->sum_seconds += seconds;
  ++timing->count;
  timing->histogram->Observe(seconds);
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
  auto out = prometheus::TextSerializer{}.Serialize(families);
  // About as long as the last one: one allocation, no copying as it grows.
  out.reserve(last_scrape_bytes_.load(std::memory_order_relaxed) * 9 / 8);
  write_tenant_families(out);
  last_scrape_bytes_.store(out.size(), std::memory_order_relaxed);
  return out;
}

namespace {

// A sample value as prometheus-cpp writes one (Prometheus reads any float
// form): shortest round-trip digits, "+Inf", "-Inf", "NaN".
void write_value(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
  } else if (std::isinf(v)) {
    out += v < 0 ? "-Inf" : "+Inf";
  } else {
    char buf[32];
    auto res = std::to_chars(buf, buf + sizeof(buf), v);
    out.append(buf, static_cast<std::size_t>(res.ptr - buf));
  }
}

void write_value(std::string& out, uint64_t v) {
  char buf[24];
  auto res = std::to_chars(buf, buf + sizeof(buf), v);
  out.append(buf, static_cast<std::size_t>(res.ptr - buf));
}

// name="value" with the exposition format's three escapes; `first` says
// whether a comma goes before it.
void write_label(std::string& out, std::string_view name,
                 std::string_view value, bool first = false) {
  if (!first)
    out += ',';
  out += name;
  out += "=\"";
  bool plain = std::none_of(value.begin(), value.end(), [](char c) {
    return c == '\\' || c == '"' || c == '\n';
  });
  if (plain) {
    out += value; // the usual case: ids, routes and methods need none
    out += '"';
    return;
  }
  for (char c : value) {
    if (c == '\\' || c == '"')
      out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  out += '"';
}

void write_header(std::string& out, std::string_view name,
                  std::string_view help, std::string_view type) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

} // namespace

namespace {

std::string line_start(std::string_view name, unsigned code,
                       std::string_view route, std::string_view method,
                       std::string_view tenant) {
  // Labels in name order, as prometheus-cpp writes them.
  std::string out{name};
  out += '{';
  if (code != 0) {
    out += "code=\"";
    write_value(out, uint64_t{code});
    out += "\",";
  }
  write_label(out, "method", method, true);
  write_label(out, "route", route);
  write_label(out, "tenant", tenant);
  out += "} ";
  return out;
}

} // namespace

const std::array<std::array<std::string_view, 3>, upstream_figures::family_count>
  upstream_figures::families = {{
    {"tenantd_upstream_calls_total",
     "Upstream chats answered, by tenant and the model of the route", "counter"},
    {"tenantd_upstream_tokens_total",
     "Upstream tokens used (as the upstream reported them, else estimated), by "
     "tenant, model and kind (prompt, completion)",
     "counter"},
    {"tenantd_upstream_errors_total",
     "Upstream chats that failed, by tenant, model of the last route tried "
     "and kind (timeout, unreachable, rate_limited, status, bad_answer)",
     "counter"},
    {"tenantd_upstream_retries_total",
     "Upstream retries (of a route, as the OpenAI SDKs retry), by tenant and "
     "model", "counter"},
    {"tenantd_upstream_duration_seconds",
     "Time of an upstream chat (retries and fallbacks included), by tenant "
     "and model", "histogram"},
    {"tenantd_upstream_first_token_seconds",
     "Time until the first token of an upstream chat reached the service, by "
     "tenant and model", "histogram"},
    {"tenantd_upstream_breaker_state",
     "Each route's circuit breaker as of the tenant's last upstream chat: 0 "
     "closed, 1 open, 2 half-open", "gauge"},
  }};

void upstream_figures::histogram::observe(double seconds) {
  for (std::size_t i = 0; i < std::size(bounds); ++i)
    if (seconds <= bounds[i])
      ++buckets[i];
  sum += seconds;
  ++count;
}

void upstream_figures::record(const call& c) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto& m = models_[c.model];
  m.retries += c.retries;
  m.latency.observe(c.seconds);
  if (!c.failure.empty()) {
    ++m.errors[c.failure];
    return;
  }
  ++m.answered;
  m.prompt_tokens += c.prompt_tokens;
  m.completion_tokens += c.completion_tokens;
  m.first_token.observe(c.first_token_seconds);
}

void upstream_figures::set_breakers(
  std::vector<std::pair<std::string, int>> routes) {
  std::lock_guard<std::mutex> guard{mtx_};
  breakers_ = std::move(routes);
}

void upstream_figures::append_samples(std::string_view tenant,
                                      std::string* out) const {
  std::lock_guard<std::mutex> guard{mtx_};
  auto start = [&](std::string& to, std::string_view name,
                   std::string_view model) {
    to += name;
    to += '{';
    write_label(to, "model", model, true);
    write_label(to, "tenant", tenant);
  };
  auto sample = [](std::string& to, auto value) {
    to += "} ";
    write_value(to, value);
    to += '\n';
  };
  auto write_histogram = [&](std::string& to, std::string_view name,
                             std::string_view model, const histogram& h) {
    auto bucket = std::string{name} + "_bucket";
    for (std::size_t i = 0; i <= std::size(bounds); ++i) {
      start(to, bucket, model);
      std::string le;
      if (i == std::size(bounds))
        le = "+Inf";
      else
        write_value(le, bounds[i]);
      write_label(to, "le", le);
      sample(to, i == std::size(bounds) ? h.count : h.buckets[i]);
    }
    start(to, std::string{name} + "_sum", model);
    sample(to, h.sum);
    start(to, std::string{name} + "_count", model);
    sample(to, h.count);
  };
  for (auto& [model, m] : models_) {
    start(out[0], families[0][0], model);
    sample(out[0], m.answered);
    for (auto [kind, n] : {std::pair{"prompt", m.prompt_tokens},
                           std::pair{"completion", m.completion_tokens}}) {
      start(out[1], families[1][0], model);
      write_label(out[1], "kind", kind);
      sample(out[1], n);
    }
    for (auto& [kind, n] : m.errors) {
      start(out[2], families[2][0], model);
      write_label(out[2], "kind", kind);
      sample(out[2], n);
    }
    start(out[3], families[3][0], model);
    sample(out[3], m.retries);
    write_histogram(out[4], families[4][0], model, m.latency);
    write_histogram(out[5], families[5][0], model, m.first_token);
  }
  for (std::size_t i = 0; i < breakers_.size(); ++i) {
    start(out[6], families[6][0], breakers_[i].first);
    write_label(out[6], "route", std::to_string(i));
    sample(out[6], static_cast<double>(breakers_[i].second));
  }
}

void metrics::write_tenant_families(std::string& out) const {
  struct family {
    std::string_view name;
    std::string_view help;
    std::string_view type;
    const tenant_value tenant_series::*value;
  };
  static constexpr family families[] = {
    {"tenantd_chats_total", "Chats answered, by tenant", "counter",
     &tenant_series::chats},
    {"tenantd_chats_rate_limited_total",
     "Chats refused by the tenant's rate limit", "counter",
     &tenant_series::rate_limited},
    {"tenantd_sessions_created_total", "Sessions granted, by tenant",
     "counter", &tenant_series::sessions_created},
    {"tenantd_sessions_expired_total",
     "Sessions ended by their TTL in an active tenant actor, by tenant",
     "counter", &tenant_series::sessions_expired},
    {"tenantd_sessions_active",
     "Unexpired sessions held by the tenant's actor (as of its passivation, "
     "if passivated)",
     "gauge", &tenant_series::sessions_active},
  };
  // One pass over the entries (each a cache miss or three): request
  // samples go straight into the text (latencies into their own, copied
  // after it once), the tenants' figures into rows that the families after
  // it read in order.
  struct row {
    std::string_view label;
    double values[std::size(families)];
  };
  std::vector<row> rows;
  std::string latencies;
  std::string upstream[upstream_figures::family_count];
  write_header(out, requests_total,
               "HTTP requests answered, by tenant, route template, method "
               "and status code",
               "counter");
  std::shared_lock<std::shared_mutex> guard{tenants_mtx_};
  rows.reserve(tenant_entries_.size());
  for (auto& [_, entry] : tenant_entries_) {
    // The series pointer changes only under the unique lock.
    if (entry->series) {
      auto& r = rows.emplace_back();
      r.label = entry->label;
      for (std::size_t i = 0; i < std::size(families); ++i)
        r.values[i] = ((*entry->series).*families[i].value).Value();
      entry->series->upstreams.append_samples(entry->label, upstream);
    }
    std::lock_guard<std::mutex> entry_guard{entry->mtx};
    for (auto& c : entry->counts) {
      out += c.line_start;
      write_value(out, c.count);
      out += '\n';
    }
    for (auto& l : entry->latencies) {
      latencies += l.sum_line_start;
      write_value(latencies, l.sum_seconds);
      latencies += '\n';
      latencies += l.count_line_start;
      write_value(latencies, l.count);
      latencies += '\n';
    }
  }
  // Labels stay valid: entries live as long as this object, and their
  // labels never change.
  guard.unlock();
  write_header(out, tenant_duration,
               "Time from a parsed request to its answer, by tenant, route "
               "template and method (sum and count; the buckets are in "
               "tenantd_http_request_duration_seconds)",
               "summary");
  out += latencies;
  for (std::size_t i = 0; i < upstream_figures::family_count; ++i) {
    auto& f = upstream_figures::families[i];
    write_header(out, f[0], f[1], f[2]);
    out += upstream[i];
  }
  for (std::size_t i = 0; i < std::size(families); ++i) {
    auto& f = families[i];
    write_header(out, f.name, f.help, f.type);
    for (auto& r : rows) {
      out += f.name;
      out += "{tenant=\"";
      out += r.label; // ids need no escape (tenant_config's id rule)
      out += "\"} ";
      write_value(out, r.values[i]);
      out += '\n';
    }
  }
}

} // namespace tenantd::metrics
