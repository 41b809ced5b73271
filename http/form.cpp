#include "http/form.hpp"

namespace tenantd::http {

std::string percent_decoded(std::string_view path) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9')
      return c - '0';
    if (c >= 'a' && c <= 'f')
      return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
      return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(path.size());
  for (std::size_t i = 0; i < path.size(); ++i) {
    if (path[i] == '%' && i + 2 < path.size() && hex(path[i + 1]) >= 0
        && hex(path[i + 2]) >= 0) {
      out += static_cast<char>(hex(path[i + 1]) * 16 + hex(path[i + 2]));
      i += 2;
    } else {
      out += path[i];
    }
  }
  return out;
}

std::optional<std::map<std::string, std::string>>
parse_form(std::string_view body) {
  std::map<std::string, std::string> fields;
  while (!body.empty()) {
    auto amp = body.find('&');
    auto pair = body.substr(0, amp);
    body = amp == std::string_view::npos ? std::string_view{}
                                         : body.substr(amp + 1);
    if (pair.empty())
      continue;
    auto eq = pair.find('=');
    auto decode = [](std::string_view part) {
      std::string spaced{part};
      for (auto& c : spaced)
        if (c == '+')
          c = ' ';
      return percent_decoded(spaced);
    };
    auto name = decode(pair.substr(0, eq));
    auto value = eq == std::string_view::npos ? std::string{}
                                              : decode(pair.substr(eq + 1));
    if (!fields.emplace(std::move(name), std::move(value)).second)
      return std::nullopt;
  }
  return fields;
}

} // namespace tenantd::http
