#include "actors/registry.hpp"

#include <algorithm>

#include <caf/all.hpp>

#include "core/errors.hpp"
#include "core/reply_template.hpp"
#include "actors/tenant.hpp"
#include "util/log.hpp"

namespace tenantd {

namespace {

using registry_pointer = registry_actor::stateful_pointer<registry_state>;
using entry = registry_state::entry;

bool given_up(const entry& e) {
  return e.quick_failures >= registry_state::max_quick_failures;
}

void activate(registry_pointer self, uint32_t index) {
  auto& st = self->state;
  auto& e = st.tenants[index];
  e.actor = self->spawn<caf::monitored>(tenant, st.store, e.id, st.settings,
                                        e.retiring, e.series);
  e.started = self->clock().now();
  st.by_actor.emplace(e.actor.address(), index);
  st.metrics->tenant_actors().Set(static_cast<double>(st.by_actor.size()));
}

// Stops routing to the tenant's actor; it stores its last state and quits.
void passivate(registry_pointer self, entry& e) {
  caf::anon_send(e.actor, atom::passivate_v);
  e.retiring = std::move(e.actor);
  e.actor = nullptr;
}

// The index of tenant `id`, or unknown_tenant. Archived tenants are found:
// admin requests see them.
caf::expected<uint32_t> find(registry_pointer self, const std::string& id) {
  auto it = self->state.by_id.find(id);
  if (it == self->state.by_id.end())
    return make_error(errc::unknown_tenant);
  return it->second;
}

// The actor serving tenant `id` for a client request, activated if
// passivated, or the error the client gets.
caf::expected<tenant_actor> serving_actor(registry_pointer self,
                                          const std::string& id) {
  auto index = find(self, id);
  if (!index)
    return std::move(index.error());
  auto& e = self->state.tenants[*index];
  switch (e.status) {
    case tenant_status::archived: return make_error(errc::unknown_tenant);
    case tenant_status::suspended: return make_error(errc::tenant_suspended);
    case tenant_status::active: break;
  }
  if (given_up(e))
    return make_error(errc::tenant_unavailable);
  e.last_request = self->clock().now();
  if (!e.actor)
    activate(self, *index);
  return e.actor;
}

void add_tenant(registry_pointer self, std::string id, tenant_status status) {
  auto& st = self->state;
  auto index = static_cast<uint32_t>(st.tenants.size());
  st.by_id.emplace(id, index);
  registry_state::entry e;
  e.series = &st.metrics->add_tenant(id);
  e.id = std::move(id);
  e.status = status;
  st.tenants.push_back(std::move(e));
  st.count_status(status, +1);
}

// A tenant actor ended. A retiring one is done; an active one failed: it is
// reactivated from the store on the next request, unless it keeps failing
// right after activation.
// Answers the askers of a passivation of all once no tenant actor is left.
void answer_stopping(registry_pointer self) {
  auto& st = self->state;
  if (!st.by_actor.empty())
    return;
  for (auto& rp : st.stopping)
    rp.deliver(caf::ok_atom::value);
  st.stopping.clear();
}

void on_tenant_down(registry_pointer self, const caf::down_msg& msg) {
  auto& st = self->state;
  auto it = st.by_actor.find(msg.source);
  if (it == st.by_actor.end())
    return;
  auto& e = st.tenants[it->second];
  st.by_actor.erase(it);
  st.metrics->tenant_actors().Set(static_cast<double>(st.by_actor.size()));
  answer_stopping(self);
  if (e.retiring && e.retiring.address() == msg.source) {
    e.retiring = nullptr;
    return;
  }
  if (!e.actor || e.actor.address() != msg.source)
    return; // an older retiring actor
  e.actor = nullptr;
  auto reason = self->system().render(msg.reason);
  if (self->clock().now() - e.started < registry_state::quick_failure)
    ++e.quick_failures;
  else
    e.quick_failures = 0;
  if (given_up(e)) {
    log::error("registry", "tenant '" + e.id + "' failed (" + reason
                             + ") right after each of its last "
                             + std::to_string(e.quick_failures)
                             + " activations; not activating it again");
    return;
  }
  log::error("registry", "tenant '" + e.id + "' failed (" + reason
                           + "); the next request reactivates it from the store");
}

caf::timespan idle_sweep_interval(const lifecycle_settings& settings) {
  return sweep_interval(settings.tenant_idle, registry_state::min_sweep_interval,
                        registry_state::max_sweep_interval);
}

// Passivates every tenant actor idle for TENANT_IDLE.
void sweep(registry_pointer self) {
  auto now = self->clock().now();
  for (auto& e : self->state.tenants)
    if (e.actor && now - e.last_request >= self->state.settings.tenant_idle)
      passivate(self, e);
}

// Sends a tenant request (a change, or a read) to the store; once answered,
// `apply` updates the registry's view and the answer goes out, with the
// live figures of the tenant's actor if it is active (the stored ones trail
// them by up to a touch interval).
template <class... Ts>
caf::result<tenant_record>
store_then(registry_pointer self,
           std::function<void(uint32_t, tenant_record&)> apply,
           uint32_t index, Ts&&... xs) {
  auto rp = self->make_response_promise<tenant_record>();
  self->request(self->state.store, caf::infinite, std::forward<Ts>(xs)...)
    .then(
      [self, rp, index, apply](tenant_record& rec) mutable {
        apply(index, rec);
        auto& actor = self->state.tenants[index].actor;
        if (!actor) {
          rec.stats.active = false;
          rp.deliver(std::move(rec));
          return;
        }
        self->request(actor, caf::infinite, atom::stats_v)
          .then(
            [rp, rec](tenant_stats& stats) mutable {
              rec.stats = stats;
              rp.deliver(std::move(rec));
            },
            [rp, rec](caf::error&) mutable { rp.deliver(std::move(rec)); });
      },
      [rp](caf::error& err) mutable { rp.deliver(std::move(err)); });
  return rp;
}

} // namespace

void registry_state::count_status(tenant_status status, int delta) {
  auto& n = tenants_in[static_cast<int>(status)];
  n += delta;
  metrics->set_tenants(to_string(status), static_cast<double>(n));
}

registry_state::~registry_state() {
  for (auto& e : tenants)
    for (auto* actor : {&e.actor, &e.retiring})
      if (*actor)
        caf::anon_send_exit(*actor, caf::exit_reason::user_shutdown);
}

registry_actor::behavior_type
registry(registry_pointer self, store_actor store, lifecycle_settings settings,
         std::vector<tenant_summary> tenants, metrics::metrics* metrics) {
  self->state.store = std::move(store);
  self->state.settings = settings;
  self->state.metrics = metrics;
  for (auto& t : tenants)
    add_tenant(self, std::move(t.id), t.status);
  self->set_down_handler(
    [self](caf::down_msg& msg) { on_tenant_down(self, msg); });
  self->delayed_send(self, idle_sweep_interval(settings), atom::sweep_v);
  return {
    [self](atom::list) {
      std::vector<std::string> ids;
      for (auto& e : self->state.tenants)
        if (e.status == tenant_status::active)
          ids.push_back(e.id);
      return ids;
    },
    [self](atom::page, uint64_t offset, uint64_t limit) {
      auto& all = self->state.tenants;
      tenant_page page;
      page.total = all.size();
      auto first = std::min<uint64_t>(offset, all.size());
      auto last = std::min<uint64_t>(all.size(), first + limit);
      for (auto i = first; i < last; ++i)
        page.tenants.push_back({all[i].id, all[i].status});
      return page;
    },
    [self](atom::open,
           const std::string& tenant_id) -> caf::result<session_grant> {
      auto actor = serving_actor(self, tenant_id);
      if (!actor)
        return std::move(actor.error());
      // 122 random bits: the store's primary key refuses the practically
      // impossible repeat.
      return self->delegate(*actor, atom::open_v, session_id::generate());
    },
    [self](atom::chat, const std::string& tenant_id,
           const std::string& session, std::string& message)
      -> caf::result<chat_result> {
      auto actor = serving_actor(self, tenant_id);
      if (!actor)
        return std::move(actor.error());
      auto id = session_id::parse(session);
      if (!id)
        return make_error(errc::unknown_session);
      return self->delegate(*actor, atom::chat_v, *id, std::move(message));
    },
    [self](atom::create, tenant_config& config) -> caf::result<tenant_record> {
      auto& st = self->state;
      if (st.by_id.count(config.id) > 0 || st.creating.count(config.id) > 0)
        return make_error(errc::duplicate_tenant);
      if (!is_valid_tenant_id(config.id)
          || std::holds_alternative<std::string>(
            reply_template::compile(config.reply)))
        return make_error(errc::invalid_config);
      st.creating.insert(config.id);
      auto id = config.id;
      auto rp = self->make_response_promise<tenant_record>();
      self->request(st.store, caf::infinite, atom::create_v, std::move(config))
        .then(
          [self, rp, id](tenant_record& rec) mutable {
            auto& st = self->state;
            st.creating.erase(id);
            log::info("registry", "created tenant '" + id + "'");
            add_tenant(self, id, rec.status);
            auto index = static_cast<uint32_t>(st.tenants.size() - 1);
            st.tenants[index].last_request = self->clock().now();
            activate(self, index);
            rec.stats.active = true;
            rp.deliver(std::move(rec));
          },
          [self, rp, id](caf::error& err) mutable {
            self->state.creating.erase(id);
            rp.deliver(std::move(err));
          });
      return rp;
    },
    [self](atom::update, const std::string& id,
           std::string& patch) -> caf::result<tenant_record> {
      auto index = find(self, id);
      if (!index)
        return std::move(index.error());
      return store_then(
        self,
        [self](uint32_t i, tenant_record& rec) {
          // Sent before the answer, so every request routed after the
          // client sees it is served with the new config.
          if (auto& actor = self->state.tenants[i].actor)
            caf::anon_send(actor, atom::configure_v, rec.config);
          log::info("registry", "updated tenant '" + rec.config.id + "'");
        },
        *index, atom::update_v, id, std::move(patch));
    },
    [self](atom::status, const std::string& id,
           tenant_status to) -> caf::result<tenant_record> {
      auto index = find(self, id);
      if (!index)
        return std::move(index.error());
      return store_then(
        self,
        [self](uint32_t i, tenant_record& rec) {
          auto& e = self->state.tenants[i];
          if (e.status != rec.status) {
            log::info("registry", "tenant '" + e.id + "' is now "
                                    + std::string{to_string(rec.status)});
            self->state.count_status(e.status, -1);
            self->state.count_status(rec.status, +1);
          }
          e.status = rec.status;
          if (e.status == tenant_status::archived && e.actor)
            passivate(self, e);
        },
        *index, atom::status_v, id, to);
    },
    [self](atom::tenant, const std::string& id) -> caf::result<tenant_record> {
      auto index = find(self, id);
      if (!index)
        return std::move(index.error());
      return store_then(
        self, [](uint32_t, tenant_record&) {}, *index, atom::tenant_v, id);
    },
    [self](atom::activate,
           const std::string& tenant_id) -> caf::result<tenant_actor> {
      auto actor = serving_actor(self, tenant_id);
      if (!actor)
        return std::move(actor.error());
      return std::move(*actor);
    },
    [self](atom::passivate) -> caf::result<caf::ok_atom> {
      for (auto& e : self->state.tenants)
        if (e.actor)
          passivate(self, e);
      auto rp = self->make_response_promise<caf::ok_atom>();
      self->state.stopping.push_back(rp);
      answer_stopping(self);
      return rp;
    },
    [self](atom::ready) -> caf::result<caf::ok_atom> {
      return self->delegate(self->state.store, atom::ready_v);
    },
    [self](atom::sweep) {
      sweep(self);
      self->delayed_send(self, idle_sweep_interval(self->state.settings),
                         atom::sweep_v);
    },
  };
}

} // namespace tenantd
