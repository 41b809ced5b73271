#include "actors/registry.hpp"

#include <algorithm>

#include <caf/all.hpp>

#include "actors/tenant.hpp"
#include "core/reply_template.hpp"
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
  tenant_supervisor_actor supervisor = self;
  e.actor = self->spawn<caf::monitored>(tenant, st.store, supervisor, e.id,
                                        st.settings, e.retiring, e.series,
                                        st.services);
  e.started = self->clock().now();
  st.by_actor.emplace(e.actor.address(), index);
  st.metrics->tenant_actors().Set(static_cast<double>(st.by_actor.size()));
}

// Forgets the tenant's actor; it stops serving, stores its last state and
// quits. Requests still sent to it get errc::not_serving (or bounce once it
// is gone) and come back here.
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
  if (auto err = refusal_for(e.status))
    return err;
  if (given_up(e))
    return make_error(errc::tenant_unavailable);
  if (!e.actor)
    activate(self, *index);
  return e.actor;
}

void add_tenant(registry_pointer self, std::string id, tenant_status status) {
  auto& st = self->state;
  auto index = static_cast<uint32_t>(st.tenants.size());
  st.by_id.emplace(id, index);
  registry_state::entry e;
  // An archived tenant never serves again: it has no series.
  if (status != tenant_status::archived)
    e.series = &st.metrics->add_tenant(id);
  e.id = std::move(id);
  e.status = status;
  st.tenants.push_back(std::move(e));
  st.count_status(status, +1);
}

// Answers the askers of a passivation of all once no tenant actor is left.
void answer_stopping(registry_pointer self) {
  auto& st = self->state;
  if (!st.by_actor.empty())
    return;
  for (auto& rp : st.stopping)
    rp.deliver(caf::ok_atom::value);
  st.stopping.clear();
}

// A tenant actor ended. A retiring one is done; an active one failed: it is
// reactivated from the store on the next request, unless it keeps failing
// right after activation.
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
    // Its last actor is gone: an archived tenant's series go too.
    if (e.status == tenant_status::archived && !e.actor && e.series) {
      st.metrics->remove_tenant(e.id);
      e.series = nullptr;
    }
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
    log::error("registry", "tenant actor failed right after each of its last "
                           "activations; not activating it again",
               {{"tenant", e.id},
                {"reason", reason},
                {"activations", std::to_string(e.quick_failures)}});
    return;
  }
  log::error("registry",
             "tenant actor failed; the next request reactivates it from the "
             "store",
             {{"tenant", e.id}, {"reason", reason}});
}

// Refuses an admin request from a principal that may not administer
// tenants (http/ checks first; this is the domain's own check).
caf::error refuse_unless_admin(const principal& who) {
  if (who.may_administer_tenants())
    return {};
  return make_error(errc::permission_denied);
}

// As refuse_unless_admin, but a request about tenant `tenant` sent by the
// actor serving it passes: a tenant admin's settings request, which that
// actor checked (read_settings, change_settings).
caf::error refuse_unless_admin_or_its_actor(registry_pointer self,
                                            const std::string& tenant,
                                            const principal& who) {
  if (who.may_administer_tenants())
    return {};
  auto& st = self->state;
  auto i = st.by_id.find(tenant);
  auto sender = caf::actor_cast<caf::actor_addr>(self->current_sender());
  if (i != st.by_id.end() && st.tenants[i->second].actor
      && st.tenants[i->second].actor.address() == sender)
    return {};
  return make_error(errc::permission_denied);
}

// What an admin request is to the tenant's actor.
enum class admin_request_kind {
  // A change: an actor that does not take it within the internal timeout is
  // stopped, so that no later request can see the tenant as it was (the
  // next one activates a fresh actor from the store).
  change,
  // A read of its live figures: an actor that does not answer in time (it
  // may be awaiting its load) is left alone and the stored figures go out.
  read,
};

// Sends an admin request to the store; once answered, `apply` updates the
// directory, then `tell_actor` (if the tenant's actor is active) hands the
// request to it and the answer goes out with the actor's live figures (the
// stored ones trail them by up to a touch interval).
template <class Request, class Apply, class TellActor>
caf::result<tenant_record> store_then(registry_pointer self, uint32_t index,
                                      admin_request_kind kind, Request request,
                                      Apply apply, TellActor tell_actor) {
  auto rp = self->make_response_promise<tenant_record>();
  self->request(self->state.store, self->state.settings.internal_timeout,
                std::move(request))
    .then(
      [self, rp, index, kind, apply,
       tell_actor](tenant_record& rec) mutable {
        apply(index, rec);
        auto actor = self->state.tenants[index].actor;
        if (!actor) {
          rec.stats.active = false;
          rp.deliver(std::move(rec));
          return;
        }
        tell_actor(actor, rec)
          .then(
            [self, rp, rec, index](tenant_stats& stats) mutable {
              rec.stats = stats;
              // Archiving passivates it: it no longer serves.
              rec.stats.active = self->state.tenants[index].actor != nullptr;
              rp.deliver(std::move(rec));
            },
            [self, rp, rec, index, kind, actor](caf::error& err) mutable {
              auto& e = self->state.tenants[index];
              if (kind == admin_request_kind::read) {
                rec.stats.active = e.actor != nullptr;
                rp.deliver(std::move(rec));
                return;
              }
              if (e.actor == actor) {
                log::error("registry",
                           "tenant actor did not take a change; stopping it",
                           {{"tenant", e.id},
                            {"reason", self->system().render(err)}});
                caf::anon_send_exit(actor, caf::exit_reason::kill);
              }
              rec.stats.active = false;
              rp.deliver(std::move(rec));
            });
      },
      [rp](caf::error& err) mutable { rp.deliver(std::move(err)); });
  return rp;
}

// The live figures of `actor`, within the internal timeout.
auto stats_of(registry_pointer self) {
  return [self](const tenant_actor& actor, const tenant_record&) {
    return self->request(actor, self->state.settings.internal_timeout,
                         atom::stats_v);
  };
}

} // namespace

void registry_state::count_status(tenant_status status, int delta) {
  auto& n = tenants_in[static_cast<int>(status)];
  n += delta;
  metrics->set_tenants(to_string(status), static_cast<double>(n));
}

std::vector<std::string> registry_state::active_ids() const {
  std::vector<std::string> ids;
  for (auto& e : tenants)
    if (e.status == tenant_status::active)
      ids.push_back(e.id);
  return ids;
}

void registry_state::publish() {
  published->publish(active_ids());
}

registry_state::~registry_state() {
  for (auto& e : tenants)
    for (auto* actor : {&e.actor, &e.retiring})
      if (*actor)
        caf::anon_send_exit(*actor, caf::exit_reason::user_shutdown);
}

registry_actor::behavior_type
registry(registry_pointer self, store_actor store, lifecycle_settings settings,
         std::vector<tenant_summary> tenants, metrics::metrics* metrics,
         std::shared_ptr<active_tenants_view> published,
         tenant_services services) {
  self->state.store = std::move(store);
  self->state.services = std::move(services);
  self->state.settings = settings;
  self->state.metrics = metrics;
  self->state.published = std::move(published);
  for (auto& t : tenants)
    add_tenant(self, std::move(t.id), t.status);
  self->state.publish();
  self->set_down_handler(
    [self](caf::down_msg& msg) { on_tenant_down(self, msg); });
  return {
    [self](const list_active_tenants&) { return self->state.active_ids(); },
    [self](const record_audit& msg) { self->send(self->state.store, msg); },
    [self](read_audit& msg) -> caf::result<audit_page> {
      if (auto err = refuse_unless_admin(msg.who))
        return err;
      if (msg.tenant.empty())
        msg.filter.every_chain = true;
      else
        msg.filter.tenant = msg.tenant;
      return self->delegate(self->state.store, query_audit{msg.filter});
    },
    [self](const list_tenants& msg) -> caf::result<tenant_page> {
      if (auto err = refuse_unless_admin(msg.who))
        return err;
      auto& all = self->state.tenants;
      tenant_page page;
      page.total = all.size();
      auto first = std::min<uint64_t>(msg.offset, all.size());
      auto last = std::min<uint64_t>(all.size(), first + msg.limit);
      for (auto i = first; i < last; ++i)
        page.tenants.push_back({all[i].id, all[i].status});
      return page;
    },
    [self](const find_tenant& msg) -> caf::result<tenant_actor> {
      auto actor = serving_actor(self, msg.tenant);
      if (!actor)
        return std::move(actor.error());
      return std::move(*actor);
    },
    [self](create_tenant& msg) -> caf::result<tenant_record> {
      if (auto err = refuse_unless_admin(msg.who))
        return err;
      auto& st = self->state;
      auto& config = msg.config;
      if (st.by_id.count(config.id) > 0 || st.creating.count(config.id) > 0)
        return make_error(errc::duplicate_tenant);
      if (!is_valid_tenant_id(config.id)
          || std::holds_alternative<std::string>(
            reply_template::compile(config.reply)))
        return make_error(errc::invalid_config);
      if (auto problem = check_reply_size(config, st.settings.replies))
        return make_error(std::vector<config_error>{std::move(*problem)});
      st.creating.insert(config.id);
      auto id = config.id;
      auto rp = self->make_response_promise<tenant_record>();
      self->request(st.store, st.settings.internal_timeout, std::move(msg))
        .then(
          [self, rp, id](tenant_record& rec) mutable {
            auto& st = self->state;
            st.creating.erase(id);
            log::info("registry", "created tenant", {{"tenant", id}});
            add_tenant(self, id, rec.status);
            st.publish(); // before the answer: GET / lists it from now on
            activate(self, static_cast<uint32_t>(st.tenants.size() - 1));
            rec.stats.active = true;
            rp.deliver(std::move(rec));
          },
          [self, rp, id](caf::error& err) mutable {
            self->state.creating.erase(id);
            rp.deliver(std::move(err));
          });
      return rp;
    },
    [self](update_tenant& msg) -> caf::result<tenant_record> {
      if (auto err = refuse_unless_admin_or_its_actor(self, msg.tenant,
                                                      msg.who))
        return err;
      auto index = find(self, msg.tenant);
      if (!index)
        return std::move(index.error());
      return store_then(
        self, *index, admin_request_kind::change, std::move(msg),
        [](uint32_t, const tenant_record& rec) {
          log::info("registry", "updated tenant", {{"tenant", rec.config.id}});
        },
        [self](const tenant_actor& actor, const tenant_record& rec) {
          return self->request(actor, self->state.settings.internal_timeout,
                               apply_config{rec.config});
        });
    },
    [self](set_tenant_status& msg) -> caf::result<tenant_record> {
      if (auto err = refuse_unless_admin(msg.who))
        return err;
      auto index = find(self, msg.tenant);
      if (!index)
        return std::move(index.error());
      return store_then(
        self, *index, admin_request_kind::change, std::move(msg),
        [self](uint32_t i, const tenant_record& rec) {
          auto& e = self->state.tenants[i];
          if (e.status != rec.status) {
            log::info("registry", "tenant status changed",
                      {{"tenant", e.id},
                       {"status", std::string{to_string(rec.status)}}});
            self->state.count_status(e.status, -1);
            self->state.count_status(rec.status, +1);
          }
          e.status = rec.status;
          self->state.publish(); // before the answer
        },
        [self, index = *index](const tenant_actor& actor,
                               const tenant_record& rec) {
          auto status = rec.status;
          auto rh = self->request(actor, self->state.settings.internal_timeout,
                                  apply_status{status});
          // Archived: the actor refuses everything from now on; it can go.
          if (status == tenant_status::archived)
            passivate(self, self->state.tenants[index]);
          return rh;
        });
    },
    [self](read_tenant& msg) -> caf::result<tenant_record> {
      if (auto err = refuse_unless_admin_or_its_actor(self, msg.tenant,
                                                      msg.who))
        return err;
      auto index = find(self, msg.tenant);
      if (!index)
        return std::move(index.error());
      return store_then(self, *index, admin_request_kind::read,
                        std::move(msg), [](uint32_t, const tenant_record&) {},
                        stats_of(self));
    },
    [self](const tenant_idle& msg) {
      auto index = find(self, msg.tenant);
      if (!index)
        return;
      auto& e = self->state.tenants[*index];
      if (e.actor
          && e.actor.address()
               == caf::actor_cast<caf::actor_addr>(self->current_sender()))
        passivate(self, e);
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
  };
}

} // namespace tenantd
