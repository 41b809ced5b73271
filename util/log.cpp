#include "util/log.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <ctime>
#include <deque>
#include <mutex>
#include <thread>
#include <utility>

#include <unistd.h>

namespace tenantd::log {

namespace {

std::string timestamp() {
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
  return stamp;
}

// The length of the valid UTF-8 sequence at the start of `s`, or 0.
std::size_t utf8_sequence(std::string_view s) {
  auto b = static_cast<unsigned char>(s[0]);
  std::size_t n = b < 0x80 ? 1 : b >= 0xC2 && b <= 0xDF ? 2
                  : b >= 0xE0 && b <= 0xEF            ? 3
                  : b >= 0xF0 && b <= 0xF4            ? 4
                                                      : 0;
  if (n == 0 || n > s.size())
    return 0;
  for (std::size_t i = 1; i < n; ++i)
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80)
      return 0;
  auto b1 = static_cast<unsigned char>(s.size() > 1 ? s[1] : 0);
  if ((b == 0xE0 && b1 < 0xA0) || (b == 0xED && b1 > 0x9F)
      || (b == 0xF0 && b1 < 0x90) || (b == 0xF4 && b1 > 0x8F))
    return 0; // overlong, surrogate, or above U+10FFFF
  return n;
}

// `s` as a JSON string literal; invalid UTF-8 becomes U+FFFD, so that every
// line is valid JSON whatever a value holds.
void append_json_string(std::string& out, std::string_view s) {
  static constexpr char hex[] = "0123456789abcdef";
  out += '"';
  while (!s.empty()) {
    auto c = static_cast<unsigned char>(s[0]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c < 0x20 || c == 0x7F) {
      out += "\\u00";
      out += hex[c >> 4];
      out += hex[c & 0xF];
    } else if (c >= 0x80) {
      auto n = utf8_sequence(s);
      if (n == 0) {
        out += "\\ufffd";
        s.remove_prefix(1);
        continue;
      }
      out.append(s.data(), n);
      s.remove_prefix(n);
      continue;
    } else {
      out += static_cast<char>(c);
    }
    s.remove_prefix(1);
  }
  out += '"';
}

std::string format_text(level lvl, std::string_view component,
                        std::string_view message, fields extra) {
  std::string line = timestamp();
  line += lvl == level::debug     ? " DEBUG "
          : lvl == level::info    ? " INFO  "
          : lvl == level::warning ? " WARN  "
                                  : " ERROR ";
  line += component;
  line += ':';
  if (!message.empty()) {
    line += ' ';
    line += message;
  }
  for (auto& f : extra) {
    if (f.value.empty())
      continue;
    line += ' ';
    line += f.key;
    line += '=';
    line += f.value;
  }
  // One event, one line.
  for (auto& c : line)
    if (c == '\n' || c == '\r')
      c = ' ';
  line += '\n';
  return line;
}

std::string format_json(level lvl, std::string_view component,
                        std::string_view message, fields extra) {
  std::string line = "{\"time\":\"" + timestamp() + "\",\"level\":\"";
  line += to_string(lvl);
  line += "\",\"component\":";
  append_json_string(line, component);
  if (!message.empty()) {
    line += ",\"message\":";
    append_json_string(line, message);
  }
  for (auto& f : extra) {
    if (f.value.empty())
      continue;
    line += ',';
    append_json_string(line, f.key);
    line += ':';
    append_json_string(line, f.value);
  }
  line += "}\n";
  return line;
}

void write_all(const std::string& bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    auto n = ::write(STDERR_FILENO, bytes.data() + done, bytes.size() - done);
    if (n <= 0)
      return; // stderr is gone: nothing to tell anyone
    done += static_cast<std::size_t>(n);
  }
}

class logger {
public:
  ~logger() {
    {
      std::lock_guard<std::mutex> guard{mtx_};
      stopping_ = true;
    }
    wake_.notify_one();
    if (writer_.joinable())
      writer_.join();
  }

  void configure(format f, level min_level) {
    format_ = f;
    min_level_.store(min_level, std::memory_order_relaxed);
  }

  bool enabled(level x) const {
    return x >= min_level_.load(std::memory_order_relaxed);
  }

  void push(level lvl, std::string_view component, std::string_view message,
            fields extra) {
    auto line = format_ == format::json
                  ? format_json(lvl, component, message, extra)
                  : format_text(lvl, component, message, extra);
    {
      std::lock_guard<std::mutex> guard{mtx_};
      if (queued_bytes_ + line.size() > max_queued_bytes) {
        ++dropped_;
        ++dropped_unreported_;
        return;
      }
      queued_bytes_ += line.size();
      queue_.push_back(std::move(line));
      ++pushed_;
      if (!writer_.joinable())
        writer_ = std::thread{[this] { run(); }};
    }
    wake_.notify_one();
  }

  void flush() {
    std::unique_lock<std::mutex> guard{mtx_};
    auto target = pushed_;
    done_.wait(guard, [&] { return written_ >= target || !writer_.joinable(); });
  }

  std::size_t dropped() {
    std::lock_guard<std::mutex> guard{mtx_};
    return dropped_;
  }

private:
  void run() {
    std::unique_lock<std::mutex> guard{mtx_};
    for (;;) {
      wake_.wait(guard, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty() && stopping_)
        return;
      std::deque<std::string> batch;
      batch.swap(queue_);
      queued_bytes_ = 0;
      auto lost = std::exchange(dropped_unreported_, std::size_t{0});
      guard.unlock();
      std::string bytes;
      for (auto& line : batch)
        bytes += line;
      if (lost > 0)
        bytes += format_ == format::json
                   ? format_json(level::warning, "log", "lines dropped",
                                 {{"count", std::to_string(lost)}})
                   : format_text(level::warning, "log", "lines dropped",
                                 {{"count", std::to_string(lost)}});
      write_all(bytes);
      guard.lock();
      written_ += batch.size();
      done_.notify_all();
    }
  }

  format format_ = format::text;
  std::atomic<level> min_level_{level::info};
  std::mutex mtx_;
  std::condition_variable wake_;
  std::condition_variable done_;
  std::deque<std::string> queue_;
  std::size_t queued_bytes_ = 0;
  std::size_t pushed_ = 0;
  std::size_t written_ = 0;
  std::size_t dropped_ = 0;
  std::size_t dropped_unreported_ = 0;
  bool stopping_ = false;
  std::thread writer_;
};

logger& the_logger() {
  static logger instance;
  return instance;
}

} // namespace

std::string_view to_string(level x) {
  switch (x) {
    case level::debug: return "debug";
    case level::info: return "info";
    case level::warning: return "warning";
    case level::error: return "error";
  }
  return "info";
}

std::optional<level> level_from_string(std::string_view s) {
  for (auto x : {level::debug, level::info, level::warning, level::error})
    if (s == to_string(x))
      return x;
  return std::nullopt;
}

void configure(format f, level min_level) {
  the_logger().configure(f, min_level);
}

bool enabled(level x) {
  return the_logger().enabled(x);
}

void write(level lvl, std::string_view component, std::string_view message,
           fields extra) {
  auto& l = the_logger();
  if (l.enabled(lvl))
    l.push(lvl, component, message, extra);
}

void flush() {
  the_logger().flush();
}

std::size_t dropped() {
  return the_logger().dropped();
}

} // namespace tenantd::log
