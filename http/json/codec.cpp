#include "http/json/codec.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <limits>

#include <boost/json/object.hpp>
#include <boost/json/stream_parser.hpp>

#include "core/text.hpp"
#include "http/form.hpp"
#include "http/json/diagnostics.hpp"

namespace tenantd::http {

namespace json = boost::json;

namespace {

void write_string(std::string& out, std::string_view s) {
  out += '"';
  // Runs that need no escape are appended whole (the usual case: a reply
  // is one run); the rest a character at a time.
  std::size_t run = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    auto c = s[i];
    auto u = static_cast<unsigned char>(c);
    // ED A0..BF xx: a lone surrogate Python accepted in a member nobody
    // reads, echoed in a 422. Neither UTF-8 nor strict JSON parsers take
    // it: it is written as U+FFFD, three bytes as well.
    bool surrogate = u == 0xED && text::is_generalized_surrogate(s, i);
    if ((u >= 0x20 && c != '"' && c != '\\') && !surrogate)
      continue;
    out.append(s.data() + run, i - run);
    run = i + 1;
    if (surrogate) {
      out += "\xEF\xBF\xBD";
      i += 2;
      run = i + 1;
      continue;
    }
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default: {
        // A control character: \u00XX, without a formatting call (a reply
        // can hold hundreds of thousands of them).
        constexpr const char* hex = "0123456789abcdef";
        const char escape[] = {'\\', 'u', '0', '0', hex[u >> 4], hex[u & 15]};
        out.append(escape, sizeof(escape));
      }
    }
  }
  out.append(s.data() + run, s.size() - run);
  out += '"';
}

// Python's repr(float): the shortest digits that round-trip, in positional
// form with at least one decimal ("100000.0") unless the decimal exponent
// is below -4 or above 16 ("1e-05", "1.5e+16").
void write_double(std::string& out, double x) {
  // A number too large for a double (1e400) parses as infinity, and a 422
  // echoes it. JSON has no infinity (Python would write Infinity, which is
  // not JSON): write it as Boost.JSON does, a number that parses back to
  // it. NaN never comes out of a parse; null just in case.
  if (!std::isfinite(x)) {
    out += std::isnan(x) ? "null" : x < 0 ? "-1e99999" : "1e99999";
    return;
  }
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), x,
                           std::chars_format::scientific);
  std::string_view sci{buf, static_cast<std::size_t>(res.ptr - buf)};
  bool negative = !sci.empty() && sci.front() == '-';
  if (negative)
    sci.remove_prefix(1);
  auto e = sci.find('e');
  std::string digits;
  for (char c : sci.substr(0, e))
    if (c != '.')
      digits += c;
  int exponent = std::stoi(std::string{sci.substr(e + 1)});
  int decpt = exponent + 1; // value = 0.<digits> * 10^decpt
  if (negative)
    out += '-';
  if (decpt <= -4 || decpt > 16) {
    out += digits[0];
    if (digits.size() > 1) {
      out += '.';
      out.append(digits, 1, std::string::npos);
    }
    char exp[16];
    std::snprintf(exp, sizeof(exp), "e%c%02d", exponent < 0 ? '-' : '+',
                  std::abs(exponent));
    out += exp;
  } else if (decpt <= 0) {
    out += "0.";
    out.append(static_cast<std::size_t>(-decpt), '0');
    out += digits;
  } else if (static_cast<std::size_t>(decpt) >= digits.size()) {
    out += digits;
    out.append(static_cast<std::size_t>(decpt) - digits.size(), '0');
    out += ".0";
  } else {
    out.append(digits, 0, static_cast<std::size_t>(decpt));
    out += '.';
    out.append(digits, static_cast<std::size_t>(decpt), std::string::npos);
  }
}

// Compact JSON as FastAPI writes it: json.dumps(ensure_ascii=False,
// separators=(",", ":")). Non-ASCII stays raw UTF-8.
void write_json(std::string& out, const json::value& v) {
  switch (v.kind()) {
    case json::kind::null: out += "null"; break;
    case json::kind::bool_: out += v.get_bool() ? "true" : "false"; break;
    case json::kind::int64: out += std::to_string(v.get_int64()); break;
    case json::kind::uint64: out += std::to_string(v.get_uint64()); break;
    case json::kind::double_: write_double(out, v.get_double()); break;
    case json::kind::string: write_string(out, v.get_string()); break;
    case json::kind::array: {
      out += '[';
      bool first = true;
      for (auto& x : v.get_array()) {
        if (!std::exchange(first, false))
          out += ',';
        write_json(out, x);
      }
      out += ']';
      break;
    }
    case json::kind::object: {
      out += '{';
      bool first = true;
      for (auto& [key, x] : v.get_object()) {
        if (!std::exchange(first, false))
          out += ',';
        write_string(out, key);
        out += ':';
        write_json(out, x);
      }
      out += '}';
      break;
    }
  }
}

json::object error_item(std::string_view type, json::array loc,
                        std::string_view msg, json::value input) {
  json::object item;
  item["type"] = type;
  item["loc"] = std::move(loc);
  item["msg"] = msg;
  item["input"] = std::move(input);
  return item;
}

validation_failure json_invalid(std::size_t offset, std::string_view why) {
  auto item = error_item("json_invalid", json::array{"body", offset},
                         "JSON decode error", json::object{});
  item["ctx"] = json::object{{"error", why}};
  return {json::array{std::move(item)}};
}

validation_failure whole_body_error(std::string_view type, std::string_view msg,
                                    json::value input) {
  return {json::array{
    error_item(type, json::array{"body"}, msg, std::move(input))}};
}

// A Content-Type's media type without parameters, lowercased.
std::string media_type(std::string_view ct) {
  auto media = ct.substr(0, ct.find(';'));
  while (!media.empty() && (media.back() == ' ' || media.back() == '\t'))
    media.remove_suffix(1);
  while (!media.empty() && (media.front() == ' ' || media.front() == '\t'))
    media.remove_prefix(1);
  std::string lower;
  for (char c : media)
    lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower;
}

// FastAPI parses the body as JSON when there is no content type or when it
// is application/json or application/*+json.
bool is_json_content_type(std::string_view ct) {
  if (ct.empty())
    return true;
  auto media = media_type(ct);
  constexpr std::string_view app = "application/";
  if (media.compare(0, app.size(), app) != 0)
    return false;
  auto sub = std::string_view{media}.substr(app.size());
  return sub == "json"
         || (sub.size() >= 5 && sub.substr(sub.size() - 5) == "+json");
}

// The number of object members and array elements in `v`, counting no
// further than `limit + 1`.
std::size_t count_fields(const json::value& v, std::size_t limit) {
  std::size_t n = 0;
  auto visit = [&](const json::value& x, auto& self) -> void {
    if (n > limit)
      return;
    if (auto* obj = x.if_object()) {
      n += obj->size();
      for (auto& member : *obj)
        self(member.value(), self);
    } else if (auto* arr = x.if_array()) {
      n += arr->size();
      for (auto& element : *arr)
        self(element, self);
    }
  };
  visit(v, visit);
  return n;
}

validation_failure too_many_fields(std::size_t limit) {
  auto item = error_item(
    "too_many_fields", json::array{"body"},
    "Body should have at most " + std::to_string(limit)
      + " fields (object members and array elements)",
    json::object{});
  item["ctx"] = json::object{{"max_fields", limit}};
  return {json::array{std::move(item)}};
}

// Names of a request's members (a view of the decoder's field list).
struct member_names {
  const std::string_view* first = nullptr;
  std::size_t count = 0;
  const std::string_view* begin() const { return first; }
  const std::string_view* end() const { return first + count; }
  bool empty() const { return count == 0; }
};

// The body as Python reads it when Boost.JSON refuses it, if Python
// accepts it and every construct strict JSON lacks (NaN, a lone surrogate)
// sits outside the members in `used` (empty: refused everywhere); else
// why not (no message: refused for a reason Python does not have).
std::variant<json::value, json_syntax_error>
parse_leniently(std::string_view body, const body_limits& limits,
                member_names used) {
  auto doc = parse_as_python(body, limits.max_depth);
  if (!doc)
    return python_json_error(body, limits.max_depth);
  for (auto& construct : doc->constructs)
    if (used.empty() || construct.member.empty()
        || std::find(used.begin(), used.end(), construct.member) != used.end())
      return construct.where;
  return std::move(doc->value);
}

// Parses a body into a JSON object, or reports why it is not one. `used`
// names the members the request reads (see parse_leniently).
std::variant<json::object, validation_failure>
parse_body_object(std::string_view body, std::string_view content_type,
                  const body_limits& limits, member_names used = {}) {
  if (body.empty())
    return whole_body_error("missing", "Field required", nullptr);
  // As json.loads on bytes: UTF-16 and UTF-32 are decoded first...
  auto transcoded = decode_utf16_or_utf32(body);
  if (transcoded) {
    if (transcoded->error)
      return json_invalid(transcoded->error->pos, transcoded->error->msg);
    body = transcoded->text;
  }
  // ...and a UTF-8 byte order mark is skipped.
  constexpr std::string_view bom = "\xEF\xBB\xBF";
  if (body.substr(0, bom.size()) == bom)
    body.remove_prefix(bom.size());
  if (auto bad = text::find_invalid_utf8(body))
    return json_invalid(*bad, "Invalid UTF-8 in request body");
  if (!is_json_content_type(content_type))
    return whole_body_error(
      "model_attributes_type",
      "Input should be a valid dictionary or object to extract fields from",
      json::string{body});
  json::parse_options options;
  options.max_depth = limits.max_depth;
  json::stream_parser parser{json::storage_ptr{}, options};
  json::error_code ec;
  auto consumed = parser.write(body.data(), body.size(), ec);
  if (!ec)
    parser.finish(ec);
  json::value value;
  if (ec) {
    // Python may accept it (NaN in a member nobody reads); else say what
    // its json.loads would: its message and code point offset.
    auto lenient = parse_leniently(body, limits, used);
    if (auto* why = std::get_if<json_syntax_error>(&lenient)) {
      if (why->msg.empty()) // Python accepts it: keep Boost.JSON's reason.
        *why = {code_points_before(body, consumed), ec.message()};
      return json_invalid(why->pos, why->msg);
    }
    value = std::move(std::get<json::value>(lenient));
  } else {
    value = parser.release();
  }
  if (count_fields(value, limits.max_fields) > limits.max_fields)
    return too_many_fields(limits.max_fields);
  // FastAPI treats a body that decodes to null as no body at all.
  if (value.is_null())
    return whole_body_error("missing", "Field required", nullptr);
  if (!value.is_object())
    return whole_body_error(
      "model_attributes_type",
      "Input should be a valid dictionary or object to extract fields from",
      std::move(value));
  return std::move(value.get_object());
}

// Reads the required string field `key`; records pydantic's error if absent
// or not a string (pydantic v2 does not coerce numbers to str).
void take_string(const json::object& obj, std::string_view key,
                 std::string& out, json::array& errors) {
  auto it = obj.find(key);
  if (it == obj.end()) {
    errors.push_back(error_item("missing", json::array{"body", key},
                                "Field required", obj));
    return;
  }
  if (!it->value().is_string()) {
    errors.push_back(error_item("string_type", json::array{"body", key},
                                "Input should be a valid string", it->value()));
    return;
  }
  auto& s = it->value().get_string();
  out.assign(s.data(), s.size());
}

// An optional boolean member: absent leaves `out`; anything but true or
// false is pydantic's bool_type error.
void take_optional_bool(const json::object& obj, std::string_view key,
                        bool& out, json::array& errors) {
  auto it = obj.find(key);
  if (it == obj.end())
    return;
  if (!it->value().is_bool()) {
    errors.push_back(error_item("bool_type", json::array{"body", key},
                                "Input should be a valid boolean",
                                it->value()));
    return;
  }
  out = it->value().get_bool();
}

// Decodes a body into T, whose string fields are named by `fields`, then
// lets `more` read what else T has.
template <class T, std::size_t N, class More>
decoded<T> decode(std::string_view body, std::string_view content_type,
                  const body_limits& limits,
                  const std::pair<std::string_view, std::string T::*> (
                    &fields)[N],
                  More more) {
  std::string_view names[N];
  for (std::size_t i = 0; i < N; ++i)
    names[i] = fields[i].first;
  auto parsed = parse_body_object(body, content_type, limits, {names, N});
  if (auto* failure = std::get_if<validation_failure>(&parsed))
    return std::move(*failure);
  auto& obj = std::get<json::object>(parsed);
  T result;
  json::array errors;
  for (auto& [key, member] : fields)
    take_string(obj, key, result.*member, errors);
  more(obj, result, errors);
  if (!errors.empty())
    return validation_failure{std::move(errors)};
  return result;
}

} // namespace

decoded<session_request_body> decode_session_request(std::string_view body,
                                                std::string_view content_type,
                                                const body_limits& limits) {
  static constexpr std::pair<std::string_view, std::string session_request_body::*>
    fields[] = {{"tenant_id", &session_request_body::tenant_id}};
  return decode(body, content_type, limits, fields,
                [](const json::object&, session_request_body&, json::array&) {});
}

decoded<chat_request_body> decode_chat_request(std::string_view body,
                                          std::string_view content_type,
                                          const body_limits& limits) {
  static constexpr std::pair<std::string_view, std::string chat_request_body::*>
    fields[] = {{"tenant_id", &chat_request_body::tenant_id},
                {"session_id", &chat_request_body::session_id},
                {"message", &chat_request_body::message}};
  auto result = decode(body, content_type, limits, fields,
                       [](const json::object& obj, chat_request_body& out,
                          json::array& errors) {
                         take_optional_bool(obj, "stream", out.stream, errors);
                       });
  auto* req = std::get_if<chat_request_body>(&result);
  if (req == nullptr
      || code_points_before(req->message, req->message.size())
           <= limits.max_message_chars)
    return result;
  // pydantic's answer for Field(max_length=...).
  auto max = limits.max_message_chars;
  auto item = error_item("string_too_long", json::array{"body", "message"},
                         "String should have at most " + std::to_string(max)
                           + (max == 1 ? " character" : " characters"),
                         json::string{req->message});
  item["ctx"] = json::object{{"max_length", max}};
  return validation_failure{json::array{std::move(item)}};
}

// The fixed-shape bodies below are written directly (no DOM): they are on
// every request's path. Keys and their order are the seed's.

std::string detail_body(std::string_view text) {
  std::string out = "{\"detail\":";
  write_string(out, text);
  out += '}';
  return out;
}

std::string validation_body(const validation_failure& failure) {
  std::string out = "{\"detail\":";
  write_json(out, failure.detail);
  out += '}';
  return out;
}

std::string root_body(const std::vector<std::string>& tenant_ids) {
  std::string out = "{\"ok\":true,\"tenants\":[";
  for (std::size_t i = 0; i < tenant_ids.size(); ++i) {
    if (i > 0)
      out += ',';
    write_string(out, tenant_ids[i]);
  }
  out += "]}";
  return out;
}

// Appends `"key":"value"`, preceded by a comma unless it is the first.
void write_member(std::string& out, std::string_view key,
                  std::string_view value) {
  if (out.back() != '{')
    out += ',';
  write_string(out, key);
  out += ':';
  write_string(out, value);
}

std::string session_body(const session_grant& grant) {
  std::string out;
  out.reserve(96 + grant.name.size() + grant.welcome.size());
  out += '{';
  write_member(out, "session_id", grant.session_id);
  out += ",\"tenant\":{";
  write_member(out, "id", grant.tenant_id);
  write_member(out, "name", grant.name);
  write_member(out, "welcome", grant.welcome);
  out += "}}";
  return out;
}

std::string chat_body(const chat_request_body& req, const chat_result& result) {
  std::string out;
  out.reserve(96 + req.tenant_id.size() + req.session_id.size()
              + result.reply.size() + result.model.size());
  out += '{';
  write_member(out, "tenant_id", req.tenant_id);
  write_member(out, "session_id", req.session_id);
  write_member(out, "reply", result.reply);
  write_member(out, "model", result.model);
  out += result.upstream ? ",\"mock\":false}" : ",\"mock\":true}";
  return out;
}

std::string chat_delta_event(std::string_view piece) {
  std::string out = "event: delta\ndata: {\"delta\":";
  write_string(out, piece);
  out += "}\n\n";
  return out;
}

std::string chat_done_event(const chat_request_body& req,
                            const chat_result& result, const chat_usage& usage) {
  auto body = chat_body(req, result);
  body.pop_back(); // its closing brace
  body += ",\"usage\":{\"prompt_tokens\":" + std::to_string(usage.prompt_tokens)
          + ",\"completion_tokens\":" + std::to_string(usage.completion_tokens)
          + (usage.estimated ? ",\"estimated\":true}}" : ",\"estimated\":false}}");
  return "event: done\ndata: " + body + "\n\n";
}

std::string chat_error_event(std::string_view detail, std::string_view kind) {
  std::string out = "event: error\ndata: {";
  write_member(out, "detail", detail);
  write_member(out, "kind", kind);
  out += "}\n\n";
  return out;
}

// -- the admin API ------------------------------------------------------------

namespace {

// One config problem as a 422 item. Its input is what the client sent at
// the problem's field, or the innermost object that lacks the field (as
// pydantic echoes the object for a missing field).
json::object config_error_item(const config_error& problem,
                               const json::value& sent) {
  json::array loc{"body"};
  const json::value* input = &sent;
  bool found = true;
  std::string_view rest = problem.field;
  while (!rest.empty()) {
    auto dot = rest.find('.');
    auto key = rest.substr(0, dot);
    rest = dot == std::string_view::npos ? std::string_view{}
                                         : rest.substr(dot + 1);
    loc.emplace_back(key);
    auto* obj = found ? input->if_object() : nullptr;
    auto* inner = obj != nullptr ? obj->if_contains(key) : nullptr;
    found = inner != nullptr;
    if (found)
      input = inner;
  }
  auto msg = problem.field.empty() ? problem.problem
                                   : problem.field + " " + problem.problem;
  return error_item("value_error", std::move(loc), msg, *input);
}

// Reads query parameter `name` as an integer in [min, max], refusing it as
// FastAPI refuses a Query(ge=min, le=max) int (input: the text as sent).
void read_query_int(std::string_view name, std::string_view text, int64_t min,
                    int64_t max, uint64_t& out, json::array& errors) {
  auto loc = json::array{"query", name};
  int64_t n = 0;
  auto end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, n);
  if (ec != std::errc{} || ptr != end) {
    errors.push_back(error_item(
      "int_parsing", loc,
      "Input should be a valid integer, unable to parse string as an integer",
      json::string{text}));
    return;
  }
  auto out_of_range = [&](std::string_view type, std::string_view words,
                          std::string_view ctx_key, int64_t bound) {
    auto item = error_item(type, loc,
                           "Input should be " + std::string{words} + " "
                             + std::to_string(bound),
                           json::string{text});
    item["ctx"] = json::object{{ctx_key, bound}};
    errors.push_back(std::move(item));
  };
  if (n < min)
    return out_of_range("greater_than_equal", "greater than or equal to", "ge",
                        min);
  if (n > max)
    return out_of_range("less_than_equal", "less than or equal to", "le", max);
  out = static_cast<uint64_t>(n);
}

} // namespace

decoded<tenant_config> decode_tenant_config(std::string_view body,
                                            std::string_view content_type,
                                            const body_limits& limits) {
  auto parsed = parse_body_object(body, content_type, limits);
  if (auto* failure = std::get_if<validation_failure>(&parsed))
    return std::move(*failure);
  json::value sent = std::move(std::get<json::object>(parsed));
  auto config = parse_tenant_config(sent);
  if (auto* problems = std::get_if<std::vector<config_error>>(&config))
    return config_failure(*problems, sent);
  return std::get<tenant_config>(std::move(config));
}

bool is_merge_patch_content_type(std::string_view content_type) {
  auto media = media_type(content_type);
  return media == "application/merge-patch+json" || media == "application/json";
}

decoded<json::object> decode_merge_patch(std::string_view body,
                                         std::string_view content_type,
                                         const body_limits& limits) {
  return parse_body_object(body, content_type, limits);
}

decoded<std::map<std::string, std::string>>
decode_query_form(std::string_view raw) {
  auto fields = parse_form(raw);
  if (!fields) {
    validation_failure failure;
    failure.detail.push_back(
      query_error("", text::replace_invalid_utf8(raw),
                  "a parameter is given more than once"));
    return failure;
  }
  std::map<std::string, std::string> valid;
  for (auto& [name, value] : *fields)
    valid.emplace(text::replace_invalid_utf8(name),
                  text::replace_invalid_utf8(value));
  return valid;
}

json::object query_error(std::string_view name, std::string_view value,
                         std::string msg) {
  return {{"type", "value_error"},
          {"loc", json::array{"query", name}},
          {"msg", std::move(msg)},
          {"input", value}};
}

std::optional<int64_t> query_integer(std::string_view value, int64_t min,
                                     int64_t max) {
  int64_t n = 0;
  auto end = value.data() + value.size();
  auto [ptr, ec] = std::from_chars(value.data(), end, n);
  if (ec != std::errc{} || ptr != end || n < min || n > max)
    return std::nullopt;
  return n;
}

decoded<page_request> decode_page_query(std::string_view raw) {
  // Errors echo names and values, and JSON must be valid UTF-8; the query
  // is bytes nobody checked. (Replacing changes no '&', '=' or digit.)
  auto valid = text::replace_invalid_utf8(raw);
  std::string_view query = valid;
  page_request result;
  json::array errors;
  while (!query.empty()) {
    auto amp = query.find('&');
    auto param = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{}
                                          : query.substr(amp + 1);
    if (param.empty())
      continue;
    auto eq = param.find('=');
    auto name = param.substr(0, eq);
    auto value = eq == std::string_view::npos ? std::string_view{}
                                              : param.substr(eq + 1);
    if (name == "offset")
      read_query_int(name, value, 0, std::numeric_limits<int64_t>::max(),
                     result.offset, errors);
    else if (name == "limit")
      read_query_int(name, value, 1, 1000, result.limit, errors);
    else
      // A typo ("limt") must not silently give the default.
      errors.push_back(error_item("extra_forbidden", json::array{"query", name},
                                  "Extra inputs are not permitted",
                                  json::string{value}));
  }
  if (!errors.empty())
    return validation_failure{std::move(errors)};
  return result;
}

validation_failure config_failure(const std::vector<config_error>& problems,
                                  const json::value& sent) {
  // The problems echo what was sent at their fields: never a secret.
  auto echo = sent;
  hide_secrets(echo);
  if (problems.empty())
    return whole_body_error("value_error", "Invalid tenant config", echo);
  json::array items;
  for (auto& problem : problems)
    items.push_back(config_error_item(problem, echo));
  return {std::move(items)};
}

std::string rfc3339_millis(int64_t unix_ms) {
  auto seconds = unix_ms / 1000;
  auto millis = unix_ms % 1000;
  if (millis < 0) { // before 1970: round down
    millis += 1000;
    --seconds;
  }
  std::time_t t = seconds;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[80]; // room for any int the fields could hold
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                tm.tm_min, tm.tm_sec, static_cast<int>(millis));
  return buf;
}

std::string tenant_body(const tenant_record& record) {
  json::object body;
  // The config part is to_json's, which leaves "limits" out when no limit
  // is set; here it is always there (empty then), so every tenant has the
  // same shape.
  for (auto& member : to_json(record.config)) {
    if (member.key() == "reply" && !body.contains("limits"))
      body["limits"] = json::object{};
    body[member.key()] = member.value();
  }
  body["status"] = to_string(record.status);
  body["created_at"] = rfc3339_millis(record.created_at);
  body["updated_at"] = rfc3339_millis(record.updated_at);
  body["stats"] = json::object{{"active", record.stats.active},
                               {"sessions", record.stats.sessions},
                               {"chats", record.stats.chats},
                               {"rate_limited", record.stats.rate_limited}};
  std::string out;
  write_json(out, body);
  return out;
}

std::string tenant_page_body(const tenant_page& page,
                             const page_request& request) {
  json::array tenants;
  for (auto& t : page.tenants)
    tenants.push_back(
      json::object{{"id", t.id}, {"status", to_string(t.status)}});
  json::object body;
  body["tenants"] = std::move(tenants);
  body["offset"] = request.offset;
  body["limit"] = request.limit;
  body["total"] = page.total;
  auto next = request.offset + request.limit; // offset <= INT64_MAX
  if (next < page.total)
    body["next"] = "/tenants?offset=" + std::to_string(next)
                   + "&limit=" + std::to_string(request.limit);
  else
    body["next"] = nullptr;
  std::string out;
  write_json(out, body);
  return out;
}

} // namespace tenantd::http
