// The parallel stage: every check of every record in a batch, then its output rows.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "io/row_format.hpp"
#include "jwks/key_store.hpp"
#include "jws/signature_verifier.hpp"
#include "jws/verdict_cache.hpp"
#include "pipeline/batch.hpp"
#include "pipeline/run_config.hpp"

namespace jwtbatch::pipeline {

/// Verifies batches. One instance serves all threads; per-thread parsers and buffers live in
/// thread-local storage.
class batch_verifier {
public:
    /// All references must outlive this object. `source_names` and `layouts` are indexed by a
    /// record's source. Without `layouts`, every record is a bare token line. The reader stage
    /// fills a source's layout before it hands on a batch with that source's records.
    batch_verifier(const run_config& config,
                   jwks::key_store& keys,
                   const jws::signature_verifier& verifier,
                   jws::verdict_cache& cache,
                   const io::row_formatter& formatter,
                   const std::vector<std::string>& source_names,
                   const std::vector<source_layout>* layouts = nullptr);

    /// Fills `work.states` with one verdict per record and appends one output row per record to
    /// `work.output`, in record order. Never throws: a bad record is a verdict, not an error.
    void process(batch& work) const noexcept;

private:
    void check_token(batch& work, size_t index) const noexcept;
    /// Queues `job` for verification, or, when dedup is on and the batch has queued the same
    /// signature already, points the record at that job and counts a dedup hit.
    void add_job(batch& work, record_state& state, const jws::signature_job& job) const;
    std::optional<std::string_view> extract_token(batch& work,
                                                  size_t index,
                                                  const source_layout& layout,
                                                  std::string_view text) const noexcept;
    void keep_fields(batch& work, size_t index, std::span<const io::field_value> values) const;
    /// The pieces of a row that come from the payload.
    struct row_pieces {
        std::span<const io::field_value> fields; ///< the --fields columns of a valid row
        std::string_view claims_text;
        bool has_claims_text = false;
        std::string_view formatted_claims; ///< replaces `fields` and `claims_text` when set
        bool has_formatted_claims = false;
    };

    void start_memo(const batch& work) const noexcept;
    /// Returns true, with the record set up from the memo, when `token` was seen before.
    bool use_memo(batch& work, size_t index, std::string_view token) const;
    void remember_token(batch& work, record_state& state, std::string_view token) const;
    [[nodiscard]] std::string_view token_text(const batch& work,
                                              const record_state& state) const noexcept;
    void finish_from_memo(batch& work, size_t index, const memo_result& found) const noexcept;
    [[nodiscard]] double evaluation_time(const record_state& state) const noexcept;
    void append_row(batch& work, size_t index, const row_pieces& pieces) const noexcept;
    void select_key(batch& work, size_t index, std::string_view kid) const noexcept;
    void retry_unknown_kids(batch& work) const noexcept;
    void verify_signatures(batch& work) const noexcept;
    void finish_record(batch& work, size_t index) const noexcept;

    const run_config& config_;
    jwks::key_store& keys_;
    const jws::signature_verifier& verifier_;
    jws::verdict_cache& cache_;
    const io::row_formatter& formatter_;
    const std::vector<std::string>& source_names_;
    const std::vector<source_layout>* layouts_;
    std::uint64_t run_id_;
    size_t memo_entries_ = 0; ///< per thread; 0 when repeats are not remembered

    /// Repeated tokens remembered per thread, at most; about 9 MiB of memo per thread.
    static constexpr size_t max_memo_entries = 4096;
    /// Memo storage of all threads together, at most, so that many threads stay within it.
    static constexpr size_t max_memo_bytes = size_t{64} << 20;
};

} // namespace jwtbatch::pipeline
