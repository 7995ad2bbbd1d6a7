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
/// verdict. Claims are never cached: callers still check them at each record's time.
class verdict_cache {
public:
    /// Creates a cache of at most `capacity` entries; 0 disables it (every lookup misses).
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

    [[nodiscard]] size_t capacity() const noexcept;

    /// Entries that fit in about 64 MiB, the default of `--dedup-cache`.
    static size_t default_capacity() noexcept;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

} // namespace jwtbatch::jws
