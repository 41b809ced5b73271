// Unit tests of crypto/jws: compact JWS with EdDSA (sign, parse, verify),
// the refusals of jws_parse, public JWKs and their RFC 7638 thumbprints,
// against RFC 8037 Appendix A.

#include "crypto/jws.hpp"

#include <string>

#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include "crypto/encoding.hpp"
#include "tests/crypto/test_vectors.hpp"

namespace {

namespace json = boost::json;
using namespace tenantd::crypto;
using namespace tenantd::test;

json::object header_for(std::string_view kid) {
  return {{"alg", "EdDSA"}, {"typ", "JWT"}, {"kid", kid}};
}

json::object claims() {
  return {{"sub", "alice"}, {"tenant", "acme"}, {"exp", 1700000000}};
}

std::string b64(std::string_view text) {
  return base64url_encode(text);
}

TEST(Jws, ASignedTokenParsesAndVerifies) {
  auto key = ed25519_key::generate();
  auto token = jws_sign(header_for("k1"), claims(), key);
  auto parts = jws_parse(token);
  ASSERT_TRUE(parts) << token;
  EXPECT_EQ(parts->header, header_for("k1"));
  EXPECT_EQ(parts->payload, claims());
  EXPECT_EQ(parts->signing_input, token.substr(0, token.rfind('.')));
  EXPECT_EQ(parts->signature.size(), 64u);
  EXPECT_TRUE(key.verify(parts->signing_input, parts->signature));
}

TEST(Jws, ATokenIsThreeBase64urlSegmentsOfTheSerialisedParts) {
  auto key = ed25519_key::generate();
  auto token = jws_sign(header_for("k1"), claims(), key);
  auto first = token.find('.');
  auto second = token.find('.', first + 1);
  EXPECT_EQ(token.substr(0, first), b64(json::serialize(header_for("k1"))));
  EXPECT_EQ(token.substr(first + 1, second - first - 1),
            b64(json::serialize(claims())));
  EXPECT_EQ(token.find_first_of("=+/ "), std::string::npos);
}

TEST(Jws, ATamperedPayloadFailsVerification) {
  auto key = ed25519_key::generate();
  auto token = jws_sign(header_for("k1"), claims(), key);
  auto first = token.find('.');
  auto second = token.find('.', first + 1);
  auto forged_claims = claims();
  forged_claims["sub"] = "mallory";
  auto forged = token.substr(0, first + 1) + b64(json::serialize(forged_claims))
                + token.substr(second);
  auto parts = jws_parse(forged);
  ASSERT_TRUE(parts);
  EXPECT_EQ(parts->payload.at("sub"), "mallory");
  EXPECT_FALSE(key.verify(parts->signing_input, parts->signature));
}

TEST(Jws, AnotherKeyFailsVerification) {
  auto token = jws_sign(header_for("k1"), claims(), ed25519_key::generate());
  auto parts = jws_parse(token);
  ASSERT_TRUE(parts);
  EXPECT_FALSE(
    ed25519_key::generate().verify(parts->signing_input, parts->signature));
}

TEST(Jws, SignRefusesAHeaderWithoutEdDsa) {
  auto key = ed25519_key::generate();
  EXPECT_THROW(jws_sign(json::object{{"typ", "JWT"}}, claims(), key),
               std::invalid_argument);
  EXPECT_THROW(jws_sign(json::object{{"alg", "HS256"}}, claims(), key),
               std::invalid_argument);
}

TEST(Jws, ParseRefusesAnythingButThreeNonEmptySegments) {
  auto h = b64(R"({"alg":"EdDSA"})");
  auto p = b64(R"({"sub":"a"})");
  auto s = b64(std::string(64, 'x'));
  EXPECT_TRUE(jws_parse(h + "." + p + "." + s));
  EXPECT_FALSE(jws_parse(""));
  EXPECT_FALSE(jws_parse(h));
  EXPECT_FALSE(jws_parse(h + "." + p));                   // 2 segments
  EXPECT_FALSE(jws_parse(h + "." + p + "." + s + "." + s)); // 4 segments
  EXPECT_FALSE(jws_parse(h + "." + p + "."));             // no signature
  EXPECT_FALSE(jws_parse("." + p + "." + s));
  EXPECT_FALSE(jws_parse(h + ".." + s));
  EXPECT_FALSE(jws_parse(".."));
}

TEST(Jws, ParseRefusesSegmentsThatAreNotBase64url) {
  auto h = b64(R"({"alg":"EdDSA"})");
  auto p = b64(R"({"sub":"a"})");
  auto s = b64(std::string(64, 'x'));
  EXPECT_FALSE(jws_parse(h + "=." + p + "." + s));
  EXPECT_FALSE(jws_parse(h + "." + p + "+." + s));
  EXPECT_FALSE(jws_parse(h + "." + p + "." + s + "="));
  EXPECT_FALSE(jws_parse(h + "." + p + "." + s + "/"));
  EXPECT_FALSE(jws_parse(h + " ." + p + "." + s));
}

TEST(Jws, ParseRefusesAHeaderOrPayloadThatIsNotAJsonObject) {
  auto h = b64(R"({"alg":"EdDSA"})");
  auto p = b64(R"({"sub":"a"})");
  auto s = b64(std::string(64, 'x'));
  EXPECT_FALSE(jws_parse(b64(R"(["alg","EdDSA"])") + "." + p + "." + s));
  EXPECT_FALSE(jws_parse(b64(R"("EdDSA")") + "." + p + "." + s));
  EXPECT_FALSE(jws_parse(b64(R"({"alg":"EdDSA")") + "." + p + "." + s));
  EXPECT_FALSE(jws_parse(h + "." + b64("Example of Ed25519 signing") + "." + s));
  EXPECT_FALSE(jws_parse(h + "." + b64("42") + "." + s));
  EXPECT_FALSE(jws_parse(h + "." + b64("{\"s\":\"\xff\"}") + "." + s));
}

TEST(Jws, ParseRefusesAHeaderWithoutEdDsa) {
  auto p = b64(R"({"sub":"a"})");
  auto s = b64(std::string(64, 'x'));
  EXPECT_FALSE(jws_parse(b64(R"({"alg":"none"})") + "." + p + "." + s));
  EXPECT_FALSE(jws_parse(b64(R"({"alg":"HS256"})") + "." + p + "." + s));
  EXPECT_FALSE(jws_parse(b64(R"({"alg":"eddsa"})") + "." + p + "." + s));
  EXPECT_FALSE(jws_parse(b64(R"({"typ":"JWT"})") + "." + p + "." + s));
  EXPECT_FALSE(jws_parse(b64(R"({"alg":null})") + "." + p + "." + s));
}

TEST(Jws, ParseRefusesACritHeader) {
  auto h = b64(R"({"alg":"EdDSA","crit":["exp"],"exp":1})");
  auto p = b64(R"({"sub":"a"})");
  auto s = b64(std::string(64, 'x'));
  EXPECT_FALSE(jws_parse(h + "." + p + "." + s));
}

// The shortest well-formed token of at least `size` bytes (its payload
// padded with a long string member).
std::string token_of_at_least(std::size_t size) {
  auto h = b64(R"({"alg":"EdDSA"})");
  auto s = b64(std::string(64, 'x'));
  for (std::size_t n = 0;; ++n) {
    auto token = h + "." + b64(R"({"p":")" + std::string(n, 'a') + R"("})")
                 + "." + s;
    if (token.size() >= size)
      return token;
  }
}

TEST(Jws, ParseRefusesOversizeInput) {
  auto largest = token_of_at_least(max_jws_size - 2);
  ASSERT_LE(largest.size(), max_jws_size);
  EXPECT_TRUE(jws_parse(largest));
  auto oversize = token_of_at_least(max_jws_size + 1);
  EXPECT_FALSE(jws_parse(oversize));
}

TEST(Jws, PublicJwkHoldsTheRfc8037Members) {
  auto key = ed25519_key::from_public_raw(rfc8032_test1_public);
  ASSERT_TRUE(key);
  auto jwk = public_jwk(*key, "kid-1");
  EXPECT_EQ(jwk, (json::object{{"kty", "OKP"},
                               {"crv", "Ed25519"},
                               {"x", "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"},
                               {"kid", "kid-1"},
                               {"alg", "EdDSA"},
                               {"use", "sig"}}));
}

TEST(Jws, TheThumbprintOfTheRfc8037KeyIsAppendixA3s) {
  auto key = ed25519_key::from_public_raw(rfc8032_test1_public);
  ASSERT_TRUE(key);
  EXPECT_EQ(jwk_thumbprint(*key), "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
}

// RFC 8037 Appendix A.4: the A.1 key signs {"alg":"EdDSA"} over the payload
// "Example of Ed25519 signing". The payload is not a JSON object, so
// jws_parse (made for tokens) refuses it; the signature is checked directly.
TEST(Jws, TheRfc8037AppendixA4SignatureIsReproduced) {
  const std::string signing_input =
    "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc";
  const std::string signature_b64 =
    "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7"
    "sVvpAr_MuM0KAg";
  EXPECT_EQ(signing_input, b64(R"({"alg":"EdDSA"})") + "."
                             + b64("Example of Ed25519 signing"));
  auto key = ed25519_key::from_private_raw(rfc8032_test1_seed);
  ASSERT_TRUE(key);
  EXPECT_EQ(base64url_encode(key->sign(signing_input)), signature_b64);
  auto signature = base64url_decode(signature_b64);
  ASSERT_TRUE(signature);
  auto public_key = ed25519_key::from_public_raw(rfc8032_test1_public);
  EXPECT_TRUE(public_key->verify(signing_input, *signature));
  EXPECT_FALSE(jws_parse(signing_input + "." + signature_b64));
}

} // namespace
