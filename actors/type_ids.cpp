#include "actors/type_ids.hpp"

#include <caf/actor_system_config.hpp>

#include "actors/errors.hpp"
#include "actors/interfaces.hpp"

namespace tenantd {

void register_actor_types(caf::actor_system_config& cfg) {
  cfg.add_message_types<caf::id_block::tenantd>();
  // (CAF 0.17.6's add_error_category<T> does not compile: use the renderer.)
  cfg.add_error_category(errc_category,
                         [](uint8_t code, caf::atom_value, const caf::message&) {
                           return "tenantd::" + to_string(static_cast<errc>(code));
                         });
}

} // namespace tenantd
