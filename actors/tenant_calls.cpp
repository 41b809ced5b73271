// The tenant's upstream calls (tenant.hpp): the plan of a call (its routes,
// the system prompt and the history that fits), its tokens reserved and
// settled, its routes' breakers, and the history a session keeps. In a
// file of its own beside the actor's behaviour (tenant.cpp); the state is
// the one tenant_state.

#include <algorithm>
#include <chrono>

#include "actors/tenant.hpp"
#include "core/random.hpp"

namespace tenantd {

// A turn's tokens, estimated at four bytes each (the history's budget is
// about tokens, not exact: the upstream counts its own).
static uint64_t estimated_tokens(const chat_turn& turn) {
  return (turn.content.size() + 3) / 4 + 4;
}

// How many of the newest turns of `past` fit `bound`: at most its turns,
// and about its tokens; the first that does not fit ends them.
static std::size_t newest_that_fit(const std::vector<chat_turn>& past,
                                   const ai_history& bound) {
  std::size_t n = 0;
  uint64_t tokens = 0;
  while (n < past.size() && n < bound.turns) {
    auto cost = estimated_tokens(past[past.size() - 1 - n]);
    if (tokens + cost > bound.tokens)
      break;
    tokens += cost;
    ++n;
  }
  return n;
}

upstream_plan tenant_state::plan_routes(caf::actor_clock::time_point now,
                                        std::string_view model) const {
  auto& ai = config.ai;
  upstream_plan plan;
  plan.generation = generation;
  for (uint32_t i = 0; i <= ai.fallbacks.size(); ++i) {
    auto& route = i == 0 ? ai.upstream : ai.fallbacks[i - 1];
    if (!model.empty() && route.model != model)
      continue;
    if (i < breakers.size() && !breakers[i].would_admit(now))
      continue;
    plan.routes.push_back(route);
    plan.route_numbers.push_back(i);
  }
  plan.temperature = ai.temperature.value_or(-1);
  plan.max_tokens = ai.max_tokens;
  plan.timeout_ms = ai.timeout_ms;
  plan.connect_timeout_ms = ai.connect_timeout_ms;
  plan.max_reply_bytes = settings.replies.max_reply_bytes;
  return plan;
}

std::vector<std::string> tenant_state::served_models() const {
  if (config.ai.provider != ai_provider::openai)
    return {config.model};
  std::vector<std::string> models;
  for (uint32_t i = 0; i <= config.ai.fallbacks.size(); ++i) {
    auto model = route_model(i);
    if (std::find(models.begin(), models.end(), model) == models.end())
      models.push_back(std::move(model));
  }
  return models;
}

upstream_plan tenant_state::plan_upstream(const session_record& session,
                                          std::string_view message,
                                          caf::actor_clock::time_point now) const {
  auto& ai = config.ai;
  auto plan = plan_routes(now);
  auto prompt = system_prompt.render(config, {});
  if (!prompt.empty())
    plan.messages.push_back({"system", std::move(prompt)});
  // The newest turns that fit in ai.history, oldest first.
  auto& past = session.history;
  auto first = past.size() - newest_that_fit(past, ai.history);
  plan.messages.insert(plan.messages.end(),
                       past.begin() + static_cast<std::ptrdiff_t>(first),
                       past.end());
  plan.messages.push_back({"user", std::string{message}});
  return plan;
}

caf::actor_clock::time_point
tenant_state::next_route_try(caf::actor_clock::time_point now) const {
  auto next = caf::actor_clock::time_point::max();
  for (auto& b : breakers)
    next = std::min(next, b.next_try(now));
  return next == caf::actor_clock::time_point::max() ? now : next;
}

uint64_t tenant_state::random_generation() {
  uint64_t g = 0;
  secure_random(&g, sizeof g);
  return g >> 1; // room to count up
}

uint64_t tenant_state::tokens_needed(const upstream_plan& plan) {
  uint64_t bytes = 0;
  for (auto& turn : plan.messages)
    bytes += turn.content.size();
  return prompt_bound(bytes, plan.messages.size()) + plan.max_tokens;
}

// The latest a call of `plan` can end: each route's three attempts and the
// two waits between them (at most a minute each), and some slack for the
// report to arrive. A reservation or a breaker's trial is given up then.
static caf::timespan longest_call(const upstream_plan& plan) {
  auto per_route = 3 * std::chrono::milliseconds{plan.timeout_ms}
                   + 2 * std::chrono::minutes{1};
  return static_cast<int64_t>(plan.routes.size()) * per_route
         + std::chrono::seconds{10};
}

void tenant_state::start_call(upstream_plan& plan, uint64_t needed,
                              caf::actor_clock::time_point now) {
  auto deadline = now + longest_call(plan);
  plan.reservation = tokens.reserve(now, needed, deadline);
  for (auto number : plan.route_numbers)
    if (number < breakers.size()
        && breakers[number].state(now) == breaker_state::half_open
        && breakers[number].admit(now, deadline))
      plan.trials.push_back(number);
  publish_breakers(now);
}

std::string tenant_state::route_model(uint32_t route) const {
  auto& ai = config.ai;
  if (route == 0 || route > ai.fallbacks.size())
    return ai.upstream.model;
  return ai.fallbacks[route - 1].model;
}

void tenant_state::publish_breakers(caf::actor_clock::time_point now) {
  std::vector<std::pair<std::string, int>> states;
  for (uint32_t i = 0; i < breakers.size(); ++i)
    states.emplace_back(route_model(i), static_cast<int>(breakers[i].state(now)));
  series->upstreams.set_breakers(std::move(states));
}

void tenant_state::end_call(const chat_completed& report,
                            caf::actor_clock::time_point now) {
  // A call the upstream may have spent tokens on without saying how many
  // (it timed out, or answered what could not be used) is charged its
  // whole reservation; one that said is charged what it said; one refused
  // (unreachable, an error status) nothing.
  uint64_t used = uint64_t{report.prompt_tokens} + report.completion_tokens;
  bool spent_unknown = (report.failure == "timeout"
                        || report.failure == "bad_answer"
                        || report.failure == "truncated"
                        || report.failure == "token_limit"
                        || report.failure == "cancelled")
                       && used == 0;
  if (spent_unknown)
    used = tokens.reserved_by(report.reservation);
  tokens.settle(now, report.reservation, used);
  bool current = report.generation == generation;
  metrics::upstream_figures::call figures;
  figures.model = current && !report.routes.empty()
                    ? route_model(report.routes.back().route)
                    : route_model(0);
  figures.failure = report.failure;
  figures.retries = report.retries;
  figures.seconds = report.latency_ms / 1000.0;
  figures.first_token_seconds = report.first_token_ms / 1000.0;
  figures.prompt_tokens = report.prompt_tokens;
  figures.completion_tokens = report.completion_tokens;
  series->upstreams.record(figures);
  if (!current)
    return;
  for (auto& route : report.routes) {
    if (route.route >= breakers.size())
      continue;
    if (route.failed)
      breakers[route.route].failed(now);
    else
      breakers[route.route].succeeded();
  }
  for (auto trial : report.trials) {
    auto tried = std::any_of(report.routes.begin(), report.routes.end(),
                             [&](auto& r) { return r.route == trial; });
    if (!tried && trial < breakers.size())
      breakers[trial].trial_unused();
  }
  publish_breakers(now);
}

void tenant_state::remember(session_record& session, chat_turn turn) const {
  auto& past = session.history;
  past.push_back(std::move(turn));
  // What plan_upstream could never send is not kept: the oldest turns
  // beyond ai.history.turns, or beyond its tokens (which bounds a
  // session's memory too).
  auto keep = newest_that_fit(past, config.ai.history);
  past.erase(past.begin(),
             past.begin() + static_cast<std::ptrdiff_t>(past.size() - keep));
}

} // namespace tenantd
