#include "http/api/api.hpp"

namespace tenantd::http::api {

std::vector<route> all_routes() {
  std::vector<route> all;
  for (auto part : {seed_routes(), ops_routes(), tenant_routes()})
    all.insert(all.end(), part.begin(), part.end());
  return all;
}

std::vector<route> public_routes() {
  auto all = seed_routes();
  for (auto& r : ops_routes())
    if (r.path != "/metrics")
      all.push_back(r);
  return all;
}

std::vector<route> admin_routes() {
  auto all = ops_routes();
  auto tenants = tenant_routes();
  all.insert(all.end(), tenants.begin(), tenants.end());
  return all;
}

} // namespace tenantd::http::api
