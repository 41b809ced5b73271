#pragma once

// Minimal structured logging to stderr: one line per event, UTC timestamp,
// level, component, message. A line is written with a single write(2) so
// lines from different threads never interleave. Never log secrets or
// message bodies.

#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>
#include <string_view>

#include <unistd.h>

namespace tenantd::log {

enum class level { info, warning, error };

inline void write(level lvl, std::string_view component, std::string_view msg) {
  using namespace std::chrono;
  auto now = system_clock::now();
  auto secs = system_clock::to_time_t(now);
  auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char stamp[64];
  std::snprintf(stamp, sizeof(stamp), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  std::string line;
  line.reserve(64 + msg.size());
  line += stamp;
  line += lvl == level::info ? " INFO  " : lvl == level::warning ? " WARN  " : " ERROR ";
  line += component;
  line += ": ";
  line += msg;
  line += '\n';
  [[maybe_unused]] auto n = ::write(STDERR_FILENO, line.data(), line.size());
}

inline void info(std::string_view component, std::string_view msg) {
  write(level::info, component, msg);
}
inline void warning(std::string_view component, std::string_view msg) {
  write(level::warning, component, msg);
}
inline void error(std::string_view component, std::string_view msg) {
  write(level::error, component, msg);
}

} // namespace tenantd::log
