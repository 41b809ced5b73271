#pragma once

// The API's resources, one file each; each gives its routes, whose handlers
// are pure translations (handler.hpp). The router's table is these lists
// in this order (the order of a path's methods in a 405's Allow header).

#include <vector>

#include "http/handler.hpp"

namespace tenantd::http::api {

/// The seed's contract (seed.cpp): GET /, POST /session, POST /chat.
std::vector<route> seed_routes();

/// A session's conversation (messages.cpp): /sessions/{id}/messages.
std::vector<route> message_routes();

/// For operators (ops.cpp): GET /openapi.json, /metrics, /healthz, /readyz.
std::vector<route> ops_routes();

/// The tenants admin API (tenants.cpp): /tenants and /tenants/{id}...
std::vector<route> tenant_routes();

/// A tenant's users (users.cpp): /tenants/{id}/users...
std::vector<route> user_routes();

/// A tenant's API keys (keys.cpp): /tenants/{id}/keys...
std::vector<route> key_routes();

/// Access tokens (auth.cpp): /auth/token, /auth/revoke,
/// /auth/keys/rotate and /.well-known/{jwks.json,openid-configuration}.
std::vector<route> auth_routes();

/// The audit trail (audit.cpp): /tenants/{id}/audit, .../verify, /audit.
std::vector<route> audit_routes();

/// The OpenAI-compatible face (openai.cpp): /v1/chat/completions,
/// /v1/models.
std::vector<route> openai_routes();

/// All of the above, in that order.
std::vector<route> all_routes();

/// With a separate admin listener (ADMIN_LISTEN): the public port serves
/// the seed's routes, a session's messages, ops but /metrics, a tenant's users, keys and audit
/// (for its own admins) and the token endpoints but rotation; the admin
/// port serves ops, a session's messages, the tenants admin API, users, keys, audit and every
/// token endpoint. /healthz and /readyz are on both. The OpenAI face is on
/// the public port.
std::vector<route> public_routes();
std::vector<route> admin_routes();

} // namespace tenantd::http::api
