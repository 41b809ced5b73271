#pragma once

// libsodium's one-time initialisation, for every file that calls it.

namespace tenantd::crypto {

/// Initialises libsodium once (thread-safe); throws std::runtime_error if
/// it cannot.
void init_sodium();

} // namespace tenantd::crypto
