#include "actors/tenant.hpp"

#include <algorithm>
#include <limits>
#include <variant>

#include <caf/all.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "core/clock.hpp"
#include "core/random.hpp"
#include "core/text.hpp"
#include "util/log.hpp"

namespace tenantd {

namespace {

using tenant_pointer = tenant_actor::stateful_pointer<tenant_state>;

stored_session to_stored(const tenant_state& st, const session_id& id,
                         const session_record& s) {
  auto last_used = to_unix_millis(s.last_used);
  return {id, to_unix_millis(s.created), last_used,
          last_used + to_millis(st.session_ttl()), s.owner};
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
  std::vector<key_use> key_uses;
  for (auto& [key, at] : st.identity.take_key_uses())
    key_uses.push_back({key, at});
  self->send(st.store, record_uses{st.config.id, std::move(used), st.chats,
                                   st.rate_limited, std::move(key_uses)});
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
  st.identity.load(std::move(snap.users), std::move(snap.keys));
  return true;
}

void load_sessions_after(tenant_pointer self, int64_t after);

// Takes a page of the tenant's sessions; asks for the next one, if any.
void take_page(tenant_pointer self, session_page& page) {
  auto& st = self->state;
  for (auto& s : page.sessions)
    st.sessions.emplace(s.id, session_record{from_unix_millis(s.created_at),
                                             from_unix_millis(s.last_used),
                                             false, std::move(s.owner)});
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

// limits.tokens_per_minute's window as the RateLimit fields show it.
rate_window token_window_of(const token_window_view& v) {
  auto clamp = [](uint64_t n) {
    return static_cast<uint32_t>(std::min<uint64_t>(n, UINT32_MAX));
  };
  return rate_window{clamp(v.limit),
                     static_cast<uint32_t>(token_budget::window_length.count()),
                     clamp(v.remaining), v.reset_seconds};
}

// Asks the store `msg` and answers with its answer, or storage_failed.
template <class Result, class Message>
caf::result<Result> from_store(tenant_pointer self, Message msg) {
  auto rp = self->make_response_promise<Result>();
  self
    ->request(self->state.store, self->state.settings.internal_timeout,
              std::move(msg))
    .then([rp](Result& r) mutable { rp.deliver(std::move(r)); },
          [rp](caf::error&) mutable {
            rp.deliver(make_error(errc::storage_failed));
          });
  return rp;
}

// Answers a request for a session this tenant does not hold: the store
// knows whether another tenant holds it (403) or nobody does (404).
template <class Result>
caf::result<Result> not_ours(tenant_pointer self, const session_id& id) {
  auto rp = self->make_response_promise<Result>();
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

// Sends the store an event with no change of its own (not acknowledged).
void audit(tenant_pointer self, const principal& who, std::string action,
           std::string target, std::string outcome) {
  auto& st = self->state;
  self->send(st.store,
             record_audit{make_audit_event(
               st.config.id, who, std::move(action), std::move(target),
               std::move(outcome), to_unix_millis(self->clock().now()))});
}

// The event a change by `who` to `target` leaves, with its changes (JSON
// text, secrets already left out).
audit_event change_event(tenant_pointer self, const principal& who,
                         std::string action, std::string target,
                         std::string changes) {
  auto e = make_audit_event(self->state.config.id, who, std::move(action),
                            std::move(target), "success",
                            to_unix_millis(self->clock().now()));
  e.changes = std::move(changes);
  return e;
}

// `who` as its tenant actor resolved it (`asker`: what acting() answered):
// an API key presented as is gets its id, and loses its digest.
principal as_resolved(principal who,
                      const std::variant<acting_principal, caf::error>& asker) {
  if (auto* a = std::get_if<acting_principal>(&asker)) {
    who.subject = a->subject;
    who.key_digest.clear();
  }
  return who;
}

// What a login attempt's audit event names: the email tried, if it is one
// (a password typed into the email field must not land in the trail).
std::string login_target(const std::string& email) {
  return email_problem(email) ? std::string{"email:(not an email)"}
                              : "email:" + email;
}

// Whether a merge patch (JSON text) touches only what a tenant's admins may
// change: name, welcome, model, reply, and of their AI route the provider,
// model, key, temperature, max_tokens and system prompt. Not limits,
// status or auth; nor where the upstream calls go (ai.base_url,
// ai.fallbacks: the platform alone decides which addresses the service
// calls), nor what costs the shared process memory or time
// (ai.history, the timeouts).
bool only_settings(const std::string& patch) {
  static constexpr std::string_view ai_settings[] = {
    "provider", "model", "api_key", "temperature", "max_tokens",
    "system_prompt"};
  boost::json::error_code ec;
  auto value = boost::json::parse(patch, ec);
  auto* obj = ec ? nullptr : value.if_object();
  if (obj == nullptr)
    return false;
  for (auto& [key, v] : *obj) {
    if (key == "ai") {
      auto* ai = v.if_object();
      if (ai == nullptr)
        return false;
      for (auto& member : *ai)
        if (std::find(std::begin(ai_settings), std::end(ai_settings),
                      member.key())
            == std::end(ai_settings))
          return false;
    } else if (key != "name" && key != "welcome" && key != "model"
               && key != "reply") {
      return false;
    }
  }
  return true;
}

// Asks the registry `msg` as this tenant's actor (the registry takes a
// tenant admin's settings requests from it only) and answers with what it
// says. Not delegated: the registry must see this actor as the sender.
template <class Message>
caf::result<tenant_record> via_registry(tenant_pointer self, Message msg) {
  auto rp = self->make_response_promise<tenant_record>();
  self
    ->request(self->state.supervisor, self->state.settings.internal_timeout,
              std::move(msg))
    .then([rp](tenant_record& rec) mutable { rp.deliver(std::move(rec)); },
          [rp](caf::error& err) mutable { rp.deliver(std::move(err)); });
  return rp;
}

// What the audit trail shows of a user (never its hash).
std::string user_fields(const stored_user& u) {
  return "{\"email\":" + boost::json::serialize(boost::json::value(u.email))
         + ",\"role\":\"" + std::string{to_string(u.role)}
         + "\",\"disabled\":" + (u.disabled ? "true" : "false") + "}";
}

// What `who` is in this tenant if it may do `action`, else the refusal.
// A credential is resolved before anything else is looked at, so that no
// other tenant's credential learns anything here.
std::variant<acting_principal, caf::error>
acting(tenant_pointer self, const principal& who, tenant_action action) {
  auto& st = self->state;
  auto resolved = st.identity.resolve(who, st.config.id,
                                      to_unix_millis(self->clock().now()));
  if (auto* code = std::get_if<errc>(&resolved)) {
    if (*code == errc::foreign_credential)
      audit(self, who, "access.cross_tenant", "tenant:" + st.config.id,
            "denied");
    return make_error(*code);
  }
  auto& actor = std::get<acting_principal>(resolved);
  if (!permits(actor, action, st.config.auth))
    return make_error(actor.kind == principal_kind::anonymous
                        ? errc::authentication_required
                        : errc::insufficient_role);
  if (actor.kind == principal_kind::api_key) {
    st.identity.note_key_use(actor.subject,
                             to_unix_millis(self->clock().now()));
    schedule_touch(self);
  }
  return actor;
}

// The tenant checks, then `who` resolved for `action`: what a request
// about `tenant`'s users, keys, settings or audit trail does first.
std::variant<acting_principal, caf::error>
admitted(tenant_pointer self, const std::string& tenant, const principal& who,
         tenant_action action) {
  if (auto err = self->state.refusal(tenant, self->clock().now()))
    return err;
  return acting(self, who, action);
}

// Runs `work` (a password hash or check: it blocks for tens of
// milliseconds) on the password pool, in this tenant's share; `then` runs
// on this actor with the result. False, running nothing, if the pool's
// queue (or this tenant's share of it) is full.
bool on_password_pool(tenant_pointer self,
                      std::function<password_done()> work,
                      std::function<void(password_done&)> then) {
  auto& st = self->state;
  auto job = st.next_job++;
  tenant_actor me = self;
  if (!st.services.passwords) {
    // No pool: inline, for deterministic tests under CAF's test coordinator
    // (tenant_services).
    st.jobs.emplace(job, std::move(then));
    auto done = work();
    done.job = job;
    self->send(me, std::move(done));
    return true;
  }
  auto give_up = std::chrono::steady_clock::now() + st.services.password_wait;
  bool taken = st.services.passwords->submit(
    st.config.id, [me, job, give_up, work = std::move(work)] {
      password_done done;
      if (std::chrono::steady_clock::now() < give_up)
        done = work();
      else
        done.expired = true;
      done.job = job;
      caf::anon_send(me, std::move(done));
    });
  if (taken)
    st.jobs.emplace(job, std::move(then));
  return taken;
}

// The pool job that hashes a new password at `cost`.
std::function<password_done()> hash_job(std::string password,
                                        crypto::password_cost cost) {
  return [password = std::move(password), cost] {
    password_done done;
    done.hash = crypto::hash_password(password, cost);
    return done;
  };
}

// Stores `user` (fresh: a new one) and answers `rp` with its record once
// committed.
template <class Promise, class OnStored>
void store_user_then(tenant_pointer self, stored_user user, bool fresh,
                     audit_event event, Promise rp, OnStored on_stored) {
  auto& st = self->state;
  self
    ->request(st.store, st.settings.internal_timeout,
              store_user{st.config.id, user, fresh, std::move(event)})
    .then(
      [self, user, rp, on_stored](caf::ok_atom) mutable {
        self->state.identity.put(user);
        on_stored(user, rp);
      },
      [self, user, rp](caf::error& err) mutable {
        self->state.pending_emails.erase(user.email_key);
        rp.deliver(is(err, errc::duplicate_email) ? std::move(err)
                                                  : make_error(errc::storage_failed));
      });
}

// Answers ok once the store's `removal` is committed; if it fails, runs
// `undo` (what was removed from memory comes back) and answers
// errc::storage_failed: nothing was changed.
template <class Handle, class Undo>
caf::result<caf::ok_atom> undo_on_failure(tenant_pointer self, Handle removal,
                                          Undo undo) {
  auto rp = self->make_response_promise<caf::ok_atom>();
  removal.then([rp](caf::ok_atom) mutable { rp.deliver(caf::ok_atom::value); },
               [rp, undo](caf::error&) mutable {
                 undo();
                 rp.deliver(make_error(errc::storage_failed));
               });
  return rp;
}

// Answers whether `password` opens `user` (null: unknown email, checked
// against a dummy hash so that it costs the same), rehashing at the
// current cost when the stored one is weaker. Audited either way; `asker`
// says where the attempt came from.
caf::result<principal> check_login(tenant_pointer self,
                                   const stored_user* user,
                                   std::string email, std::string password,
                                   principal asker) {
  auto& st = self->state;
  auto cost = st.services.password_cost;
  // Empty: the dummy hash, made (once per cost) on the pool, not here.
  std::string hash = user ? user->password_hash : std::string{};
  bool usable = user != nullptr && !user->disabled;
  std::string id = user ? user->id : std::string{};
  auto rp = self->make_response_promise<principal>();
  bool taken = on_password_pool(
    self,
    [hash, password = std::move(password), cost, usable] {
      password_done done;
      auto& against = hash.empty() ? crypto::dummy_hash(cost) : hash;
      done.matched = crypto::verify_password(against, password) && usable;
      if (done.matched && crypto::needs_rehash(hash, cost))
        done.hash = crypto::hash_password(password, cost);
      return done;
    },
    [self, rp, id, email = std::move(email),
     asker = std::move(asker)](password_done& done) mutable {
      auto& st = self->state;
      if (done.expired) {
        rp.deliver(make_error(errc::hashing_busy));
        return;
      }
      auto* u = st.identity.user(id);
      if (!done.matched || u == nullptr || u->disabled) {
        st.failed_logins.failed(email_key(email), self->clock().now());
        audit(self, asker, "login.failed", login_target(email), "failure");
        rp.deliver(make_error(errc::login_failed));
        return;
      }
      principal who;
      who.kind = principal_kind::user;
      who.tenant = st.config.id;
      who.subject = u->id;
      who.role = u->role;
      st.failed_logins.succeeded(email_key(email));
      auto as_user = who;
      as_user.request_id = asker.request_id;
      as_user.source = asker.source;
      audit(self, as_user, "login.succeeded", "user:" + u->id, "success");
      if (!done.hash.empty()) {
        auto rehashed = *u;
        rehashed.password_hash = std::move(done.hash);
        // The login stands with the old hash if this fails.
        self
          ->request(st.store, st.settings.internal_timeout,
                    store_user{st.config.id, rehashed, false, {}})
          .then([](caf::ok_atom) {}, [](caf::error&) {});
        st.identity.put(std::move(rehashed));
      }
      rp.deliver(std::move(who));
    });
  if (!taken)
    rp.deliver(make_error(errc::hashing_busy));
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
  auto prompt = reply_template::compile(cfg.ai.system_prompt);
  if (!std::holds_alternative<reply_template>(prompt))
    return false;
  reply = std::move(std::get<reply_template>(compiled));
  system_prompt = std::move(std::get<reply_template>(prompt));
  // New routes, or new breaker settings, start with closed breakers.
  auto same_routes = [](const ai_config& a, const ai_config& b) {
    return a.upstream == b.upstream && a.fallbacks == b.fallbacks
           && a.breaker == b.breaker;
  };
  if (breakers.empty() || !same_routes(config.ai, cfg.ai)) {
    ++generation;
    auto& b = cfg.ai.breaker;
    breakers.assign(cfg.ai.fallbacks.size() + 1,
                    circuit_breaker{b.failures,
                                    std::chrono::milliseconds{b.cooldown_ms}});
  }
  tokens.set_limit(cfg.limits.tokens_per_minute);
  config = std::move(cfg);
  // A burst of a second's worth, and never less than the largest reply,
  // which could otherwise never be sent.
  if (auto rate = reply_bytes_per_s(); rate != reply_rate.bytes_per_s())
    reply_rate = reply_budget{
      rate, std::max<uint64_t>(rate, settings.replies.max_reply_bytes)};
  return true;
}

// -- the sessions a request names ---------------------------------------------

namespace {

/// The tenant does not hold the session: the store says whose it is.
struct not_held {};

// The live session `id` that `who` may use for a client request naming
// tenant `tenant` at `now`, after the tenant's refusals and the
// principal's checks; an expired one is ended here. The session's owner
// may use it (anyone, if it has none); with `admins_too`, so may the
// tenant's admins and the platform admin.
std::variant<caf::error, not_held, session_record*>
held_session(tenant_pointer self, const std::string& tenant,
             const principal& who, const session_id& id,
             caf::actor_clock::time_point now, bool admins_too) {
  auto& st = self->state;
  if (auto err = st.refusal(tenant, now))
    return err;
  auto asker = acting(self, who, tenant_action::use_sessions);
  if (auto* err = std::get_if<caf::error>(&asker))
    return std::move(*err);
  auto* session = st.sessions.find(id);
  if (session != nullptr && st.expired(*session, now)) {
    st.sessions.erase(id);
    st.series->sessions_expired.Increment();
    st.count_sessions();
    self->send(st.store, expire_sessions{{id}});
    return make_error(errc::unknown_session);
  }
  if (session == nullptr) {
    if (id == session_id::nil())
      return make_error(errc::unknown_session);
    return not_held{};
  }
  auto& acting_as = std::get<acting_principal>(asker);
  bool admin = acting_as.kind == principal_kind::platform_admin
               || (acting_as.kind != principal_kind::anonymous
                   && acting_as.role == tenant_role::admin);
  if (!session->owner.empty() && session->owner != acting_as.owner_tag()
      && !(admins_too && admin))
    return make_error(errc::foreign_principal);
  return session;
}

// An admitted upstream call of `plan`: a route whose breaker lets it go,
// room for its tokens (neither counts the chat in the chat window), the
// chat window, then the plan, its tokens reserved. With `drop_history`,
// the turns between the system prompt and the last go, oldest first,
// when the whole could never fit the limit.
caf::expected<chat_result> admit_upstream(tenant_pointer self,
                                          upstream_plan plan,
                                          bool drop_history,
                                          caf::actor_clock::time_point now) {
  auto& st = self->state;
  chat_result result;
  if (plan.routes.empty()) {
    auto wait = st.next_route_try(now) - now;
    auto seconds = std::chrono::ceil<std::chrono::seconds>(wait).count();
    return make_wait_error(errc::upstream_circuit_open,
                           static_cast<uint32_t>(std::max<int64_t>(seconds, 1)));
  }
  auto needed = tenant_state::tokens_needed(plan);
  auto limit = st.tokens.limit();
  // The oldest history goes first when the whole chat could never fit the
  // limit; 413 only if the system prompt, the message and ai.max_tokens
  // alone are over it.
  auto& turns = plan.messages;
  std::ptrdiff_t first_past = turns.front().role == "system" ? 1 : 0;
  while (drop_history && limit != 0 && needed > limit
         && first_past + 1 < static_cast<std::ptrdiff_t>(turns.size())) {
    turns.erase(turns.begin() + first_past);
    needed = tenant_state::tokens_needed(plan);
  }
  if (limit != 0 && needed > limit)
    return make_error(errc::chat_exceeds_token_limit);
  bool fits = st.tokens.fits(now, needed);
  result.tokens = token_window_of(st.tokens.view(now));
  if (!fits || !st.admit(now, result.window)) {
    ++st.rate_limited;
    st.series->rate_limited.Increment();
    result.limited = true;
    result.tokens_limited = !fits;
    return result;
  }
  ++st.chats;
  st.series->chats.Increment();
  st.start_call(plan, needed, now);
  result.tokens = token_window_of(st.tokens.view(now));
  result.upstream = true;
  result.plan = std::move(plan);
  return result;
}

// An admitted upstream chat of `session`: its plan (system prompt,
// history, message) admitted.
caf::expected<chat_result> upstream_chat(tenant_pointer self,
                                         session_record& session,
                                         std::string_view message,
                                         caf::actor_clock::time_point now) {
  return admit_upstream(self, self->state.plan_upstream(session, message, now),
                        true, now);
}

// The mock's reply to `message`, admitted by the chat window and paced by
// the reply bandwidth.
caf::result<chat_result> mock_chat(tenant_pointer self,
                                   std::string_view message,
                                   caf::actor_clock::time_point now) {
  auto& st = self->state;
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
  auto reply = st.reply.render_within(st.config, message, max);
  auto bytes = reply ? text::json_escaped_size(*reply) : max + 1;
  if (bytes > max) {
    log::warning("tenant", "a reply exceeded MAX_REPLY_BYTES",
                 {{"tenant", st.config.id}});
    return make_error(errc::reply_too_large);
  }
  // A large reply can still wait too long (it counts in the chat
  // window, as one over MAX_REPLY_BYTES does).
  auto due = st.reply_rate.reserve(now, bytes, st.settings.replies.max_wait);
  if (!due)
    return make_error(errc::reply_rate_exceeded);
  ++st.chats;
  st.series->chats.Increment();
  result.reply = std::move(*reply);
  result.model = st.config.model;
  return answer_at(self, *due, std::move(result));
}

} // namespace

tenant_actor::behavior_type
tenant(tenant_pointer self, store_actor store,
       tenant_supervisor_actor supervisor, std::string id,
       lifecycle_settings settings, tenant_actor predecessor,
       metrics::tenant_series* series, tenant_services services) {
  auto& init = self->state;
  init.services = std::move(services);
  init.failed_logins = login_throttle{init.services.login_free_failures,
                                      init.services.login_max_delay};
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
      auto asker = acting(self, msg.who, tenant_action::use_sessions);
      if (auto* err = std::get_if<caf::error>(&asker))
        return std::move(*err);
      // Sessions not yet swept count: they are still held.
      if (st.sessions.size() >= st.max_sessions())
        return make_error(errc::too_many_sessions);
      // 122 random bits: the store refuses the practically impossible
      // repeat.
      auto id = session_id::generate();
      st.sessions.emplace(
        id, session_record{now, now, false,
                           std::get<acting_principal>(asker).owner_tag(), {},
                           true});
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
      auto held = held_session(self, msg.tenant, msg.who, msg.session, now,
                               false);
      if (auto* err = std::get_if<caf::error>(&held))
        return std::move(*err);
      if (std::holds_alternative<not_held>(held))
        return not_ours<chat_result>(self, msg.session);
      auto id = msg.session;
      auto* session = std::get<session_record*>(held);
      touch(self, id, *session, now);
      st.counters_changed = true;
      // Nothing rendered for a chat its answer could not wait for.
      auto max_wait = st.settings.replies.max_wait;
      if (st.reply_rate.backlog(now) > max_wait)
        return make_error(errc::reply_rate_exceeded);
      auto message = text::strip(msg.message);
      if (st.config.ai.provider == ai_provider::openai) {
        if (session->history_loaded)
          return upstream_chat(self, *session, message, now);
        // After a restart or a passivation: the newest stored turns first.
        auto rp = self->make_response_promise<chat_result>();
        self
          ->request(st.store, st.settings.internal_timeout,
                    load_messages{st.config.id, id, 0,
                                  st.config.ai.history.turns, true})
          .then(
            [self, rp, id, message = std::string{message}](
              message_page& page) mutable {
              auto& st = self->state;
              // Suspended, archived or passivating meanwhile: refused now.
              if (auto err = st.refusal(st.config.id, self->clock().now())) {
                rp.deliver(std::move(err));
                return;
              }
              auto* s = st.sessions.find(id);
              if (s == nullptr) {
                rp.deliver(make_error(errc::unknown_session));
                return;
              }
              if (!s->history_loaded) {
                for (auto& m : page.messages)
                  st.remember(*s, {std::move(m.role), std::move(m.content)});
                s->history_loaded = true;
              }
              auto r = upstream_chat(self, *s, message, self->clock().now());
              if (r)
                rp.deliver(std::move(*r));
              else
                rp.deliver(std::move(r.error()));
            },
            [rp](caf::error&) mutable {
              rp.deliver(make_error(errc::storage_failed));
            });
        return rp;
      }
      return mock_chat(self, message, now);
    },
    [self](completion_request& msg) -> caf::result<chat_result> {
      auto& st = self->state;
      auto now = self->clock().now();
      auto asker = admitted(self, msg.tenant, msg.who,
                            tenant_action::use_sessions);
      if (auto* err = std::get_if<caf::error>(&asker))
        return std::move(*err);
      auto models = st.served_models();
      if (std::find(models.begin(), models.end(), msg.model) == models.end())
        return make_error(errc::unknown_model);
      if (st.reply_rate.backlog(now) > st.settings.replies.max_wait)
        return make_error(errc::reply_rate_exceeded);
      if (st.config.ai.provider != ai_provider::openai) {
        // The mock answers the last user turn (the HTTP layer checked
        // there is one).
        std::string_view last;
        for (auto& turn : msg.messages)
          if (turn.role == "user")
            last = turn.content;
        return mock_chat(self, text::strip(last), now);
      }
      auto plan = st.plan_routes(now, msg.model);
      if (msg.max_tokens != 0)
        plan.max_tokens = std::min(plan.max_tokens, msg.max_tokens);
      if (msg.temperature >= 0)
        plan.temperature = msg.temperature;
      auto prompt = st.system_prompt.render(st.config, {});
      if (!prompt.empty())
        plan.messages.push_back({"system", std::move(prompt)});
      for (auto& turn : msg.messages)
        plan.messages.push_back(std::move(turn));
      auto r = admit_upstream(self, std::move(plan), false, now);
      if (!r)
        return std::move(r.error());
      return std::move(*r);
    },
    [self](const list_models& msg) -> caf::result<model_list> {
      auto asker = admitted(self, msg.tenant, msg.who,
                            tenant_action::use_sessions);
      if (auto* err = std::get_if<caf::error>(&asker))
        return std::move(*err);
      return model_list{self->state.served_models()};
    },
    [self](chat_completed& msg) {
      auto& st = self->state;
      if (msg.tenant != st.config.id)
        return;
      auto now = self->clock().now();
      st.end_call(msg, now);
      auto* session = st.sessions.find(msg.session);
      if (!msg.failure.empty() || session == nullptr)
        return;
      auto at = to_unix_millis(now);
      std::vector<stored_message> turns{
        {0, at, "user", msg.message, msg.prompt_tokens, msg.estimated, {}},
        {0, at, "assistant", msg.reply, msg.completion_tokens, msg.estimated,
         msg.model}};
      self->send(st.store, store_messages{st.config.id, msg.session,
                                          std::move(turns)});
      st.remember(*session, {"user", std::move(msg.message)});
      st.remember(*session, {"assistant", std::move(msg.reply)});
    },
    [self](const read_messages& msg) -> caf::result<message_page> {
      auto& st = self->state;
      auto held = held_session(self, msg.tenant, msg.who, msg.session,
                               self->clock().now(), true);
      if (auto* err = std::get_if<caf::error>(&held))
        return std::move(*err);
      if (std::holds_alternative<not_held>(held))
        return not_ours<message_page>(self, msg.session);
      return from_store<message_page>(
        self, load_messages{st.config.id, msg.session, msg.after, msg.limit,
                            false});
    },
    [self](const delete_messages& msg) -> caf::result<caf::ok_atom> {
      auto& st = self->state;
      auto held = held_session(self, msg.tenant, msg.who, msg.session,
                               self->clock().now(), true);
      if (auto* err = std::get_if<caf::error>(&held))
        return std::move(*err);
      if (std::holds_alternative<not_held>(held))
        return not_ours<caf::ok_atom>(self, msg.session);
      auto* session = std::get<session_record*>(held);
      session->history.clear();
      session->history_loaded = true;
      return from_store<caf::ok_atom>(self,
                                      clear_messages{st.config.id, msg.session});
    },
    [self](create_user& msg) -> caf::result<user_record> {
      auto& st = self->state;
      auto asker = admitted(self, msg.tenant, msg.who, tenant_action::manage_users);
      if (auto* err = std::get_if<caf::error>(&asker))
        return std::move(*err);
      auto key = email_key(msg.email);
      if (st.identity.user_by_email(msg.email) != nullptr
          || st.pending_emails.count(key) != 0)
        return make_error(errc::duplicate_email);
      auto now = to_unix_millis(self->clock().now());
      stored_user user;
      user.id = make_identity_id("usr_");
      user.email = std::move(msg.email);
      user.email_key = key;
      user.role = msg.role;
      user.created_at = now;
      user.updated_at = now;
      auto rp = self->make_response_promise<user_record>();
      bool taken = on_password_pool(
        self, hash_job(std::move(msg.password), st.services.password_cost),
        [self, rp, user,
         who = as_resolved(msg.who, asker)](password_done& done) mutable {
          if (done.expired) {
            self->state.pending_emails.erase(user.email_key);
            rp.deliver(make_error(errc::hashing_busy));
            return;
          }
          user.password_hash = std::move(done.hash);
          auto event = change_event(self, who, "user.created",
                                    "user:" + user.id,
                                    "{\"after\":" + user_fields(user) + "}");
          store_user_then(self, std::move(user), true, std::move(event), rp,
                          [self](const stored_user& u, auto& rp) {
                            self->state.pending_emails.erase(u.email_key);
                            rp.deliver(to_record(u));
                          });
        });
      // The promise is made: the refusal goes through it.
      if (!taken)
        rp.deliver(make_error(errc::hashing_busy));
      else
        st.pending_emails.insert(key);
      return rp;
    },
    [self](const list_users& msg) -> caf::result<user_page> {
      auto& st = self->state;
      auto asker = admitted(self, msg.tenant, msg.who, tenant_action::manage_users);
      if (auto* err = std::get_if<caf::error>(&asker))
        return std::move(*err);
      return st.identity.users(msg.offset, msg.limit);
    },
    [self](const read_user& msg) -> caf::result<user_record> {
      auto& st = self->state;
      if (auto err = st.refusal(msg.tenant, self->clock().now()))
        return err;
      // A member may read itself.
      auto asker = acting(self, msg.who, tenant_action::use_sessions);
      if (auto* err = std::get_if<caf::error>(&asker))
        return std::move(*err);
      auto& me = std::get<acting_principal>(asker);
      bool self_read = me.kind == principal_kind::user && me.subject == msg.user;
      if (!self_read && !permits(me, tenant_action::manage_users, st.config.auth))
        return make_error(errc::insufficient_role);
      auto* u = st.identity.user(msg.user);
      if (u == nullptr)
        return make_error(errc::unknown_user);
      return to_record(*u);
    },
    [self](update_user& msg) -> caf::result<user_record> {
      auto& st = self->state;
      auto asker = admitted(self, msg.tenant, msg.who, tenant_action::manage_users);
      if (auto* err = std::get_if<caf::error>(&asker))
        return std::move(*err);
      auto* found = st.identity.user(msg.user);
      if (found == nullptr)
        return make_error(errc::unknown_user);
      auto user = *found;
      auto before = user_fields(user);
      if (msg.set_role)
        user.role = msg.role;
      if (msg.set_disabled)
        user.disabled = msg.disabled;
      user.updated_at = to_unix_millis(self->clock().now());
      auto rp = self->make_response_promise<user_record>();
      auto answer = [](const stored_user& u, auto& rp) {
        rp.deliver(to_record(u));
      };
      // The password itself never: only that it changed.
      auto event = change_event(
        self, as_resolved(msg.who, asker), "user.changed", "user:" + user.id,
        "{\"before\":" + before + ",\"after\":" + user_fields(user)
          + (msg.password.empty() ? "" : ",\"password\":\"changed\"") + "}");
      if (msg.password.empty()) {
        store_user_then(self, std::move(user), false, std::move(event), rp,
                        answer);
        return rp;
      }
      bool taken = on_password_pool(
        self, hash_job(std::move(msg.password), st.services.password_cost),
        [self, rp, user, answer, event](password_done& done) mutable {
          if (done.expired) {
            rp.deliver(make_error(errc::hashing_busy));
            return;
          }
          user.password_hash = std::move(done.hash);
          store_user_then(self, std::move(user), false, std::move(event), rp,
                          answer);
        });
      if (!taken)
        rp.deliver(make_error(errc::hashing_busy));
      return rp;
    },
    [self](const delete_user& msg) -> caf::result<caf::ok_atom> {
      auto& st = self->state;
      auto asker = admitted(self, msg.tenant, msg.who, tenant_action::manage_users);
      if (auto* err = std::get_if<caf::error>(&asker))
        return std::move(*err);
      auto* gone = st.identity.user(msg.user);
      if (gone == nullptr)
        return make_error(errc::unknown_user);
      auto event = change_event(self, as_resolved(msg.who, asker), "user.deleted",
                                "user:" + msg.user,
                                "{\"before\":" + user_fields(*gone) + "}");
      // Gone from memory at once: its tokens open nothing from now on, even
      // before the delete is committed; back if the delete fails.
      auto kept = *gone;
      st.identity.erase_user(msg.user);
      return undo_on_failure(
        self,
        self->request(st.store, st.settings.internal_timeout,
                      remove_user{st.config.id, msg.user, std::move(event)}),
        [self, kept] { self->state.identity.put(kept); });
    },
    [self](const create_api_key& msg) -> caf::result<api_key_record> {
      auto& st = self->state;
      auto asker = admitted(self, msg.tenant, msg.who, tenant_action::manage_keys);
      if (auto* err = std::get_if<caf::error>(&asker))
        return std::move(*err);
      stored_api_key key;
      key.id = make_identity_id("key_");
      key.name = msg.name;
      key.role = msg.role;
      key.prefix = msg.prefix;
      key.digest = msg.digest;
      key.created_at = to_unix_millis(self->clock().now());
      key.expires_at = msg.expires_at;
      auto rp = self->make_response_promise<api_key_record>();
      auto event = change_event(
        self, as_resolved(msg.who, asker), "key.created", "key:" + key.id,
        "{\"after\":{\"name\":" + boost::json::serialize(boost::json::value(key.name))
          + ",\"role\":\"" + std::string{to_string(key.role)}
          + "\",\"prefix\":\"" + key.prefix + "\",\"expires_at\":"
          + std::to_string(key.expires_at) + "}}");
      self
        ->request(st.store, st.settings.internal_timeout,
                  store_api_key{st.config.id, key, std::move(event)})
        .then(
          [self, rp, key](caf::ok_atom) mutable {
            self->state.identity.put(key);
            rp.deliver(to_record(key));
          },
          [rp](caf::error& err) mutable {
            rp.deliver(is(err, errc::unknown_tenant)
                         ? std::move(err)
                         : make_error(errc::storage_failed));
          });
      return rp;
    },
    [self](const list_api_keys& msg) -> caf::result<api_key_page> {
      auto& st = self->state;
      auto asker = admitted(self, msg.tenant, msg.who, tenant_action::manage_keys);
      if (auto* err = std::get_if<caf::error>(&asker))
        return std::move(*err);
      return st.identity.keys(msg.offset, msg.limit);
    },
    [self](const revoke_api_key& msg) -> caf::result<caf::ok_atom> {
      auto& st = self->state;
      auto asker = admitted(self, msg.tenant, msg.who, tenant_action::manage_keys);
      if (auto* err = std::get_if<caf::error>(&asker))
        return std::move(*err);
      auto* revoked = st.identity.key(msg.key);
      if (revoked == nullptr)
        return make_error(errc::unknown_api_key);
      auto kept = *revoked;
      auto event = change_event(self, as_resolved(msg.who, asker), "key.revoked",
                                "key:" + msg.key,
                                "");
      // Refused from this message on, before the delete is committed; back
      // if the delete fails.
      st.identity.erase_key(msg.key);
      return undo_on_failure(
        self,
        self->request(st.store, st.settings.internal_timeout,
                      remove_api_key{st.config.id, msg.key, std::move(event)}),
        [self, kept] { self->state.identity.put(kept); });
    },
    [self](login_request& msg) -> caf::result<principal> {
      auto& st = self->state;
      if (auto err = st.refusal(msg.tenant, self->clock().now()))
        return err;
      if (auto wait = st.failed_logins.wait(email_key(msg.email),
                                            self->clock().now())) {
        audit(self, msg.who, "login.throttled", login_target(msg.email),
              "denied");
        return make_wait_error(errc::login_throttled, wait);
      }
      auto* user = st.identity.user_by_email(msg.email);
      return check_login(self, user, std::move(msg.email),
                         std::move(msg.password), std::move(msg.who));
    },
    [self](const authenticate& msg) -> caf::result<principal> {
      auto& st = self->state;
      auto asker = admitted(self, msg.tenant, msg.who, tenant_action::use_sessions);
      if (auto* err = std::get_if<caf::error>(&asker))
        return std::move(*err);
      auto& me = std::get<acting_principal>(asker);
      if (!msg.who.of_a_tenant())
        return make_error(errc::invalid_credential);
      principal who;
      who.kind = me.kind;
      who.tenant = st.config.id;
      who.subject = me.subject;
      who.role = me.role;
      return who;
    },
    [self](const read_settings& msg) -> caf::result<tenant_record> {
      auto& st = self->state;
      auto asker = admitted(self, msg.tenant, msg.who, tenant_action::read_settings);
      if (auto* err = std::get_if<caf::error>(&asker))
        return std::move(*err);
      return via_registry(self, read_tenant{st.config.id,
                                            as_resolved(msg.who, asker)});
    },
    [self](const change_settings& msg) -> caf::result<tenant_record> {
      auto& st = self->state;
      auto asker = admitted(self, msg.tenant, msg.who, tenant_action::change_settings);
      if (auto* err = std::get_if<caf::error>(&asker))
        return std::move(*err);
      if (!only_settings(msg.patch))
        return make_error(errc::insufficient_role);
      return via_registry(self, update_tenant{st.config.id, msg.patch,
                                              as_resolved(msg.who, asker)});
    },
    [self](read_audit& msg) -> caf::result<audit_page> {
      auto& st = self->state;
      auto asker = admitted(self, msg.tenant, msg.who, tenant_action::read_audit);
      if (auto* err = std::get_if<caf::error>(&asker))
        return std::move(*err);
      msg.filter.tenant = st.config.id;
      msg.filter.every_chain = false;
      return self->delegate(st.store, query_audit{std::move(msg.filter)});
    },
    [self](const verify_audit& msg) -> caf::result<audit_verdict> {
      auto& st = self->state;
      auto asker = admitted(self, msg.tenant, msg.who, tenant_action::read_audit);
      if (auto* err = std::get_if<caf::error>(&asker))
        return std::move(*err);
      return self->delegate(st.store, check_audit_chain{st.config.id});
    },
    [self](password_done& msg) {
      auto& jobs = self->state.jobs;
      auto i = jobs.find(msg.job);
      if (i == jobs.end())
        return;
      auto then = std::move(i->second);
      jobs.erase(i);
      then(msg);
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
