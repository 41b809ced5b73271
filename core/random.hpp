#pragma once

// Unguessable bytes from the kernel's CSPRNG (getrandom(2)), for every id
// and secret the service makes: session ids, request ids, the admin token.

#include <cstddef>
#include <string>

namespace tenantd {

/// Fills `out` with `n` bytes from the kernel's CSPRNG (getrandom(2),
/// buffered per thread). Throws if the kernel fails us.
void secure_random(void* out, std::size_t n);

/// `bytes` random bytes as 2 x `bytes` lowercase hex digits.
std::string random_hex(std::size_t bytes);

} // namespace tenantd
