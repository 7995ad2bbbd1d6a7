// Leveled log lines on stderr, written whole so that worker threads never interleave.
#pragma once

#include <atomic>
#include <string>
#include <string_view>

namespace jwtbatch::common {

enum class log_level { error = 0, warn = 1, info = 2, debug = 3 };

/// Sets the most verbose level that is written; the default is `warn`. Thread-safe.
void set_log_level(log_level level) noexcept;

/// Returns true when a message at `level` would be written, so callers can skip formatting.
[[nodiscard]] bool is_log_enabled(log_level level) noexcept;

/// Writes "jwtbatch: <level>: <message>\n" to stderr in one call. Thread-safe.
void write_log(log_level level, std::string_view message);

/// Writes a warning unless `key` (kind of warning plus the value it names) has already been
/// written `max_per_key` times. `flush_suppressed_warnings` writes the count of the others.
void warn_limited(std::string_view key, std::string_view message, int max_per_key = 3);

/// Writes one line per key whose warnings were suppressed, with the count, then clears the counts.
void flush_suppressed_warnings();

inline void log_error(std::string_view message) { write_log(log_level::error, message); }

inline void log_warn(std::string_view message) { write_log(log_level::warn, message); }

inline void log_info(std::string_view message) {
    if (is_log_enabled(log_level::info)) {
        write_log(log_level::info, message);
    }
}

} // namespace jwtbatch::common
