#include "actors/errors.hpp"

#include <algorithm>

#include <caf/make_message.hpp>
#include <caf/message.hpp>
#include <caf/sec.hpp>

#include "actors/interfaces.hpp"
#include "actors/type_ids.hpp"

namespace tenantd {

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

caf::error make_wait_error(errc x, uint32_t seconds) {
  return caf::error{static_cast<uint8_t>(x), errc_category,
                    caf::make_message(seconds)};
}

uint32_t wait_of(const caf::error& e) {
  if (e.category() != errc_category || !e.context().match_elements<uint32_t>())
    return 1;
  return std::max<uint32_t>(e.context().get_as<uint32_t>(0), 1);
}

caf::error refusal_for(tenant_status status) {
  switch (status) {
    case tenant_status::active: return {};
    case tenant_status::suspended: return make_error(errc::tenant_suspended);
    case tenant_status::archived: return make_error(errc::unknown_tenant);
  }
  return {};
}

bool is_stale_handle(const caf::error& err) {
  return err == caf::sec::request_receiver_down || is(err, errc::not_serving);
}

} // namespace tenantd
