// The token endpoints: POST /auth/token (OAuth 2.0, RFC 6749: the password
// grant and the client-credentials grant, form-encoded or JSON),
// POST /auth/revoke (RFC 7009), POST /auth/keys/rotate (the platform
// admin), and the discovery documents GET /.well-known/jwks.json and
// /.well-known/openid-configuration. Errors of the token endpoint have
// RFC 6749 §5.2's shape: {"error", "error_description"}.

#include <map>
#include <optional>
#include <string>

#include <boost/beast/http/field.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "core/clock.hpp"
#include "http/api/api.hpp"
#include "http/api/resource.hpp"
#include "http/form.hpp"
#include "http/tokens.hpp"
#include "util/fair_pool.hpp"
#include "util/log.hpp"

namespace tenantd::http::api {

namespace {

namespace beast_http = boost::beast::http;
namespace json = boost::json;
using beast_http::status;

// RFC 6749 §5.2. Token answers are never cached (§5.1).
response oauth_error(const request_facts& facts, status st,
                     std::string_view error, std::string_view description) {
  auto res = make_response(
    facts, st,
    json::serialize(json::object{{"error", error},
                                 {"error_description", description}}));
  res.set(beast_http::field::cache_control, "no-store");
  if (st == status::unauthorized)
    res.set(beast_http::field::www_authenticate, "Bearer");
  return res;
}

// The parameters of a form-encoded or JSON body (string values only), or
// the error to answer.
std::variant<std::map<std::string, std::string>, response>
token_parameters(const call& c) {
  auto type = std::string{c.req[beast_http::field::content_type]};
  auto media = type.substr(0, type.find(';'));
  for (auto& ch : media)
    ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  while (!media.empty() && media.back() == ' ')
    media.pop_back();
  if (media == "application/x-www-form-urlencoded") {
    auto form = parse_form(c.req.body());
    if (!form)
      return oauth_error(c.facts, status::bad_request, "invalid_request",
                         "a parameter is given more than once");
    return std::move(*form);
  }
  if (media == "application/json") {
    json::error_code ec;
    json::parse_options options;
    options.max_depth = c.ctx.options.limits.max_depth;
    auto value = json::parse(c.req.body(), ec, {}, options);
    auto* obj = ec ? nullptr : value.if_object();
    if (obj == nullptr)
      return oauth_error(c.facts, status::bad_request, "invalid_request",
                         "the body must be a JSON object");
    std::map<std::string, std::string> params;
    for (auto& [key, v] : *obj) {
      if (!v.is_string())
        return oauth_error(c.facts, status::bad_request, "invalid_request",
                           std::string{key} + " must be a string");
      params.emplace(std::string{key}, std::string{v.get_string()});
    }
    return params;
  }
  return oauth_error(c.facts, status::bad_request, "invalid_request",
                     "use application/x-www-form-urlencoded or "
                     "application/json");
}

// 503 where the service was assembled without access tokens (some tests).
std::optional<response> without_tokens(const call& c) {
  if (c.ctx.options.tokens)
    return std::nullopt;
  return detail_response(c.facts, status::service_unavailable,
                         "Access tokens are not configured");
}

std::string param(const std::map<std::string, std::string>& params,
                  const std::string& name) {
  auto i = params.find(name);
  return i == params.end() ? std::string{} : i->second;
}

// 429 with Retry-After for a login throttled for `seconds`.
response throttled(const request_facts& facts, uint32_t seconds) {
  auto res = oauth_error(facts, status::too_many_requests, "invalid_grant",
                         "Too many failed logins; retry after "
                           + std::to_string(seconds) + " s");
  res.set(beast_http::field::retry_after, std::to_string(seconds));
  return res;
}

// Answers with a new token for `who`, or the grant's failure. A password
// grant's outcome counts for its client address.
lane::continuation<principal> answer_token(const call& c, reply done,
                                           bool password_grant) {
  auto* logins = &c.ctx.logins; // the router outlives its requests
  return [facts = c.facts, tokens = c.ctx.options.tokens,
          done = std::move(done), password_grant, logins,
          address = c.who.source](caf::expected<principal> who) {
    if (!who) {
      auto& err = who.error();
      if (is(err, errc::login_throttled))
        return done(throttled(facts, wait_of(err)));
      // The grant's own failures; anything else (busy, storage, a tenant
      // that cannot be served) is not the client's and says so.
      bool refused = is(err, errc::login_failed)
                     || is(err, errc::unknown_tenant)
                     || is(err, errc::tenant_suspended)
                     || is(err, errc::invalid_credential)
                     || is(err, errc::foreign_credential)
                     || is(err, errc::insufficient_role);
      if (!refused)
        return done(error_to_response(facts, err));
      if (password_grant) {
        logins->failed(address);
        return done(oauth_error(facts, status::bad_request, "invalid_grant",
                                "Invalid tenant, email or password"));
      }
      return done(oauth_error(facts, status::unauthorized, "invalid_client",
                              "Invalid API key"));
    }
    if (password_grant)
      logins->succeeded(address);
    auto issued = tokens->issue(*who, unix_millis() / 1000);
    auto res = make_response(
      facts, status::ok,
      json::serialize(json::object{{"access_token", issued.token},
                                   {"token_type", "Bearer"},
                                   {"expires_in", issued.expires_in}}));
    res.set(beast_http::field::cache_control, "no-store");
    done(std::move(res));
  };
}

void handle_token(const call& c, reply done) {
  if (auto refusal = without_tokens(c))
    return done(std::move(*refusal));
  auto parsed = token_parameters(c);
  if (auto* bad = std::get_if<response>(&parsed))
    return done(std::move(*bad));
  auto& params = std::get<std::map<std::string, std::string>>(parsed);
  auto grant = param(params, "grant_type");
  if (grant == "password") {
    auto tenant = param(params, "tenant");
    auto email = params.count("username") ? param(params, "username")
                                          : param(params, "email");
    auto password = param(params, "password");
    if (tenant.empty() || email.empty() || password.empty())
      return done(oauth_error(c.facts, status::bad_request, "invalid_request",
                              "the password grant needs tenant, username "
                              "(or email) and password"));
    if (auto wait = c.ctx.logins.wait(c.who.source)) {
      c.asks.tell_registry(record_audit{make_audit_event(
        "", c.who, "login.throttled", "tenant:" + tenant, "denied",
        unix_millis())});
      return done(throttled(c.facts, wait));
    }
    done.about_tenant(tenant);
    auto answer = answer_token(c, std::move(done), true);
    return c.asks.ask_tenant<principal>(
      login_request{std::move(tenant), std::move(email), std::move(password),
                    c.who},
      std::move(answer));
  }
  if (grant == "client_credentials") {
    // The key comes in the Authorization header only (the router resolved
    // it), never in the body.
    if (c.who.kind != principal_kind::api_key || c.who.key_digest.empty())
      return done(oauth_error(c.facts, status::unauthorized, "invalid_client",
                              "send the API key as Authorization: Bearer"));
    done.about_tenant(c.who.tenant);
    auto answer = answer_token(c, std::move(done), false);
    return c.asks.ask_tenant<principal>(authenticate{c.who.tenant, c.who},
                                        std::move(answer));
  }
  if (grant.empty())
    return done(oauth_error(c.facts, status::bad_request, "invalid_request",
                            "grant_type is required"));
  done(oauth_error(c.facts, status::bad_request, "unsupported_grant_type",
                   "grant_type must be password or client_credentials"));
}

// RFC 7009: the token is refused from now on; the answer is 200 whether or
// not it was valid, so that nothing is learnt from it.
void handle_revoke(const call& c, reply done) {
  if (auto refusal = without_tokens(c))
    return done(std::move(*refusal));
  auto parsed = token_parameters(c);
  if (auto* bad = std::get_if<response>(&parsed))
    return done(std::move(*bad));
  auto token = param(std::get<std::map<std::string, std::string>>(parsed),
                     "token");
  if (token.empty())
    return done(oauth_error(c.facts, status::bad_request, "invalid_request",
                            "token is required"));
  auto& tokens = *c.ctx.options.tokens;
  auto now = unix_millis() / 1000;
  auto verdict = tokens.verify(token, now);
  if (verdict.who)
    tokens.revoke(verdict.who->token_id,
                  now + tokens.settings().lifetime.count());
  auto res = make_response(c.facts, status::ok, "{}");
  res.set(beast_http::field::cache_control, "no-store");
  done(std::move(res));
}

void handle_rotate(const call& c, reply done) {
  if (auto refusal = without_tokens(c))
    return done(std::move(*refusal));
  if (!c.ctx.options.background)
    return done(detail_response(c.facts, status::service_unavailable,
                                "Signing keys cannot be rotated here"));
  auto tokens = c.ctx.options.tokens;
  auto back = c.asks.post_here();
  auto facts = c.facts;
  auto* asks = &c.asks; // used only on the lane's thread, while it runs
  auto who = c.who;
  // Writing the keys blocks on disk: off the I/O thread.
  bool taken = c.ctx.options.background->submit(
    "platform", [tokens, back, facts, done, asks, who]() mutable {
      std::string kid;
      std::string failure;
      try {
        kid = tokens->rotate(unix_millis());
      } catch (const std::exception& e) {
        failure = e.what();
      }
      back([facts, done = std::move(done), kid, failure, asks, who] {
        if (!failure.empty()) {
          log::error("auth", "signing key rotation failed: " + failure);
          return done(detail_response(facts, status::service_unavailable,
                                      "Signing keys could not be saved"));
        }
        log::info("auth", "signing key rotated", {{"kid", kid}});
        asks->tell_registry(record_audit{make_audit_event(
          "", who, "signing_key.rotated", "kid:" + kid, "success",
          unix_millis())});
        done(make_response(facts, status::ok,
                           json::serialize(json::object{{"kid", kid}})));
      });
    });
  if (!taken) {
    auto res = detail_response(c.facts, status::service_unavailable,
                               "Too busy; try again");
    res.set(beast_http::field::retry_after, "1");
    done(std::move(res));
  }
}

void handle_jwks(const call& c, reply done) {
  if (auto refusal = without_tokens(c))
    return done(std::move(*refusal));
  auto res = make_response(
    c.facts, status::ok,
    json::serialize(c.ctx.options.tokens->jwks(unix_millis())),
    "application/jwk-set+json");
  // Rotation adds a key at once: caches must not hold the set for long.
  res.set(beast_http::field::cache_control, "max-age=60");
  done(std::move(res));
}

void handle_openid_configuration(const call& c, reply done) {
  if (auto refusal = without_tokens(c))
    return done(std::move(*refusal));
  auto& issuer = c.ctx.options.tokens->settings().issuer;
  json::object doc{
    {"issuer", issuer},
    {"jwks_uri", issuer + "/.well-known/jwks.json"},
    {"token_endpoint", issuer + "/auth/token"},
    {"revocation_endpoint", issuer + "/auth/revoke"},
    {"grant_types_supported", json::array{"password", "client_credentials"}},
    {"token_endpoint_auth_methods_supported", json::array{"none"}},
    {"id_token_signing_alg_values_supported", json::array{"EdDSA"}},
    {"response_types_supported", json::array{"token"}},
    {"subject_types_supported", json::array{"public"}},
  };
  done(make_response(c.facts, status::ok, json::serialize(doc)));
}

} // namespace

std::vector<route> auth_routes() {
  using beast_http::verb;
  constexpr auto style = route_style::rest;
  return {
    {"/auth/token", verb::post, access::anyone, style, handle_token},
    {"/auth/revoke", verb::post, access::anyone, style, handle_revoke},
    {"/auth/keys/rotate", verb::post, access::platform_admin, style,
     handle_rotate},
    {"/.well-known/jwks.json", verb::get, access::anyone, style, handle_jwks},
    {"/.well-known/openid-configuration", verb::get, access::anyone, style,
     handle_openid_configuration},
  };
}

} // namespace tenantd::http::api
