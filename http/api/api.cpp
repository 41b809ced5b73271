#include "http/api/api.hpp"

namespace tenantd::http::api {

namespace {

void append(std::vector<route>& to, const std::vector<route>& part) {
  to.insert(to.end(), part.begin(), part.end());
}

} // namespace

std::vector<route> all_routes() {
  std::vector<route> all;
  for (auto part : {seed_routes(), message_routes(), ops_routes(), tenant_routes(),
                    user_routes(), key_routes(), auth_routes(),
                    audit_routes(), openai_routes()})
    append(all, part);
  return all;
}

std::vector<route> public_routes() {
  auto all = seed_routes();
  append(all, message_routes());
  for (auto& r : ops_routes())
    if (r.path != "/metrics")
      all.push_back(r);
  append(all, user_routes());
  append(all, key_routes());
  append(all, openai_routes());
  for (auto& part : {auth_routes(), audit_routes()})
    for (auto& r : part)
      if (r.who != access::platform_admin)
        all.push_back(r);
  return all;
}

std::vector<route> admin_routes() {
  auto all = ops_routes();
  append(all, message_routes());
  append(all, tenant_routes());
  append(all, user_routes());
  append(all, key_routes());
  append(all, auth_routes());
  append(all, audit_routes());
  return all;
}

} // namespace tenantd::http::api
