// Fuzz target: reply templates (actors/reply_template.hpp).
//
// Input: "<template>\0<message>\0<welcome>"; missing parts are empty.
// (A NUL in a template, possible through JSON's "\u0000", is an ordinary
// literal byte to the compiler: using it as the separator hides nothing.)
// The template is compiled; if that succeeds, it is rendered for the
// message, stripped as the tenant actor does.
//
// Invariants:
// - compile gives a template whose source() is the input, or a non-empty
//   message naming the problem;
// - with valid UTF-8 inputs (which is all the service ever passes: bodies
//   and configs are checked) the reply is valid UTF-8;
// - a template without braces renders as itself, and "{message}" renders
//   as the (stripped) message.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/reply_template.hpp"
#include "core/tenant_config.hpp"
#include "core/text.hpp"
#include "fuzz/check.hpp"

namespace {

using namespace tenantd;
using tenantd::fuzz::is_utf8;

// Cuts the next '\0'-terminated part off `rest`.
std::string_view next_part(std::string_view& rest) {
  auto end = rest.find('\0');
  auto part = rest.substr(0, end);
  rest = end == std::string_view::npos ? std::string_view{}
                                       : rest.substr(end + 1);
  return part;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view rest{reinterpret_cast<const char*>(data), size};
  auto source = next_part(rest);
  auto message = next_part(rest);
  auto welcome = next_part(rest);

  auto compiled = reply_template::compile(source);
  if (auto* problem = std::get_if<std::string>(&compiled)) {
    FUZZ_CHECK(!problem->empty(), source);
    return 0;
  }
  auto& tpl = std::get<reply_template>(compiled);
  FUZZ_CHECK(tpl.source() == source, source);

  // render's contract: UTF-8 in (the service validates every input).
  if (!is_utf8(source) || !is_utf8(message) || !is_utf8(welcome))
    return 0;
  tenant_config cfg;
  cfg.id = "acme";
  cfg.name = "Straße Ǆ Corp"; // case mapping changes lengths
  cfg.welcome = std::string{welcome};
  cfg.model = "mock-1";
  auto stripped = text::strip(message);
  auto reply = tpl.render(cfg, stripped);
  FUZZ_CHECK(is_utf8(reply), reply);
  if (source.find_first_of("{}") == std::string_view::npos)
    FUZZ_CHECK(reply == source, reply);
  if (source == "{message}")
    FUZZ_CHECK(reply == stripped, reply);
  return 0;
}
