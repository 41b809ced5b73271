#pragma once

// JSON in and out for the audit trail: the query of GET /audit and
// GET /tenants/{id}/audit, a page of events, and a chain's verdict.

#include <string>
#include <string_view>

#include "core/audit.hpp"
#include "http/json/codec.hpp"

namespace tenantd::http {

/// Decodes the query (without '?'): from, to (RFC 3339 UTC), action,
/// principal ("kind" or "kind:id"), cursor (from a page's "next"), limit
/// (1 to 1000, default 100), and with `allow_tenant` tenant (GET /audit).
decoded<audit_filter> decode_audit_query(std::string_view query,
                                         bool allow_tenant);

/// {"events":[{...}],"next": cursor or null}
std::string audit_page_body(const audit_page& page);

/// {"intact","checked","first_broken":null|{"seq","id","problem"}}
std::string audit_verdict_body(const audit_verdict& verdict);

} // namespace tenantd::http
