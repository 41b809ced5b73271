#include "actors/tenant.hpp"

#include <algorithm>
#include <limits>

#include <caf/all.hpp>

#include "core/clock.hpp"
#include "core/text.hpp"
#include "util/log.hpp"

namespace tenantd {

namespace {

using tenant_pointer = tenant_actor::stateful_pointer<tenant_state>;

stored_session to_stored(const tenant_state& st, const session_id& id,
                         const session_record& s) {
  auto last_used = to_unix_millis(s.last_used);
  return {id, to_unix_millis(s.created), last_used,
          last_used + to_millis(st.session_ttl())};
}

// Sends the sessions used since the last touch, and the counters, to the
// store (not acknowledged: a crash loses at most one interval of uses).
void send_touches(tenant_pointer self) {
  auto& st = self->state;
  if (st.touched.empty() && !st.counters_changed)
    return;
  std::vector<stored_session> used;
  used.reserve(st.touched.size());
  for (auto& id : st.touched)
    if (auto* s = st.sessions.find(id)) {
      s->touched = false;
      used.push_back(to_stored(st, id, *s));
    }
  st.touched.clear();
  st.counters_changed = false;
  self->send(st.store, record_uses{st.config.id, std::move(used), st.chats,
                                   st.rate_limited});
}

void schedule_touch(tenant_pointer self) {
  auto& st = self->state;
  if (st.touch_scheduled)
    return;
  st.touch_scheduled = true;
  self->delayed_send(self, st.settings.touch_interval, atom::touch_v);
}

void schedule_sweep(tenant_pointer self) {
  auto& st = self->state;
  if (st.sweep_scheduled)
    return;
  st.sweep_scheduled = true;
  self->delayed_send(self,
                     sweep_interval(st.session_ttl(),
                                    tenant_state::min_sweep_interval,
                                    tenant_state::max_sweep_interval),
                     atom::sweep_v);
}

// Looks for idleness every quarter of TENANT_IDLE (within the sweep
// bounds), for the whole life of the actor.
void schedule_idle_check(tenant_pointer self) {
  self->delayed_send(self,
                     sweep_interval(self->state.settings.tenant_idle,
                                    tenant_state::min_sweep_interval,
                                    tenant_state::max_sweep_interval),
                     atom::idle_v);
}

// Tells the supervisor once per idle spell that no request came for
// TENANT_IDLE; it passivates this actor.
void check_idle(tenant_pointer self) {
  auto& st = self->state;
  if (st.serving && !st.idle_reported
      && self->clock().now() - st.last_request >= st.settings.tenant_idle) {
    st.idle_reported = true;
    self->send(st.supervisor, tenant_idle{st.config.id});
  }
}

// Drops expired sessions from memory and from the store, about `budget`
// sessions from cursor `at`; false once the walk is done.
bool sweep_some(tenant_pointer self, decltype(tenant_state::sweep_at)& at,
                std::size_t budget) {
  auto& st = self->state;
  auto now = self->clock().now();
  std::vector<session_id> gone;
  bool more = st.sessions.erase_if_step(
    at, budget, [&](const session_id& id, const session_record& s) {
      if (!st.expired(s, now))
        return false;
      gone.push_back(id);
      return true;
    });
  if (!gone.empty()) {
    st.series->sessions_expired.Increment(static_cast<double>(gone.size()));
    st.count_sessions();
    self->send(st.store, expire_sessions{std::move(gone)});
  }
  return more;
}

// Drops every expired session now.
void sweep(tenant_pointer self) {
  decltype(tenant_state::sweep_at) all;
  sweep_some(self, all, std::numeric_limits<std::size_t>::max());
}

// One turn of a sweep round: a bounded step, then the mailbox again. The
// round ends by scheduling the next one while sessions are held.
void sweep_step(tenant_pointer self) {
  auto& st = self->state;
  if (sweep_some(self, st.sweep_at, tenant_state::sessions_per_turn)) {
    self->send(self, atom::cleanup_v);
    return;
  }
  st.sweeping = false;
  if (st.sessions.size() > 0)
    schedule_sweep(self);
}

// One turn of freeing the sessions of a passivated actor: a bounded step,
// then the mailbox again (a million sessions take a fifth of a second to
// free); quits once they are all gone.
void release_step(tenant_pointer self) {
  if (self->state.sessions.release_step(tenant_state::sessions_per_turn))
    self->send(self, atom::cleanup_v);
  else
    self->quit();
}

// Sends the held-back answers that are due, all of them if `all`; then
// waits for the next one.
void send_paced(tenant_pointer self, bool all) {
  auto& st = self->state;
  auto now = self->clock().now();
  while (!st.paced.empty() && (all || st.paced.front().due <= now)) {
    st.paced.front().promise.deliver(std::move(st.paced.front().result));
    st.paced.pop_front();
  }
  if (!st.paced.empty())
    self->delayed_send(self, st.paced.front().due - now, atom::pace_v);
}

// Answers `result` at `due`, after every answer held back before it.
caf::result<chat_result> answer_at(tenant_pointer self,
                                   caf::actor_clock::time_point due,
                                   chat_result result) {
  auto& st = self->state;
  if (st.paced.empty() && due <= self->clock().now())
    return result;
  auto rp = self->make_response_promise<chat_result>();
  st.paced.push_back({due, rp, std::move(result)});
  if (st.paced.size() == 1)
    self->delayed_send(self, due - self->clock().now(), atom::pace_v);
  return rp;
}

void touch(tenant_pointer self, const session_id& id, session_record& s,
           caf::actor_clock::time_point now) {
  s.last_used = now;
  if (!s.touched) {
    s.touched = true;
    self->state.touched.push_back(id);
  }
  schedule_touch(self);
}

// Takes the snapshot; false (and quits) if its config is unusable.
bool activate(tenant_pointer self, tenant_snapshot& snap) {
  auto& st = self->state;
  st.status = snap.status;
  if (!st.configure(std::move(snap.config))) {
    self->quit(caf::make_error(caf::sec::runtime_error,
                               "stored reply template does not compile"));
    return false;
  }
  st.chats = snap.chats;
  st.rate_limited = snap.rate_limited;
  return true;
}

void load_sessions_after(tenant_pointer self, int64_t after);

// Takes a page of the tenant's sessions; asks for the next one, if any.
void take_page(tenant_pointer self, session_page& page) {
  auto& st = self->state;
  for (auto& s : page.sessions)
    st.sessions.emplace(s.id, session_record{from_unix_millis(s.created_at),
                                             from_unix_millis(s.last_used)});
  if (page.next != 0) {
    load_sessions_after(self, page.next);
    return;
  }
  st.count_sessions();
  if (st.sessions.size() > 0)
    schedule_sweep(self);
}

// Reads the tenant's sessions page by page from `after`, each page awaited
// (requests keep waiting until the last one is in), each asked for only
// once the previous one is taken: the store serves other tenants between
// pages instead of reading millions of rows in one go.
void load_sessions_after(tenant_pointer self, int64_t after) {
  auto& st = self->state;
  self
    ->request(st.store, st.settings.internal_timeout,
              load_sessions{st.config.id, after})
    .await([self](session_page& page) { take_page(self, page); },
           [self](caf::error& err) { self->quit(std::move(err)); });
}

// Answers a chat for a session this tenant does not hold: the store knows
// whether another tenant holds it (403) or nobody does (404).
caf::result<chat_result> not_ours(tenant_pointer self, const session_id& id) {
  auto rp = self->make_response_promise<chat_result>();
  self
    ->request(self->state.store, self->state.settings.internal_timeout,
              find_session_owner{id})
    .then(
      [self, rp](const std::string& owner) mutable {
        bool foreign = !owner.empty() && owner != self->state.config.id;
        rp.deliver(make_error(foreign ? errc::foreign_session
                                      : errc::unknown_session));
      },
      [rp](caf::error&) mutable {
        rp.deliver(make_error(errc::storage_failed));
      });
  return rp;
}

} // namespace

caf::timespan tenant_state::session_ttl() const {
  if (config.limits.session_ttl != 0)
    return std::chrono::seconds{config.limits.session_ttl};
  return settings.session_ttl;
}

uint64_t tenant_state::reply_bytes_per_s() const {
  if (config.limits.reply_bytes_per_s != 0)
    return config.limits.reply_bytes_per_s;
  return settings.replies.bytes_per_s_per_tenant;
}

std::size_t tenant_state::max_sessions() const {
  if (config.limits.max_sessions != 0)
    return config.limits.max_sessions;
  return settings.max_sessions_per_tenant;
}

bool tenant_state::expired(const session_record& s,
                           caf::actor_clock::time_point now) const {
  return now - s.last_used >= session_ttl();
}

bool tenant_state::admit(caf::actor_clock::time_point now, rate_window& out) {
  auto limit = config.limits.chat_per_10s;
  if (limit == 0)
    return true;
  if (window.admitted == 0 || now >= window.start + window_length) {
    window.start = now;
    window.admitted = 0;
  }
  bool admitted = window.admitted < limit;
  if (admitted)
    ++window.admitted;
  using std::chrono::duration_cast;
  using std::chrono::seconds;
  auto left = window.start + window_length - now;
  // Round up: a client that waits reset_seconds finds the window reset.
  auto reset = duration_cast<seconds>(left + seconds{1}
                                      - std::chrono::nanoseconds{1});
  out.limit = limit;
  out.window_seconds = static_cast<uint32_t>(window_length.count());
  out.remaining = limit - window.admitted;
  out.reset_seconds = static_cast<uint32_t>(std::max<int64_t>(reset.count(), 1));
  return admitted;
}

void tenant_state::count_sessions() {
  series->sessions_active.Set(static_cast<double>(sessions.size()));
}

caf::error tenant_state::refusal(const std::string& tenant,
                                 caf::actor_clock::time_point now) {
  if (!serving || tenant != config.id)
    return make_error(errc::not_serving);
  last_request = now;
  idle_reported = false;
  return refusal_for(status);
}

tenant_stats tenant_state::stats() const {
  return tenant_stats{true, sessions.size(), chats, rate_limited};
}

bool tenant_state::configure(tenant_config cfg) {
  auto compiled = reply_template::compile(cfg.reply);
  if (!std::holds_alternative<reply_template>(compiled))
    return false;
  reply = std::move(std::get<reply_template>(compiled));
  config = std::move(cfg);
  // A burst of a second's worth, and never less than the largest reply,
  // which could otherwise never be sent.
  if (auto rate = reply_bytes_per_s(); rate != reply_rate.bytes_per_s())
    reply_rate = reply_budget{
      rate, std::max<uint64_t>(rate, settings.replies.max_reply_bytes)};
  return true;
}

tenant_actor::behavior_type
tenant(tenant_pointer self, store_actor store,
       tenant_supervisor_actor supervisor, std::string id,
       lifecycle_settings settings, tenant_actor predecessor,
       metrics::tenant_series* series) {
  auto& init = self->state;
  init.store = store;
  init.supervisor = std::move(supervisor);
  init.series = series;
  init.settings = settings;
  init.config.id = id;
  init.last_request = self->clock().now();
  auto timeout = settings.internal_timeout;
  // `await` holds back every other message until the answer is in: no
  // request is served before the tenant's state is loaded, and none is
  // loaded before the predecessor has stored everything. Both have a
  // deadline: a stalled store or predecessor fails the activation (the
  // requests waiting are bounced, and their askers come back through the
  // registry) instead of freezing the mailbox.
  auto load = [self, store, id, timeout] {
    self->request(store, timeout, load_tenant{id})
      .await(
        [self](tenant_snapshot& snap) {
          if (activate(self, snap))
            take_page(self, snap.sessions);
        },
        [self](caf::error& err) { self->quit(std::move(err)); });
  };
  if (predecessor)
    self->request(predecessor, timeout, atom::passivate_v)
      .await([load](caf::ok_atom) { load(); },
             // Gone already: it stored everything before it stopped.
             [load](caf::error&) { load(); });
  else
    load();
  schedule_idle_check(self);
  return {
    [self](const open_session& msg) -> caf::result<session_grant> {
      auto& st = self->state;
      auto now = self->clock().now();
      if (auto err = st.refusal(msg.tenant, now))
        return err;
      // Sessions not yet swept count: they are still held.
      if (st.sessions.size() >= st.max_sessions())
        return make_error(errc::too_many_sessions);
      // 122 random bits: the store refuses the practically impossible
      // repeat.
      auto id = session_id::generate();
      st.sessions.emplace(id, session_record{now, now});
      schedule_sweep(self);
      auto rp = self->make_response_promise<session_grant>();
      self
        ->request(st.store, st.settings.internal_timeout,
                  store_session{st.config.id,
                                to_stored(st, id, *st.sessions.find(id))})
        .then(
          [self, rp, id](caf::ok_atom) mutable {
            self->state.series->sessions_created.Increment();
            self->state.count_sessions();
            auto& cfg = self->state.config;
            rp.deliver(
              session_grant{id.to_string(), cfg.id, cfg.name, cfg.welcome});
          },
          [self, rp, id](caf::error& err) mutable {
            self->state.sessions.erase(id);
            rp.deliver(is(err, errc::unknown_tenant)
                         ? std::move(err)
                         : make_error(errc::storage_failed));
          });
      return rp;
    },
    [self](const chat_request& msg) -> caf::result<chat_result> {
      auto& st = self->state;
      auto now = self->clock().now();
      if (auto err = st.refusal(msg.tenant, now))
        return err;
      auto id = msg.session;
      auto* session = st.sessions.find(id);
      if (session != nullptr && st.expired(*session, now)) {
        st.sessions.erase(id);
        st.series->sessions_expired.Increment();
        st.count_sessions();
        self->send(st.store, expire_sessions{{id}});
        return make_error(errc::unknown_session);
      }
      if (session == nullptr)
        return id == session_id::nil() ? make_error(errc::unknown_session)
                                       : not_ours(self, id);
      touch(self, id, *session, now);
      st.counters_changed = true;
      // Nothing rendered for a chat its answer could not wait for.
      auto max_wait = st.settings.replies.max_wait;
      if (st.reply_rate.backlog(now) > max_wait)
        return make_error(errc::reply_rate_exceeded);
      chat_result result;
      if (!st.admit(now, result.window)) {
        ++st.rate_limited;
        st.series->rate_limited.Increment();
        result.limited = true;
        return result;
      }
      // Bounded as sent (escaped): a config from the tenants file, or one
      // stored under other settings, was not checked against the bound.
      auto max = st.settings.replies.max_reply_bytes;
      auto reply = st.reply.render_within(st.config, text::strip(msg.message),
                                          max);
      auto bytes = reply ? text::json_escaped_size(*reply) : max + 1;
      if (bytes > max) {
        log::warning("tenant", "a reply exceeded MAX_REPLY_BYTES",
                     {{"tenant", st.config.id}});
        return make_error(errc::reply_too_large);
      }
      // A large reply can still wait too long (it counts in the chat
      // window, as one over MAX_REPLY_BYTES does).
      auto due = st.reply_rate.reserve(now, bytes, max_wait);
      if (!due)
        return make_error(errc::reply_rate_exceeded);
      ++st.chats;
      st.series->chats.Increment();
      result.reply = std::move(*reply);
      result.model = st.config.model;
      return answer_at(self, *due, std::move(result));
    },
    [self](atom::tenant) { return self->state.config; },
    [self](apply_config& msg) -> caf::result<tenant_stats> {
      if (!self->state.configure(std::move(msg.config)))
        return caf::make_error(caf::sec::runtime_error,
                               "reply template does not compile");
      return self->state.stats();
    },
    [self](const apply_status& msg) {
      self->state.status = msg.status;
      return self->state.stats();
    },
    [self](atom::stats) {
      sweep(self);
      return self->state.stats();
    },
    [self](atom::passivate) -> caf::result<caf::ok_atom> {
      auto& st = self->state;
      st.serving = false;
      // Admitted already: the last answers go now rather than be lost.
      send_paced(self, true);
      auto rp = self->make_response_promise<caf::ok_atom>();
      st.passivating.push_back(rp);
      if (st.passivating.size() > 1)
        return rp; // already on its way out
      send_touches(self);
      // The store answers in order: once this barrier is through, every
      // write sent before it (sessions, uses) is committed.
      self->request(st.store, st.settings.internal_timeout, caf::flush_atom_v)
        .then(
          [self](caf::ok_atom) {
            for (auto& p : self->state.passivating)
              p.deliver(caf::ok_atom::value);
            self->state.releasing = true;
            release_step(self);
          },
          [self](caf::error& err) {
            for (auto& p : self->state.passivating)
              p.deliver(err);
            self->quit(std::move(err));
          });
      return rp;
    },
    [self](atom::touch) {
      self->state.touch_scheduled = false;
      send_touches(self);
    },
    [self](atom::sweep) {
      auto& st = self->state;
      st.sweep_scheduled = false;
      if (st.sweeping || st.releasing)
        return; // a round is on its way; it schedules the next
      st.sweeping = true;
      st.sweep_at = {};
      sweep_step(self);
    },
    [self](atom::cleanup) {
      if (self->state.releasing)
        release_step(self);
      else if (self->state.sweeping)
        sweep_step(self);
    },
    [self](atom::pace) { send_paced(self, false); },
    [self](atom::idle) {
      check_idle(self);
      if (self->state.serving)
        schedule_idle_check(self);
    },
  };
}

} // namespace tenantd
