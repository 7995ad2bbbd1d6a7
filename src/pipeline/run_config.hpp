// Everything the pipeline needs to know about a run, validated by the command line.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "io/csv_record.hpp"
#include "io/row_format.hpp"
#include "jws/claims.hpp"
#include "jws/signature_verifier.hpp"
#include "pipeline/record_fields.hpp"

namespace jwtbatch::pipeline {

/// Records per batch. Per-batch costs (a key-set snapshot, a batch inversion, one write) vanish
/// against about 20 µs of verification per token. A batch is still only a few milliseconds of
/// work, so the threads stay balanced at the end of input.
inline constexpr size_t default_batch_records = 256;

/// Text bytes per batch, so that batches of long lines stay bounded in memory as well.
inline constexpr size_t default_batch_text_bytes = 1 << 20;

/// Input record format: where a record keeps its token.
enum class input_format {
    lines,  ///< each line is a token
    ndjson, ///< each line is a JSON object with the token in a field
    csv,    ///< RFC 4180 records after a header row, with the token in a column
    detect, ///< per source, from its first non-blank line: '{' is NDJSON, a delimiter or
            ///< quote is CSV, anything else is lines
};

/// Row filter for the output. The summary counts every record either way.
enum class row_filter { all, valid, invalid };

/// Layout of one source, as the reader found it, for the verify stage.
struct source_layout {
    input_format format = input_format::lines; ///< never `detect`
    io::csv_columns columns;                   ///< CSV only
};

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

    input_format input = input_format::lines;
    field_selection ndjson_fields{"/token", {}, {}}; ///< JSON Pointers or member names
    field_selection csv_fields{"token", {}, {}};     ///< header names or 1-based indexes
    char csv_delimiter = ',';
    time_format event_time_format = time_format::rfc3339;
    std::vector<std::string> keep;    ///< kept field names as given, the output column names
    row_filter only = row_filter::all;
    bool emit_unverified_claims = false;
    bool rfc3339_timestamps = false;  ///< write iat, exp and nbf as RFC 3339 UTC date-times
    bool show_progress = false;       ///< a progress line on stderr (a terminal)
};

} // namespace jwtbatch::pipeline
