// A one-line progress display on stderr, refreshed in place while a run is going.
#pragma once

#include <chrono>
#include <string>

#include "pipeline/run_pipeline.hpp"

namespace jwtbatch::cli {

/// Formats one progress line without a line end, for example
/// "12.3 MiB of 40.0 MiB (31%), 81234 records, 14211 tokens/s, 5.7 s". The size part is
/// "12.3 MiB read" when the total is unknown (stdin, pipes).
[[nodiscard]] std::string format_progress(const pipeline::progress_snapshot& snapshot);

/// Writes progress lines to a terminal, at most every `refresh_interval`, each replacing the
/// previous one ("\r", the text, then ESC [K to erase the rest of the line). Not thread-safe:
/// the pipeline calls it from its serial output stage only.
class progress_line {
public:
    /// Five refreshes a second: lively enough to read, rare enough to cost nothing.
    static constexpr std::chrono::milliseconds refresh_interval{200};

    /// Writes to file descriptor `fd`, which should be a terminal.
    explicit progress_line(int fd) noexcept : fd_(fd) {}

    progress_line(const progress_line&) = delete;
    progress_line& operator=(const progress_line&) = delete;

    /// Erases the line, so that an error message after a failed run starts on a clean line.
    ~progress_line() { clear(); }

    /// Shows `snapshot` unless the last line was written less than `refresh_interval` ago.
    void update(const pipeline::progress_snapshot& snapshot);

    /// Erases the line, if one was written, so that later messages start on a clean line.
    void clear();

private:
    void write_all(const std::string& text) const noexcept;

    int fd_;
    std::chrono::steady_clock::time_point last_{};
    bool is_shown_ = false;
};

} // namespace jwtbatch::cli
