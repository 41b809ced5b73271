#pragma once

// Logging that never blocks the caller on I/O: a line is formatted on the
// calling thread and queued; one writer thread of the logger's own writes
// queued lines to stderr, each with a single write(2) so that lines never
// interleave. No actor or I/O thread waits for a disk or a pipe.
//
// The queue is bounded (max_queued_bytes): past it, lines are dropped and
// counted, and the writer reports how many once it catches up: a flood of
// log lines costs a bounded amount of memory, never a stall.
//
// Two formats (LOG_FORMAT): text, one line per event
//   2026-11-27T04:38:57.901Z INFO  registry: created tenant tenant=acme
// and json, one object per line with time, level, component, message and
// the fields:
//   {"time":"2026-11-27T04:38:57.901Z","level":"info","component":"registry",
//    "message":"created tenant","tenant":"acme"}
// An event whose fields say it all (an access log line) has no message.
//
// Never log secrets or message bodies.

#include <cstddef>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

namespace tenantd::log {

enum class level { debug, info, warning, error };
enum class format { text, json };

/// "debug", "info", "warning", "error".
std::string_view to_string(level x);

/// Parses the names to_string gives; nothing for anything else.
std::optional<level> level_from_string(std::string_view s);

/// One key=value of an event. Keys are identifiers; values any text. A
/// field with an empty value is left out.
struct field {
  std::string_view key;
  std::string value;
};

using fields = std::initializer_list<field>;

/// Most bytes of formatted lines waiting for the writer.
constexpr std::size_t max_queued_bytes = 4 << 20;

/// Sets the format and the lowest level written (default: text, info).
/// Call at start-up, before other threads log.
void configure(format f, level min_level);

/// Whether events at `x` are written.
bool enabled(level x);

/// Queues one event; returns at once.
void write(level lvl, std::string_view component, std::string_view message,
           fields extra = {});

inline void debug(std::string_view component, std::string_view message,
                  fields extra = {}) {
  write(level::debug, component, message, extra);
}
inline void info(std::string_view component, std::string_view message,
                 fields extra = {}) {
  write(level::info, component, message, extra);
}
inline void warning(std::string_view component, std::string_view message,
                    fields extra = {}) {
  write(level::warning, component, message, extra);
}
inline void error(std::string_view component, std::string_view message,
                  fields extra = {}) {
  write(level::error, component, message, extra);
}

/// Returns once every event queued before the call is written (tests that
/// read stderr; the end of the process).
void flush();

/// Events dropped because the queue was full, since start.
std::size_t dropped();

} // namespace tenantd::log
