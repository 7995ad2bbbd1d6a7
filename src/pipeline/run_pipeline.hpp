// The oneTBB pipeline: read batches in order, verify them in parallel, write rows in order.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>

#include "io/output_sink.hpp"
#include "jwks/key_store.hpp"
#include "pipeline/run_config.hpp"
#include "pipeline/run_counters.hpp"

namespace jwtbatch::pipeline {

/// Batches in flight per thread: enough to keep every thread busy while the serial stages run.
/// It also bounds memory, because each live batch carries at most `batch_text_bytes` of input.
inline constexpr size_t live_batches_per_thread = 4;

/// How far a run has come, for a progress display.
struct progress_snapshot {
    std::uint64_t bytes_read = 0;             ///< input bytes consumed (compressed, if so)
    std::optional<std::uint64_t> total_bytes; ///< sum of input sizes when all are regular files
    std::uint64_t records = 0;
    double seconds = 0;
};

/// Called from the serial output stage after each batch; it must return quickly.
using progress_callback = std::function<void(const progress_snapshot&)>;

/// Verifies every record of `config.inputs` and writes one row per record to `sink`, in input
/// order, after the header row. An input that cannot be opened or read to its end is logged,
/// marked failed in the counters and skipped, and the run goes on with the next one. Stops early,
/// with the rows written so far, when the sink reports a closed reader or `stop` becomes true.
/// Throws `common::run_error` when the sink fails (a full disk, for example). `progress`, when
/// set, is called after each batch is written.
[[nodiscard]] run_counters run_pipeline(const run_config& config,
                                        jwks::key_store& keys,
                                        io::output_sink& sink,
                                        const std::atomic<bool>& stop,
                                        const progress_callback& progress = {});

} // namespace jwtbatch::pipeline
