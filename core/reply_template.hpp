#pragma once

// A tenant's reply behaviour as data: a template such as
//   "{welcome} [ACME MOCK] You said: '{message}'. Reversed: '{message|reverse}'"
// compiled once when the tenant's config is loaded and rendered per chat.
//
// Placeholders: {message} (the user's message, stripped as Python's
// str.strip() does), {welcome}, {name}, {id}, {model}. Filters, applied left
// to right: reverse (by code point), upper, lower (full Unicode case mapping).
// "{{" and "}}" stand for literal braces.

#include <optional>
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

  /// The same, or nothing once the reply would exceed `max_bytes` (it stops
  /// there: no more is built).
  std::optional<std::string> render_within(const tenant_config& cfg,
                                           std::string_view message,
                                           std::size_t max_bytes) const;

  /// The most bytes a reply under `cfg` can have as sent (inside a JSON
  /// string, text::json_escaped_size), for any message of at most
  /// `max_message_chars` code points: a message character is at most 6
  /// bytes (a control character, sent as \u00XX), and with upper or lower
  /// filters at most 4 bytes tripled per filter (full case mapping: U+0390
  /// is 2 bytes, its upper case 6; case mapping leaves control characters
  /// alone). Saturates.
  std::size_t worst_case_bytes(const tenant_config& cfg,
                               std::size_t max_message_chars) const;

  /// Whether a placeholder of `what` appears (with or without filters).
  bool uses(field what) const;

  const std::string& source() const noexcept {
    return source_;
  }

private:
  struct placeholder {
    field what;
    std::vector<filter> filters;
  };
  using segment = std::variant<std::string, placeholder>;

  /// The field `what` under `cfg` for `message`, unfiltered.
  static std::string_view raw_value(field what, const tenant_config& cfg,
                                    std::string_view message);
  /// The value of `ph` under `cfg` for `message`, filters applied.
  static std::string value_of(const placeholder& ph, const tenant_config& cfg,
                              std::string_view message);

  std::string source_;
  std::vector<segment> segments_;
};

} // namespace tenantd
