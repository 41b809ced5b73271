// Fuzz target: the tenants-file loader (read_tenants, the body of
// load_tenants_file without the file).
//
// Input: the file's content.
//
// Invariants: the loader either returns configs or throws
// std::runtime_error whose message starts with the file's name (any other
// exception escapes and aborts). Returned configs are at least one, have
// valid, distinct ids and compilable replies, and survive to_json/parse.

#include <cstddef>
#include <cstdint>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>

#include <boost/json/serialize.hpp>

#include "core/reply_template.hpp"
#include "core/tenant_config.hpp"
#include "fuzz/check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tenantd;
  static const std::string path = "fuzz-tenants.jsonl";
  std::istringstream in{
    std::string{reinterpret_cast<const char*>(data), size}};
  std::vector<tenant_config> configs;
  try {
    configs = read_tenants(in, path);
  } catch (const std::runtime_error& e) {
    std::string_view what = e.what();
    FUZZ_CHECK(what.substr(0, path.size() + 1) == path + ":", what);
    return 0;
  }
  FUZZ_CHECK(!configs.empty(), "no configs and no error");
  std::set<std::string> ids;
  for (auto& cfg : configs) {
    FUZZ_CHECK(is_valid_tenant_id(cfg.id), cfg.id);
    FUZZ_CHECK(ids.insert(cfg.id).second, "duplicate id " + cfg.id);
    FUZZ_CHECK(std::holds_alternative<reply_template>(
                 reply_template::compile(cfg.reply)),
               cfg.reply);
    auto obj = to_json(cfg, secret_fields::included);
    auto again = parse_tenant_config(obj);
    auto* back = std::get_if<tenant_config>(&again);
    FUZZ_CHECK(back && to_json(*back, secret_fields::included) == obj,
               boost::json::serialize(obj));
  }
  return 0;
}
