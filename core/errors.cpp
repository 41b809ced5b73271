#include "core/errors.hpp"

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
    case errc::permission_denied: return "permission_denied";
    case errc::not_serving: return "not_serving";
    case errc::reply_too_large: return "reply_too_large";
    case errc::too_many_sessions: return "too_many_sessions";
    case errc::reply_rate_exceeded: return "reply_rate_exceeded";
    case errc::authentication_required: return "authentication_required";
    case errc::invalid_credential: return "invalid_credential";
    case errc::foreign_credential: return "foreign_credential";
    case errc::insufficient_role: return "insufficient_role";
    case errc::foreign_principal: return "foreign_principal";
    case errc::unknown_user: return "unknown_user";
    case errc::unknown_api_key: return "unknown_api_key";
    case errc::duplicate_email: return "duplicate_email";
    case errc::login_failed: return "login_failed";
    case errc::hashing_busy: return "hashing_busy";
    case errc::login_throttled: return "login_throttled";
    case errc::upstream_circuit_open: return "upstream_circuit_open";
    case errc::chat_exceeds_token_limit: return "chat_exceeds_token_limit";
    case errc::unknown_model: return "unknown_model";
  }
  return "unknown_error";
}

} // namespace tenantd
