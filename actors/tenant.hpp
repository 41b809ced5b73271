#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <caf/actor_clock.hpp>

#include "actors/interfaces.hpp"
#include "core/circuit_breaker.hpp"
#include "core/reply_budget.hpp"
#include "core/reply_template.hpp"
#include "core/login_throttle.hpp"
#include "core/session_table.hpp"
#include "core/settings.hpp"
#include "core/tenant_identity.hpp"
#include "core/token_budget.hpp"
#include "crypto/password.hpp"
#include "metrics/metrics.hpp"
#include "util/fair_pool.hpp"

namespace tenantd {

/// What every tenant actor shares besides the store.
struct tenant_services {
  /// Runs password hashes and checks (Argon2id, tens of milliseconds and
  /// ~19 MiB each) off the actor threads, a fair share per tenant; full,
  /// it refuses (errc::hashing_busy). Null: the jobs run inline on the
  /// actor, only for tests under CAF's test coordinator, whose scheduler
  /// takes no message from another thread.
  std::shared_ptr<fair_pool> passwords;
  crypto::password_cost password_cost;
  /// A job still waiting on the pool after this is dropped unrun: its
  /// asker has given up (ASK_TIMEOUT_MS).
  caf::timespan password_wait = std::chrono::seconds{2};
  /// Failed logins of an account before each next waits; the longest wait.
  uint32_t login_free_failures = 5;
  std::chrono::seconds login_max_delay{900};
};

/// What a tenant keeps per session.
struct session_record {
  caf::actor_clock::time_point created;
  caf::actor_clock::time_point last_used;
  /// Used since its last use was sent to the store.
  bool touched = false;
  /// Whose it is (acting_principal::owner_tag); empty: anyone's who knows
  /// the id.
  std::string owner;
  /// The conversation with the tenant's upstream, oldest first: the
  /// newest turns within ai.history (turns and tokens), what the next chat
  /// can send. The whole conversation is in the store (session_messages).
  std::vector<chat_turn> history{};
  /// `history` holds the stored turns: true for a session opened by this
  /// actor; one loaded after a restart or a passivation reads its newest
  /// turns from the store before its first upstream chat.
  bool history_loaded = false;
};

/// An answer held back for the tenant's reply bandwidth until `due`.
struct paced_answer {
  caf::actor_clock::time_point due;
  caf::typed_response_promise<chat_result> promise;
  chat_result result;
};

/// A fixed 10-second window counting admitted chats.
struct chat_window {
  caf::actor_clock::time_point start{};
  uint32_t admitted = 0;
};

struct tenant_state {
  static constexpr const char* name = "tenant";
  static constexpr std::chrono::seconds window_length{10};
  /// Bounds on how often expired sessions, and idleness, are looked for.
  static constexpr std::chrono::milliseconds min_sweep_interval{100};
  static constexpr std::chrono::seconds max_sweep_interval{60};

  store_actor store;
  /// Told when the tenant has been idle for settings.tenant_idle.
  tenant_supervisor_actor supervisor;
  lifecycle_settings settings;
  /// This tenant's Prometheus series (owned by the process's metrics).
  metrics::tenant_series* series = nullptr;
  tenant_config config;
  tenant_status status = tenant_status::active;
  /// False once passivation began: every client request is then refused
  /// with errc::not_serving (and asked again of the registry).
  bool serving = true;
  reply_template reply;
  /// ai.system_prompt, compiled.
  reply_template system_prompt;
  session_table<session_record, 16> sessions;
  /// The tenant's users and API keys.
  tenant_identity identity;
  tenant_services services;
  /// Password jobs on the pool, by number, with what to do with the
  /// result (back on this actor).
  uint64_t next_job = 1;
  std::unordered_map<uint64_t, std::function<void(password_done&)>> jobs;
  /// Emails of users being created (hashing), taken already.
  std::unordered_set<std::string> pending_emails;
  /// Failed logins by case-folded email (known or not, so that throttling
  /// tells nothing of which emails exist).
  login_throttle failed_logins;
  /// Sessions a sweep or a release goes over in one turn: well under a
  /// millisecond each, so that a tenant with a million sessions never
  /// holds a shared actor thread for long (CAF runs up to
  /// max_throughput_per_turn such turns before the next actor).
  static constexpr std::size_t sessions_per_turn = 4096;
  /// A sweep round is running, a bounded step per turn; where it is.
  bool sweeping = false;
  decltype(sessions)::cursor sweep_at;
  /// Passivated and stored: the sessions are being freed, a bounded step
  /// per turn; the actor quits after the last.
  bool releasing = false;
  chat_window window;
  /// The reply bytes per second in force, and the answers held back for
  /// it, earliest due first (a reply is due no earlier than the one
  /// before it). At most a second's worth of bandwidth is held.
  reply_budget reply_rate;
  std::deque<paced_answer> paced;
  /// limits.tokens_per_minute, over the chats its upstream answers.
  token_budget tokens;
  /// One breaker per route of ai (0: ai itself, i + 1: ai.fallbacks[i]),
  /// begun afresh when the routes or ai.breaker change; `generation`
  /// counts those changes, so that a report on the old routes is ignored.
  std::vector<circuit_breaker> breakers;
  /// Starts at a random point (as reservation ids do): a report meant for
  /// the tenant's previous actor matches no generation here.
  uint64_t generation = random_generation();

  static uint64_t random_generation();
  uint64_t chats = 0;
  uint64_t rate_limited = 0;
  /// Sessions used (and counters changed) since the last touch to the store.
  std::vector<session_id> touched;
  bool counters_changed = false;
  bool touch_scheduled = false;
  bool sweep_scheduled = false;
  /// The last client request (or the activation).
  caf::actor_clock::time_point last_request{};
  /// The supervisor was told of the current idle spell.
  bool idle_reported = false;
  /// Askers of passivate, answered once the last state is stored.
  std::vector<caf::typed_response_promise<caf::ok_atom>> passivating;

  /// The session TTL in force: the tenant's own or the service's.
  caf::timespan session_ttl() const;

  /// The cap on live sessions in force: the tenant's own or the service's.
  std::size_t max_sessions() const;

  /// The reply bytes per second in force: the tenant's own or the
  /// service's (0: no limit).
  uint64_t reply_bytes_per_s() const;

  /// Whether `s` has gone unused for the TTL at `now`.
  bool expired(const session_record& s, caf::actor_clock::time_point now) const;

  /// Counts a chat at `now` against the window; fills `out` and returns
  /// whether the chat is admitted.
  bool admit(caf::actor_clock::time_point now, rate_window& out);

  /// Publishes the number of sessions held.
  void count_sessions();

  /// What to send the tenant's upstream for `message` in `session`: the
  /// routes whose breakers let a call go at `now` (none: `routes` empty),
  /// the rendered system prompt, as much history as ai.history allows
  /// (newest kept first), the message. Takes no breaker's trial.
  upstream_plan plan_upstream(const session_record& session,
                              std::string_view message,
                              caf::actor_clock::time_point now) const;

  /// A plan without messages: the routes whose breaker lets a call go at
  /// `now` (of those, with a `model`, the ones whose model it is), and the
  /// call's settings.
  upstream_plan plan_routes(caf::actor_clock::time_point now,
                            std::string_view model = {}) const;

  /// The models the routes serve, distinct, in route order; a mock
  /// tenant's `model`.
  std::vector<std::string> served_models() const;

  /// When a route may next be tried: the earliest of the routes' breakers.
  caf::actor_clock::time_point next_route_try(caf::actor_clock::time_point now) const;

  /// The tokens `plan` may spend at most: its prompt's bound and
  /// ai.max_tokens.
  static uint64_t tokens_needed(const upstream_plan& plan);

  /// Starts the call of `plan` at `now`: reserves `tokens` (already known
  /// to fit) and takes the trials of half-open breakers.
  void start_call(upstream_plan& plan, uint64_t tokens,
                  caf::actor_clock::time_point now);

  /// Settles a call's tokens, tells its routes' breakers how it went and
  /// counts it in the tenant's upstream metrics.
  void end_call(const chat_completed& report, caf::actor_clock::time_point now);

  /// The configured model of route `route` (0: ai itself).
  std::string route_model(uint32_t route) const;

  /// Sets the breaker-state metrics of the routes as they are at `now`.
  void publish_breakers(caf::actor_clock::time_point now);

  /// Adds `turn` to the session's history, dropping the oldest that
  /// ai.history no longer lets a chat send.
  void remember(session_record& session, chat_turn turn) const;

  /// Takes `cfg` as the config; false if its reply template or system
  /// prompt does not compile (the store never holds such a config).
  bool configure(tenant_config cfg);

  /// Why a client request naming tenant `tenant` is refused before
  /// anything else (another tenant's id, passivating, suspended,
  /// archived), or no error. Notes the request for idleness.
  caf::error refusal(const std::string& tenant,
                     caf::actor_clock::time_point now);

  /// The live figures.
  tenant_stats stats() const;
};

/// Serves one tenant: waits for `predecessor` (the tenant's previous actor,
/// still storing its last state after passivation; may be null) to finish,
/// then loads tenant `id` from the store and serves. Requests arriving
/// meanwhile wait in the mailbox. Quits with the error if loading fails or
/// takes longer than settings.internal_timeout.
/// @param supervisor Told when the tenant is idle (the registry).
/// @param series Receives the tenant's metrics; must outlive the actor.
tenant_actor::behavior_type
tenant(tenant_actor::stateful_pointer<tenant_state> self, store_actor store,
       tenant_supervisor_actor supervisor, std::string id,
       lifecycle_settings settings, tenant_actor predecessor,
       metrics::tenant_series* series, tenant_services services);

} // namespace tenantd
