#include "crypto/jws.hpp"

#include <stdexcept>
#include <utility>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "crypto/digest.hpp"
#include "crypto/encoding.hpp"

namespace tenantd::crypto {

namespace json = boost::json;

namespace {

// The JSON object `segment` encodes, or nothing.
std::optional<json::object> decode_object(std::string_view segment) {
  auto text = base64url_decode(segment);
  if (!text)
    return std::nullopt;
  boost::system::error_code ec;
  auto value = json::parse(*text, ec);
  if (ec || !value.is_object())
    return std::nullopt;
  return std::move(value.get_object());
}

bool says_eddsa(const json::object& header) {
  auto alg = header.find("alg");
  return alg != header.end() && alg->value() == "EdDSA";
}

} // namespace

std::string jws_sign(const json::object& header, const json::object& payload,
                     const ed25519_key& key) {
  if (!says_eddsa(header))
    throw std::invalid_argument("a JWS header must say \"alg\": \"EdDSA\"");
  auto signing_input = base64url_encode(json::serialize(header)) + "."
                       + base64url_encode(json::serialize(payload));
  return signing_input + "." + base64url_encode(key.sign(signing_input));
}

std::optional<jws_parts> jws_parse(std::string_view compact) {
  if (compact.size() > max_jws_size)
    return std::nullopt;
  auto first = compact.find('.');
  if (first == std::string_view::npos)
    return std::nullopt;
  auto second = compact.find('.', first + 1);
  if (second == std::string_view::npos
      || compact.find('.', second + 1) != std::string_view::npos)
    return std::nullopt;
  auto header_segment = compact.substr(0, first);
  auto payload_segment = compact.substr(first + 1, second - first - 1);
  auto signature_segment = compact.substr(second + 1);
  if (header_segment.empty() || payload_segment.empty()
      || signature_segment.empty())
    return std::nullopt;
  auto header = decode_object(header_segment);
  auto payload = decode_object(payload_segment);
  auto signature = base64url_decode(signature_segment);
  if (!header || !payload || !signature || !says_eddsa(*header)
      || header->contains("crit"))
    return std::nullopt;
  return jws_parts{std::move(*header), std::move(*payload),
                   std::string{compact.substr(0, second)},
                   std::move(*signature)};
}

json::object public_jwk(const ed25519_key& key, std::string_view kid) {
  return {{"kty", "OKP"}, {"crv", "Ed25519"},
          {"x", base64url_encode(key.public_raw())},
          {"kid", kid}, {"alg", "EdDSA"}, {"use", "sig"}};
}

std::string jwk_thumbprint(const ed25519_key& key) {
  // RFC 7638 §3.2: the required members only, in lexicographic order, no
  // whitespace; base64url never needs JSON escaping.
  auto canonical = R"({"crv":"Ed25519","kty":"OKP","x":")"
                   + base64url_encode(key.public_raw()) + R"("})";
  return base64url_encode(to_bytes(sha256(canonical)));
}

} // namespace tenantd::crypto
