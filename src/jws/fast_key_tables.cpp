#include "jws/fast_key_tables.hpp"

#include <algorithm>
#include <bit>
#include <cstring>

#include <openssl/bn.h>
#include <openssl/err.h>

#include "jws/es256_key.hpp"

namespace jwtbatch::jws::fast {
namespace {

// Open addressing stays fast while at most half of the slots are filled, and an empty slot
// always ends a probe.
constexpr size_t slots_per_key = 2;

// A key without a table costs an estimated 1 KB (a duplicate group and its point), so a few
// times the table limit also bounds the memory of those keys.
constexpr size_t keys_per_table = 4;

struct context_deleter {
    void operator()(BN_CTX* context) const noexcept { BN_CTX_free(context); }
};

// The x coordinate of a public key is uniformly distributed, so its first bytes are a hash.
size_t hash_point(const std::array<std::uint8_t, 64>& point) noexcept {
    std::uint64_t hash = 0;
    std::memcpy(&hash, point.data(), sizeof hash);
    return static_cast<size_t>(hash);
}

} // namespace

key_table_registry::key_table_registry(const EC_GROUP* p256, size_t max_tables)
    : p256_(p256)
    , max_tables_(max_tables)
    , max_keys_(std::max<size_t>(max_tables * keys_per_table, 1))
    , slot_mask_(std::bit_ceil(max_keys_ * slots_per_key) - 1)
    , slots_(std::make_unique<slot[]>(slot_mask_ + 1)) {
    groups_.reserve(max_keys_);
}

key_table_registry::~key_table_registry() = default;

const key_group* key_table_registry::find_or_build(const es256_key& key) noexcept {
    point_bytes point;
    std::copy(key.x().begin(), key.x().end(), point.begin());
    std::copy(key.y().begin(), key.y().end(), point.begin() + 32);
    size_t free_index = 0;
    if (const slot* found = find_slot(point, free_index)) {
        return found->group;
    }
    if (key_count_.load(std::memory_order_relaxed) >= max_keys_) {
        return nullptr;
    }
    std::lock_guard lock(build_mutex_);
    // Another thread may have built this key, or filled the free slot, while this one waited.
    if (const slot* found = find_slot(point, free_index)) {
        return found->group;
    }
    if (key_count_.load(std::memory_order_relaxed) >= max_keys_) {
        return nullptr;
    }
    return build_locked(point, free_index);
}

size_t key_table_registry::table_count() const noexcept {
    return published_table_count_.load(std::memory_order_acquire);
}

const key_table_registry::slot* key_table_registry::find_slot(const point_bytes& point,
                                                              size_t& free_index) const noexcept {
    for (size_t index = hash_point(point) & slot_mask_;; index = (index + 1) & slot_mask_) {
        const slot& candidate = slots_[index];
        if (!candidate.is_filled.load(std::memory_order_acquire)) {
            free_index = index;
            return nullptr;
        }
        if (candidate.point == point) {
            return &candidate;
        }
    }
}

const key_group* key_table_registry::build_locked(const point_bytes& point,
                                                  size_t free_index) noexcept {
    const bool with_table = table_count_ < max_tables_;
    std::unique_ptr<BN_CTX, context_deleter> context(BN_CTX_new());
    std::unique_ptr<key_group> group;
    if (context != nullptr) {
        group = key_group::build(p256_,
                                 std::span<const std::uint8_t, 32>(point.data(), 32),
                                 std::span<const std::uint8_t, 32>(point.data() + 32, 32),
                                 with_table,
                                 context.get());
    }
    ERR_clear_error();
    // A failed build is recorded too, so that a key OpenSSL cannot handle is not rebuilt for
    // every token; the caller falls back to the multiplication without a group.
    slot& target = slots_[free_index];
    target.point = point;
    if (group != nullptr) {
        target.group = group.get();
        // groups_ has capacity for max_keys_ groups, so this push_back never allocates or throws.
        groups_.push_back(std::move(group));
        if (with_table) {
            ++table_count_;
            published_table_count_.store(table_count_, std::memory_order_release);
        }
    }
    key_count_.fetch_add(1, std::memory_order_relaxed);
    target.is_filled.store(true, std::memory_order_release);
    return target.group;
}

} // namespace jwtbatch::jws::fast
