#include "core/tenant_identity.hpp"

namespace tenantd {

namespace {

template <class Record, class Stored>
std::vector<Record> page_of(const std::map<uint64_t, std::string>& order,
                            const std::unordered_map<std::string, Stored>& by_id,
                            uint64_t offset, uint64_t limit) {
  std::vector<Record> result;
  auto it = order.begin();
  for (uint64_t i = 0; i < offset && it != order.end(); ++i)
    ++it;
  for (; it != order.end() && result.size() < limit; ++it)
    result.push_back(to_record(by_id.at(it->second)));
  return result;
}

} // namespace

std::string acting_principal::owner_tag() const {
  switch (kind) {
    case principal_kind::anonymous: return {};
    case principal_kind::platform_admin: return "platform_admin";
    case principal_kind::user: return "user:" + subject;
    case principal_kind::api_key: return "key:" + subject;
  }
  return {};
}

bool permits(const acting_principal& who, tenant_action action,
             auth_mode mode) {
  switch (who.kind) {
    case principal_kind::platform_admin:
      return true;
    case principal_kind::anonymous:
      return action == tenant_action::use_sessions && mode == auth_mode::open;
    case principal_kind::user:
    case principal_kind::api_key:
      return who.role == tenant_role::admin
             || action == tenant_action::use_sessions;
  }
  return false;
}

void tenant_identity::load(std::vector<stored_user> users,
                           std::vector<stored_api_key> keys) {
  *this = tenant_identity{};
  for (auto& u : users)
    put(std::move(u));
  for (auto& k : keys)
    put(std::move(k));
}

std::variant<acting_principal, errc>
tenant_identity::resolve(const principal& who, const std::string& tenant,
                         int64_t now) const {
  if (!who.of_a_tenant())
    return acting_principal{who.kind, {}, tenant_role::admin};
  if (who.tenant != tenant)
    return errc::foreign_credential;
  if (who.kind == principal_kind::user) {
    auto* u = user(who.subject);
    if (u == nullptr || u->disabled)
      return errc::invalid_credential;
    return acting_principal{who.kind, u->id, u->role};
  }
  const stored_api_key* k = who.key_digest.empty()
                              ? key(who.subject)
                              : key_by_digest(who.key_digest);
  // The digest found the key; it is compared again in constant time all
  // the same, as the stored secret it stands for.
  if (k == nullptr
      || (!who.key_digest.empty() && !same_secret(who.key_digest, k->digest))
      || (k->expires_at != 0 && k->expires_at <= now))
    return errc::invalid_credential;
  return acting_principal{who.kind, k->id, k->role};
}

const stored_user* tenant_identity::user(const std::string& id) const {
  auto i = users_.find(id);
  return i == users_.end() ? nullptr : &i->second;
}

const stored_user*
tenant_identity::user_by_email(std::string_view email) const {
  auto i = user_by_email_.find(email_key(email));
  return i == user_by_email_.end() ? nullptr : user(i->second);
}

void tenant_identity::put(stored_user u) {
  auto id = u.id;
  if (auto* old = user(id))
    user_by_email_.erase(old->email_key);
  else {
    user_seq_[id] = next_seq_;
    user_order_[next_seq_++] = id;
  }
  user_by_email_[u.email_key] = id;
  users_[id] = std::move(u);
}

void tenant_identity::erase_user(const std::string& id) {
  auto i = users_.find(id);
  if (i == users_.end())
    return;
  user_by_email_.erase(i->second.email_key);
  user_order_.erase(user_seq_[id]);
  user_seq_.erase(id);
  users_.erase(i);
}

user_page tenant_identity::users(uint64_t offset, uint64_t limit) const {
  return {page_of<user_record>(user_order_, users_, offset, limit),
          users_.size()};
}

const stored_api_key* tenant_identity::key(const std::string& id) const {
  auto i = keys_.find(id);
  return i == keys_.end() ? nullptr : &i->second;
}

const stored_api_key*
tenant_identity::key_by_digest(const std::string& digest) const {
  auto i = key_by_digest_.find(digest);
  return i == key_by_digest_.end() ? nullptr : key(i->second);
}

void tenant_identity::put(stored_api_key k) {
  auto id = k.id;
  if (auto* old = key(id))
    key_by_digest_.erase(old->digest);
  else {
    key_seq_[id] = next_seq_;
    key_order_[next_seq_++] = id;
  }
  key_by_digest_[k.digest] = id;
  keys_[id] = std::move(k);
}

void tenant_identity::erase_key(const std::string& id) {
  auto i = keys_.find(id);
  if (i == keys_.end())
    return;
  key_by_digest_.erase(i->second.digest);
  key_order_.erase(key_seq_[id]);
  key_seq_.erase(id);
  key_uses_.erase(id);
  keys_.erase(i);
}

api_key_page tenant_identity::keys(uint64_t offset, uint64_t limit) const {
  return {page_of<api_key_record>(key_order_, keys_, offset, limit),
          keys_.size()};
}

void tenant_identity::note_key_use(const std::string& id, int64_t now) {
  if (auto i = keys_.find(id); i != keys_.end()) {
    i->second.last_used_at = now;
    key_uses_[id] = now;
  }
}

std::vector<std::pair<std::string, int64_t>>
tenant_identity::take_key_uses() {
  std::vector<std::pair<std::string, int64_t>> uses{key_uses_.begin(),
                                                    key_uses_.end()};
  key_uses_.clear();
  return uses;
}

} // namespace tenantd
