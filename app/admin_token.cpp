#include "app/admin_token.hpp"

#include "crypto/secret_file.hpp"

namespace tenantd {

using crypto::read_or_create_secret;

admin_token resolve_admin_token(const std::string& from_env,
                                const std::string& data_dir) {
  if (!from_env.empty())
    return {from_env, "ADMIN_TOKEN", false};
  auto path = data_dir + "/" + admin_token_file;
  auto [value, generated] = read_or_create_secret(path, "admin token");
  return {value, path, generated};
}

std::string resolve_key_secret(const std::string& data_dir) {
  return read_or_create_secret(data_dir + "/" + key_secret_file, "key secret")
    .first;
}

} // namespace tenantd
