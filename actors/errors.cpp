#include "actors/errors.hpp"

#include <caf/message.hpp>
#include <caf/make_message.hpp>

#include "actors/actors.hpp"

namespace tenantd {

std::string to_string(errc x) {
  switch (x) {
    case errc::unknown_tenant: return "unknown_tenant";
    case errc::unknown_session: return "unknown_session";
    case errc::foreign_session: return "foreign_session";
    case errc::duplicate_tenant: return "duplicate_tenant";
    case errc::invalid_config: return "invalid_config";
    case errc::tenant_unavailable: return "tenant_unavailable";
    case errc::tenant_suspended: return "tenant_suspended";
    case errc::tenant_archived: return "tenant_archived";
    case errc::storage_failed: return "storage_failed";
  }
  return "unknown_error";
}

caf::error make_error(std::vector<config_error> problems) {
  return caf::error{static_cast<uint8_t>(errc::invalid_config), errc_category,
                    caf::make_message(std::move(problems))};
}

std::vector<config_error> config_errors_of(const caf::error& e) {
  if (!is(e, errc::invalid_config))
    return {};
  auto& ctx = e.context();
  if (!ctx.match_elements<std::vector<config_error>>())
    return {};
  return ctx.get_as<std::vector<config_error>>(0);
}

} // namespace tenantd
