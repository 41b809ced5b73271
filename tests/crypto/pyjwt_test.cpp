// A cross-check with an implementation written elsewhere: PyJWT (with
// python3-cryptography) verifies a token jws_sign made, against the JWK
// public_jwk made, and refuses it once tampered with. Skipped when python3
// or its jwt module is missing (scripts/install-deps.sh installs
// python3-jwt for the tests).

#include <array>
#include <cstdio>
#include <fstream>
#include <string>

#include <sys/wait.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include "crypto/encoding.hpp"
#include "crypto/jws.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

namespace json = boost::json;
using namespace tenantd::crypto;

struct run_result {
  int status = -1;
  std::string output;
};

// Runs `command` in a shell, with its stderr joined to its stdout.
run_result run(const std::string& command) {
  run_result result;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr)
    return result;
  std::array<char, 4096> buffer;
  while (auto n = std::fread(buffer.data(), 1, buffer.size(), pipe))
    result.output.append(buffer.data(), n);
  int status = ::pclose(pipe);
  result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

std::string shell_quoted(const std::string& path) {
  return "'" + path + "'";
}

// A python3 that has PyJWT: Debian's (where python3-jwt installs), or the
// first on PATH. Empty if none.
std::string python_with_jwt() {
  for (std::string python : {"/usr/bin/python3", "python3"})
    if (run(python + " -c 'import jwt, cryptography'").status == 0)
      return python;
  return {};
}

// Decodes the token in `token_file` with the JWK in `jwk_file`, EdDSA only,
// audience "tenantd-test"; prints the claims and the kid as JSON.
constexpr const char* check_script = R"(import json, sys
import jwt
jwk = jwt.PyJWK(json.load(open(sys.argv[1])))
token = open(sys.argv[2]).read()
claims = jwt.decode(token, jwk.key, algorithms=["EdDSA"],
                    audience="tenantd-test")
header = jwt.get_unverified_header(token)
print(json.dumps({"claims": claims, "kid": header["kid"]}))
)";

void write_file(const std::string& path, const std::string& text) {
  std::ofstream{path} << text;
}

TEST(PyJwt, VerifiesATokenThatJwsSignMadeWithTheJwkOfItsKey) {
  auto python = python_with_jwt();
  if (python.empty())
    GTEST_SKIP() << "python3 with the jwt module (python3-jwt) is missing";
  tenantd::test::temp_dir tmp;
  auto key = ed25519_key::generate();
  auto kid = jwk_thumbprint(key);
  auto now = static_cast<int64_t>(std::time(nullptr));
  json::object claims{{"sub", "alice"},
                      {"tenant", "acme"},
                      {"aud", "tenantd-test"},
                      {"iat", now},
                      {"exp", now + 600}};
  auto token = jws_sign({{"alg", "EdDSA"}, {"typ", "JWT"}, {"kid", kid}},
                        claims, key);
  auto script = tmp.path() + "/check.py";
  auto jwk_file = tmp.path() + "/jwk.json";
  auto token_file = tmp.path() + "/token";
  write_file(script, check_script);
  write_file(jwk_file, json::serialize(public_jwk(key, kid)));
  write_file(token_file, token);
  auto command = python + " " + shell_quoted(script) + " "
                 + shell_quoted(jwk_file) + " " + shell_quoted(token_file);

  auto good = run(command);
  ASSERT_EQ(good.status, 0) << good.output;
  boost::system::error_code ec;
  auto decoded = json::parse(good.output, ec);
  ASSERT_FALSE(ec) << good.output;
  EXPECT_EQ(decoded.at("kid"), json::value(kid));
  EXPECT_EQ(decoded.at("claims"), claims);

  // The same token with another subject: PyJWT must refuse the signature.
  auto first = token.find('.');
  auto second = token.find('.', first + 1);
  auto forged_claims = claims;
  forged_claims["sub"] = "mallory";
  write_file(token_file, token.substr(0, first + 1)
                           + base64url_encode(json::serialize(forged_claims))
                           + token.substr(second));
  auto forged = run(command);
  EXPECT_NE(forged.status, 0) << forged.output;
  EXPECT_NE(forged.output.find("InvalidSignatureError"), std::string::npos)
    << forged.output;
}

} // namespace
