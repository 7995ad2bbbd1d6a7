// Counts of a run for the summary, gathered by the serial output stage.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "jws/failure_reason.hpp"

namespace jwtbatch::pipeline {

using reason_counts = std::array<std::uint64_t, jws::failure_reason_count>;

/// Counts for one input source.
struct source_counters {
    std::string name;
    std::uint64_t records = 0;
    std::uint64_t blank_lines = 0;
    reason_counts by_reason{};
    bool failed = false;     ///< the source could not be opened or read to its end
    std::string error;       ///< the message when `failed`
};

/// Counts for the whole run. `by_reason[ok]` is the number of valid records.
struct run_counters {
    std::uint64_t records = 0;
    std::uint64_t blank_lines = 0;
    reason_counts by_reason{};
    /// Distinct kids counted per map; later new kids are counted under `other_kids`, so that
    /// tokens with made-up kids cannot grow the maps without bound.
    static constexpr size_t max_counted_kids = 1000;
    static constexpr std::string_view other_kids = "(other)";

    /// Records by header `kid`; the empty kid counts records whose header had none or was not
    /// read. `std::less<>` lets the output stage look a kid up without allocating.
    std::map<std::string, std::uint64_t, std::less<>> valid_by_kid;
    std::map<std::string, std::uint64_t, std::less<>> invalid_by_kid;
    std::vector<source_counters> sources;
    std::uint64_t dedup_hits = 0;
    std::uint64_t key_refreshes = 0;
    std::uint64_t bytes_read = 0;
    double seconds = 0;
    std::uint64_t peak_rss_bytes = 0; ///< of the whole process, filled in by the caller
    bool output_closed = false; ///< the reader of stdout went away before the end
    bool interrupted = false;   ///< SIGINT or SIGTERM stopped the run

    [[nodiscard]] std::uint64_t valid() const noexcept {
        return by_reason[static_cast<size_t>(jws::failure_reason::ok)];
    }

    [[nodiscard]] std::uint64_t invalid() const noexcept { return records - valid(); }

    [[nodiscard]] bool has_failed_source() const noexcept {
        for (const auto& source : sources) {
            if (source.failed) {
                return true;
            }
        }
        return false;
    }
};

} // namespace jwtbatch::pipeline
