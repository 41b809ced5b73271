// Authentication over HTTP: the token endpoint (POST /auth/token, the
// password and client-credentials grants, form or JSON, RFC 6749's
// errors; a wrong password, an unknown user, an unknown tenant and a
// disabled user get the very same answer), the tokens it issues (EdDSA
// access tokens of the JWKS's key, with the documented claims), the JWKS
// and the OpenID configuration, signing key rotation (old tokens stay
// valid, the JWKS holds both keys, the key files stay owner-only),
// revocation; tenants that require credentials, credentials of another
// tenant, and sessions bound to the principal that opened them; and every
// token the service must refuse (tampered, "alg": "none", HS256 keyed
// with the public key in all its forms, unknown or foreign keys, and
// tokens signed with the service's own key whose claims are wrong),
// each with 401 invalid_token and the reason in the platform's audit
// trail.

#include <map>
#include <set>
#include <sys/stat.h>

#include "tests/support/credentials.hpp"

namespace {

using namespace tenantd;
using namespace tenantd::test;
using namespace std::chrono_literals;
namespace json = boost::json;
using bhttp::status;
using bhttp::verb;

int64_t now_s() {
  return unix_millis() / 1000;
}

class HttpAuth : public http_test {
protected:
  HttpAuth() : http_test(identity_tenants()) {
  }

  /// The issuer the service announces.
  std::string issuer() {
    return string_at(body_object(client.get("/.well-known/openid-configuration")),
                     "issuer");
  }

  json::array jwks_keys() {
    auto res = client.get("/.well-known/jwks.json");
    EXPECT_EQ(res.result(), status::ok) << res.body();
    return json::parse(res.body()).at("keys").as_array();
  }

  /// POST /session for alpha with `token`.
  http_response session_with(std::string_view token) {
    return request_as(client, bearer(token), verb::post, "/session",
                      session_json("alpha"));
  }

  /// The token.refused events of the platform's chain: their targets
  /// ("token:<why>"), as many as expected (waits for them: the audit
  /// trail is written after the answer).
  std::multiset<std::string> refusals(std::size_t expected) {
    std::multiset<std::string> out;
    eventually([&] {
      out.clear();
      auto res = admin_get("/audit?action=token.refused&limit=1000");
      if (res.result() != status::ok)
        return false;
      auto parsed = json::parse(res.body());
      for (auto& e : parsed.at("events").as_array())
        out.insert(std::string{e.at("target").as_string()});
      return out.size() >= expected;
    });
    return out;
  }
};

// -- the password grant -------------------------------------------------------

TEST_F(HttpAuth, ThePasswordGrantGivesABearerTokenThatIsNeverCached) {
  auto u = add_user(client, "alpha", "ann@x.test", "ann's password");
  auto res = password_grant(client, "alpha", u.email, u.password);
  ASSERT_EQ(res.result(), status::ok) << res.body();
  EXPECT_EQ(header(res, "Content-Type"), "application/json");
  EXPECT_EQ(header(res, "Cache-Control"), "no-store");
  auto token = string_at(body_object(res), "access_token");
  EXPECT_EQ(res.body(), R"({"access_token":")" + token
                          + R"(","token_type":"Bearer","expires_in":900})");
  EXPECT_EQ(session_with(token).result(), status::ok);
}

TEST_F(HttpAuth, TheTokenIsAnEdDsaAccessTokenOfTheJwksKeyWithTheDocumentedClaims) {
  auto u = add_user(client, "alpha", "ann@x.test", "ann's password", "admin");
  auto before = now_s();
  auto token = login(client, "alpha", u);
  auto after = now_s();
  auto keys = jwks_keys();
  ASSERT_EQ(keys.size(), 1u);
  auto kid = std::string{keys[0].at("kid").as_string()};
  EXPECT_EQ(jwt_header(token),
            (json::object{{"alg", "EdDSA"}, {"typ", "at+jwt"}, {"kid", kid}}));
  auto claims = jwt_claims(token);
  EXPECT_EQ(claims.at("iss"), issuer().c_str());
  EXPECT_EQ(claims.at("aud"), "tenantd");
  EXPECT_EQ(claims.at("sub"), u.id.c_str());
  EXPECT_EQ(claims.at("client_id"), "tenantd");
  EXPECT_EQ(claims.at("tenant"), "alpha");
  EXPECT_EQ(claims.at("role"), "admin");
  auto iat = claims.at("iat").as_int64();
  EXPECT_LE(before, iat);
  EXPECT_LE(iat, after);
  EXPECT_EQ(claims.at("nbf"), iat);
  EXPECT_EQ(claims.at("exp"), iat + 900);
  auto jti = string_at(claims, "jti");
  EXPECT_TRUE(std::regex_match(jti, std::regex{"[0-9a-f]{32}"})) << jti;
  EXPECT_EQ(claims.size(), 10u) << json::serialize(claims);
  // Signed by that key: the JWK's public key verifies it.
  auto x = crypto::base64url_decode(keys[0].at("x").as_string());
  ASSERT_TRUE(x);
  auto pub = crypto::ed25519_key::from_public_raw(*x);
  ASSERT_TRUE(pub);
  auto parts = split_jwt(token);
  auto signature = crypto::base64url_decode(parts.signature);
  ASSERT_TRUE(signature);
  EXPECT_TRUE(pub->verify(parts.header + "." + parts.payload, *signature));
  // Each login its own token.
  auto second = login(client, "alpha", u);
  EXPECT_NE(string_at(jwt_claims(second), "jti"), jti);
}

TEST_F(HttpAuth, TheGrantTakesJsonAndEmailForUsernameInAnyCase) {
  auto u = add_user(client, "alpha", "Ann@X.test", "ann's password");
  json::object body{{"grant_type", "password"}, {"tenant", "alpha"},
                    {"email", "ann@x.TEST"}, {"password", u.password}};
  auto res = client.post("/auth/token", json::serialize(body));
  ASSERT_EQ(res.result(), status::ok) << res.body();
  EXPECT_EQ(string_at(jwt_claims(string_at(body_object(res), "access_token")),
                      "sub"),
            u.id);
}

TEST_F(HttpAuth, AWrongPasswordAnUnknownUserAndAnUnknownTenantGetTheSameAnswer) {
  auto u = add_user(client, "alpha", "ann@x.test", "ann's password");
  auto gone = add_user(client, "alpha", "off@x.test", "off's password");
  ASSERT_EQ(admin_patch("/tenants/alpha/users/" + gone.id, R"({"disabled":true})")
              .result(),
            status::ok);
  // Four failures: one short of the address's throttle.
  std::vector<http_response> answers{
    password_grant(client, "alpha", u.email, "not ann's password"),
    password_grant(client, "alpha", "nobody@x.test", "not ann's password"),
    password_grant(client, "nope", u.email, u.password),
    password_grant(client, "alpha", gone.email, gone.password)};
  for (auto& res : answers) {
    EXPECT_EQ(res.result(), status::bad_request) << res.body();
    EXPECT_EQ(res.body(),
              R"({"error":"invalid_grant","error_description":"Invalid tenant, email or password"})");
    // The same headers, the request id aside.
    std::map<std::string, std::string> fields, first;
    for (auto& f : res)
      if (f.name_string() != "X-Request-Id")
        fields[std::string{f.name_string()}] = std::string{f.value()};
    for (auto& f : answers.front())
      if (f.name_string() != "X-Request-Id")
        first[std::string{f.name_string()}] = std::string{f.value()};
    EXPECT_EQ(fields, first);
  }
  // Ann still logs in.
  EXPECT_FALSE(login(client, "alpha", u).empty());
}

TEST_F(HttpAuth, MalformedTokenRequestsAre400WithTheirOAuthError) {
  struct bad {
    std::string body;
    const char* type;
    const char* error;
  };
  for (auto& b : std::vector<bad>{
         {"tenant=alpha&username=a%40x.test&password=p", form_type,
          "invalid_request"},
         {"grant_type=authorization_code&code=x", form_type,
          "unsupported_grant_type"},
         {"grant_type=password&tenant=alpha&username=a%40x.test", form_type,
          "invalid_request"},
         {"grant_type=password&username=a%40x.test&password=p", form_type,
          "invalid_request"},
         {"grant_type=password&grant_type=password", form_type,
          "invalid_request"},
         {"grant_type=password", "text/plain", "invalid_request"},
         {R"({"grant_type":"password","tenant":"alpha","email":1,"password":"p"})",
          "application/json", "invalid_request"},
         {"[]", "application/json", "invalid_request"},
       }) {
    SCOPED_TRACE(b.body);
    auto res = client.request(verb::post, "/auth/token", b.body, b.type);
    EXPECT_EQ(res.result(), status::bad_request) << res.body();
    EXPECT_EQ(string_at(body_object(res), "error"), b.error) << res.body();
    EXPECT_FALSE(string_at(body_object(res), "error_description").empty());
    EXPECT_EQ(header(res, "Cache-Control"), "no-store");
  }
}

// -- the client-credentials grant ---------------------------------------------

TEST_F(HttpAuth, ClientCredentialsGiveATokenOfTheKeyThatActsAsTheKey) {
  auto k = add_key(client, "alpha", "ci", "admin");
  auto res = client_credentials(client, k.key);
  ASSERT_EQ(res.result(), status::ok) << res.body();
  EXPECT_EQ(header(res, "Cache-Control"), "no-store");
  auto token = string_at(body_object(res), "access_token");
  auto claims = jwt_claims(token);
  EXPECT_EQ(claims.at("sub"), k.id.c_str());
  EXPECT_EQ(claims.at("client_id"), k.id.c_str());
  EXPECT_EQ(claims.at("tenant"), "alpha");
  EXPECT_EQ(claims.at("role"), "admin");
  EXPECT_EQ(res.body().find(k.key), std::string::npos);
  // An admin key's token manages users; and it is the same principal as
  // the key itself: a session opened with one chats with the other.
  EXPECT_EQ(request_as(client, bearer(token), verb::get, "/tenants/alpha/users")
              .result(),
            status::ok);
  auto sid = open_session_as(client, bearer(k.key), "alpha");
  EXPECT_EQ(chat_as(client, bearer(token), "alpha", sid).result(), status::ok);
  auto other = open_session_as(client, bearer(token), "alpha");
  EXPECT_EQ(chat_as(client, bearer(k.key), "alpha", other).result(), status::ok);
}

TEST_F(HttpAuth, ClientCredentialsWithoutAKeyOfTheTenantAre401InvalidClient) {
  auto u = add_user(client, "alpha", "ann@x.test", "ann's password");
  auto user_token = login(client, "alpha", u);
  auto expect_invalid_client = [](const http_response& res) {
    EXPECT_EQ(res.result(), status::unauthorized) << res.body();
    EXPECT_EQ(string_at(body_object(res), "error"), "invalid_client")
      << res.body();
    EXPECT_EQ(header(res, "WWW-Authenticate"), "Bearer");
    EXPECT_EQ(header(res, "Cache-Control"), "no-store");
  };
  auto grant = form_body({{"grant_type", "client_credentials"}});
  expect_invalid_client(
    client.request(verb::post, "/auth/token", grant, form_type));
  expect_invalid_client(client_credentials(client, made_up_key("alpha")));
  expect_invalid_client(client_credentials(client, user_token));
  expect_invalid_client(client_credentials(client, test_admin_token));
  // In the body it is not looked at.
  auto k = add_key(client, "alpha", "ci");
  expect_invalid_client(client.request(
    verb::post, "/auth/token",
    form_body({{"grant_type", "client_credentials"}, {"client_secret", k.key}}),
    form_type));
  // A key whose checksum is wrong is refused before the grant, as on any
  // route.
  auto typo = k.key;
  typo[12] = typo[12] == 'a' ? 'b' : 'a';
  expect_invalid_credential(client_credentials(client, typo));
}

// -- revocation ---------------------------------------------------------------

TEST_F(HttpAuth, ARevokedTokenIsRefusedAtOnceAndOnlyThatToken) {
  auto u = add_user(client, "alpha", "ann@x.test", "ann's password");
  auto token = login(client, "alpha", u);
  auto other = login(client, "alpha", u);
  auto sid = open_session_as(client, bearer(token), "alpha");
  auto res = client.request(verb::post, "/auth/revoke",
                            form_body({{"token", token}}), form_type);
  ASSERT_EQ(res.result(), status::ok) << res.body();
  EXPECT_EQ(res.body(), "{}");
  EXPECT_EQ(header(res, "Cache-Control"), "no-store");
  expect_invalid_credential(session_with(token));
  expect_invalid_credential(chat_as(client, bearer(token), "alpha", sid));
  // The user's other token is another token: its session is the user's.
  EXPECT_EQ(chat_as(client, bearer(other), "alpha", sid).result(), status::ok);
  // Revoking again, or revoking garbage, answers the same.
  for (auto t : {token, std::string{"not a token"}}) {
    auto again = client.post("/auth/revoke", json::serialize(json::object{{"token", t}}));
    EXPECT_EQ(again.result(), status::ok) << again.body();
    EXPECT_EQ(again.body(), "{}");
  }
  auto missing = client.request(verb::post, "/auth/revoke", "", form_type);
  EXPECT_EQ(missing.result(), status::bad_request) << missing.body();
  EXPECT_EQ(string_at(body_object(missing), "error"), "invalid_request");
}

// -- discovery ----------------------------------------------------------------

TEST_F(HttpAuth, TheOpenIdConfigurationNamesTheIssuerAndItsEndpoints) {
  auto res = client.get("/.well-known/openid-configuration");
  ASSERT_EQ(res.result(), status::ok) << res.body();
  EXPECT_EQ(header(res, "Content-Type"), "application/json");
  auto doc = body_object(res);
  auto iss = string_at(doc, "issuer");
  EXPECT_EQ(iss.rfind("http://localhost:", 0), 0u) << iss;
  EXPECT_EQ(doc.at("jwks_uri"), (iss + "/.well-known/jwks.json").c_str());
  EXPECT_EQ(doc.at("token_endpoint"), (iss + "/auth/token").c_str());
  EXPECT_EQ(doc.at("revocation_endpoint"), (iss + "/auth/revoke").c_str());
  EXPECT_EQ(doc.at("grant_types_supported"),
            (json::array{"password", "client_credentials"}));
}

TEST_F(HttpAuth, TheJwksPublishesThePublicSigningKeyOnly) {
  auto res = client.get("/.well-known/jwks.json");
  ASSERT_EQ(res.result(), status::ok) << res.body();
  EXPECT_EQ(header(res, "Content-Type"), "application/jwk-set+json");
  EXPECT_EQ(header(res, "Cache-Control"), "max-age=60");
  auto keys = json::parse(res.body()).at("keys").as_array();
  ASSERT_EQ(keys.size(), 1u);
  auto& jwk = keys[0].as_object();
  auto x = crypto::base64url_decode(jwk.at("x").as_string());
  ASSERT_TRUE(x);
  ASSERT_EQ(x->size(), 32u);
  auto pub = crypto::ed25519_key::from_public_raw(*x);
  ASSERT_TRUE(pub);
  // The kid is the key's RFC 7638 thumbprint; no private member ("d").
  EXPECT_EQ(jwk, crypto::public_jwk(*pub, crypto::jwk_thumbprint(*pub)));
  // The service's own key, as its data directory holds it.
  EXPECT_EQ(jwk.at("kid"), service_keyring(server).current().kid.c_str());
}

TEST_F(HttpAuth, TheIssuerAudienceAndLifetimeComeFromTheConfiguration) {
  auto cfg = test_config();
  cfg.token_issuer = "https://auth.example.test";
  cfg.token_audience = "chat-api";
  cfg.access_token_ttl = std::chrono::seconds{120};
  running_service other{identity_tenants(), cfg};
  http_client c{other.port()};
  auto u = add_user(c, "alpha", "ann@x.test", "ann's password");
  auto res = password_grant(c, "alpha", u.email, u.password);
  ASSERT_EQ(res.result(), status::ok) << res.body();
  EXPECT_EQ(body_object(res).at("expires_in"), 120);
  auto token = string_at(body_object(res), "access_token");
  auto claims = jwt_claims(token);
  EXPECT_EQ(claims.at("iss"), "https://auth.example.test");
  EXPECT_EQ(claims.at("aud"), "chat-api");
  EXPECT_EQ(claims.at("exp").as_int64() - claims.at("iat").as_int64(), 120);
  auto doc = body_object(c.get("/.well-known/openid-configuration"));
  EXPECT_EQ(doc.at("issuer"), "https://auth.example.test");
  EXPECT_EQ(doc.at("jwks_uri"), "https://auth.example.test/.well-known/jwks.json");
  EXPECT_EQ(request_as(c, bearer(token), verb::post, "/session",
                       session_json("alpha")).result(),
            status::ok);
  // A token of this service is not one of the other's (another key,
  // issuer and audience).
  expect_invalid_credential(session_with(token));
}

// -- rotation -----------------------------------------------------------------

TEST_F(HttpAuth, RotationSignsWithANewKeyAndOldTokensStayValid) {
  auto u = add_user(client, "alpha", "ann@x.test", "ann's password");
  auto old_token = login(client, "alpha", u);
  auto old_kid = string_at(jwt_header(old_token), "kid");
  auto res = admin_post("/auth/keys/rotate");
  ASSERT_EQ(res.result(), status::ok) << res.body();
  auto new_kid = string_at(body_object(res), "kid");
  EXPECT_EQ(res.body(), R"({"kid":")" + new_kid + R"("})");
  EXPECT_NE(new_kid, old_kid);
  auto keys = jwks_keys();
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_EQ(keys[0].at("kid"), new_kid.c_str()); // the current key first
  EXPECT_EQ(keys[1].at("kid"), old_kid.c_str());
  EXPECT_EQ(session_with(old_token).result(), status::ok);
  auto new_token = login(client, "alpha", u);
  EXPECT_EQ(string_at(jwt_header(new_token), "kid"), new_kid);
  EXPECT_EQ(session_with(new_token).result(), status::ok);
  // Both on disk, owner-only.
  auto ring = service_keyring(server);
  ASSERT_EQ(ring.keys().size(), 2u);
  EXPECT_EQ(ring.current().kid, new_kid);
  struct stat st{};
  auto dir = server.data_dir() + "/signing-keys";
  ASSERT_EQ(::stat(dir.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  ASSERT_EQ(::stat((dir + "/keys.json").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat((server.data_dir() + "/key-secret").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  // Rotating again keeps every key a token may still need.
  ASSERT_EQ(admin_post("/auth/keys/rotate").result(), status::ok);
  EXPECT_EQ(jwks_keys().size(), 3u);
  EXPECT_EQ(session_with(old_token).result(), status::ok);
}

// -- tenants that require credentials -----------------------------------------

TEST_F(HttpAuth, ARequiredTenantRefusesSessionsAndChatsWithoutACredential) {
  auto u = add_user(client, "alpha", "ann@x.test", "ann's password");
  auto as_ann = bearer(login(client, "alpha", u));
  auto sid = open_session_as(client, as_ann, "alpha");
  expect_401(client.post("/session", session_json("alpha")), "Not authenticated",
             "Bearer");
  expect_401(chat("alpha", sid, "hi"), "Not authenticated", "Bearer");
  // Whether the session exists is not told either.
  expect_401(chat("alpha", "00000000-0000-4000-8000-000000000000", "hi"),
             "Not authenticated", "Bearer");
  auto res = chat_as(client, as_ann, "alpha", sid, "hi");
  ASSERT_EQ(res.result(), status::ok) << res.body();
  EXPECT_EQ(json::parse(res.body()).at("reply"), "Hi from alpha. You said: 'hi'.");
  // The open tenant next to it opens to anyone.
  auto open = open_session("opal");
  EXPECT_EQ(chat("opal", open, "hi").result(), status::ok);
}

TEST_F(HttpAuth, AnotherTenantsCredentialIs403EvenOnAnOpenTenant) {
  auto b = add_user(client, "beta", "bob@x.test", "bob's password");
  auto as_bob = bearer(login(client, "beta", b));
  auto beta_key = bearer(add_key(client, "beta", "k").key);
  auto alpha_session = open_session_as(client, admin_auth, "alpha");
  auto opal_session = open_session("opal");
  for (auto* as : {&as_bob, &beta_key}) {
    for (auto [tenant, sid] : {std::pair{"alpha", alpha_session},
                               std::pair{"opal", opal_session}}) {
      SCOPED_TRACE(tenant);
      expect_detail(request_as(client, *as, verb::post, "/session",
                               session_json(tenant)),
                    status::forbidden, "Credential does not belong to tenant");
      expect_detail(chat_as(client, *as, tenant, sid), status::forbidden,
                    "Credential does not belong to tenant");
    }
  }
  // Its own tenant is fine.
  open_session_as(client, as_bob, "beta");
}

TEST_F(HttpAuth, ASessionBelongsToThePrincipalThatOpenedIt) {
  auto ann = add_user(client, "alpha", "ann@x.test", "ann's password");
  auto bob = add_user(client, "alpha", "bob@x.test", "bob's password", "admin");
  auto as_ann = bearer(login(client, "alpha", ann));
  auto as_bob = bearer(login(client, "alpha", bob));
  auto key = bearer(add_key(client, "alpha", "k", "admin").key);
  auto sid = open_session_as(client, as_ann, "alpha");
  for (auto* other : std::initializer_list<const http_headers*>{&as_bob, &key, &admin_auth}) {
    expect_detail(chat_as(client, *other, "alpha", sid), status::forbidden,
                  "Session does not belong to principal");
  }
  // Ann with another token of hers: the session is hers, not the token's.
  auto again = bearer(login(client, "alpha", ann));
  EXPECT_EQ(chat_as(client, again, "alpha", sid).result(), status::ok);
  EXPECT_EQ(chat_as(client, as_ann, "alpha", sid).result(), status::ok);
  // And Bob's session is Bob's.
  auto bobs = open_session_as(client, as_bob, "alpha");
  expect_detail(chat_as(client, as_ann, "alpha", bobs), status::forbidden,
                "Session does not belong to principal");
}

TEST_F(HttpAuth, AnonymousSessionsOfAnOpenTenantStayAnyones) {
  auto u = add_user(client, "opal", "olga@x.test", "olga's password");
  auto as_olga = bearer(login(client, "opal", u));
  auto key = bearer(add_key(client, "opal", "k").key);
  auto sid = open_session("opal");
  for (auto* who : std::initializer_list<const http_headers*>{&anonymous, &as_olga, &key, &admin_auth})
    EXPECT_EQ(chat_as(client, *who, "opal", sid).result(), status::ok);
  // A session opened with a credential is that credential's, even here.
  auto olgas = open_session_as(client, as_olga, "opal");
  expect_detail(chat("opal", olgas, "hi"), status::forbidden,
                "Session does not belong to principal");
  expect_detail(chat_as(client, key, "opal", olgas), status::forbidden,
                "Session does not belong to principal");
  EXPECT_EQ(chat_as(client, as_olga, "opal", olgas).result(), status::ok);
}

// -- refused tokens -----------------------------------------------------------

class HttpRefusedTokens : public HttpAuth {
protected:
  void SetUp() override {
    ann = add_user(client, "alpha", "ann@x.test", "ann's password");
    token = login(client, "alpha", ann);
    ASSERT_EQ(session_with(token).result(), status::ok);
    kid = string_at(jwt_header(token), "kid");
    iss = issuer();
  }

  /// Claims like the service's for Ann at `now`.
  json::object claims(int64_t now = now_s()) {
    return {{"iss", iss},     {"aud", "tenantd"},   {"sub", ann.id},
            {"client_id", "tenantd"}, {"tenant", "alpha"}, {"role", "member"},
            {"iat", now},     {"nbf", now},         {"exp", now + 900},
            {"jti", "jti-" + std::to_string(++jtis)}};
  }

  json::object good_header() const {
    return {{"alg", "EdDSA"}, {"typ", "at+jwt"}, {"kid", kid}};
  }

  /// Expects `bad` refused on a tenant's route and on the platform admin's.
  void expect_refused(const std::string& bad) {
    expect_invalid_credential(session_with(bad));
    expect_401(request_as(client, bearer(bad), verb::get, "/tenants"),
               "Invalid admin token", R"(Bearer error="invalid_token")");
  }

  test_user ann;
  std::string token;
  std::string kid;
  std::string iss;
  int jtis = 0;
};

TEST_F(HttpRefusedTokens, ATamperedTokenIsRefused) {
  std::vector<std::string> tampered;
  auto c = jwt_claims(token);
  for (auto [name, value] :
       {std::pair<const char*, json::value>{"role", "admin"},
        {"exp", c.at("exp").as_int64() + 3600},
        {"sub", "usr_AAAAAAAAAAAAAAAAAAAAAA"},
        {"tenant", "beta"}}) {
    auto changed = c;
    changed[name] = value;
    tampered.push_back(with_claims(token, changed));
  }
  auto parts = split_jwt(token);
  auto sig = *crypto::base64url_decode(parts.signature);
  sig[0] = static_cast<char>(sig[0] ^ 1);
  tampered.push_back(parts.header + "." + parts.payload + "."
                     + crypto::base64url_encode(sig));
  tampered.push_back(parts.header + "." + parts.payload + "."
                     + crypto::base64url_encode(sig.substr(0, 63)));
  for (auto& bad : tampered) {
    SCOPED_TRACE(bad);
    expect_refused(bad);
  }
  // Formless ones too.
  for (std::string bad : {token + ".x", parts.header + "." + parts.payload,
                          parts.header + "." + parts.payload + ".",
                          token.substr(0, token.size() - 1), std::string{"a.b.c"}}) {
    SCOPED_TRACE(bad);
    expect_refused(bad);
  }
  // The original is fine.
  EXPECT_EQ(session_with(token).result(), status::ok);
  auto why = refusals(2 * (tampered.size() + 5));
  EXPECT_EQ(why.count("token:bad_signature"), 2 * tampered.size());
  EXPECT_EQ(why.count("token:malformed"), 10u);
}

TEST_F(HttpRefusedTokens, AlgNoneIsRefusedWhateverItsSpelling) {
  auto parts = split_jwt(token);
  for (auto alg : {"none", "None", "NONE", "nOnE"}) {
    SCOPED_TRACE(alg);
    json::object h{{"alg", alg}, {"typ", "at+jwt"}, {"kid", kid}};
    expect_refused(unsigned_jwt(h, claims()));
    expect_refused(unsigned_jwt(h, claims(), parts.signature));
    expect_refused(unsigned_jwt(h, jwt_claims(token), parts.signature));
  }
  // No "alg" at all, or an EdDSA header with "crit".
  expect_refused(unsigned_jwt({{"typ", "at+jwt"}, {"kid", kid}}, claims(),
                              parts.signature));
  auto crit = good_header();
  crit["crit"] = json::array{"exp"};
  auto ring = service_keyring(server);
  expect_refused(sign_ed25519(crit, claims(), ring.current().key));
  auto why = refusals(2 * 14);
  EXPECT_EQ(why.count("token:malformed"), 2 * 14u);
}

TEST_F(HttpRefusedTokens, Hs256KeyedWithThePublicKeyInAnyFormIsRefused) {
  auto keys = jwks_keys();
  auto& jwk = keys[0].as_object();
  auto pub = crypto::ed25519_key::from_public_raw(
    *crypto::base64url_decode(jwk.at("x").as_string()));
  ASSERT_TRUE(pub);
  auto forms = public_key_forms(*pub, kid);
  forms.push_back(json::serialize(jwk));
  forms.push_back(json::serialize(keys));
  std::size_t n = 0;
  for (auto alg : {"HS256", "HS384", "HS512", "hs256"}) {
    for (auto& secret : forms) {
      SCOPED_TRACE(std::string{alg} + " keyed with " + secret);
      json::object h{{"alg", alg}, {"typ", "at+jwt"}, {"kid", kid}};
      expect_refused(sign_hs256(h, claims(), secret));
      ++n;
    }
  }
  // An HMAC under a header that says EdDSA is just a bad signature.
  expect_refused(sign_hs256(good_header(), claims(), forms[1]));
  auto why = refusals(2 * (n + 1));
  EXPECT_EQ(why.count("token:malformed"), 2 * n);
  EXPECT_EQ(why.count("token:bad_signature"), 2u);
}

TEST_F(HttpRefusedTokens, AKeyTheServiceDoesNotHoldIsRefused) {
  auto mine = crypto::ed25519_key::generate();
  auto my_kid = crypto::jwk_thumbprint(mine);
  json::object own_kid{{"alg", "EdDSA"}, {"typ", "at+jwt"}, {"kid", my_kid}};
  json::object no_kid{{"alg", "EdDSA"}, {"typ", "at+jwt"}};
  // The key embedded in the header, or pointed at (RFC 7515 jwk, jku).
  auto embedded = own_kid;
  embedded["jwk"] = crypto::public_jwk(mine, my_kid);
  auto pointed = good_header();
  pointed["jku"] = "http://127.0.0.1:1/jwks.json";
  expect_refused(sign_ed25519(own_kid, claims(), mine));
  expect_refused(sign_ed25519(no_kid, claims(), mine));
  expect_refused(sign_ed25519(embedded, claims(), mine));
  // The service's kid, signed with another key.
  expect_refused(sign_ed25519(good_header(), claims(), mine));
  expect_refused(sign_ed25519(pointed, claims(), mine));
  auto why = refusals(10);
  EXPECT_EQ(why, (std::multiset<std::string>{
                   "token:unknown_key", "token:unknown_key", "token:unknown_key",
                   "token:unknown_key", "token:unknown_key", "token:unknown_key",
                   "token:bad_signature", "token:bad_signature",
                   "token:bad_signature", "token:bad_signature"}));
}

TEST_F(HttpRefusedTokens, TheServicesOwnKeyDoesNotMakeBadClaimsValid) {
  auto ring = service_keyring(server);
  auto& key = ring.current().key;
  auto now = now_s();
  auto sign = [&](json::object c, json::object h) {
    return sign_ed25519(h, c, key);
  };
  auto with = [&](const char* name, json::value v) {
    auto c = claims(now);
    c[name] = std::move(v);
    return c;
  };
  auto without = [&](const char* name) {
    auto c = claims(now);
    c.erase(name);
    return c;
  };
  auto header_typ = [&](json::value typ) {
    auto h = good_header();
    if (typ.is_null())
      h.erase("typ");
    else
      h["typ"] = std::move(typ);
    return h;
  };
  // Accepted: the service's own kind of token, within the leeway.
  struct accepted_case {
    const char* what;
    std::string token;
  };
  auto expired_in_leeway = claims(now - 1000);
  expired_in_leeway["exp"] = now - 30;
  for (auto& ok : std::vector<accepted_case>{
         {"as the service makes them", sign(claims(now), good_header())},
         {"expired less than the leeway ago", sign(expired_in_leeway, good_header())},
         {"valid from within the leeway", sign(with("nbf", now + 30), good_header())},
         {"issued within the leeway", sign(with("iat", now + 30), good_header())},
         {"no nbf", sign(without("nbf"), good_header())},
         {"an audience list", sign(with("aud", json::array{"other", "tenantd"}),
                                   good_header())},
         {"typ application/at+jwt", sign(claims(now), header_typ("application/at+jwt"))},
         {"typ in capitals", sign(claims(now), header_typ("AT+JWT"))}}) {
    SCOPED_TRACE(ok.what);
    EXPECT_EQ(session_with(ok.token).result(), status::ok);
  }
  struct refused_case {
    const char* what;
    std::string token;
    const char* why;
  };
  auto expired = claims(now - 1000);
  expired["exp"] = now - 61;
  std::vector<refused_case> refused{
    {"expired beyond the leeway", sign(expired, good_header()), "expired"},
    {"not yet valid", sign(with("nbf", now + 120), good_header()),
     "not_yet_valid"},
    {"issued in the future", sign(with("iat", now + 120), good_header()),
     "not_yet_valid"},
    {"another audience", sign(with("aud", "other"), good_header()),
     "wrong_audience"},
    {"no audience", sign(without("aud"), good_header()), "wrong_audience"},
    {"another issuer", sign(with("iss", "https://evil.example"), good_header()),
     "wrong_issuer"},
    {"the issuer with a slash", sign(with("iss", json::string{iss + "/"}), good_header()),
     "wrong_issuer"},
    {"typ JWT", sign(claims(now), header_typ("JWT")), "wrong_type"},
    {"no typ", sign(claims(now), header_typ(nullptr)), "wrong_type"},
    {"no exp", sign(without("exp"), good_header()), "bad_claims"},
    {"exp a string", sign(with("exp", json::string{std::to_string(now + 900)}), good_header()),
     "bad_claims"},
    {"no iat", sign(without("iat"), good_header()), "bad_claims"},
    {"no jti", sign(without("jti"), good_header()), "bad_claims"},
    {"a subject that is neither a user nor a key",
     sign(with("sub", "admin"), good_header()), "bad_claims"},
    {"an unknown role", sign(with("role", "owner"), good_header()),
     "bad_claims"},
    {"no tenant", sign(without("tenant"), good_header()), "bad_claims"},
  };
  for (auto& r : refused) {
    SCOPED_TRACE(r.what);
    expect_refused(r.token);
  }
  std::multiset<std::string> want;
  for (auto& r : refused)
    for (int i = 0; i < 2; ++i)
      want.insert(std::string{"token:"} + r.why);
  EXPECT_EQ(refusals(want.size()), want);
  // Well signed and well formed, but naming a user the tenant does not
  // have: the tenant refuses it (401, not a token refusal).
  expect_invalid_credential(
    session_with(sign(with("sub", "usr_AAAAAAAAAAAAAAAAAAAAAA"), good_header())));
  // Or another tenant: that tenant's, so 403 here.
  expect_detail(session_with(sign(with("tenant", "beta"), good_header())),
                status::forbidden, "Credential does not belong to tenant");
}

TEST_F(HttpRefusedTokens, ARefusedTokenIsAuditedWithoutTheToken) {
  auto bad = with_claims(token, [&] {
    auto c = jwt_claims(token);
    c["role"] = "admin";
    return c;
  }());
  expect_invalid_credential(request_as(client, bearer(bad), verb::post,
                                       "/session", session_json("alpha")));
  ASSERT_EQ(refusals(1).size(), 1u);
  auto res = admin_get("/audit?action=token.refused");
  ASSERT_EQ(res.result(), status::ok);
  auto e = json::parse(res.body()).at("events").as_array()[0].as_object();
  EXPECT_TRUE(e.at("tenant").is_null()); // the platform's chain
  EXPECT_EQ(e.at("target"), "token:bad_signature");
  EXPECT_EQ(e.at("outcome"), "denied");
  EXPECT_EQ(e.at("source"), "127.0.0.1");
  EXPECT_EQ(res.body().find(split_jwt(bad).signature), std::string::npos);
  EXPECT_EQ(res.body().find(split_jwt(bad).payload), std::string::npos);
}

} // namespace
