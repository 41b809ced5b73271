#include "core/reply_template.hpp"

#include "core/tenant_config.hpp"
#include "core/text.hpp"

#include <algorithm>
#include <limits>

namespace tenantd {

namespace {

template <class Enum, std::size_t N>
bool lookup(std::string_view name,
            const std::pair<std::string_view, Enum> (&table)[N], Enum& out) {
  for (auto& [key, value] : table)
    if (key == name) {
      out = value;
      return true;
    }
  return false;
}

constexpr std::pair<std::string_view, reply_template::field> field_names[] = {
  {"message", reply_template::field::message},
  {"welcome", reply_template::field::welcome},
  {"name", reply_template::field::name},
  {"id", reply_template::field::id},
  {"model", reply_template::field::model},
};

constexpr std::pair<std::string_view, reply_template::filter> filter_names[] = {
  {"reverse", reply_template::filter::reverse},
  {"upper", reply_template::filter::upper},
  {"lower", reply_template::filter::lower},
};

} // namespace

std::variant<reply_template, std::string>
reply_template::compile(std::string_view source) {
  reply_template result;
  result.source_ = std::string{source};
  std::string literal;
  std::size_t i = 0;
  while (i < source.size()) {
    char c = source[i];
    if (c == '}') {
      if (i + 1 < source.size() && source[i + 1] == '}') {
        literal += '}';
        i += 2;
        continue;
      }
      return "unmatched '}' at offset " + std::to_string(i);
    }
    if (c != '{') {
      literal += c;
      ++i;
      continue;
    }
    if (i + 1 < source.size() && source[i + 1] == '{') {
      literal += '{';
      i += 2;
      continue;
    }
    auto close = source.find('}', i);
    if (close == std::string_view::npos)
      return "unclosed '{' at offset " + std::to_string(i);
    auto body = source.substr(i + 1, close - i - 1);
    // body = name ("|" filter)*
    auto bar = body.find('|');
    placeholder ph{};
    auto name = body.substr(0, bar);
    if (!lookup(name, field_names, ph.what))
      return "unknown placeholder '{" + std::string{name}
             + "}' (known: message, welcome, name, id, model)";
    while (bar != std::string_view::npos) {
      auto next = body.find('|', bar + 1);
      auto fname = body.substr(bar + 1, next == std::string_view::npos
                                          ? std::string_view::npos
                                          : next - bar - 1);
      filter f;
      if (!lookup(fname, filter_names, f))
        return "unknown filter '" + std::string{fname}
               + "' (known: reverse, upper, lower)";
      ph.filters.push_back(f);
      bar = next;
    }
    if (!literal.empty())
      result.segments_.emplace_back(std::move(literal));
    literal.clear();
    result.segments_.emplace_back(std::move(ph));
    i = close + 1;
  }
  if (!literal.empty())
    result.segments_.emplace_back(std::move(literal));
  return result;
}

std::string_view reply_template::raw_value(field what, const tenant_config& cfg,
                                           std::string_view message) {
  switch (what) {
    case field::message: return message;
    case field::welcome: return cfg.welcome;
    case field::name: return cfg.name;
    case field::id: return cfg.id;
    case field::model: return cfg.model;
  }
  return {};
}

bool reply_template::uses(field what) const {
  return std::any_of(segments_.begin(), segments_.end(), [&](auto& seg) {
    auto* ph = std::get_if<placeholder>(&seg);
    return ph != nullptr && ph->what == what;
  });
}

std::string reply_template::value_of(const placeholder& ph,
                                     const tenant_config& cfg,
                                     std::string_view message) {
  std::string buf{raw_value(ph.what, cfg, message)};
  for (auto f : ph.filters) {
    switch (f) {
      case filter::reverse: buf = text::reverse(buf); break;
      case filter::upper: buf = text::upper(buf); break;
      case filter::lower: buf = text::lower(buf); break;
    }
  }
  return buf;
}

std::string reply_template::render(const tenant_config& cfg,
                                   std::string_view message) const {
  return *render_within(cfg, message, std::string::npos);
}

std::optional<std::string>
reply_template::render_within(const tenant_config& cfg,
                              std::string_view message,
                              std::size_t max_bytes) const {
  std::string out;
  out.reserve(std::min(max_bytes, source_.size() + 2 * message.size()
                                    + cfg.welcome.size()));
  for (auto& seg : segments_) {
    if (auto lit = std::get_if<std::string>(&seg))
      out += *lit;
    else if (auto& ph = std::get<placeholder>(seg); ph.filters.empty())
      out += raw_value(ph.what, cfg, message); // the common case: no copy
    else
      out += value_of(ph, cfg, message);
    if (out.size() > max_bytes)
      return std::nullopt;
  }
  return out;
}

std::size_t reply_template::worst_case_bytes(const tenant_config& cfg,
                                             std::size_t max_message_chars) const {
  constexpr auto most = std::numeric_limits<std::size_t>::max();
  auto add = [](std::size_t a, std::size_t b) {
    return a > most - b ? most : a + b;
  };
  std::size_t total = 0;
  for (auto& seg : segments_) {
    if (auto lit = std::get_if<std::string>(&seg)) {
      total = add(total, text::json_escaped_size(*lit));
      continue;
    }
    auto& ph = std::get<placeholder>(seg);
    if (ph.what != field::message) {
      // Known now: the config's own value, filtered.
      total = add(total, text::json_escaped_size(value_of(ph, cfg, {})));
      continue;
    }
    std::size_t per_char = 6;
    if (std::any_of(ph.filters.begin(), ph.filters.end(),
                    [](filter f) { return f != filter::reverse; })) {
      per_char = 4;
      for (auto f : ph.filters)
        if (f != filter::reverse)
          per_char = per_char > most / 3 ? most : per_char * 3;
    }
    auto bytes = max_message_chars > most / per_char ? most
                                                      : max_message_chars * per_char;
    total = add(total, bytes);
  }
  return total;
}

} // namespace tenantd
