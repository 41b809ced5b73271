#pragma once

#include <string_view>

namespace tenantd::http {

/// docs/openapi.json, compiled in at build time.
std::string_view openapi_document();

} // namespace tenantd::http
