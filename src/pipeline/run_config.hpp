// Everything the pipeline needs to know about a run, validated by the command line.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "io/row_format.hpp"
#include "jws/claims.hpp"
#include "jws/signature_verifier.hpp"

namespace jwtbatch::pipeline {

/// Records per batch: large enough that per-batch costs (a key-set snapshot, a batch inversion,
/// one write) vanish against about 20 µs of verification per token, small enough that a batch
/// is a few milliseconds of work and the two-core machine stays balanced at the end of input.
inline constexpr size_t default_batch_records = 256;

/// Text bytes per batch, so that batches of long lines stay bounded in memory as well.
inline constexpr size_t default_batch_text_bytes = 1 << 20;

/// A validated run configuration.
struct run_config {
    std::vector<std::string> inputs;        ///< paths; "-" is stdin
    size_t max_token_bytes = 64 * 1024;     ///< longer records are `too_long`
    size_t threads = 0;                     ///< 0: all cores
    double now_seconds = 0;                 ///< evaluation time, unix seconds
    jws::claim_policy policy;
    io::output_format format = io::output_format::csv;
    std::vector<std::string> fields{"cid", "crid", "rclid", "iat", "exp"};
    bool guard_csv_formulas = true;
    jws::verifier_kind verifier = jws::verifier_kind::fast;
    size_t dedup_capacity = 0;              ///< verdict cache entries; 0 disables it
    size_t batch_records = default_batch_records;
    size_t batch_text_bytes = default_batch_text_bytes;
};

} // namespace jwtbatch::pipeline
