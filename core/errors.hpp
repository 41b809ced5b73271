#pragma once

// The domain's error codes. Actors answer with these (actors/errors.hpp
// carries them in CAF errors); http/ maps them to status codes.

#include <cstdint>
#include <string>

namespace tenantd {

enum class errc : uint8_t {
  /// No tenant with that id.
  unknown_tenant = 1,
  /// No live session with that id.
  unknown_session,
  /// The session exists but was issued to another tenant.
  foreign_session,
  /// A tenant with that id exists already.
  duplicate_tenant,
  /// A tenant config that cannot serve (bad id or reply template).
  invalid_config,
  /// The tenant's actor kept failing and is no longer restarted.
  tenant_unavailable,
  /// The tenant is suspended: no sessions or chats until it is resumed.
  tenant_suspended,
  /// The tenant is archived: it cannot be changed any more.
  tenant_archived,
  /// The store could not commit or read; nothing was acknowledged.
  storage_failed,
  /// The principal may not do this.
  permission_denied,
  /// This tenant actor does not serve the tenant (any more): it is being
  /// passivated, or the message named another tenant. Nothing was done;
  /// the asker should ask the registry for the tenant's actor again.
  not_serving,
  /// The reply would exceed MAX_REPLY_BYTES (a config stored under other
  /// settings: new configs are refused if it could); nothing was sent.
  reply_too_large,
  /// The tenant holds as many live sessions as it may (limits.max_sessions,
  /// else MAX_SESSIONS_PER_TENANT); nothing was created.
  too_many_sessions,
  /// The tenant's replies are more than a second (the longest pacing wait)
  /// ahead of its bytes per second (limits.reply_bytes_per_s, else
  /// TENANT_REPLY_BYTES_PER_S); nothing was sent.
  reply_rate_exceeded,
  /// The tenant requires credentials and none were sent.
  authentication_required,
  /// The credential opens nothing (any more): an unknown, revoked or
  /// expired key, a deleted or disabled user.
  invalid_credential,
  /// The credential is another tenant's.
  foreign_credential,
  /// The credential's role may not do this.
  insufficient_role,
  /// The session was opened by another principal.
  foreign_principal,
  /// No such user in the tenant.
  unknown_user,
  /// No such API key in the tenant.
  unknown_api_key,
  /// A user with that email (case-insensitively) exists in the tenant.
  duplicate_email,
  /// Wrong email or password (never which).
  login_failed,
  /// The password pool's queue is full; nothing was done.
  hashing_busy,
  /// Too many failed logins in a row for the account or the address; the
  /// error carries the seconds to wait (wait_of).
  login_throttled,
  /// Every route of the tenant's AI upstream has its circuit breaker open
  /// (ai.breaker); the error carries the seconds until one may be tried
  /// (wait_of). Nothing was sent.
  upstream_circuit_open,
  /// The chat's token reservation (its prompt's bound and ai.max_tokens)
  /// is larger than limits.tokens_per_minute: it could never be admitted.
  chat_exceeds_token_limit,
  /// A completion asked for a model none of the tenant's routes serves.
  unknown_model,
};

/// The code's name, e.g. "unknown_tenant".
std::string to_string(errc x);

} // namespace tenantd
