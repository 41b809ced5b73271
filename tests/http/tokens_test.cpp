// The access token authority (http/tokens.cpp) on its own, over a keyring
// in a temporary directory, so that tokens can be signed with any claims
// and checked at any time: an issued token verifies as its principal;
// "exp", "nbf" and "iat" are held to the 60 s leeway (cached or not); and
// every token RFC 8725 says to refuse is refused with its reason:
// another audience or issuer, another "typ", missing or malformed claims,
// "alg": "none" and HS256 (keyed with the public key in every form),
// unknown, missing and foreign keys, tampered payloads, "crit". Rotation
// keeps a retired key valid for as long as its tokens may live, and no
// longer; revocation refuses a token (cached or not) and only that one;
// the keys survive a new authority over the same directory.

#include <gtest/gtest.h>

#include "http/tokens.hpp"
#include "tests/support/jwt.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

using namespace tenantd;
using namespace tenantd::test;
using tenantd::http::token_authority;
using tenantd::http::token_refusal;
using tenantd::http::token_settings;
namespace json = boost::json;

int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

// Tokens are checked at the real time (in seconds): a retired key's
// usefulness is counted from when it was retired, on the wall clock.
const int64_t t0 = wall_ms() / 1000;

token_settings test_settings(std::size_t cache_entries = 100) {
  token_settings s;
  s.issuer = "https://issuer.test";
  s.audience = "tenantd-test";
  s.lifetime = std::chrono::seconds{900};
  s.leeway = std::chrono::seconds{60};
  s.cache_entries = cache_entries;
  return s;
}

principal ann() {
  principal p;
  p.kind = principal_kind::user;
  p.tenant = "acme";
  p.subject = "usr_ann";
  p.role = tenant_role::admin;
  return p;
}

class Tokens : public ::testing::Test {
protected:
  Tokens()
    : ring(crypto::keyring::open(dir.path() + "/signing-keys", wall_ms())),
      authority(ring, test_settings()) {
  }

  /// Claims as the authority makes them, at `now`.
  json::object claims(int64_t now = t0) {
    return {{"iss", "https://issuer.test"}, {"aud", "tenantd-test"},
            {"sub", "usr_ann"},             {"client_id", "tenantd"},
            {"tenant", "acme"},             {"role", "member"},
            {"iat", now},                   {"nbf", now},
            {"exp", now + 900},             {"jti", "jti-" + std::to_string(++jtis)}};
  }

  json::object header() const {
    return {{"alg", "EdDSA"}, {"typ", "at+jwt"}, {"kid", ring.current().kid}};
  }

  std::string sign(const json::object& c, const json::object& h) {
    return sign_ed25519(h, c, ring.current().key);
  }

  /// Why `token` is refused at `now`, or "accepted".
  std::string verdict(const std::string& token, int64_t now = t0) {
    auto v = authority.verify(token, now);
    return v.who ? std::string{"accepted"} : std::string{to_string(v.why)};
  }

  temp_dir dir;
  crypto::keyring ring;
  token_authority authority;
  int jtis = 0;
};

TEST_F(Tokens, AnIssuedTokenVerifiesAsItsPrincipal) {
  auto issued = authority.issue(ann(), t0);
  EXPECT_EQ(issued.expires_in, 900);
  auto v = authority.verify(issued.token, t0 + 1);
  ASSERT_TRUE(v.who);
  EXPECT_EQ(v.who->kind, principal_kind::user);
  EXPECT_EQ(v.who->tenant, "acme");
  EXPECT_EQ(v.who->subject, "usr_ann");
  EXPECT_EQ(v.who->role, tenant_role::admin);
  EXPECT_EQ(v.who->token_id, std::string{jwt_claims(issued.token).at("jti").as_string()});
  EXPECT_EQ(jwt_header(issued.token),
            (json::object{{"alg", "EdDSA"}, {"typ", "at+jwt"},
                          {"kid", ring.current().kid}}));
  // A key's token is the key's.
  principal key;
  key.kind = principal_kind::api_key;
  key.tenant = "acme";
  key.subject = "key_ci";
  auto k = authority.verify(authority.issue(key, t0).token, t0);
  ASSERT_TRUE(k.who);
  EXPECT_EQ(k.who->kind, principal_kind::api_key);
  EXPECT_EQ(k.who->subject, "key_ci");
  EXPECT_EQ(jwt_claims(authority.issue(key, t0).token).at("client_id"), "key_ci");
}

TEST_F(Tokens, ExpiryAndNotBeforeAllowASixtySecondLeewayCachedOrNot) {
  for (std::size_t cache : {std::size_t{0}, std::size_t{100}}) {
    SCOPED_TRACE(cache == 0 ? "without a cache" : "with a cache");
    token_authority a{ring, test_settings(cache)};
    auto token = a.issue(ann(), t0).token;
    auto at = [&](int64_t now) {
      auto v = a.verify(token, now);
      return v.who ? std::string{"accepted"} : std::string{to_string(v.why)};
    };
    EXPECT_EQ(at(t0 - 61), "not_yet_valid");
    EXPECT_EQ(at(t0 - 60), "accepted");
    EXPECT_EQ(at(t0 + 900), "accepted");
    EXPECT_EQ(at(t0 + 959), "accepted");
    EXPECT_EQ(at(t0 + 960), "expired");
    EXPECT_EQ(at(t0 + 100'000), "expired");
  }
  // "nbf" on its own.
  auto c = claims();
  c["nbf"] = t0 + 120;
  auto later = sign(c, header());
  EXPECT_EQ(verdict(later, t0), "not_yet_valid");
  EXPECT_EQ(verdict(later, t0 + 59), "not_yet_valid");
  EXPECT_EQ(verdict(later, t0 + 60), "accepted");
}

TEST_F(Tokens, BadClaimsAreRefusedEachForItsReason) {
  auto with = [&](const char* name, json::value v) {
    auto c = claims();
    c[name] = std::move(v);
    return sign(c, header());
  };
  auto without = [&](const char* name) {
    auto c = claims();
    c.erase(name);
    return sign(c, header());
  };
  auto typ = [&](json::value t) {
    auto h = header();
    if (t.is_null())
      h.erase("typ");
    else
      h["typ"] = std::move(t);
    return sign(claims(), h);
  };
  struct refused {
    const char* what;
    std::string token;
    const char* why;
  };
  for (auto& r : std::vector<refused>{
         {"another audience", with("aud", "tenantd"), "wrong_audience"},
         {"an audience list without ours", with("aud", json::array{"a", "b"}),
          "wrong_audience"},
         {"an audience that is a number", with("aud", 1), "wrong_audience"},
         {"no audience", without("aud"), "wrong_audience"},
         {"another issuer", with("iss", "https://issuer.test/"), "wrong_issuer"},
         {"no issuer", without("iss"), "wrong_issuer"},
         {"typ JWT", typ("JWT"), "wrong_type"},
         {"typ a number", typ(1), "wrong_type"},
         {"no typ", typ(nullptr), "wrong_type"},
         {"expired", with("exp", t0 - 61), "expired"},
         {"not yet valid", with("nbf", t0 + 61), "not_yet_valid"},
         {"issued in the future", with("iat", t0 + 61), "not_yet_valid"},
         {"no exp", without("exp"), "bad_claims"},
         {"exp a float", with("exp", 1.9e9), "bad_claims"},
         {"no iat", without("iat"), "bad_claims"},
         {"no jti", without("jti"), "bad_claims"},
         {"an empty jti", with("jti", ""), "bad_claims"},
         {"no sub", without("sub"), "bad_claims"},
         {"a sub neither user nor key", with("sub", "adm_x"), "bad_claims"},
         {"no tenant", without("tenant"), "bad_claims"},
         {"a tenant that is no tenant id", with("tenant", "Acme Corp"),
          "bad_claims"},
         {"no role", without("role"), "bad_claims"},
         {"a role of no tenant", with("role", "platform_admin"), "bad_claims"},
       }) {
    SCOPED_TRACE(r.what);
    EXPECT_EQ(verdict(r.token), r.why);
  }
  // Accepted variants.
  EXPECT_EQ(verdict(with("aud", json::array{"other", "tenantd-test"})), "accepted");
  EXPECT_EQ(verdict(typ("application/at+jwt")), "accepted");
  EXPECT_EQ(verdict(without("nbf")), "accepted");
  EXPECT_EQ(verdict(sign(claims(), header())), "accepted");
}

TEST_F(Tokens, AlgNoneAndHmacAreRefusedBeforeAnyKeyIsLookedAt) {
  auto good = sign(claims(), header());
  auto signature = split_jwt(good).signature;
  for (auto alg : {"none", "None", "NONE", "HS256", "HS384", "HS512", "RS256",
                   "ES256", "Ed25519", "eddsa", ""}) {
    SCOPED_TRACE(alg);
    json::object h{{"alg", alg}, {"typ", "at+jwt"}, {"kid", ring.current().kid}};
    EXPECT_EQ(verdict(unsigned_jwt(h, claims())), "malformed");
    EXPECT_EQ(verdict(unsigned_jwt(h, claims(), signature)), "malformed");
  }
  json::object no_alg{{"typ", "at+jwt"}, {"kid", ring.current().kid}};
  EXPECT_EQ(verdict(unsigned_jwt(no_alg, claims(), signature)), "malformed");
  // HS256 keyed with the public key, whatever form a confused verifier
  // would take it in.
  auto& pub = ring.current();
  for (auto& secret : public_key_forms(pub.key, pub.kid)) {
    SCOPED_TRACE(secret);
    json::object h{{"alg", "HS256"}, {"typ", "at+jwt"}, {"kid", pub.kid}};
    EXPECT_EQ(verdict(sign_hs256(h, claims(), secret)), "malformed");
    // An HMAC under an EdDSA header is no Ed25519 signature.
    EXPECT_EQ(verdict(sign_hs256(header(), claims(), secret)), "bad_signature");
  }
}

TEST_F(Tokens, UnknownMissingAndForeignKeysAreRefused) {
  auto other = crypto::ed25519_key::generate();
  auto other_kid = crypto::jwk_thumbprint(other);
  json::object unknown{{"alg", "EdDSA"}, {"typ", "at+jwt"}, {"kid", other_kid}};
  json::object no_kid{{"alg", "EdDSA"}, {"typ", "at+jwt"}};
  json::object empty_kid{{"alg", "EdDSA"}, {"typ", "at+jwt"}, {"kid", ""}};
  json::object number_kid{{"alg", "EdDSA"}, {"typ", "at+jwt"}, {"kid", 7}};
  auto embedded = unknown;
  embedded["jwk"] = crypto::public_jwk(other, other_kid);
  EXPECT_EQ(verdict(sign_ed25519(unknown, claims(), other)), "unknown_key");
  EXPECT_EQ(verdict(sign_ed25519(no_kid, claims(), other)), "unknown_key");
  EXPECT_EQ(verdict(sign_ed25519(no_kid, claims(), ring.current().key)),
            "unknown_key");
  EXPECT_EQ(verdict(sign_ed25519(empty_kid, claims(), ring.current().key)),
            "unknown_key");
  EXPECT_EQ(verdict(sign_ed25519(number_kid, claims(), ring.current().key)),
            "unknown_key");
  EXPECT_EQ(verdict(sign_ed25519(embedded, claims(), other)), "unknown_key");
  // Our kid, another key's signature.
  EXPECT_EQ(verdict(sign_ed25519(header(), claims(), other)), "bad_signature");
}

TEST_F(Tokens, ATamperedOrMisshapenTokenIsRefused) {
  auto good = sign(claims(), header());
  auto c = jwt_claims(good);
  c["role"] = "admin";
  EXPECT_EQ(verdict(with_claims(good, c)), "bad_signature");
  auto h = jwt_header(good);
  h["typ"] = "AT+JWT"; // still acceptable, but not what was signed
  auto parts = split_jwt(good);
  EXPECT_EQ(verdict(encode_segment(h) + "." + parts.payload + "." + parts.signature),
            "bad_signature");
  auto crit = header();
  crit["crit"] = json::array{"exp"};
  EXPECT_EQ(verdict(sign(claims(), crit)), "malformed");
  auto padded = good + "==";
  for (auto& bad : std::vector<std::string>{
         "", ".", "..", "a.b.c", good + ".", "." + good, padded,
         parts.header + "." + parts.payload,
         parts.header + ".." + parts.signature,
         "W10." + parts.payload + "." + parts.signature, // header []
         parts.header + ".W10." + parts.signature,       // payload []
         std::string(crypto::max_jws_size + 1, 'a')}) {
    SCOPED_TRACE(bad.substr(0, 40));
    EXPECT_EQ(verdict(bad), "malformed");
  }
  // Well signed but over the size limit: refused unread.
  auto big = claims();
  big["pad"] = std::string(crypto::max_jws_size, 'x');
  EXPECT_EQ(verdict(sign(big, header())), "malformed");
  EXPECT_EQ(verdict(good), "accepted");
}

TEST_F(Tokens, ARetiredKeyVerifiesForAsLongAsItsTokensMayLiveAndNoLonger) {
  auto old = ring.current(); // a copy, private half included
  auto before = authority.issue(ann(), t0).token;
  auto now_ms = wall_ms();
  auto new_kid = authority.rotate(now_ms);
  EXPECT_NE(new_kid, old.kid);
  // The token issued before, and one the old key signs now, still verify.
  EXPECT_EQ(verdict(before), "accepted");
  EXPECT_EQ(verdict(sign_ed25519(header(), claims(), old.key)), "accepted");
  auto after = authority.issue(ann(), t0).token;
  EXPECT_EQ(jwt_header(after).at("kid"), new_kid.c_str());
  EXPECT_EQ(verdict(after), "accepted");
  auto keys = authority.jwks(now_ms).at("keys").as_array();
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_EQ(keys[0].at("kid"), new_kid.c_str());
  EXPECT_EQ(keys[1].at("kid"), old.kid.c_str());
  // Published until lifetime + leeway after its retirement.
  int64_t max_ms = (900 + 60) * 1000;
  EXPECT_EQ(authority.jwks(now_ms + max_ms - 1).at("keys").as_array().size(), 2u);
  EXPECT_EQ(authority.jwks(now_ms + max_ms).at("keys").as_array().size(), 1u);
  // A key retired longer ago than any token lives opens nothing.
  temp_dir other_dir;
  auto fresh = crypto::keyring::open(other_dir.path(), wall_ms());
  auto first = fresh.current();
  token_authority a{fresh, test_settings()};
  a.rotate(wall_ms() - max_ms - 1000);
  json::object h{{"alg", "EdDSA"}, {"typ", "at+jwt"}, {"kid", first.kid}};
  EXPECT_EQ(to_string(a.verify(sign_ed25519(h, claims(), first.key), t0).why),
            "unknown_key");
  EXPECT_EQ(a.jwks(wall_ms()).at("keys").as_array().size(), 1u);
  // One retired just inside that time still does.
  temp_dir third_dir;
  auto third = crypto::keyring::open(third_dir.path(), wall_ms());
  auto kept = third.current();
  token_authority b{third, test_settings()};
  b.rotate(wall_ms() - max_ms + 10'000);
  json::object kh{{"alg", "EdDSA"}, {"typ", "at+jwt"}, {"kid", kept.kid}};
  EXPECT_TRUE(b.verify(sign_ed25519(kh, claims(), kept.key), t0).who);
}

TEST_F(Tokens, TheKeysOutliveTheAuthority) {
  auto token = authority.issue(ann(), t0).token;
  authority.rotate(wall_ms());
  auto rotated = authority.issue(ann(), t0).token;
  // A restart: a new authority over the same directory.
  token_authority again{crypto::keyring::open(dir.path() + "/signing-keys",
                                              wall_ms()),
                        test_settings()};
  EXPECT_TRUE(again.verify(token, t0).who);
  EXPECT_TRUE(again.verify(rotated, t0).who);
  EXPECT_EQ(again.jwks(wall_ms()), authority.jwks(wall_ms()));
  EXPECT_EQ(jwt_header(again.issue(ann(), t0).token).at("kid"),
            jwt_header(rotated).at("kid"));
}

TEST_F(Tokens, ARevokedTokenIsRefusedCachedOrNotAndOnlyIt) {
  auto cached = authority.issue(ann(), t0).token;
  auto fresh = authority.issue(ann(), t0).token;
  auto other = authority.issue(ann(), t0).token;
  ASSERT_TRUE(authority.verify(cached, t0).who); // now in the cache
  for (auto* t : {&cached, &fresh}) {
    auto jti = std::string{jwt_claims(*t).at("jti").as_string()};
    authority.revoke(jti, t0 + 900);
  }
  EXPECT_EQ(verdict(cached), "revoked");
  EXPECT_EQ(verdict(fresh), "revoked");
  EXPECT_EQ(verdict(other), "accepted");
}

TEST_F(Tokens, ABoundedCacheStillVerifiesEveryToken) {
  token_authority small{ring, test_settings(2)};
  std::vector<std::string> tokens;
  for (int i = 0; i < 10; ++i)
    tokens.push_back(small.issue(ann(), t0).token);
  for (int round = 0; round < 3; ++round)
    for (auto& t : tokens)
      EXPECT_TRUE(small.verify(t, t0 + round).who);
}

} // namespace
