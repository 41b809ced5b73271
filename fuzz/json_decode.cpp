// Fuzz target: the JSON request decoders of http/json/codec.hpp.
//
// Input: byte 0 picks the decoder ('0' session, '1' chat, '2' tenant config,
// '3' merge patch, '4' page query; other bytes wrap around), byte 1 the
// Content-Type from a table of interesting cases ('0' none, '1'
// application/json, ...), the rest is the body (or the query string). Digits
// keep the seeds readable.
//
// Invariants:
// - a validation failure has items and serialises (validation_body) to JSON
//   that parses back as {"detail":[{"type","loc","msg","input",...}...]};
// - decoded strings are valid UTF-8, and encoding them again (the way the
//   service answers with them) and decoding that gives them back;
// - a decoded tenant config is valid and survives to_json/parse;
// - a decoded merge patch applied to a config gives a config or a 422 that
//   serialises;
// - a decoded page query is within its documented bounds.

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include <boost/json/serialize.hpp>

#include "core/reply_template.hpp"
#include "core/tenant_config.hpp"
#include "fuzz/check.hpp"
#include "http/json/codec.hpp"

namespace {

using namespace tenantd;
using namespace tenantd::http;
namespace json = boost::json;
using tenantd::fuzz::is_utf8;
using tenantd::fuzz::parse_json;

constexpr std::string_view content_types[] = {
  "",
  "application/json",
  "application/json; charset=utf-8",
  " APPLICATION/Json ;x=y",
  "application/merge-patch+json",
  "application/vnd.api+json",
  "application/+json",
  "application/jsonx",
  "text/plain",
  "application/x-www-form-urlencoded",
  "json",
  ";",
};

void check_failure(const validation_failure& failure) {
  FUZZ_CHECK(!failure.detail.empty(), "a 422 without items");
  auto body = validation_body(failure);
  auto parsed = parse_json(body);
  FUZZ_CHECK(parsed.has_value(), body);
  auto* obj = parsed->if_object();
  FUZZ_CHECK(obj && obj->size() == 1 && obj->contains("detail"), body);
  auto* items = obj->at("detail").if_array();
  FUZZ_CHECK(items && items->size() == failure.detail.size(), body);
  for (auto& item : *items) {
    auto* o = item.if_object();
    FUZZ_CHECK(o && o->contains("input"), body);
    FUZZ_CHECK(o->contains("type") && o->at("type").is_string(), body);
    FUZZ_CHECK(o->contains("msg") && o->at("msg").is_string(), body);
    auto* loc = o->contains("loc") ? o->at("loc").if_array() : nullptr;
    FUZZ_CHECK(loc && !loc->empty(), body);
    auto& where = loc->front();
    FUZZ_CHECK(where == "body" || where == "query", body);
  }
}

template <class T>
bool failed(const decoded<T>& d) {
  if (auto* failure = std::get_if<validation_failure>(&d)) {
    check_failure(*failure);
    return true;
  }
  return false;
}

void check_session(std::string_view body, std::string_view ct) {
  auto d = decode_session_request(body, ct);
  if (failed(d))
    return;
  auto& req = std::get<session_request_body>(d);
  FUZZ_CHECK(is_utf8(req.tenant_id), req.tenant_id);
  auto again = decode_session_request(
    json::serialize(json::object{{"tenant_id", req.tenant_id}}),
    "application/json");
  auto* back = std::get_if<session_request_body>(&again);
  FUZZ_CHECK(back && back->tenant_id == req.tenant_id, req.tenant_id);
}

void check_chat(std::string_view body, std::string_view ct) {
  auto d = decode_chat_request(body, ct);
  if (failed(d))
    return;
  auto& req = std::get<chat_request_body>(d);
  FUZZ_CHECK(is_utf8(req.tenant_id), req.tenant_id);
  FUZZ_CHECK(is_utf8(req.session_id), req.session_id);
  FUZZ_CHECK(is_utf8(req.message), req.message);
  // The answer echoes the ids and carries a reply built from the message:
  // our own JSON writer must keep every one of them intact.
  chat_result result;
  result.reply = req.message;
  result.model = req.tenant_id;
  auto answer = chat_body(req, result);
  auto parsed = parse_json(answer);
  FUZZ_CHECK(parsed && parsed->is_object(), answer);
  auto& obj = parsed->get_object();
  FUZZ_CHECK(obj.at("tenant_id").as_string() == req.tenant_id, answer);
  FUZZ_CHECK(obj.at("session_id").as_string() == req.session_id, answer);
  FUZZ_CHECK(obj.at("reply").as_string() == req.message, answer);
  FUZZ_CHECK(obj.at("model").as_string() == req.tenant_id, answer);
}

void check_config(const tenant_config& cfg) {
  FUZZ_CHECK(is_valid_tenant_id(cfg.id), cfg.id);
  FUZZ_CHECK(is_utf8(cfg.name) && is_utf8(cfg.welcome) && is_utf8(cfg.model)
               && is_utf8(cfg.reply),
             cfg.id);
  FUZZ_CHECK(
    std::holds_alternative<reply_template>(reply_template::compile(cfg.reply)),
    cfg.reply);
  auto obj = to_json(cfg, secret_fields::included);
  auto again = parse_tenant_config(obj);
  auto* back = std::get_if<tenant_config>(&again);
  FUZZ_CHECK(back && to_json(*back, secret_fields::included) == obj,
             json::serialize(obj));
  tenant_record record;
  record.config = cfg;
  auto body = tenant_body(record);
  FUZZ_CHECK(parse_json(body).has_value(), body);
}

void check_tenant_config(std::string_view body, std::string_view ct) {
  auto d = decode_tenant_config(body, ct);
  if (!failed(d))
    check_config(std::get<tenant_config>(d));
}

// As the registry applies a patch: to the current config's JSON, then
// validated again; a refusal becomes a 422 located in the patch.
void check_merge_patch(std::string_view body, std::string_view ct) {
  is_merge_patch_content_type(ct);
  auto d = decode_merge_patch(body, ct);
  if (failed(d))
    return;
  json::value patch = std::get<json::object>(d);
  tenant_config current;
  current.id = "acme";
  current.name = "Acme Corp";
  current.welcome = "Howdy from Acme!";
  current.limits.chat_per_10s = 8;
  json::value target = to_json(current, secret_fields::included);
  apply_merge_patch(target, patch);
  auto patched = parse_tenant_config(target);
  if (auto* problems = std::get_if<std::vector<config_error>>(&patched))
    check_failure(config_failure(*problems, patch));
  else
    check_config(std::get<tenant_config>(patched));
}

void check_page_query(std::string_view query) {
  auto d = decode_page_query(query);
  if (failed(d))
    return;
  auto& page = std::get<page_request>(d);
  FUZZ_CHECK(page.limit >= 1 && page.limit <= 1000, query);
  FUZZ_CHECK(page.offset <= uint64_t{std::numeric_limits<int64_t>::max()},
             query);
  tenant_page listing;
  listing.total = page.offset + 1;
  listing.tenants.push_back({"acme", tenant_status::active});
  auto body = tenant_page_body(listing, page);
  FUZZ_CHECK(parse_json(body).has_value(), body);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2)
    return 0;
  auto pick = [](uint8_t byte, std::size_t n) {
    return static_cast<uint8_t>(byte - '0') % n;
  };
  auto ct = content_types[pick(data[1], std::size(content_types))];
  std::string_view rest{reinterpret_cast<const char*>(data) + 2, size - 2};
  switch (pick(data[0], 5)) {
    case 0: check_session(rest, ct); break;
    case 1: check_chat(rest, ct); break;
    case 2: check_tenant_config(rest, ct); break;
    case 3: check_merge_patch(rest, ct); break;
    case 4: check_page_query(rest); break;
  }
  return 0;
}
