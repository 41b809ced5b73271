#pragma once

// A tenant's reply behaviour as data: a template such as
//   "{welcome} [ACME MOCK] You said: '{message}'. Reversed: '{message|reverse}'"
// compiled once when the tenant's config is loaded and rendered per chat.
//
// Placeholders: {message} (the user's message, stripped as Python's
// str.strip() does), {welcome}, {name}, {id}, {model}. Filters, applied left
// to right: reverse (by code point), upper, lower (full Unicode case mapping).
// "{{" and "}}" stand for literal braces.

#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace tenantd {

struct tenant_config;

class reply_template {
public:
  enum class field { message, welcome, name, id, model };
  enum class filter { reverse, upper, lower };

  /// Compiles `source`; on error returns a message naming the problem.
  static std::variant<reply_template, std::string>
  compile(std::string_view source);

  /// Renders the reply for `message` (already stripped) under `cfg`.
  std::string render(const tenant_config& cfg, std::string_view message) const;

  const std::string& source() const noexcept {
    return source_;
  }

private:
  struct placeholder {
    field what;
    std::vector<filter> filters;
  };
  using segment = std::variant<std::string, placeholder>;

  std::string source_;
  std::vector<segment> segments_;
};

} // namespace tenantd
