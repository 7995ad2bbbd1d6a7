// Per-key fixed-base tables for the fast verifier, built for the keys that tokens use.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include <openssl/ec.h>

#include "jws/fast_key_group.hpp"

namespace jwtbatch::jws {
class es256_key;
}

namespace jwtbatch::jws::fast {

/// Key groups looked up by public point, built on a key's first use and kept until the registry
/// is destroyed, so a group is never freed while a thread may use it. Keys are matched by point
/// and not by address, so a new key at a freed key's address never finds the old key's table.
class key_table_registry {
public:
    /// Tables for 64 keys use about 10 MB of heap.
    static constexpr size_t default_max_tables = 64;

    /// Creates an empty registry that builds at most `max_tables` tables (about 150 KB and 30 ms
    /// each). Keys used after that get a group without a table, up to `max_keys()` keys in all.
    /// `p256` must outlive the registry. Throws `std::bad_alloc`.
    key_table_registry(const EC_GROUP* p256, size_t max_tables);
    ~key_table_registry();
    key_table_registry(const key_table_registry&) = delete;
    key_table_registry& operator=(const key_table_registry&) = delete;

    /// Returns the group of `key`, building it on first use. The group has a table unless
    /// `max_tables` tables exist already. Returns nullptr when `max_keys()` keys are registered
    /// or OpenSSL fails, and then the caller multiplies by Q itself. Thread-safe. Finding a key
    /// that is registered takes no lock and does not allocate; building one locks out other
    /// builders only.
    [[nodiscard]] const key_group* find_or_build(const es256_key& key) noexcept;

    /// Returns the number of keys that have a group with a table.
    [[nodiscard]] size_t table_count() const noexcept;

    /// Returns the number of keys the registry holds a group (or a failed build) for, at most.
    [[nodiscard]] size_t max_keys() const noexcept { return max_keys_; }

private:
    using point_bytes = std::array<std::uint8_t, 64>;

    struct slot {
        point_bytes point{};
        const key_group* group = nullptr;
        std::atomic<bool> is_filled{false}; ///< set last, with release order, by the builder
    };

    [[nodiscard]] const slot* find_slot(const point_bytes& point,
                                        size_t& free_index) const noexcept;
    [[nodiscard]] const key_group* build_locked(const point_bytes& point,
                                                size_t free_index) noexcept;

    const EC_GROUP* p256_;
    size_t max_tables_;
    size_t max_keys_;
    size_t slot_mask_;
    std::unique_ptr<slot[]> slots_;
    std::atomic<size_t> key_count_{0};
    std::mutex build_mutex_;
    std::vector<std::unique_ptr<key_group>> groups_; ///< guarded by build_mutex_
    size_t table_count_ = 0;                         ///< guarded by build_mutex_
    std::atomic<size_t> published_table_count_{0};
};

} // namespace jwtbatch::jws::fast
