#include "http/api/api.hpp"

namespace tenantd::http::api {

std::vector<route> all_routes() {
  std::vector<route> all;
  for (auto part : {seed_routes(), ops_routes(), tenant_routes()})
    all.insert(all.end(), part.begin(), part.end());
  return all;
}

} // namespace tenantd::http::api
