#pragma once

// Readers of config fields shared by the parts of a tenant config
// (tenant_config.cpp, ai_config.cpp): each checks one member and, when it
// is wrong, adds a config_error naming the field's whole path.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

namespace tenantd {

struct config_error;

namespace config_fields {

/// Stores the string member `key` of `obj` into `out`, at most `max_len`
/// bytes; returns whether it did. The field is `prefix` + `key`.
bool read_string(const boost::json::object& obj, std::string_view key,
                 std::size_t max_len, bool required, std::string& out,
                 std::vector<config_error>& errors,
                 std::string_view prefix = {});

/// Stores `v`, an integer in [min, max], into `out`; returns whether it did.
bool read_integer(const std::string& field, const boost::json::value& v,
                  int64_t min, int64_t max, uint32_t& out,
                  std::vector<config_error>& errors);

} // namespace config_fields

} // namespace tenantd
