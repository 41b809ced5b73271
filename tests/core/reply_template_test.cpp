// Unit tests of actors/reply_template: compiling reply templates and
// rendering them byte for byte like the seed's Python f-strings.

#include "core/reply_template.hpp"

#include <string>
#include <variant>
#include <vector>

#include <gtest/gtest.h>

#include "core/tenant_config.hpp"
#include "core/text.hpp"
#include "tests/support/repo.hpp"

namespace {

using tenantd::reply_template;
using tenantd::tenant_config;

// The reply templates of the repo's tenants.jsonl, copied literally.
constexpr const char* acme_reply
  = "{welcome} [ACME MOCK] You said: '{message}'. Here's it reversed: "
    "'{message|reverse}'";
constexpr const char* globex_reply
  = "{welcome} [GLOBEX MOCK] Echo: {message|upper}";
constexpr const char* initech_reply
  = "{welcome} [INITECH MOCK] Got it. '{message}'. (pretend-smart summary).";

tenant_config make_tenant(std::string id, std::string name, std::string welcome,
                          std::string model, std::string reply) {
  tenant_config cfg;
  cfg.id = std::move(id);
  cfg.name = std::move(name);
  cfg.welcome = std::move(welcome);
  cfg.model = std::move(model);
  cfg.reply = std::move(reply);
  return cfg;
}

tenant_config acme() {
  return make_tenant("acme", "Acme Corp", "Howdy from Acme!", "mock-1",
                     acme_reply);
}
tenant_config globex() {
  return make_tenant("globex", "Globex Inc.", "Welcome from Globex.", "mock-2",
                     globex_reply);
}
tenant_config initech() {
  return make_tenant("initech", "Initech", "Initech says hi.", "mock-3",
                     initech_reply);
}

reply_template compile_ok(std::string_view source) {
  auto result = reply_template::compile(source);
  if (auto* err = std::get_if<std::string>(&result)) {
    ADD_FAILURE() << "template '" << source << "' refused: " << *err;
    return std::get<reply_template>(reply_template::compile(""));
  }
  return std::get<reply_template>(std::move(result));
}

std::string compile_error(std::string_view source) {
  auto result = reply_template::compile(source);
  if (auto* err = std::get_if<std::string>(&result))
    return *err;
  ADD_FAILURE() << "template '" << source << "' was accepted";
  return {};
}

// What the service does per chat: strip the raw message, then render.
std::string chat_reply(const tenant_config& cfg, std::string_view raw_message) {
  auto tpl = compile_ok(cfg.reply);
  return tpl.render(cfg, tenantd::text::strip(raw_message));
}

// Raw message -> the seed's reply. Expected values computed with CPython 3.11
// from the seed's own code: msg = raw.strip(), then
//   acme:    f"{welcome} [ACME MOCK] You said: '{msg}'. Here's it reversed: '{msg[::-1]}'"
//   globex:  f"{welcome} [GLOBEX MOCK] Echo: {msg.upper()}"
//   initech: f"{welcome} [INITECH MOCK] Got it. '{msg}'. (pretend-smart summary)."
// Messages: ASCII; 'héllo wörld' in blanks, tab and newline; '日本語' between
// U+3000 and U+00A0; 'straße ﬁx ŉ'; '😀 hi 👍🏽'; 'e\u0301cole' (combining
// acute); ''; ' \u2003 '; '\u200bzero\u200b' (ZWSP is not whitespace);
// 'ΟΔΟΣ ıi'.
struct seed_case {
  const char* message;
  const char* reply;
};

const std::vector<seed_case> acme_cases = {
  {"hello from acme",
   "Howdy from Acme! [ACME MOCK] You said: 'hello from acme'. Here's it reversed: 'emca morf olleh'"},
  {"  h\xc3\xa9llo w\xc3\xb6rld \t\n",
   "Howdy from Acme! [ACME MOCK] You said: 'h\xc3\xa9llo w\xc3\xb6rld'. Here's it reversed: 'dlr\xc3\xb6w oll\xc3\xa9h'"},
  {"\xe3\x80\x80\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xc2\xa0",
   "Howdy from Acme! [ACME MOCK] You said: '\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e'. Here's it reversed: '\xe8\xaa\x9e\xe6\x9c\xac\xe6\x97\xa5'"},
  {"stra\xc3\x9f" "e \xef\xac\x81x \xc5\x89",
   "Howdy from Acme! [ACME MOCK] You said: 'stra\xc3\x9f" "e \xef\xac\x81x \xc5\x89'. Here's it reversed: '\xc5\x89 x\xef\xac\x81 e\xc3\x9f" "arts'"},
  {"\xf0\x9f\x98\x80 hi \xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd",
   "Howdy from Acme! [ACME MOCK] You said: '\xf0\x9f\x98\x80 hi \xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd'. Here's it reversed: '\xf0\x9f\x8f\xbd\xf0\x9f\x91\x8d ih \xf0\x9f\x98\x80'"},
  {"e\xcc\x81" "cole",
   "Howdy from Acme! [ACME MOCK] You said: 'e\xcc\x81" "cole'. Here's it reversed: 'eloc\xcc\x81" "e'"},
  {"",
   "Howdy from Acme! [ACME MOCK] You said: ''. Here's it reversed: ''"},
  {" \xe2\x80\x83 ",
   "Howdy from Acme! [ACME MOCK] You said: ''. Here's it reversed: ''"},
  {"\xe2\x80\x8bzero\xe2\x80\x8b",
   "Howdy from Acme! [ACME MOCK] You said: '\xe2\x80\x8bzero\xe2\x80\x8b'. Here's it reversed: '\xe2\x80\x8borez\xe2\x80\x8b'"},
  {"\xce\x9f\xce\x94\xce\x9f\xce\xa3 \xc4\xb1i",
   "Howdy from Acme! [ACME MOCK] You said: '\xce\x9f\xce\x94\xce\x9f\xce\xa3 \xc4\xb1i'. Here's it reversed: 'i\xc4\xb1 \xce\xa3\xce\x9f\xce\x94\xce\x9f'"},
};

const std::vector<seed_case> globex_cases = {
  {"hello from acme",
   "Welcome from Globex. [GLOBEX MOCK] Echo: HELLO FROM ACME"},
  {"  h\xc3\xa9llo w\xc3\xb6rld \t\n",
   "Welcome from Globex. [GLOBEX MOCK] Echo: H\xc3\x89LLO W\xc3\x96RLD"},
  {"\xe3\x80\x80\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xc2\xa0",
   "Welcome from Globex. [GLOBEX MOCK] Echo: \xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e"},
  {"stra\xc3\x9f" "e \xef\xac\x81x \xc5\x89",
   "Welcome from Globex. [GLOBEX MOCK] Echo: STRASSE FIX \xca\xbcN"},
  {"\xf0\x9f\x98\x80 hi \xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd",
   "Welcome from Globex. [GLOBEX MOCK] Echo: \xf0\x9f\x98\x80 HI \xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd"},
  {"e\xcc\x81" "cole",
   "Welcome from Globex. [GLOBEX MOCK] Echo: E\xcc\x81" "COLE"},
  {"",
   "Welcome from Globex. [GLOBEX MOCK] Echo: "},
  {" \xe2\x80\x83 ",
   "Welcome from Globex. [GLOBEX MOCK] Echo: "},
  {"\xe2\x80\x8bzero\xe2\x80\x8b",
   "Welcome from Globex. [GLOBEX MOCK] Echo: \xe2\x80\x8bZERO\xe2\x80\x8b"},
  {"\xce\x9f\xce\x94\xce\x9f\xce\xa3 \xc4\xb1i",
   "Welcome from Globex. [GLOBEX MOCK] Echo: \xce\x9f\xce\x94\xce\x9f\xce\xa3 II"},
};

const std::vector<seed_case> initech_cases = {
  {"hello from acme",
   "Initech says hi. [INITECH MOCK] Got it. 'hello from acme'. (pretend-smart summary)."},
  {"  h\xc3\xa9llo w\xc3\xb6rld \t\n",
   "Initech says hi. [INITECH MOCK] Got it. 'h\xc3\xa9llo w\xc3\xb6rld'. (pretend-smart summary)."},
  {"\xe3\x80\x80\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xc2\xa0",
   "Initech says hi. [INITECH MOCK] Got it. '\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e'. (pretend-smart summary)."},
  {"stra\xc3\x9f" "e \xef\xac\x81x \xc5\x89",
   "Initech says hi. [INITECH MOCK] Got it. 'stra\xc3\x9f" "e \xef\xac\x81x \xc5\x89'. (pretend-smart summary)."},
  {"\xf0\x9f\x98\x80 hi \xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd",
   "Initech says hi. [INITECH MOCK] Got it. '\xf0\x9f\x98\x80 hi \xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd'. (pretend-smart summary)."},
  {"e\xcc\x81" "cole",
   "Initech says hi. [INITECH MOCK] Got it. 'e\xcc\x81" "cole'. (pretend-smart summary)."},
  {"",
   "Initech says hi. [INITECH MOCK] Got it. ''. (pretend-smart summary)."},
  {" \xe2\x80\x83 ",
   "Initech says hi. [INITECH MOCK] Got it. ''. (pretend-smart summary)."},
  {"\xe2\x80\x8bzero\xe2\x80\x8b",
   "Initech says hi. [INITECH MOCK] Got it. '\xe2\x80\x8bzero\xe2\x80\x8b'. (pretend-smart summary)."},
  {"\xce\x9f\xce\x94\xce\x9f\xce\xa3 \xc4\xb1i",
   "Initech says hi. [INITECH MOCK] Got it. '\xce\x9f\xce\x94\xce\x9f\xce\xa3 \xc4\xb1i'. (pretend-smart summary)."},
};

void expect_seed_replies(const tenant_config& cfg,
                         const std::vector<seed_case>& cases) {
  for (auto& c : cases)
    EXPECT_EQ(chat_reply(cfg, c.message), c.reply)
      << "tenant " << cfg.id
      << ", message: " << ::testing::PrintToString(std::string{c.message});
}

const tenant_config* find_tenant(const std::vector<tenant_config>& all,
                                 std::string_view id) {
  for (auto& cfg : all)
    if (cfg.id == id)
      return &cfg;
  return nullptr;
}

// -- the seed's three tenants ------------------------------------------------

TEST(SeedReplies, AcmeMatchesPythonFString) {
  expect_seed_replies(acme(), acme_cases);
}

TEST(SeedReplies, GlobexMatchesPythonFString) {
  expect_seed_replies(globex(), globex_cases);
}

TEST(SeedReplies, InitechMatchesPythonFString) {
  expect_seed_replies(initech(), initech_cases);
}

TEST(SeedReplies, RepoTenantsFileReproducesTheSeed) {
  auto tenants =
    tenantd::load_tenants_file(tenantd::test::repo_path("tenants.jsonl"));
  ASSERT_EQ(tenants.size(), 3u);
  EXPECT_EQ(tenants[0].id, "acme");
  EXPECT_EQ(tenants[1].id, "globex");
  EXPECT_EQ(tenants[2].id, "initech");
  auto* a = find_tenant(tenants, "acme");
  auto* g = find_tenant(tenants, "globex");
  auto* i = find_tenant(tenants, "initech");
  ASSERT_TRUE(a && g && i);
  EXPECT_EQ(a->reply, acme_reply);
  EXPECT_EQ(g->reply, globex_reply);
  EXPECT_EQ(i->reply, initech_reply);
  expect_seed_replies(*a, acme_cases);
  expect_seed_replies(*g, globex_cases);
  expect_seed_replies(*i, initech_cases);
}

// -- fields and filters ------------------------------------------------------

TEST(ReplyTemplate, RendersEveryField) {
  auto cfg = make_tenant("t-1", "Tee One", "Hi!", "mock-9", "");
  auto tpl = compile_ok("{id}|{name}|{welcome}|{model}|{message}");
  EXPECT_EQ(tpl.render(cfg, "msg"), "t-1|Tee One|Hi!|mock-9|msg");
}

TEST(ReplyTemplate, FieldsMayRepeat) {
  auto tpl = compile_ok("{message}{message}-{id}{id}");
  EXPECT_EQ(tpl.render(acme(), "ab"), "abab-acmeacme");
}

TEST(ReplyTemplate, LiteralOnlyAndEmptyTemplates) {
  EXPECT_EQ(compile_ok("no placeholders here").render(acme(), "x"),
            "no placeholders here");
  EXPECT_EQ(compile_ok("").render(acme(), "x"), "");
}

TEST(ReplyTemplate, FiltersApplyToAnyField) {
  auto tpl = compile_ok("{name|upper} {name|lower} {welcome|reverse}");
  EXPECT_EQ(tpl.render(acme(), "ignored"),
            "ACME CORP acme corp !emcA morf ydwoH");
}

TEST(ReplyTemplate, FilterUsesPythonCaseMapping) {
  auto tpl = compile_ok("{message|upper}/{message|lower}");
  // 'Straße İ'.upper() == 'STRASSE İ', .lower() == 'straße i\u0307'
  EXPECT_EQ(tpl.render(acme(), "Stra\xc3\x9f" "e \xc4\xb0"),
            "STRASSE \xc4\xb0/stra\xc3\x9f" "e i\xcc\x87");
}

TEST(ReplyTemplate, ChainedFiltersApplyLeftToRight) {
  // m = 'ﬁx ŉ': m[::-1].upper() == 'ʼN XFI' but m.upper()[::-1] == 'Nʼ XIF'.
  std::string m = "\xef\xac\x81x \xc5\x89";
  EXPECT_EQ(compile_ok("{message|reverse|upper}").render(acme(), m),
            "\xca\xbcN XFI");
  EXPECT_EQ(compile_ok("{message|upper|reverse}").render(acme(), m),
            "N\xca\xbc XIF");
  EXPECT_EQ(compile_ok("{name|upper|reverse|lower}").render(acme(), m),
            "proc emca");
}

TEST(ReplyTemplate, RenderDoesNotStripTheMessage) {
  // Stripping is the caller's job; render takes the message as given.
  EXPECT_EQ(compile_ok("'{message}'").render(acme(), " x "), "' x '");
}

TEST(ReplyTemplate, BracesInValuesAreNotInterpreted) {
  auto cfg = make_tenant("t", "{message}", "{{id}}", "m", "");
  auto tpl = compile_ok("{name} {welcome} {message}");
  EXPECT_EQ(tpl.render(cfg, "{welcome|upper}"),
            "{message} {{id}} {welcome|upper}");
}

TEST(ReplyTemplate, DefaultReplyCompilesAndRenders) {
  tenant_config cfg;
  cfg.welcome = "Hello.";
  auto tpl = compile_ok(tenant_config::default_reply);
  EXPECT_EQ(tpl.render(cfg, "hi"), "Hello. You said: 'hi'.");
}

TEST(ReplyTemplate, SourceIsKept) {
  EXPECT_EQ(compile_ok(acme_reply).source(), acme_reply);
}

// -- escapes -----------------------------------------------------------------

TEST(ReplyTemplate, DoubledBracesAreLiteralBraces) {
  EXPECT_EQ(compile_ok("{{message}}").render(acme(), "x"), "{message}");
  EXPECT_EQ(compile_ok("a {{ b }} c").render(acme(), "x"), "a { b } c");
  EXPECT_EQ(compile_ok("}}{{").render(acme(), "x"), "}{");
}

TEST(ReplyTemplate, EscapedBracesAroundAPlaceholder) {
  // Like Python's f"{{{msg}}}" == '{' + msg + '}'.
  EXPECT_EQ(compile_ok("{{{message}}}").render(acme(), "x"), "{x}");
}

// -- compile errors ----------------------------------------------------------

TEST(ReplyTemplateErrors, UnknownPlaceholder) {
  EXPECT_EQ(compile_error("Hi {msg}!"),
            "unknown placeholder '{msg}' (known: message, welcome, name, id, "
            "model)");
}

TEST(ReplyTemplateErrors, PlaceholderNamesAreExact) {
  EXPECT_NE(compile_error("{Message}").find("unknown placeholder '{Message}'"),
            std::string::npos);
  EXPECT_NE(compile_error("{ message }").find("unknown placeholder"),
            std::string::npos);
  EXPECT_NE(compile_error("{}").find("unknown placeholder '{}'"),
            std::string::npos);
  EXPECT_NE(compile_error("{|upper}").find("unknown placeholder"),
            std::string::npos);
}

TEST(ReplyTemplateErrors, UnknownFilter) {
  EXPECT_EQ(compile_error("{message|title}"),
            "unknown filter 'title' (known: reverse, upper, lower)");
  EXPECT_EQ(compile_error("{message|upper|Upper}"),
            "unknown filter 'Upper' (known: reverse, upper, lower)");
}

TEST(ReplyTemplateErrors, EmptyFilter) {
  EXPECT_EQ(compile_error("{message|}"),
            "unknown filter '' (known: reverse, upper, lower)");
  EXPECT_EQ(compile_error("{message||upper}"),
            "unknown filter '' (known: reverse, upper, lower)");
}

TEST(ReplyTemplateErrors, UnclosedBrace) {
  EXPECT_EQ(compile_error("{message"), "unclosed '{' at offset 0");
  EXPECT_EQ(compile_error("ok {welcome} then {"), "unclosed '{' at offset 18");
}

TEST(ReplyTemplateErrors, StrayClosingBrace) {
  EXPECT_EQ(compile_error("a}b"), "unmatched '}' at offset 1");
  EXPECT_EQ(compile_error("{message}}"), "unmatched '}' at offset 9");
  // "{{" is an escape, so the '}' closes nothing.
  EXPECT_EQ(compile_error("{{message}"), "unmatched '}' at offset 9");
}

TEST(ReplyTemplateErrors, NestedBraceIsNotAPlaceholder) {
  EXPECT_NE(compile_error("{mess{age}").find("unknown placeholder"),
            std::string::npos);
}

TEST(ReplyTemplateBound, TheWorstCaseCountsSixBytesACharAndFourTripledPerCaseFilter) {
  auto cfg = acme();
  EXPECT_EQ(compile_ok("ab").worst_case_bytes(cfg, 10), 2u);
  // As sent: a quote in the template is escaped.
  EXPECT_EQ(compile_ok("a\"b").worst_case_bytes(cfg, 10), 4u);
  // A control character is sent as \u00XX.
  EXPECT_EQ(compile_ok("{message}").worst_case_bytes(cfg, 10), 60u);
  EXPECT_EQ(compile_ok("{message|reverse}").worst_case_bytes(cfg, 10), 60u);
  EXPECT_EQ(compile_ok("{message|upper}").worst_case_bytes(cfg, 10), 120u);
  EXPECT_EQ(compile_ok("{message|upper|lower}").worst_case_bytes(cfg, 10), 360u);
  // The config's own fields count as they render.
  EXPECT_EQ(compile_ok("{id}:{name|upper}").worst_case_bytes(cfg, 10),
            cfg.id.size() + 1 + tenantd::text::upper(cfg.name).size());
  // It saturates instead of wrapping.
  EXPECT_EQ(compile_ok("{message}{message}").worst_case_bytes(cfg, SIZE_MAX),
            SIZE_MAX);
  // The bound is a bound: U+0390 is 2 bytes, its upper case 6.
  std::string worst;
  for (int i = 0; i < 10; ++i)
    worst += "\xce\x90";
  EXPECT_LE(compile_ok("{message|upper}").render(cfg, worst).size(), 120u);
  EXPECT_EQ(compile_ok("{message|upper}").render(cfg, worst).size(), 60u);
}

TEST(ReplyTemplateBound, RenderWithinGivesNothingPastTheBound) {
  auto tpl = compile_ok("{message}-{message}");
  EXPECT_EQ(tpl.render_within(acme(), "abc", 7), "abc-abc");
  EXPECT_EQ(tpl.render_within(acme(), "abc", 6), std::nullopt);
  EXPECT_EQ(tpl.render_within(acme(), "", 1), "-");
  EXPECT_EQ(tpl.render_within(acme(), "", 0), std::nullopt);
}

} // namespace
