#include "actors/registry.hpp"

#include <caf/all.hpp>

#include "actors/errors.hpp"
#include "actors/reply_template.hpp"
#include "actors/tenant.hpp"
#include "util/log.hpp"

namespace tenantd {

namespace {

using registry_pointer = registry_actor::stateful_pointer<registry_state>;

void spawn_tenant(registry_pointer self, uint32_t index) {
  auto& entry = self->state.tenants[index];
  entry.actor = self->spawn<caf::monitored>(tenant, entry.config);
  entry.started = self->clock().now();
  self->state.by_actor.emplace(entry.actor.address(), index);
}

// The serving actor of a known tenant, or the error for the client.
caf::expected<tenant_actor> serving_actor(registry_pointer self,
                                          const std::string& tenant_id,
                                          uint32_t* index = nullptr) {
  auto& st = self->state;
  auto it = st.by_id.find(tenant_id);
  if (it == st.by_id.end())
    return make_error(errc::unknown_tenant);
  auto& entry = st.tenants[it->second];
  if (!entry.actor)
    return make_error(errc::tenant_unavailable);
  if (index != nullptr)
    *index = it->second;
  return entry.actor;
}

void add_tenant(registry_pointer self, tenant_config config) {
  auto index = static_cast<uint32_t>(self->state.tenants.size());
  self->state.by_id.emplace(config.id, index);
  self->state.tenants.push_back({std::move(config), {}});
  spawn_tenant(self, index);
}

// A tenant actor ended while the registry runs: that is always a failure.
// Restarts it from its config, unless it keeps failing right after starts.
// Its sessions died with it, so their directory entries go too.
void on_tenant_down(registry_pointer self, const caf::down_msg& msg) {
  auto& st = self->state;
  auto it = st.by_actor.find(msg.source);
  if (it == st.by_actor.end())
    return;
  auto index = it->second;
  st.by_actor.erase(it);
  auto& entry = st.tenants[index];
  entry.actor = nullptr;
  st.directory.erase_if(
    [index](const session_id&, uint32_t owner) { return owner == index; });
  auto reason = self->system().render(msg.reason);
  if (self->clock().now() - entry.started < registry_state::quick_failure)
    ++entry.quick_failures;
  else
    entry.quick_failures = 0;
  if (entry.quick_failures >= registry_state::max_quick_failures) {
    log::error("registry", "tenant '" + entry.config.id + "' failed (" + reason
                             + ") right after each of its last "
                             + std::to_string(entry.quick_failures)
                             + " starts; not restarting it");
    return;
  }
  log::error("registry", "tenant '" + entry.config.id + "' failed (" + reason
                           + "); restarting it from its config");
  spawn_tenant(self, index);
}

} // namespace

registry_state::~registry_state() {
  for (auto& entry : tenants)
    if (entry.actor)
      caf::anon_send_exit(entry.actor, caf::exit_reason::user_shutdown);
}

registry_actor::behavior_type
registry(registry_pointer self, std::vector<tenant_config> configs) {
  for (auto& cfg : configs)
    add_tenant(self, std::move(cfg));
  self->set_down_handler(
    [self](caf::down_msg& msg) { on_tenant_down(self, msg); });
  return {
    [self](atom::list) {
      std::vector<std::string> ids;
      ids.reserve(self->state.tenants.size());
      for (auto& entry : self->state.tenants)
        ids.push_back(entry.config.id);
      return ids;
    },
    [self](atom::open,
           const std::string& tenant_id) -> caf::result<session_grant> {
      uint32_t index = 0;
      auto actor = serving_actor(self, tenant_id, &index);
      if (!actor)
        return std::move(actor.error());
      auto id = session_id::generate();
      // 122 random bits make a collision practically impossible; checking
      // costs one lookup and makes it impossible.
      while (!self->state.directory.emplace(id, index))
        id = session_id::generate();
      return self->delegate(*actor, atom::open_v, id);
    },
    [self](atom::chat, const std::string& tenant_id,
           const std::string& session, std::string& message)
      -> caf::result<chat_result> {
      uint32_t index = 0;
      auto actor = serving_actor(self, tenant_id, &index);
      if (!actor)
        return std::move(actor.error());
      auto id = session_id::parse(session);
      if (!id)
        return make_error(errc::unknown_session);
      auto owner = self->state.directory.find(*id);
      if (owner == nullptr)
        return make_error(errc::unknown_session);
      if (*owner != index)
        return make_error(errc::foreign_session);
      return self->delegate(*actor, atom::chat_v, *id, std::move(message));
    },
    [self](atom::spawn, tenant_config& config) -> caf::result<caf::ok_atom> {
      if (self->state.by_id.count(config.id) > 0)
        return make_error(errc::duplicate_tenant);
      if (!is_valid_tenant_id(config.id)
          || std::holds_alternative<std::string>(
            reply_template::compile(config.reply)))
        return make_error(errc::invalid_config);
      log::info("registry", "spawning tenant '" + config.id + "'");
      add_tenant(self, std::move(config));
      return caf::ok_atom::value;
    },
    [self](atom::tenant,
           const std::string& tenant_id) -> caf::result<tenant_actor> {
      auto actor = serving_actor(self, tenant_id);
      if (!actor)
        return std::move(actor.error());
      return std::move(*actor);
    },
  };
}

} // namespace tenantd
