#pragma once

// The API's resources, one file each; each gives its routes, whose handlers
// are pure translations (handler.hpp). The router's table is these lists
// in this order (the order of a path's methods in a 405's Allow header).

#include <vector>

#include "http/handler.hpp"

namespace tenantd::http::api {

/// The seed's contract (seed.cpp): GET /, POST /session, POST /chat.
std::vector<route> seed_routes();

/// For operators (ops.cpp): GET /openapi.json, /metrics, /healthz, /readyz.
std::vector<route> ops_routes();

/// The tenants admin API (tenants.cpp): /tenants and /tenants/{id}...
std::vector<route> tenant_routes();

/// All of the above, in that order.
std::vector<route> all_routes();

/// With a separate admin listener (ADMIN_LISTEN): the public port serves
/// the seed's routes and ops but /metrics; the admin port serves ops and
/// the tenants admin API. /healthz and /readyz are on both.
std::vector<route> public_routes();
std::vector<route> admin_routes();

} // namespace tenantd::http::api
