#pragma once

// For stand-ins of the service's actors that never answer (to test
// deadlines): a request is held, so CAF reports no broken promise, until
// the stand-in stops.

#include <vector>

#include <caf/delegated.hpp>
#include <caf/response_promise.hpp>

namespace tenantd::test {

struct silent_state {
  std::vector<caf::response_promise> held;
};

/// Holds the current request of `self` (a stateful_pointer<silent_state>)
/// unanswered; return it from the handler.
template <class Result, class Self>
caf::delegated<Result> hold(Self self) {
  self->state.held.push_back(self->make_response_promise());
  return {};
}

} // namespace tenantd::test
