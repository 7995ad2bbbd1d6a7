#include "common/logger.hpp"

#include <cstdio>
#include <map>
#include <mutex>
#include <unistd.h>

namespace jwtbatch::common {
namespace {

std::atomic<int> current_level{static_cast<int>(log_level::warn)};
std::mutex output_mutex;
struct warning_count {
    int written = 0;
    int suppressed = 0;
};

std::map<std::string, warning_count, std::less<>> warning_counts;

std::string_view level_name(log_level level) {
    switch (level) {
    case log_level::error:
        return "error";
    case log_level::warn:
        return "warning";
    case log_level::info:
        return "info";
    case log_level::debug:
        return "debug";
    }
    return "log";
}

void write_line_locked(log_level level, std::string_view message) {
    std::string line;
    line.reserve(message.size() + 24);
    line.append("jwtbatch: ").append(level_name(level)).append(": ").append(message);
    line.push_back('\n');
    // One write(2) per line keeps lines whole even when another process shares stderr.
    const char* data = line.data();
    size_t remaining = line.size();
    while (remaining > 0) {
        ssize_t written = ::write(STDERR_FILENO, data, remaining);
        if (written <= 0) {
            return;
        }
        data += written;
        remaining -= static_cast<size_t>(written);
    }
}

} // namespace

void set_log_level(log_level level) noexcept { current_level = static_cast<int>(level); }

bool is_log_enabled(log_level level) noexcept {
    return static_cast<int>(level) <= current_level.load(std::memory_order_relaxed);
}

void write_log(log_level level, std::string_view message) {
    if (!is_log_enabled(level)) {
        return;
    }
    std::lock_guard lock(output_mutex);
    write_line_locked(level, message);
}

void warn_limited(std::string_view key, std::string_view message, int max_per_key) {
    if (!is_log_enabled(log_level::warn)) {
        return;
    }
    std::lock_guard lock(output_mutex);
    auto it = warning_counts.find(key);
    if (it == warning_counts.end()) {
        it = warning_counts.emplace(std::string(key), warning_count{}).first;
    }
    if (it->second.written < max_per_key) {
        ++it->second.written;
        write_line_locked(log_level::warn, message);
    } else {
        ++it->second.suppressed;
    }
}

void flush_suppressed_warnings() {
    std::lock_guard lock(output_mutex);
    for (const auto& [key, count] : warning_counts) {
        if (count.suppressed > 0) {
            write_line_locked(log_level::warn,
                              key + ": " + std::to_string(count.suppressed)
                                  + " more warnings like this were suppressed");
        }
    }
    warning_counts.clear();
}

} // namespace jwtbatch::common
