#pragma once

// Tenant configs for tests, built in one expression.

#include <cstdint>
#include <string>
#include <utility>

#include "core/tenant_config.hpp"

namespace tenantd::test {

/// Builds a tenant config in one expression.
inline tenant_config make_tenant(std::string id, std::string name,
                                 std::string welcome, std::string model,
                                 uint32_t chat_per_10s, std::string reply) {
  tenant_config cfg;
  cfg.id = std::move(id);
  cfg.name = std::move(name);
  cfg.welcome = std::move(welcome);
  cfg.model = std::move(model);
  cfg.limits.chat_per_10s = chat_per_10s;
  cfg.reply = std::move(reply);
  return cfg;
}

/// The seed's three tenants (tenants.jsonl), with their seed replies.
inline tenant_config acme(uint32_t limit = 8) {
  return make_tenant("acme", "Acme Corp", "Howdy from Acme!", "mock-1", limit,
                     "{welcome} [ACME MOCK] You said: '{message}'. "
                     "Here's it reversed: '{message|reverse}'");
}
inline tenant_config globex(uint32_t limit = 4) {
  return make_tenant("globex", "Globex Inc.", "Welcome from Globex.", "mock-2",
                     limit, "{welcome} [GLOBEX MOCK] Echo: {message|upper}");
}
inline tenant_config initech(uint32_t limit = 6) {
  return make_tenant("initech", "Initech", "Initech says hi.", "mock-3", limit,
                     "{welcome} [INITECH MOCK] Got it. '{message}'. "
                     "(pretend-smart summary).");
}

} // namespace tenantd::test
