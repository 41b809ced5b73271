#pragma once

// An answer's bytes on the wire, in one buffer.

#include <string>

#include "http/handler.hpp"

namespace tenantd::http {

/// The bytes Beast's serializer sends for `res` (status line, the fields
/// in their order, a blank line, the body as it is), in one contiguous
/// buffer: one send of one piece instead of Beast's buffer sequence of ten
/// or so (docs/benchmarks.md). Bodies are never chunked here: every answer
/// carries its Content-Length.
std::string wire_bytes(const response& res);

} // namespace tenantd::http
