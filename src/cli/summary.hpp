// The end-of-run summary: lines on stderr and an optional JSON file.
#pragma once

#include <string>

#include "pipeline/run_counters.hpp"

namespace jwtbatch::cli {

/// Formats the human-readable summary: counts, invalid records by reason, blank lines, time and
/// throughput, one "jwtbatch: summary: ..." line each, ending in a newline.
[[nodiscard]] std::string format_summary(const pipeline::run_counters& counters);

/// Formats the summary as one JSON object (see the README for its members).
[[nodiscard]] std::string format_summary_json(const pipeline::run_counters& counters,
                                              int exit_status);

} // namespace jwtbatch::cli
