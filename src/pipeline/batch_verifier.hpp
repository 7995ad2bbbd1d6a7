// The parallel stage: every check of every record in a batch, then its output rows.
#pragma once

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
    std::optional<std::string_view> extract_token(batch& work,
                                                  size_t index,
                                                  const source_layout& layout,
                                                  std::string_view text) const noexcept;
    void keep_fields(batch& work, size_t index, std::span<const io::field_value> values) const;
    void fill_row_values(const batch& work, size_t index, io::output_row& row) const noexcept;
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
};

} // namespace jwtbatch::pipeline
