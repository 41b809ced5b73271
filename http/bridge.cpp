#include "http/bridge.hpp"

#include <boost/asio/post.hpp>
#include <caf/all.hpp>

#include "util/log.hpp"

namespace tenantd::http {

namespace net = boost::asio;

/// What a lane's sink delivers to: cleared when the lane stops, after which
/// answers are dropped.
struct sink_target {
  std::mutex mtx;
  net::io_context* ioc = nullptr;
  lane* owner = nullptr;

  /// Runs `f(lane&)` on the lane's I/O thread, unless the lane has stopped
  /// by the time of the post or of the run. Callable from any thread.
  template <class F>
  static void post(const std::shared_ptr<sink_target>& target, F f) {
    std::lock_guard<std::mutex> guard{target->mtx};
    if (target->ioc == nullptr)
      return; // the lane stopped: nobody waits for this
    net::post(*target->ioc, [target, f = std::move(f)]() mutable {
      lane* owner = nullptr;
      {
        std::lock_guard<std::mutex> guard{target->mtx};
        owner = target->owner;
      }
      if (owner != nullptr)
        f(*owner);
    });
  }
};

namespace {

// An actor without mailbox or scheduler: whatever is enqueued (the answers
// to the lane's requests) is posted to the lane's io_context. Never
// launched or registered, so the actor system does not wait for it; it
// lives as long as a handle to it (an actor about to answer) does.
class reply_sink final : public caf::monitorable_actor {
public:
  reply_sink(caf::actor_config& cfg, std::shared_ptr<sink_target> target)
    : caf::monitorable_actor(cfg), target_(std::move(target)) {
  }

  void enqueue(caf::mailbox_element_ptr what, caf::execution_unit*) override {
    sink_target::post(target_, [what = std::move(what)](lane& owner) {
      owner.deliver(*what);
    });
  }

  const char* name() const override {
    return "reply_sink";
  }

private:
  std::shared_ptr<sink_target> target_;
};

// An ask's key and the number of its send, in the 60 bits of a CAF
// request id.
constexpr unsigned attempt_bits = 3;

caf::message_id request_id(uint64_t key, uint8_t attempt) {
  return caf::make_message_id((key << attempt_bits) | attempt);
}

} // namespace

lane::lane(caf::actor_system& sys, net::io_context& ioc,
           registry_actor registry, caf::timespan timeout,
           std::shared_ptr<bridge_counters> counters)
  : ioc_(ioc),
    registry_(std::move(registry)),
    timeout_(timeout),
    counters_(std::move(counters)),
    ticker_(ioc),
    target_(std::make_shared<sink_target>()) {
  static_assert((1u << attempt_bits) > max_sends);
  target_->ioc = &ioc;
  target_->owner = this;
  caf::actor_config cfg;
  sink_ = caf::make_actor<reply_sink, caf::strong_actor_ptr>(
    sys.next_actor_id(), sys.node(), &sys, cfg, target_);
}

lane::~lane() {
  stop();
}

lane::poster lane::post_here() const {
  return [target = target_](std::function<void()> f) {
    sink_target::post(target, [f = std::move(f)](lane&) { f(); });
  };
}

void lane::stop() {
  {
    std::lock_guard<std::mutex> guard{target_->mtx};
    target_->ioc = nullptr;
    target_->owner = nullptr;
  }
  counters_->in_flight.fetch_sub(static_cast<int64_t>(pending_.size()),
                                 std::memory_order_relaxed);
  pending_.clear();
  tenants_.clear();
  ticker_.cancel();
  busy_.reset();
}

uint64_t lane::begin(answer_handler on_answer) {
  auto key = next_key_++;
  if (pending_.empty())
    busy_.emplace(ioc_.get_executor());
  pending_.emplace_hint(pending_.end(), key,
                        pending{caf::actor_clock::clock_type::now() + timeout_,
                                0, std::move(on_answer)});
  counters_->in_flight.fetch_add(1, std::memory_order_relaxed);
  schedule_tick();
  return key;
}

void lane::send(uint64_t key, const caf::strong_actor_ptr& dest,
                caf::message request) {
  auto& p = pending_.at(key);
  dest->enqueue(sink_, request_id(key, ++p.attempt), std::move(request),
                nullptr);
}

void lane::route(uint64_t key, std::string tenant, principal who,
                 caf::message request, answer_handler on_answer) {
  auto& p = pending_.at(key);
  auto known = tenants_.find(tenant);
  if (known == tenants_.end()) {
    // Where is it served? Then send it there.
    p.on_answer = [this, key, tenant, who, request = std::move(request),
                   on_answer = std::move(on_answer)](
                    caf::message& answer) mutable {
      auto actor = decode<tenant_actor>(answer);
      if (!actor) {
        auto failure = caf::make_message(std::move(actor.error()));
        return on_answer(failure);
      }
      remember(tenant, *actor);
      route(key, std::move(tenant), who, std::move(request),
            std::move(on_answer));
    };
    send(key, caf::actor_cast<caf::strong_actor_ptr>(registry_),
         caf::make_message(find_tenant{tenant, who}));
    return;
  }
  auto actor = known->second;
  p.on_answer = [this, key, tenant, who, request, actor,
                 on_answer = std::move(on_answer)](
                  caf::message& answer) mutable {
    // Stale: nothing was done. Forget the handle and go round again, if
    // the ask has sends left for a lookup and a resend.
    if (answer.match_elements<caf::error>()
        && is_stale_handle(answer.get_as<caf::error>(0))
        && pending_.at(key).attempt + 2u <= max_sends) {
      auto known = tenants_.find(tenant);
      if (known != tenants_.end() && known->second == actor)
        tenants_.erase(known);
      return route(key, std::move(tenant), who, std::move(request),
                   std::move(on_answer));
    }
    on_answer(answer);
  };
  send(key, caf::actor_cast<caf::strong_actor_ptr>(actor), std::move(request));
}

void lane::remember(const std::string& tenant, const tenant_actor& actor) {
  // Asks that missed the cache together each learn the same handle: attach
  // the forgetting functor once per handle, not once per ask.
  auto known = tenants_.find(tenant);
  if (known != tenants_.end() && known->second == actor)
    return;
  tenants_.insert_or_assign(tenant, actor);
  // Forgotten once the actor terminates (at once if it has already): the
  // functor runs on the terminating actor's thread and posts to this
  // lane's thread.
  caf::actor_cast<caf::abstract_actor*>(actor)->attach_functor(
    [target = target_, tenant, addr = actor.address()] {
      sink_target::post(target, [tenant, addr](lane& owner) {
        auto known = owner.tenants_.find(tenant);
        if (known != owner.tenants_.end() && known->second.address() == addr)
          owner.tenants_.erase(known);
      });
    });
}

void lane::deliver(caf::mailbox_element& answer) {
  auto id = answer.mid.request_id().integer_value();
  auto key = id >> attempt_bits;
  auto attempt = static_cast<uint8_t>(id & ((1u << attempt_bits) - 1));
  auto i = pending_.find(key);
  if (i == pending_.end() || i->second.attempt != attempt)
    return; // timed out already, or an answer to an earlier send
  // The handler may send again under the same key (a lookup, a resend),
  // setting a new handler: the ask ends only if it did not.
  auto on_answer = std::move(i->second.on_answer);
  i->second.on_answer = nullptr;
  auto content = answer.move_content_to_message();
  run(on_answer, content);
  i = pending_.find(key);
  if (i != pending_.end() && !i->second.on_answer)
    finish(i);
}

void lane::run(answer_handler& on_answer, caf::message& answer) {
  try {
    on_answer(answer);
  } catch (const std::exception& e) {
    // The continuation's reply, if it had one, answers 500 once it is
    // destroyed unanswered; the I/O thread goes on.
    log::error("http", std::string{"an answer's continuation failed: "}
                         + e.what());
  }
}

void lane::finish(std::map<uint64_t, pending>::iterator i) {
  pending_.erase(i);
  counters_->in_flight.fetch_sub(1, std::memory_order_relaxed);
  if (pending_.empty())
    busy_.reset();
}

void lane::schedule_tick() {
  if (tick_scheduled_)
    return;
  tick_scheduled_ = true;
  ticker_.expires_after(tick);
  ticker_.async_wait([this](boost::system::error_code ec) {
    tick_scheduled_ = false;
    if (!ec)
      expire_overdue();
  });
}

void lane::expire_overdue() {
  auto now = caf::actor_clock::clock_type::now();
  while (!pending_.empty() && pending_.begin()->second.deadline <= now) {
    auto on_answer = std::move(pending_.begin()->second.on_answer);
    finish(pending_.begin());
    counters_->timed_out.fetch_add(1, std::memory_order_relaxed);
    auto timeout = caf::make_message(caf::make_error(caf::sec::request_timeout));
    if (on_answer)
      run(on_answer, timeout);
  }
  if (!pending_.empty())
    schedule_tick();
}

bridge::bridge(caf::actor_system& sys, registry_actor registry,
               std::chrono::milliseconds timeout,
               const std::vector<net::io_context*>& contexts)
  : counters_(std::make_shared<bridge_counters>()) {
  for (auto* ioc : contexts)
    lanes_.push_back(std::make_unique<lane>(
      sys, *ioc, registry, std::chrono::duration_cast<caf::timespan>(timeout),
      counters_));
}

void bridge::stop() {
  for (auto& l : lanes_)
    l->stop();
}

} // namespace tenantd::http
