#include "actors/store.hpp"

#include <algorithm>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <caf/all.hpp>

#include "core/clock.hpp"
#include "core/errors.hpp"
#include "crypto/digest.hpp"
#include "storage/sqlite_storage.hpp"
#include "util/log.hpp"

namespace tenantd {

namespace json = boost::json;

namespace {

using store_pointer = store_actor::stateful_pointer<store_state>;

int64_t now_millis(store_pointer self) {
  return to_unix_millis(self->clock().now());
}

caf::timespan store_sweep_interval(const lifecycle_settings& settings) {
  return sweep_interval(settings.session_ttl, store_state::min_sweep_interval,
                        store_state::max_sweep_interval);
}

caf::error storage_failure(store_pointer self, const storage_error& e) {
  log::error("store", e.what());
  auto err = make_error(errc::storage_failed);
  self->state.fail(err);
  return err;
}

// Opens the group's transaction unless one is open; its COMMIT is queued
// behind every message already waiting, so they all join this group.
void join_group(store_pointer self) {
  if (self->state.db->in_transaction())
    return;
  self->state.db->begin();
  self->send(self, atom::commit_v);
}

// Runs `body` (a write, or a refusal without writing) in the open group and
// answers once the group is committed. A refusal answers at once.
template <class T, class Body>
caf::result<T> write_and_ack(store_pointer self, Body body) {
  try {
    join_group(self);
    caf::expected<T> result = body(*self->state.db);
    if (!result)
      return std::move(result.error());
    auto rp = self->make_response_promise<T>();
    self->state.waiting.push_back(
      [rp, value = std::move(*result)](const caf::error* err) mutable {
        if (err != nullptr)
          rp.deliver(*err);
        else
          rp.deliver(std::move(value));
      });
    return rp;
  } catch (const storage_error& e) {
    return storage_failure(self, e);
  }
}

// Runs `body` (a write nobody waits for) in the open group.
template <class Body>
void write(store_pointer self, Body body) {
  try {
    join_group(self);
    body(*self->state.db);
  } catch (const storage_error& e) {
    storage_failure(self, e);
  }
}

// Runs `body` (a read) and answers at once. A failed read leaves the open
// group alone, unless SQLite ended its transaction (after I/O errors it
// rolls back by itself): then the writes waiting in it are lost and fail.
template <class T, class Body>
caf::result<T> read(store_pointer self, Body body) {
  auto& st = self->state;
  try {
    caf::expected<T> result = body(*st.db);
    if (!result)
      return std::move(result.error());
    return std::move(*result);
  } catch (const storage_error& e) {
    if (!st.waiting.empty() && !st.db->in_transaction())
      return storage_failure(self, e);
    log::error("store", e.what());
    return make_error(errc::storage_failed);
  }
}

// Appends `e` after `head` (its chain's last seq and hash), which becomes
// it.
void chain_event(storage_backend& db, std::pair<int64_t, std::string>& head,
                 audit_event e) {
  e.seq = head.first + 1;
  e.prev_hash = head.second;
  e.hash = crypto::to_hex(crypto::sha256(e.prev_hash + audit_hash_input(e)));
  db.append_audit(e);
  head = {e.seq, e.hash};
}

// Appends the event a write carries, if it carries one.
void append_if_any(store_pointer self, const audit_event& e) {
  if (!e.action.empty())
    self->state.append_audit(e);
}

// Recomputes chain `tenant` from its oldest kept event (older ones go with
// the retention: the first kept event's link is taken as it is), a page at
// a time; names the first event whose hash or link does not hold.
audit_verdict verify_chain(storage_backend& db, const std::string& tenant) {
  constexpr std::size_t page = 1000;
  audit_verdict verdict;
  int64_t after = 0;
  std::string prev;
  bool first = true;
  for (;;) {
    auto events = db.audit_chain(tenant, after, page);
    for (auto& e : events) {
      auto problem = std::string{};
      if (!first && e.seq != after + 1)
        problem = "events before it are missing";
      else if (!first && e.prev_hash != prev)
        problem = "its link to the event before it does not hold";
      else if (crypto::to_hex(crypto::sha256(e.prev_hash + audit_hash_input(e)))
               != e.hash)
        problem = "its contents do not match its hash";
      if (!problem.empty()) {
        verdict.intact = false;
        verdict.broken_seq = e.seq;
        verdict.broken_id = e.id;
        verdict.problem = std::move(problem);
        return verdict;
      }
      ++verdict.checked;
      first = false;
      after = e.seq;
      prev = e.hash;
    }
    if (events.size() < page)
      return verdict;
  }
}

void schedule_cleanup(store_pointer self) {
  auto& st = self->state;
  if (st.cleanup_scheduled)
    return;
  st.cleanup_scheduled = true;
  // Behind every message already waiting: other tenants' writes go first.
  self->send(self, atom::cleanup_v);
}

// One bounded batch of deletions: sessions the tenants expired first, then
// those of archived tenants, then those the periodic purge finds expired in
// storage. Schedules the next batch while work remains.
void clean_up(store_pointer self) {
  auto& st = self->state;
  write(self, [&](storage_backend& db) {
    if (!st.expiring.empty()) {
      auto n = std::min(st.expiring.size(), store_state::delete_batch);
      for (std::size_t i = 0; i < n; ++i) {
        // Dropped before the delete: one that fails is purged by expiry.
        auto id = st.expiring.front();
        st.expiring.pop_front();
        db.delete_session(id);
      }
    } else if (!st.archiving.empty()) {
      // Dropped after a short batch, or a failed one: the next start
      // finds what is left.
      auto tenant = st.archiving.front();
      st.archiving.pop_front();
      if (db.delete_archived_sessions(tenant, store_state::delete_batch)
          == store_state::delete_batch)
        st.archiving.push_front(tenant);
    } else if (st.purging) {
      auto deleted = db.purge_expired_sessions(st.purge_before,
                                               store_state::delete_batch);
      st.purging = deleted == store_state::delete_batch;
    }
  });
  if (!st.expiring.empty() || !st.archiving.empty() || st.purging)
    schedule_cleanup(self);
}

caf::expected<tenant_record> record_of(storage_backend& db, const std::string& id,
                                       int64_t now) {
  auto stored = db.tenant(id);
  if (!stored)
    return make_error(errc::unknown_tenant);
  tenant_record rec;
  rec.config = std::move(stored->config);
  rec.status = stored->status;
  rec.created_at = stored->created_at;
  rec.updated_at = stored->updated_at;
  rec.stats.sessions = db.session_count(id, now);
  rec.stats.chats = stored->chats;
  rec.stats.rate_limited = stored->rate_limited;
  return rec;
}

// The patched config, or the problems that make it invalid.
caf::expected<tenant_config> patched(const tenant_config& current,
                                     const std::string& patch,
                                     const reply_limits& limits) {
  json::error_code ec;
  auto doc = json::parse(patch, ec);
  if (ec)
    return make_error(std::vector<config_error>{{"", "is not valid JSON"}});
  // With its secrets: a patch that does not name a key keeps it.
  json::value merged = to_json(current, secret_fields::included);
  apply_merge_patch(merged, doc);
  auto parsed = parse_tenant_config(merged);
  if (auto* problems = std::get_if<std::vector<config_error>>(&parsed))
    return make_error(std::move(*problems));
  auto& cfg = std::get<tenant_config>(parsed);
  if (cfg.id != current.id)
    return make_error(std::vector<config_error>{{"id", "cannot be changed"}});
  if (auto problem = check_reply_size(cfg, limits))
    return make_error(std::vector<config_error>{std::move(*problem)});
  return std::move(cfg);
}

} // namespace

void store_state::commit() {
  if (!db->in_transaction())
    return;
  try {
    db->commit();
  } catch (const storage_error& e) {
    log::error("store", e.what());
    fail(make_error(errc::storage_failed));
    return;
  }
  last_write_ok = true;
  auto done = std::move(waiting);
  waiting.clear();
  for (auto& ack : done)
    ack(nullptr);
}

store_state::~store_state() {
  if (db && db->in_transaction()) {
    try {
      db->commit();
    } catch (const storage_error& e) {
      log::error("store", e.what());
    }
  }
}

void store_state::append_audit(audit_event e) {
  auto i = chains.find(e.tenant);
  if (i == chains.end())
    i = chains.emplace(e.tenant, db->last_audit(e.tenant)).first;
  chain_event(*db, i->second, std::move(e));
}

void store_state::fail(const caf::error& err) {
  last_write_ok = false;
  db->rollback();
  chains.clear();
  auto done = std::move(waiting);
  waiting.clear();
  for (auto& ack : done)
    ack(&err);
}

opened_storage open_storage(const std::string& data_dir,
                            const std::vector<tenant_config>& bootstrap,
                            int64_t now, std::size_t history_limit) {
  opened_storage result;
  result.db = std::make_unique<sqlite_storage>(
    sqlite_storage::open(data_dir, history_limit));
  auto& db = *result.db;
  result.added = bootstrap_tenants(db, bootstrap, now,
                                   [&](const tenant_config& cfg) {
    auto e = make_audit_event(cfg.id, principal::platform_admin(),
                              "tenant.created", "tenant:" + cfg.id, "success",
                              now);
    e.source = "tenants file";
    e.changes = json::serialize(json::object{{"after", to_json(cfg)}});
    auto head = db.last_audit(cfg.id);
    chain_event(db, head, std::move(e));
  });
  result.tenants = result.db->tenants();
  return result;
}

store_actor::behavior_type store(store_pointer self,
                                 std::shared_ptr<storage_backend> db,
                                 lifecycle_settings settings) {
  self->state.db = std::move(db);
  self->state.settings = settings;
  self->delayed_send(self, store_sweep_interval(settings), atom::sweep_v);
  // An archive whose sessions were not all deleted when the service stopped.
  try {
    for (auto& id : self->state.db->archived_with_sessions())
      self->state.archiving.push_back(id);
  } catch (const storage_error& e) {
    log::error("store", e.what());
  }
  if (!self->state.archiving.empty())
    schedule_cleanup(self);
  return {
    [self](const create_tenant& msg) -> caf::result<tenant_record> {
      auto& cfg = msg.config;
      return write_and_ack<tenant_record>(
        self, [&](storage_backend& db) -> caf::expected<tenant_record> {
          auto now = now_millis(self);
          if (!db.insert_tenant(cfg, now, "create"))
            return make_error(errc::duplicate_tenant);
          auto e = make_audit_event(cfg.id, msg.who, "tenant.created",
                                    "tenant:" + cfg.id, "success", now);
          e.changes = json::serialize(
            json::object{{"after", to_json(cfg)}});
          self->state.append_audit(std::move(e));
          return record_of(db, cfg.id, now);
        });
    },
    [self](const update_tenant& msg) -> caf::result<tenant_record> {
      auto& id = msg.tenant;
      return write_and_ack<tenant_record>(
        self, [&](storage_backend& db) -> caf::expected<tenant_record> {
          auto current = db.tenant(id);
          if (!current)
            return make_error(errc::unknown_tenant);
          if (current->status == tenant_status::archived)
            return make_error(errc::tenant_archived);
          auto cfg = patched(current->config, msg.patch,
                             self->state.settings.replies);
          if (!cfg)
            return std::move(cfg.error());
          auto now = now_millis(self);
          db.update_tenant(*cfg, now, self->state.settings.session_ttl.count());
          auto e = make_audit_event(id, msg.who, "tenant.changed",
                                    "tenant:" + id, "success", now);
          e.changes = json::serialize(json::object{
            {"before", to_json(current->config)}, {"after", to_json(*cfg)}});
          self->state.append_audit(std::move(e));
          return record_of(db, id, now);
        });
    },
    [self](const set_tenant_status& msg) -> caf::result<tenant_record> {
      auto& id = msg.tenant;
      auto to = msg.status;
      return write_and_ack<tenant_record>(
        self, [&](storage_backend& db) -> caf::expected<tenant_record> {
          auto current = db.tenant(id);
          if (!current)
            return make_error(errc::unknown_tenant);
          auto now = now_millis(self);
          if (current->status == tenant_status::archived
              && to != tenant_status::archived)
            return make_error(errc::tenant_archived);
          if (current->status != to) {
            db.set_status(id, to, now);
            static constexpr const char* actions[] = {
              "tenant.resumed", "tenant.suspended", "tenant.archived"};
            auto e = make_audit_event(id, msg.who,
                                      actions[static_cast<int>(to)],
                                      "tenant:" + id, "success", now);
            e.changes = json::serialize(
              json::object{{"before", to_string(current->status)},
                           {"after", to_string(to)}});
            self->state.append_audit(std::move(e));
            // Its sessions go a batch per turn: a million in one statement
            // would hold every other tenant's writes for seconds.
            if (to == tenant_status::archived) {
              self->state.archiving.push_back(id);
              schedule_cleanup(self);
            }
          }
          return record_of(db, id, now);
        });
    },
    [self](const read_tenant& msg) -> caf::result<tenant_record> {
      return read<tenant_record>(self, [&](storage_backend& db) {
        return record_of(db, msg.tenant, now_millis(self));
      });
    },
    [self](const load_tenant& msg) -> caf::result<tenant_snapshot> {
      auto& id = msg.tenant;
      return read<tenant_snapshot>(
        self, [&](storage_backend& db) -> caf::expected<tenant_snapshot> {
          auto stored = db.tenant(id);
          if (!stored || stored->status == tenant_status::archived)
            return make_error(errc::unknown_tenant);
          tenant_snapshot snap;
          snap.config = std::move(stored->config);
          snap.status = stored->status;
          snap.sessions = db.sessions(id, now_millis(self), 0,
                                      store_state::load_page);
          snap.chats = stored->chats;
          snap.rate_limited = stored->rate_limited;
          snap.users = db.users(id);
          snap.keys = db.api_keys(id);
          return snap;
        });
    },
    [self](const load_sessions& msg) -> caf::result<session_page> {
      return read<session_page>(self, [&](storage_backend& db) {
        return caf::expected<session_page>{
          db.sessions(msg.tenant, now_millis(self), msg.after,
                      store_state::load_page)};
      });
    },
    [self](const store_session& msg) -> caf::result<caf::ok_atom> {
      return write_and_ack<caf::ok_atom>(
        self, [&](storage_backend& db) -> caf::expected<caf::ok_atom> {
          if (!db.insert_session(msg.tenant, msg.session))
            return make_error(errc::unknown_tenant);
          return caf::ok_atom::value;
        });
    },
    [self](const store_user& msg) -> caf::result<caf::ok_atom> {
      return write_and_ack<caf::ok_atom>(
        self, [&](storage_backend& db) -> caf::expected<caf::ok_atom> {
          if (!msg.fresh)
            db.update_user(msg.tenant, msg.user);
          else if (!db.insert_user(msg.tenant, msg.user))
            return make_error(errc::duplicate_email);
          append_if_any(self, msg.audit);
          return caf::ok_atom::value;
        });
    },
    [self](const remove_user& msg) -> caf::result<caf::ok_atom> {
      return write_and_ack<caf::ok_atom>(
        self, [&](storage_backend& db) -> caf::expected<caf::ok_atom> {
          db.delete_user(msg.tenant, msg.user);
          append_if_any(self, msg.audit);
          return caf::ok_atom::value;
        });
    },
    [self](const store_api_key& msg) -> caf::result<caf::ok_atom> {
      return write_and_ack<caf::ok_atom>(
        self, [&](storage_backend& db) -> caf::expected<caf::ok_atom> {
          if (!db.insert_api_key(msg.tenant, msg.key))
            return make_error(errc::unknown_tenant);
          append_if_any(self, msg.audit);
          return caf::ok_atom::value;
        });
    },
    [self](const remove_api_key& msg) -> caf::result<caf::ok_atom> {
      return write_and_ack<caf::ok_atom>(
        self, [&](storage_backend& db) -> caf::expected<caf::ok_atom> {
          db.delete_api_key(msg.tenant, msg.key);
          append_if_any(self, msg.audit);
          return caf::ok_atom::value;
        });
    },
    [self](const record_audit& msg) {
      write(self, [&](storage_backend&) {
        self->state.append_audit(msg.event);
      });
    },
    [self](const query_audit& msg) -> caf::result<audit_page> {
      return read<audit_page>(self, [&](storage_backend& db) {
        return caf::expected<audit_page>{db.audit_events(msg.filter)};
      });
    },
    [self](const check_audit_chain& msg) -> caf::result<audit_verdict> {
      return read<audit_verdict>(self, [&](storage_backend& db) {
        return caf::expected<audit_verdict>{verify_chain(db, msg.tenant)};
      });
    },
    [self](const find_session_owner& msg) -> caf::result<std::string> {
      return read<std::string>(self, [&](storage_backend& db) {
        return caf::expected<std::string>{
          db.session_owner(msg.session, now_millis(self))};
      });
    },
    [self](const store_messages& msg) {
      write(self, [&](storage_backend& db) {
        db.append_messages(msg.tenant, msg.session, msg.messages);
      });
    },
    [self](const load_messages& msg) -> caf::result<message_page> {
      return read<message_page>(self, [&](storage_backend& db) {
        if (!msg.newest)
          return caf::expected<message_page>{
            db.messages(msg.tenant, msg.session, msg.after, msg.limit)};
        message_page page;
        page.messages = db.newest_messages(msg.tenant, msg.session, msg.limit);
        return caf::expected<message_page>{std::move(page)};
      });
    },
    [self](const clear_messages& msg) -> caf::result<caf::ok_atom> {
      return write_and_ack<caf::ok_atom>(
        self, [&](storage_backend& db) -> caf::expected<caf::ok_atom> {
          db.clear_messages(msg.tenant, msg.session);
          return caf::ok_atom::value;
        });
    },
    [self](const record_uses& msg) {
      write(self, [&](storage_backend& db) {
        for (auto& s : msg.sessions)
          db.touch_session(s);
        for (auto& use : msg.key_uses)
          db.touch_api_key(msg.tenant, use.key, use.at);
        db.set_counters(msg.tenant, msg.chats, msg.rate_limited);
      });
    },
    [self](const expire_sessions& msg) {
      auto& expiring = self->state.expiring;
      expiring.insert(expiring.end(), msg.sessions.begin(), msg.sessions.end());
      schedule_cleanup(self);
    },
    [self](atom::ready) -> caf::result<caf::ok_atom> {
      if (!self->state.last_write_ok)
        return make_error(errc::storage_failed);
      return caf::ok_atom::value;
    },
    [self](caf::flush_atom) -> caf::result<caf::ok_atom> {
      if (!self->state.db->in_transaction())
        return caf::ok_atom::value;
      auto rp = self->make_response_promise<caf::ok_atom>();
      self->state.waiting.push_back([rp](const caf::error* err) mutable {
        if (err != nullptr)
          rp.deliver(*err);
        else
          rp.deliver(caf::ok_atom::value);
      });
      return rp;
    },
    [self](atom::commit) { self->state.commit(); },
    [self](atom::cleanup) {
      self->state.cleanup_scheduled = false;
      clean_up(self);
    },
    [self](atom::sweep) {
      auto& st = self->state;
      // Audit events past the retention, a bounded batch per sweep: a
      // backlog (a retention shortened) goes over several sweeps.
      write(self, [&](storage_backend& db) {
        db.purge_audit(now_millis(self) - to_millis(st.settings.audit_retention),
                       store_state::delete_batch);
      });
      st.purging = true;
      st.purge_before = now_millis(self) - to_millis(store_state::purge_grace);
      schedule_cleanup(self);
      self->delayed_send(self, store_sweep_interval(self->state.settings),
                         atom::sweep_v);
    },
  };
}

} // namespace tenantd
