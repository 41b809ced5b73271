#include "actors/tenant.hpp"

#include <caf/all.hpp>

#include "actors/errors.hpp"
#include "actors/text.hpp"

namespace tenantd {

bool tenant_state::admit(caf::actor_clock::time_point now, rate_window& out) {
  auto limit = config.limits.chat_per_10s;
  if (limit == 0)
    return true;
  if (window.admitted == 0 || now >= window.start + window_length) {
    window.start = now;
    window.admitted = 0;
  }
  bool admitted = window.admitted < limit;
  if (admitted)
    ++window.admitted;
  using std::chrono::duration_cast;
  using std::chrono::seconds;
  auto left = window.start + window_length - now;
  // Round up: a client that waits reset_seconds finds the window reset.
  auto reset = duration_cast<seconds>(left + seconds{1}
                                      - std::chrono::nanoseconds{1});
  out.limit = limit;
  out.window_seconds = static_cast<uint32_t>(window_length.count());
  out.remaining = limit - window.admitted;
  out.reset_seconds = static_cast<uint32_t>(std::max<int64_t>(reset.count(), 1));
  return admitted;
}

tenant_actor::behavior_type
tenant(tenant_actor::stateful_pointer<tenant_state> self, tenant_config config) {
  auto compiled = reply_template::compile(config.reply);
  if (auto* problem = std::get_if<std::string>(&compiled)) {
    self->quit(caf::make_error(caf::sec::runtime_error,
                               "invalid reply template: " + *problem));
    return tenant_actor::behavior_type::make_empty_behavior();
  }
  self->state.reply = std::move(std::get<reply_template>(compiled));
  self->state.config = std::move(config);
  return {
    [self](atom::open, session_id id) -> session_grant {
      auto now = self->clock().now();
      auto& st = self->state;
      st.sessions.emplace(id, session_record{now, now});
      return {id.to_string(), st.config.id, st.config.name, st.config.welcome};
    },
    [self](atom::chat, session_id id,
           std::string& message) -> caf::result<chat_result> {
      auto& st = self->state;
      auto* session = st.sessions.find(id);
      if (session == nullptr)
        return make_error(errc::unknown_session);
      auto now = self->clock().now();
      session->last_used = now;
      chat_result result;
      if (!st.admit(now, result.window)) {
        result.limited = true;
        return result;
      }
      result.reply = st.reply.render(st.config, text::strip(message));
      result.model = st.config.model;
      return result;
    },
    [self](atom::tenant) { return self->state.config; },
  };
}

} // namespace tenantd
