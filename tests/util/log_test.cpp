// The logger (util/log): both formats, levels, fields, and that a writer
// that cannot keep up costs dropped lines, never a blocked caller.

#include <string>
#include <thread>

#include <unistd.h>

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
  log::configure(log::format::text, log::level::info);
  log::flush();
  auto before = log::dropped();
  // stderr becomes a pipe nobody reads yet: the writer blocks once the
  // pipe is full, as on a stalled terminal or log collector.
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  int saved = ::dup(STDERR_FILENO);
  ::dup2(fds[1], STDERR_FILENO);
  std::string big(64 * 1024, 'x');
  for (int i = 0; i < 200; ++i) // 12.5 MiB, over three times the queue
    log::info("flood", big);
  // The callers returned although nothing could be written.
  EXPECT_GT(log::dropped(), before);
  std::string text;
  std::thread reader{[&] {
    char buf[1 << 16];
    ssize_t n;
    while ((n = ::read(fds[0], buf, sizeof(buf))) > 0)
      text.append(buf, static_cast<std::size_t>(n));
  }};
  log::flush();
  ::dup2(saved, STDERR_FILENO);
  ::close(fds[1]);
  reader.join();
  ::close(fds[0]);
  ::close(saved);
  EXPECT_NE(text.find("lines dropped count="), std::string::npos);
  EXPECT_LT(text.size(), 200 * big.size()) << "nothing was dropped";
}

TEST(Log, LevelNamesRoundTrip) {
  for (auto lvl : {log::level::debug, log::level::info, log::level::warning,
                   log::level::error})
    EXPECT_EQ(log::level_from_string(log::to_string(lvl)), lvl);
  EXPECT_FALSE(log::level_from_string("verbose"));
}

} // namespace
