#include "core/audit.hpp"

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>

#include "core/identity.hpp"

namespace tenantd {

audit_event make_audit_event(std::string tenant, const principal& who,
                             std::string action, std::string target,
                             std::string outcome, int64_t now) {
  audit_event e;
  e.id = make_identity_id("evt_");
  e.at = now;
  e.tenant = std::move(tenant);
  e.actor_kind = std::string{to_string(who.kind)};
  e.actor_id = who.subject;
  if (who.of_a_tenant() && who.tenant != e.tenant)
    e.actor_tenant = who.tenant;
  e.action = std::move(action);
  e.target = std::move(target);
  e.outcome = std::move(outcome);
  e.request_id = who.request_id;
  e.source = who.source;
  return e;
}

std::string audit_hash_input(const audit_event& e) {
  boost::json::array fields{e.seq,        e.id,           e.at,
                            e.tenant,     e.actor_kind,   e.actor_id,
                            e.actor_tenant, e.action,     e.target,
                            e.outcome,    e.request_id,   e.source,
                            e.changes};
  return boost::json::serialize(fields);
}

} // namespace tenantd
