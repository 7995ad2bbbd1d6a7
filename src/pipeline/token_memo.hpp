// Per-thread memory of recently checked tokens, so that a token seen again skips its checks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "jwks/key_set.hpp"
#include "jws/claims.hpp"
#include "jws/failure_reason.hpp"

namespace jwtbatch::pipeline {

/// Everything the checks of a token decide that does not depend on its record: the key, the
/// signature verdict, the time-independent claim checks, and the output pieces taken from the
/// payload. Only the time checks and the row itself are left for each record.
struct memo_result {
    const jws::es256_key* key = nullptr;
    std::string_view kid; ///< empty unless `has_kid`
    bool has_kid = false;
    bool was_verified = false; ///< the signature went through verification (or the dedup cache)
    /// The verdict before the claim checks: ok, bad_signature, or bad_payload.
    jws::failure_reason reason = jws::failure_reason::ok;
    std::string_view detail; ///< static text
    jws::claim_outcome claims; ///< meaningful when `reason` is ok
    /// The unverified claims of an invalid row, with RFC 3339 times when requested. Set only
    /// when the payload parsed and the run writes unverified claims.
    std::string_view claims_text;
    bool has_claims_text = false;
    /// The claim part of a valid row, from `io::row_formatter::append_claims`. Set when `reason`
    /// is ok.
    std::string_view formatted_claims;
};

/// A small set-associative cache from the exact bytes of a token to its `memo_result`, one per
/// thread in front of the shared dedup cache. A repeated token costs a hash, one comparison and
/// its time checks. Storage is allocated once, and a token whose pieces do not fit is not kept.
///
/// Entries found during a batch are pinned until the next batch, so that an insertion later in
/// the same batch never overwrites a result that an earlier record of the batch still refers to.
class token_memo {
public:
    /// Creates a memo of about `entry_count` entries (at least 4, rounded down to a power of
    /// two). Throws `std::bad_alloc`.
    explicit token_memo(size_t entry_count);

    /// Starts a batch of run `run_id` checked with `keys`. Entries point to keys of `keys`, which
    /// the memo keeps alive, so every entry is cleared when the run or the key set changes.
    void begin_batch(std::uint64_t run_id, const std::shared_ptr<const jwks::key_set>& keys) noexcept;

    /// Returns the slot of `token`, or `no_slot`. A found slot stays valid for this batch.
    [[nodiscard]] std::uint32_t find(std::string_view token) noexcept;

    [[nodiscard]] const memo_result& result(std::uint32_t slot) const noexcept {
        return entries_[slot].result;
    }

    /// Keeps `result` for `token`, with copies of the texts its views point to. Does nothing when
    /// the texts do not fit an entry or every slot of the token's set was used in this batch.
    void insert(std::string_view token, const memo_result& result) noexcept;

    [[nodiscard]] size_t entry_count() const noexcept { return entries_.size(); }

    /// Returns the memory one entry takes: its storage, its bookkeeping and its tag.
    [[nodiscard]] static size_t bytes_per_entry() noexcept;


    static constexpr std::uint32_t no_slot = 0xffffffffu;
    /// Storage per entry for the token, kid, claims text and formatted claims together.
    static constexpr size_t entry_bytes = 2048;

private:
    struct entry {
        std::string_view token;
        memo_result result;
        char* storage = nullptr; ///< `entry_bytes` of `storage_`
    };

    [[nodiscard]] static std::uint64_t hash_of(std::string_view token) noexcept;
    void clear() noexcept;

    std::vector<entry> entries_;
    /// One block for the storage of every entry, so that its pages become resident only as
    /// entries are filled.
    std::unique_ptr<char[]> storage_;
    /// Per slot, apart from the entries so that a lookup reads one cache line per set: the
    /// token's hash with the low bit set, or 0 for an empty slot.
    std::vector<std::uint64_t> tags_;
    /// Per slot, the batch that last found or filled it. A slot of the current batch is pinned.
    std::vector<std::uint64_t> last_used_;
    size_t set_mask_ = 0;
    std::uint64_t batch_number_ = 0;
    std::uint64_t run_id_ = 0;
    std::shared_ptr<const jwks::key_set> keys_;
};

} // namespace jwtbatch::pipeline
