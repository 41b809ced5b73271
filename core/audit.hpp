#pragma once

// The audit trail: one durable, append-only event per security-relevant act
// (a tenant created, changed, suspended, resumed or archived; a user or key
// created, changed, deleted or revoked; a login that succeeded, failed or
// was throttled; a token refused; a credential of one tenant used on
// another; the signing key rotated).
//
// Each tenant's events form a chain, and the platform's own (tenant "")
// another: an event's hash covers its fields and the hash of the event
// before it in its chain, so changing, removing or reordering a stored
// event breaks every link after it (GET /tenants/{id}/audit/verify finds
// the first). Secrets never enter an event: changes are recorded with
// passwords, keys and hashes redacted.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/principal.hpp"

namespace tenantd {

struct audit_event {
  /// Its place in its chain: 1 for the first; set by the store.
  int64_t seq = 0;
  /// "evt_" and 22 base64url characters of CSPRNG bytes.
  std::string id;
  /// Unix milliseconds.
  int64_t at = 0;
  /// The chain: the tenant it is about, or "" (the platform's).
  std::string tenant;
  /// Who did it: a principal_kind name and the user's or key's id (empty
  /// for the platform admin and anonymous).
  std::string actor_kind;
  std::string actor_id;
  /// The tenant of the actor's credential when it is not `tenant` (a
  /// cross-tenant attempt).
  std::string actor_tenant;
  /// What was done, e.g. "user.created", "login.failed".
  std::string action;
  /// What it was done to, e.g. "user:usr_...", "tenant:acme".
  std::string target;
  /// "success", "failure" or "denied".
  std::string outcome;
  std::string request_id;
  /// The client's address.
  std::string source;
  /// For changes: {"before":...,"after":...} as JSON text, secrets
  /// redacted; else "".
  std::string changes;
  /// The hash of the event before it in its chain ("" for the first) and
  /// its own: set by the store.
  std::string prev_hash;
  std::string hash;
};

/// A new event about `tenant` done by `who`; the fields the store sets are
/// left empty.
audit_event make_audit_event(std::string tenant, const principal& who,
                             std::string action, std::string target,
                             std::string outcome, int64_t now);

/// What an event's hash covers, in a fixed order and encoding (a JSON
/// array of its fields but the hash itself): hash = SHA-256(prev_hash ||
/// this).
std::string audit_hash_input(const audit_event& e);

/// Which events a query asks for (every field optional).
struct audit_filter {
  /// The chain, unless `every_chain` (GET /audit without a tenant).
  std::string tenant;
  bool every_chain = false;
  /// Unix ms, inclusive from, exclusive to; 0 = unbounded.
  int64_t from = 0;
  int64_t to = 0;
  std::string action;
  /// A principal: "kind" or "kind:id" (e.g. "user:usr_...").
  std::string actor;
  /// The event's store row to continue after (the page's cursor); 0: the
  /// newest first.
  int64_t before = 0;
  uint64_t limit = 100;
};

/// A page of events, newest first.
struct audit_page {
  std::vector<audit_event> events;
  /// Pass as `before` for the next page; 0: this was the last.
  int64_t next = 0;
};

/// The result of recomputing a chain.
struct audit_verdict {
  uint64_t checked = 0;
  /// The first event whose hash or link does not hold, if any.
  bool intact = true;
  int64_t broken_seq = 0;
  std::string broken_id;
  std::string problem;
};

} // namespace tenantd
