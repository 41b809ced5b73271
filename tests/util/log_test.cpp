// The logger (util/log): both formats, levels, fields, and that a writer
// that cannot keep up costs dropped lines, never a blocked caller.

#include <string>

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include "util/log.hpp"

namespace {

using namespace tenantd;

// What the logger writes for `emit`, with `f` and `lvl` configured.
template <class Emit>
std::string logged(log::format f, log::level lvl, Emit emit) {
  log::configure(f, lvl);
  testing::internal::CaptureStderr();
  emit();
  log::flush();
  auto text = testing::internal::GetCapturedStderr();
  log::configure(log::format::text, log::level::info);
  return text;
}

TEST(Log, TextLinesNameLevelComponentMessageAndFields) {
  auto text = logged(log::format::text, log::level::info, [] {
    log::info("registry", "created tenant", {{"tenant", "acme"}});
    log::warning("http", "", {{"request_id", "r1"}, {"status", "504"}});
  });
  EXPECT_NE(text.find(" INFO  registry: created tenant tenant=acme\n"),
            std::string::npos)
    << text;
  EXPECT_NE(text.find(" WARN  http: request_id=r1 status=504\n"),
            std::string::npos)
    << text;
  // A UTC timestamp with milliseconds starts each line.
  EXPECT_EQ(text.substr(10, 1), "T");
  EXPECT_EQ(text.substr(23, 1), "Z");
}

TEST(Log, JsonLinesAreObjectsWithTimeLevelComponentMessageAndFields) {
  auto text = logged(log::format::json, log::level::info, [] {
    log::error("store", "commit failed: \"disk\"\n",
               {{"file", "/data/tenantd.db"}, {"bytes", "\xff\xfe"}});
  });
  ASSERT_EQ(text.back(), '\n');
  ASSERT_EQ(text.find('\n'), text.size() - 1) << "one event, one line";
  auto v = boost::json::parse(text).as_object();
  EXPECT_EQ(v.at("level"), "error");
  EXPECT_EQ(v.at("component"), "store");
  EXPECT_EQ(v.at("message"), "commit failed: \"disk\"\n");
  EXPECT_EQ(v.at("file"), "/data/tenantd.db");
  EXPECT_EQ(v.at("bytes"), "\xef\xbf\xbd\xef\xbf\xbd"); // invalid UTF-8 replaced
  auto time = std::string{v.at("time").as_string()};
  EXPECT_EQ(time.size(), 24u) << time; // 2026-11-27T04:38:57.901Z
}

TEST(Log, EventsBelowTheLevelAreNotWritten) {
  auto text = logged(log::format::text, log::level::warning, [] {
    log::debug("x", "debug line");
    log::info("x", "info line");
    log::warning("x", "warning line");
  });
  EXPECT_EQ(text.find("debug line"), std::string::npos);
  EXPECT_EQ(text.find("info line"), std::string::npos);
  EXPECT_NE(text.find("warning line"), std::string::npos);
  EXPECT_FALSE(log::enabled(log::level::debug));
}

TEST(Log, AFloodBeyondTheQueueIsDroppedAndCountedNotWaitedFor) {
  auto before = log::dropped();
  std::string big(64 * 1024, 'x');
  auto text = logged(log::format::text, log::level::info, [&] {
    // Far more than max_queued_bytes at once: the caller never waits for
    // the writer, so some lines must be dropped.
    for (int i = 0; i < 1000; ++i)
      log::info("flood", big);
  });
  EXPECT_GT(log::dropped(), before);
  EXPECT_NE(text.find("lines dropped count="), std::string::npos);
  EXPECT_LE(text.size(), 1000 * (big.size() + 64));
}

TEST(Log, LevelNamesRoundTrip) {
  for (auto lvl : {log::level::debug, log::level::info, log::level::warning,
                   log::level::error})
    EXPECT_EQ(log::level_from_string(log::to_string(lvl)), lvl);
  EXPECT_FALSE(log::level_from_string("verbose"));
}

} // namespace
