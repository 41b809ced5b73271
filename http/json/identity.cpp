#include "http/json/identity.hpp"

#include <ctime>

#include <boost/json/serialize.hpp>

namespace tenantd::http {

namespace json = boost::json;

namespace {

void check_known(const json::object& obj,
                 std::initializer_list<std::string_view> known,
                 std::vector<config_error>& problems) {
  for (auto& [key, value] : obj)
    if (std::find(known.begin(), known.end(), key) == known.end())
      problems.push_back({std::string{key}, "is not a known field"});
}

// Reads string field `key` into `out`; false (with the problem) if it is
// missing (when `required`) or not a string.
bool read_string(const json::object& obj, std::string_view key, bool required,
                 std::string& out, std::vector<config_error>& problems) {
  auto* v = obj.if_contains(key);
  if (v == nullptr) {
    if (required)
      problems.push_back({std::string{key}, "is required"});
    return false;
  }
  if (!v->is_string()) {
    problems.push_back({std::string{key}, "must be a string"});
    return false;
  }
  out = std::string{v->get_string()};
  return true;
}

void read_role(const json::object& obj, std::optional<tenant_role>& out,
               std::vector<config_error>& problems) {
  std::string name;
  if (!read_string(obj, "role", false, name, problems))
    return;
  tenant_role role;
  if (!from_string(name, role))
    problems.push_back({"role", "must be \"member\" or \"admin\""});
  else
    out = role;
}

void read_password(const json::object& obj, bool required,
                   std::optional<std::string>& out,
                   std::vector<config_error>& problems) {
  std::string password;
  if (!read_string(obj, "password", required, password, problems))
    return;
  if (auto problem = password_problem(password))
    problems.push_back({"password", *problem});
  else
    out = std::move(password);
}

json::value time_or_null(int64_t unix_ms) {
  if (unix_ms == 0)
    return nullptr;
  return json::string{rfc3339_millis(unix_ms)};
}

json::object user_object(const user_record& u) {
  return {{"id", u.id},
          {"email", u.email},
          {"role", to_string(u.role)},
          {"disabled", u.disabled},
          {"created_at", rfc3339_millis(u.created_at)},
          {"updated_at", rfc3339_millis(u.updated_at)}};
}

json::object key_object(const api_key_record& k) {
  return {{"id", k.id},
          {"name", k.name},
          {"role", to_string(k.role)},
          {"prefix", k.prefix},
          {"created_at", rfc3339_millis(k.created_at)},
          {"expires_at", time_or_null(k.expires_at)},
          {"last_used_at", time_or_null(k.last_used_at)}};
}

std::string page_body(std::string_view name, json::array items,
                      uint64_t total, const page_request& request,
                      std::string_view base) {
  json::object body;
  body[name] = std::move(items);
  body["offset"] = request.offset;
  body["limit"] = request.limit;
  body["total"] = total;
  auto next = request.offset + request.limit;
  if (next < total)
    body["next"] = std::string{base} + "?offset=" + std::to_string(next)
                   + "&limit=" + std::to_string(request.limit);
  else
    body["next"] = nullptr;
  return json::serialize(body);
}

} // namespace

std::vector<config_error> read_new_user(const json::object& obj,
                                        new_user_body& out) {
  std::vector<config_error> problems;
  check_known(obj, {"email", "password", "role"}, problems);
  if (read_string(obj, "email", true, out.email, problems))
    if (auto problem = email_problem(out.email))
      problems.push_back({"email", *problem});
  std::optional<std::string> password;
  read_password(obj, true, password, problems);
  if (password)
    out.password = std::move(*password);
  std::optional<tenant_role> role;
  read_role(obj, role, problems);
  if (role)
    out.role = *role;
  return problems;
}

std::vector<config_error> read_user_patch(const json::object& obj,
                                          user_patch_body& out) {
  std::vector<config_error> problems;
  check_known(obj, {"password", "role", "disabled"}, problems);
  read_role(obj, out.role, problems);
  if (obj.contains("password"))
    read_password(obj, false, out.password, problems);
  if (auto* v = obj.if_contains("disabled")) {
    if (!v->is_bool())
      problems.push_back({"disabled", "must be true or false"});
    else
      out.disabled = v->get_bool();
  }
  return problems;
}

std::vector<config_error> read_new_key(const json::object& obj,
                                       int64_t now_ms, new_key_body& out) {
  std::vector<config_error> problems;
  check_known(obj, {"name", "role", "expires_at"}, problems);
  if (read_string(obj, "name", true, out.name, problems)) {
    if (out.name.empty())
      problems.push_back({"name", "must not be empty"});
    else if (out.name.size() > max_key_name_chars)
      problems.push_back({"name", "must be at most "
                                    + std::to_string(max_key_name_chars)
                                    + " bytes"});
  }
  std::optional<tenant_role> role;
  read_role(obj, role, problems);
  if (role)
    out.role = *role;
  if (auto* v = obj.if_contains("expires_at"); v != nullptr && !v->is_null()) {
    auto at = v->is_string() ? parse_rfc3339(v->get_string()) : std::nullopt;
    if (!at)
      problems.push_back(
        {"expires_at", "must be an RFC 3339 UTC time (2027-01-31T00:00:00Z)"});
    else if (*at <= now_ms)
      problems.push_back({"expires_at", "must be in the future"});
    else
      out.expires_at = *at;
  }
  return problems;
}

std::optional<int64_t> parse_rfc3339(std::string_view text) {
  // YYYY-MM-DDTHH:MM:SS[.fraction]Z
  if (text.size() < 20 || text.back() != 'Z' || text[4] != '-'
      || text[7] != '-' || (text[10] != 'T' && text[10] != 't')
      || text[13] != ':' || text[16] != ':')
    return std::nullopt;
  auto number = [&](std::size_t at, std::size_t n, int& out) {
    out = 0;
    for (std::size_t i = at; i < at + n; ++i) {
      if (text[i] < '0' || text[i] > '9')
        return false;
      out = out * 10 + (text[i] - '0');
    }
    return true;
  };
  std::tm tm{};
  int year, month, day, hour, minute, second;
  if (!number(0, 4, year) || !number(5, 2, month) || !number(8, 2, day)
      || !number(11, 2, hour) || !number(14, 2, minute)
      || !number(17, 2, second) || month < 1 || month > 12 || day < 1
      || day > 31 || hour > 23 || minute > 59 || second > 59)
    return std::nullopt;
  int64_t millis = 0;
  auto rest = text.substr(19, text.size() - 20);
  if (!rest.empty()) {
    if (rest[0] != '.' || rest.size() < 2)
      return std::nullopt;
    int64_t scale = 100;
    for (std::size_t i = 1; i < rest.size(); ++i) {
      if (rest[i] < '0' || rest[i] > '9')
        return std::nullopt;
      millis += (rest[i] - '0') * scale;
      scale /= 10;
    }
  }
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  auto seconds = timegm(&tm);
  // timegm normalises (Feb 31 is Mar 3): a date that moved was no date.
  if (seconds == -1 || tm.tm_mday != day || tm.tm_mon != month - 1)
    return std::nullopt;
  return static_cast<int64_t>(seconds) * 1000 + millis;
}

std::string user_body(const user_record& u) {
  return json::serialize(user_object(u));
}

std::string user_page_body(const user_page& page, const page_request& request,
                           std::string_view base) {
  json::array items;
  for (auto& u : page.users)
    items.push_back(user_object(u));
  return page_body("users", std::move(items), page.total, request, base);
}

std::string key_body(const api_key_record& k, std::string_view secret) {
  auto obj = key_object(k);
  if (!secret.empty())
    obj["key"] = secret;
  return json::serialize(obj);
}

std::string key_page_body(const api_key_page& page,
                          const page_request& request, std::string_view base) {
  json::array items;
  for (auto& k : page.keys)
    items.push_back(key_object(k));
  return page_body("keys", std::move(items), page.total, request, base);
}

} // namespace tenantd::http
