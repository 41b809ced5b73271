#include "http/tokens.hpp"

#include <atomic>

#include "core/random.hpp"
#include "core/tenant_config.hpp"
#include "crypto/jws.hpp"

namespace tenantd::http {

namespace json = boost::json;

namespace {

constexpr std::string_view token_type = "at+jwt";

std::optional<int64_t> int_claim(const json::object& claims,
                                 std::string_view name) {
  auto* v = claims.if_contains(name);
  if (v == nullptr)
    return std::nullopt;
  if (v->is_int64())
    return v->get_int64();
  if (v->is_uint64() && v->get_uint64() <= INT64_MAX)
    return static_cast<int64_t>(v->get_uint64());
  return std::nullopt;
}

std::string string_claim(const json::object& claims, std::string_view name) {
  auto* v = claims.if_contains(name);
  return v != nullptr && v->is_string() ? std::string{v->get_string()}
                                        : std::string{};
}

bool audience_matches(const json::object& claims, std::string_view audience) {
  auto* v = claims.if_contains("aud");
  if (v == nullptr)
    return false;
  if (v->is_string())
    return v->get_string() == audience;
  if (auto* list = v->if_array())
    for (auto& entry : *list)
      if (entry.is_string() && entry.get_string() == audience)
        return true;
  return false;
}

// "at+jwt" or "application/at+jwt", in any case (RFC 9068 §4).
bool is_access_token_type(const json::object& header) {
  auto* v = header.if_contains("typ");
  if (v == nullptr || !v->is_string())
    return false;
  std::string typ{v->get_string()};
  for (auto& c : typ)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return typ == token_type || typ == "application/at+jwt";
}

} // namespace

std::string_view to_string(token_refusal x) {
  switch (x) {
    case token_refusal::malformed: return "malformed";
    case token_refusal::wrong_type: return "wrong_type";
    case token_refusal::unknown_key: return "unknown_key";
    case token_refusal::bad_signature: return "bad_signature";
    case token_refusal::wrong_issuer: return "wrong_issuer";
    case token_refusal::wrong_audience: return "wrong_audience";
    case token_refusal::expired: return "expired";
    case token_refusal::not_yet_valid: return "not_yet_valid";
    case token_refusal::bad_claims: return "bad_claims";
    case token_refusal::revoked: return "revoked";
  }
  return "unknown";
}

token_authority::token_authority(crypto::keyring keys, token_settings settings)
  : settings_(std::move(settings)), ring_(std::move(keys)) {
  publish();
}

std::shared_ptr<const token_authority::snapshot> token_authority::keys() const {
  return std::atomic_load(&keys_);
}

void token_authority::publish() {
  auto now_ms = static_cast<int64_t>(
    std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::system_clock::now().time_since_epoch())
      .count());
  auto next = std::make_shared<snapshot>();
  // Every key a token may still need; usable() drops the retired ones
  // once their last token expired.
  for (auto* k : ring_.verifying(now_ms, max_token_ms()))
    next->all.push_back(*k);
  std::atomic_store(&keys_, std::shared_ptr<const snapshot>{std::move(next)});
}

token_authority::issued token_authority::issue(const principal& who,
                                               int64_t now) const {
  auto ks = keys();
  auto lifetime = static_cast<int64_t>(settings_.lifetime.count());
  json::object header{{"alg", "EdDSA"},
                      {"typ", token_type},
                      {"kid", ks->all.front().kid}};
  json::object claims{
    {"iss", settings_.issuer},
    {"aud", settings_.audience},
    {"sub", who.subject},
    // RFC 9068 §2.2: the client the token was issued to: the API key for
    // the client-credentials grant, the service's own for passwords.
    {"client_id",
     who.kind == principal_kind::api_key ? who.subject : std::string{"tenantd"}},
    {"tenant", who.tenant},
    {"role", to_string(who.role)},
    {"iat", now},
    {"nbf", now},
    {"exp", now + lifetime},
    {"jti", random_hex(16)},
  };
  return {crypto::jws_sign(header, claims, ks->all.front().key), lifetime};
}

token_authority::verdict token_authority::verify(std::string_view token,
                                                 int64_t now) {
  std::string key{token};
  {
    std::lock_guard<std::mutex> guard{cache_mutex_};
    if (auto i = cache_.find(key); i != cache_.end()) {
      if (i->second.exp + settings_.leeway.count() > now) {
        if (revoked_.count(i->second.who.token_id) != 0)
          return {std::nullopt, token_refusal::revoked};
        return {i->second.who, {}};
      }
      cache_.erase(i);
      return {std::nullopt, token_refusal::expired};
    }
  }
  // jws_parse refuses a header whose "alg" is anything but EdDSA ("none"
  // and HS256 included) before any key is looked at.
  auto parts = crypto::jws_parse(token);
  if (!parts)
    return {std::nullopt, token_refusal::malformed};
  if (!is_access_token_type(parts->header))
    return {std::nullopt, token_refusal::wrong_type};
  auto kid = string_claim(parts->header, "kid");
  auto ks = keys();
  const crypto::signing_key* signer = nullptr;
  for (auto& k : ks->all)
    if (k.kid == kid && usable(k, now * 1000))
      signer = &k;
  if (kid.empty() || signer == nullptr)
    return {std::nullopt, token_refusal::unknown_key};
  if (!signer->key.verify(parts->signing_input, parts->signature))
    return {std::nullopt, token_refusal::bad_signature};
  auto& claims = parts->payload;
  if (string_claim(claims, "iss") != settings_.issuer)
    return {std::nullopt, token_refusal::wrong_issuer};
  if (!audience_matches(claims, settings_.audience))
    return {std::nullopt, token_refusal::wrong_audience};
  auto exp = int_claim(claims, "exp");
  auto nbf = int_claim(claims, "nbf");
  auto iat = int_claim(claims, "iat");
  auto leeway = settings_.leeway.count();
  if (!exp || !iat)
    return {std::nullopt, token_refusal::bad_claims};
  if (*exp + leeway <= now)
    return {std::nullopt, token_refusal::expired};
  if ((nbf && *nbf - leeway > now) || *iat - leeway > now)
    return {std::nullopt, token_refusal::not_yet_valid};
  principal who;
  who.subject = string_claim(claims, "sub");
  who.tenant = string_claim(claims, "tenant");
  who.token_id = string_claim(claims, "jti");
  auto role = string_claim(claims, "role");
  if (who.subject.rfind("usr_", 0) == 0)
    who.kind = principal_kind::user;
  else if (who.subject.rfind("key_", 0) == 0)
    who.kind = principal_kind::api_key;
  else
    return {std::nullopt, token_refusal::bad_claims};
  if (!is_valid_tenant_id(who.tenant) || !from_string(role, who.role)
      || who.token_id.empty())
    return {std::nullopt, token_refusal::bad_claims};
  std::lock_guard<std::mutex> guard{cache_mutex_};
  if (revoked_.count(who.token_id) != 0)
    return {std::nullopt, token_refusal::revoked};
  if (cache_.size() >= settings_.cache_entries) {
    // Bounded: drop what expired; if that is not enough, start afresh.
    for (auto i = cache_.begin(); i != cache_.end();)
      i = i->second.exp + leeway <= now ? cache_.erase(i) : std::next(i);
    if (cache_.size() >= settings_.cache_entries)
      cache_.clear();
  }
  if (settings_.cache_entries > 0)
    cache_.emplace(std::move(key), cached{who, *exp});
  return {std::move(who), {}};
}

void token_authority::revoke(const std::string& jti, int64_t exp) {
  auto now = static_cast<int64_t>(
    std::chrono::duration_cast<std::chrono::seconds>(
      std::chrono::system_clock::now().time_since_epoch())
      .count());
  std::lock_guard<std::mutex> guard{cache_mutex_};
  // Bounded like the tokens themselves: a revocation is needed only until
  // the token expires.
  for (auto i = revoked_.begin(); i != revoked_.end();)
    i = i->second + settings_.leeway.count() <= now ? revoked_.erase(i)
                                                     : std::next(i);
  revoked_[jti] = exp;
}

int64_t token_authority::max_token_ms() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
           settings_.lifetime + settings_.leeway)
    .count();
}

bool token_authority::usable(const crypto::signing_key& k,
                             int64_t now_ms) const {
  return k.retired_ms == 0 || k.retired_ms + max_token_ms() > now_ms;
}

json::object token_authority::jwks(int64_t now_ms) const {
  json::array list;
  for (auto& k : keys()->all)
    if (usable(k, now_ms))
      list.push_back(crypto::public_jwk(k.key, k.kid));
  return {{"keys", std::move(list)}};
}

std::string token_authority::rotate(int64_t now_ms) {
  std::lock_guard<std::mutex> guard{rotate_mutex_};
  auto kid = ring_.rotate(now_ms, max_token_ms());
  publish();
  return kid;
}

} // namespace tenantd::http
