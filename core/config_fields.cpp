#include "core/config_fields.hpp"

#include <algorithm>

#include "core/tenant_config.hpp"

namespace tenantd::config_fields {

bool read_string(const boost::json::object& obj, std::string_view key,
                 std::size_t max_len, bool required, std::string& out,
                 std::vector<config_error>& errors, std::string_view prefix) {
  auto field = std::string{prefix} + std::string{key};
  auto it = obj.find(key);
  if (it == obj.end()) {
    if (required)
      errors.push_back({field, "is required"});
    return false;
  }
  if (!it->value().is_string()) {
    errors.push_back({field, "must be a string"});
    return false;
  }
  auto& s = it->value().get_string();
  if (s.size() > max_len) {
    errors.push_back({field, "must be at most " + std::to_string(max_len)
                               + " bytes"});
    return false;
  }
  out.assign(s.data(), s.size());
  return true;
}

bool read_integer(const std::string& field, const boost::json::value& v,
                  int64_t min, int64_t max, uint32_t& out,
                  std::vector<config_error>& errors) {
  if (!v.is_int64() && !v.is_uint64()) {
    errors.push_back({field, "must be an integer"});
    return false;
  }
  auto n = v.is_int64() ? v.get_int64()
                        : static_cast<int64_t>(
                            std::min<uint64_t>(v.get_uint64(), INT64_MAX));
  if (n < min || n > max) {
    errors.push_back({field, "must be between " + std::to_string(min)
                               + " and " + std::to_string(max)});
    return false;
  }
  out = static_cast<uint32_t>(n);
  return true;
}

} // namespace tenantd::config_fields
