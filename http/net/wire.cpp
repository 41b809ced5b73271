#include "http/net/wire.hpp"

namespace tenantd::http {

std::string wire_bytes(const response& res) {
  auto reason = res.reason(); // the stored one, or the status's own
  std::size_t size = 13 + reason.size() + 2 + 2 + res.body().size();
  for (auto& field : res)
    size += field.name_string().size() + 2 + field.value().size() + 2;
  std::string out;
  out.reserve(size);
  auto version = res.version();
  out += "HTTP/";
  out += static_cast<char>('0' + version / 10);
  out += '.';
  out += static_cast<char>('0' + version % 10);
  out += ' ';
  auto code = res.result_int();
  out += static_cast<char>('0' + code / 100);
  out += static_cast<char>('0' + (code / 10) % 10);
  out += static_cast<char>('0' + code % 10);
  out += ' ';
  out.append(reason.data(), reason.size());
  out += "\r\n";
  for (auto& field : res) {
    auto name = field.name_string();
    auto value = field.value();
    out.append(name.data(), name.size());
    out += ": ";
    out.append(value.data(), value.size());
    out += "\r\n";
  }
  out += "\r\n";
  out += res.body();
  return out;
}

} // namespace tenantd::http
