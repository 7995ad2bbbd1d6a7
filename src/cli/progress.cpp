#include "cli/progress.hpp"

#include <cerrno>
#include <cstdio>
#include <unistd.h>

namespace jwtbatch::cli {
namespace {

std::string format_mebibytes(std::uint64_t bytes) {
    char text[32];
    std::snprintf(text, sizeof text, "%.1f MiB", static_cast<double>(bytes) / (1024.0 * 1024.0));
    return text;
}

} // namespace

std::string format_progress(const pipeline::progress_snapshot& snapshot) {
    std::string text = format_mebibytes(snapshot.bytes_read);
    if (snapshot.total_bytes) {
        text += " of " + format_mebibytes(*snapshot.total_bytes);
        if (*snapshot.total_bytes > 0) {
            const auto percent = snapshot.bytes_read * 100 / *snapshot.total_bytes;
            text += " (" + std::to_string(percent) + "%)";
        }
    } else {
        text += " read";
    }
    const double rate =
        snapshot.seconds > 0 ? static_cast<double>(snapshot.records) / snapshot.seconds : 0.0;
    char tail[96];
    std::snprintf(tail,
                  sizeof tail,
                  ", %llu records, %.0f tokens/s, %.1f s",
                  static_cast<unsigned long long>(snapshot.records),
                  rate,
                  snapshot.seconds);
    return text + tail;
}

void progress_line::update(const pipeline::progress_snapshot& snapshot) {
    const auto now = std::chrono::steady_clock::now();
    if (is_shown_ && now - last_ < refresh_interval) {
        return;
    }
    last_ = now;
    is_shown_ = true;
    write_all("\rjwtbatch: " + format_progress(snapshot) + "\x1b[K");
}

void progress_line::clear() {
    if (is_shown_) {
        write_all("\r\x1b[K");
        is_shown_ = false;
    }
}

void progress_line::write_all(const std::string& text) const noexcept {
    size_t written = 0;
    while (written < text.size()) {
        const ssize_t count = ::write(fd_, text.data() + written, text.size() - written);
        if (count < 0 && errno == EINTR) {
            continue;
        }
        if (count <= 0) {
            return; // progress is a courtesy; a failing terminal must not stop the run
        }
        written += static_cast<size_t>(count);
    }
}

} // namespace jwtbatch::cli
