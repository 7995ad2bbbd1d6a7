#include "jws/verdict_cache.hpp"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>

#include "jws/es256_key.hpp"

namespace jwtbatch::jws {
namespace {

// One cached verdict. The digest represents the signing-input bytes: two different inputs with
// one SHA-256 digest would be a collision, which SHA-256 is designed to make infeasible to find.
struct entry {
    std::uint64_t tag = 0; // 0 marks an empty entry
    std::uint64_t key_id = 0;
    std::array<std::uint8_t, 32> digest{};
    std::array<std::uint8_t, 64> signature{};
    bool is_valid = false;
};

constexpr size_t ways_per_set = 4;
constexpr size_t shard_count = 64;
constexpr size_t default_budget_bytes = size_t{64} << 20;

struct alignas(64) shard {
    std::mutex mutex;
};

struct free_deleter {
    void operator()(void* memory) const noexcept { std::free(memory); }
};

std::uint64_t read_u64(const std::uint8_t* bytes) noexcept {
    std::uint64_t value = 0;
    std::memcpy(&value, bytes, sizeof(value));
    return value;
}

// The digest is already uniformly distributed, so a few of its bytes mixed with the key and
// the signature make a good hash without hashing all 96 bytes again.
std::uint64_t hash_of(std::uint64_t key_id,
                      std::span<const std::uint8_t, 32> digest,
                      std::span<const std::uint8_t, 64> signature) noexcept {
    std::uint64_t hash = read_u64(digest.data()) ^ read_u64(signature.data() + 32);
    hash ^= key_id * 0x9e3779b97f4a7c15ULL;
    hash ^= hash >> 29;
    hash *= 0xbf58476d1ce4e5b9ULL;
    hash ^= hash >> 32;
    return hash | 1; // never 0, which marks an empty entry
}

} // namespace

// A set-associative table: each hash selects a set of `ways_per_set` entries, and each set
// belongs to one of `shard_count` shards whose mutex guards it. Memory comes from calloc, so
// large tables cost resident memory only for the pages that entries were written to.
struct verdict_cache::impl {
    size_t set_count = 0;
    size_t ways = 0;
    std::unique_ptr<entry[], free_deleter> entries;
    std::unique_ptr<std::uint8_t[], free_deleter> next_victim; // round-robin way per set
    std::array<shard, shard_count> shards;

    size_t set_of(std::uint64_t hash) const noexcept {
        // The low bit of a tag is always set, so it must not choose the set: with an even set
        // count only odd sets would ever be used.
        return static_cast<size_t>((hash >> 1) % set_count);
    }

    entry* find_entry(size_t set,
                      std::uint64_t tag,
                      std::uint64_t key_id,
                      std::span<const std::uint8_t, 32> digest,
                      std::span<const std::uint8_t, 64> signature) const noexcept {
        entry* first = entries.get() + set * ways;
        for (entry* candidate = first; candidate != first + ways; ++candidate) {
            if (candidate->tag == tag && candidate->key_id == key_id
                && std::equal(digest.begin(), digest.end(), candidate->digest.begin())
                && std::equal(signature.begin(), signature.end(), candidate->signature.begin())) {
                return candidate;
            }
        }
        return nullptr;
    }
};

verdict_cache::verdict_cache(size_t capacity) {
    if (capacity == 0) {
        return;
    }
    auto table = std::make_unique<impl>();
    table->ways = std::min(capacity, ways_per_set);
    table->set_count = capacity / table->ways;
    table->entries.reset(
        static_cast<entry*>(std::calloc(table->set_count * table->ways, sizeof(entry))));
    table->next_victim.reset(static_cast<std::uint8_t*>(std::calloc(table->set_count, 1)));
    if (table->entries == nullptr || table->next_victim == nullptr) {
        throw std::bad_alloc();
    }
    impl_ = std::move(table);
}

verdict_cache::~verdict_cache() = default;

std::optional<bool> verdict_cache::find(const es256_key* key,
                                        std::span<const std::uint8_t, 32> digest,
                                        std::span<const std::uint8_t, 64> signature) noexcept {
    if (impl_ == nullptr || key == nullptr) {
        return std::nullopt;
    }
    const std::uint64_t key_id = key->instance_id();
    const std::uint64_t tag = hash_of(key_id, digest, signature);
    const size_t set = impl_->set_of(tag);
    const std::lock_guard lock(impl_->shards[set % shard_count].mutex);
    const entry* found = impl_->find_entry(set, tag, key_id, digest, signature);
    if (found == nullptr) {
        return std::nullopt;
    }
    return found->is_valid;
}

void verdict_cache::insert(const es256_key* key,
                           std::span<const std::uint8_t, 32> digest,
                           std::span<const std::uint8_t, 64> signature,
                           bool is_valid) noexcept {
    if (impl_ == nullptr || key == nullptr) {
        return;
    }
    const std::uint64_t key_id = key->instance_id();
    const std::uint64_t tag = hash_of(key_id, digest, signature);
    const size_t set = impl_->set_of(tag);
    const std::lock_guard lock(impl_->shards[set % shard_count].mutex);
    entry* target = impl_->find_entry(set, tag, key_id, digest, signature);
    if (target == nullptr) {
        std::uint8_t& victim = impl_->next_victim[set];
        target = impl_->entries.get() + set * impl_->ways + victim;
        victim = static_cast<std::uint8_t>((victim + 1) % impl_->ways);
    }
    target->tag = tag;
    target->key_id = key_id;
    std::copy(digest.begin(), digest.end(), target->digest.begin());
    std::copy(signature.begin(), signature.end(), target->signature.begin());
    target->is_valid = is_valid;
}

size_t verdict_cache::capacity() const noexcept {
    return impl_ == nullptr ? 0 : impl_->set_count * impl_->ways;
}

size_t verdict_cache::default_capacity() noexcept {
    return default_budget_bytes / sizeof(entry);
}

} // namespace jwtbatch::jws
