// Verdicts of signatures already checked in this run, so that repeated tokens skip the math.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>

namespace jwtbatch::jws {

class es256_key;

/// A bounded, thread-safe map from (key, signing-input digest, signature) to the signature's
/// verdict. Claims are never cached: callers still check them at each record's time. Keys are
/// distinguished by `es256_key::instance_id()`, so a key freed by a key-set refresh never lends
/// its verdicts to a new key at the same address. A lookup locks one of 64 shards, never the
/// whole table.
class verdict_cache {
public:
    /// Creates a cache of at most `capacity` entries; 0 disables it (every lookup misses) and
    /// allocates nothing. The table is allocated zeroed up front with calloc, and glibc maps a
    /// large one (above 32 MiB at most) fresh, so its pages become resident only when written.
    /// Throws `std::bad_alloc` when it cannot be allocated.
    explicit verdict_cache(size_t capacity);
    ~verdict_cache();
    verdict_cache(const verdict_cache&) = delete;
    verdict_cache& operator=(const verdict_cache&) = delete;

    /// Returns the stored verdict, or nullopt on a miss. Does not allocate.
    [[nodiscard]] std::optional<bool> find(const es256_key* key,
                                           std::span<const std::uint8_t, 32> digest,
                                           std::span<const std::uint8_t, 64> signature) noexcept;

    /// Stores a verdict, evicting an older entry when full. Does not allocate.
    void insert(const es256_key* key,
                std::span<const std::uint8_t, 32> digest,
                std::span<const std::uint8_t, 64> signature,
                bool is_valid) noexcept;

    /// Returns the number of entries: the requested capacity rounded down to a multiple of the
    /// 4 entries of a set when it is above 4.
    [[nodiscard]] size_t capacity() const noexcept;

    /// Entries that fit in about 64 MiB, the default of `--dedup-cache`.
    static size_t default_capacity() noexcept;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

} // namespace jwtbatch::jws
