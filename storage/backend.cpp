#include "storage/backend.hpp"

namespace tenantd {

std::size_t bootstrap_tenants(
  storage_backend& storage, const std::vector<tenant_config>& configs,
  int64_t now, const std::function<void(const tenant_config&)>& added_one) {
  std::size_t added = 0;
  storage.begin();
  try {
    for (auto& config : configs)
      if (storage.insert_tenant(config, now, "bootstrap")) {
        ++added;
        if (added_one)
          added_one(config);
      }
    storage.commit();
  } catch (...) {
    storage.rollback();
    throw;
  }
  return added;
}

} // namespace tenantd
