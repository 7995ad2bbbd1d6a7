// The unit of work that flows through the pipeline: lines in, verdicts and output rows out.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "io/line_reader.hpp"
#include "io/row_format.hpp"
#include "jwks/key_set.hpp"
#include "jws/failure_reason.hpp"
#include "jws/signature_verifier.hpp"
#include "pipeline/token_memo.hpp"

namespace jwtbatch::pipeline {

/// A byte range in `batch::arena`.
struct arena_span {
    std::uint32_t offset = 0;
    std::uint32_t length = 0;
};

/// What the verify stage learned about one record.
struct record_state {
    jws::failure_reason reason = jws::failure_reason::ok;
    std::string_view detail;              ///< static text
    const jws::es256_key* key = nullptr;  ///< the key the header selected
    arena_span kid;                       ///< the header's kid, copied
    arena_span payload;                   ///< decoded payload bytes
    /// The token text, in `batch::arena` when `is_token_in_arena`, else in `lines.text`; set only
    /// while repeated tokens are remembered.
    arena_span token;
    std::uint32_t memo_slot = token_memo::no_slot; ///< the memo slot of a repeated token
    std::uint32_t job_index = no_job;     ///< index into `batch::jobs`
    std::uint32_t kept_begin = 0;         ///< first of this record's values in `batch::kept`
    double event_seconds = 0;             ///< the record's event time, when `has_event_time`
    bool has_kid = false;
    bool is_cache_hit = false;
    bool has_kept = false;
    bool has_event_time = false;
    bool is_token_in_arena = false;

    static constexpr std::uint32_t no_job = 0xffffffffu;
};

/// A kept input field of a record, its text copied into `batch::arena`.
struct kept_value {
    io::field_value::kind type = io::field_value::kind::absent;
    arena_span text;
};

/// A batch and every buffer its stages need. Batches are recycled, so after the first few the
/// buffers have their working capacity and a batch costs no allocation.
struct batch {
    io::line_batch lines;
    std::vector<record_state> states;
    std::vector<jws::signature_job> jobs;
    /// Open-addressing index of `jobs` by signature, so that a repeat within the batch shares
    /// the first record's job; `no_job` marks an empty slot.
    std::vector<std::uint32_t> job_slots;
    std::vector<kept_value> kept; ///< `--keep` values, one run of them per structured record
    std::string arena;  ///< decoded payloads, kids and kept values of this batch
    std::string output; ///< formatted rows, written by the output stage
    std::shared_ptr<const jwks::key_set> keys;
    std::uint64_t dedup_hits = 0;
    /// Blank lines per source index, since a batch may hold lines of several sources.
    std::vector<std::pair<std::uint32_t, std::uint64_t>> blank_lines_by_source;
    /// Input bytes consumed by the reader (compressed bytes for compressed input) when it
    /// finished this batch, over all sources so far; for progress display.
    std::uint64_t input_bytes_read = 0;

    [[nodiscard]] std::string_view arena_view(arena_span span) const noexcept {
        return std::string_view(arena).substr(span.offset, span.length);
    }

    void clear() noexcept {
        lines.clear();
        states.clear();
        jobs.clear();
        job_slots.clear();
        kept.clear();
        arena.clear();
        output.clear();
        keys.reset();
        dedup_hits = 0;
        blank_lines_by_source.clear();
        input_bytes_read = 0;
    }
};

} // namespace jwtbatch::pipeline
