#include "pipeline/token_memo.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <functional>

namespace jwtbatch::pipeline {
namespace {

constexpr size_t ways = 4;

/// Copies pieces into an entry's storage, refusing any piece that does not fit.
class storage_writer {
public:
    storage_writer(char* storage, size_t capacity) : storage_(storage), capacity_(capacity) {}

    [[nodiscard]] bool append(std::string_view text, std::string_view& copy) noexcept {
        if (text.size() > capacity_ - used_) {
            return false;
        }
        if (!text.empty()) {
            std::memcpy(storage_ + used_, text.data(), text.size());
        }
        copy = std::string_view(storage_ + used_, text.size());
        used_ += text.size();
        return true;
    }

private:
    char* storage_;
    size_t capacity_;
    size_t used_ = 0;
};

} // namespace

token_memo::token_memo(size_t entry_count) {
    // At least one set of `ways` entries, and a power of two so that a mask picks the set.
    const size_t sets = std::bit_floor(std::max<size_t>(entry_count / ways, 1));
    set_mask_ = sets - 1;
    entries_.resize(sets * ways);
    tags_.assign(sets * ways, 0);
    last_used_.assign(sets * ways, 0);
    storage_ = std::make_unique_for_overwrite<char[]>(entries_.size() * entry_bytes);
    for (size_t slot = 0; slot < entries_.size(); ++slot) {
        entries_[slot].storage = storage_.get() + slot * entry_bytes;
    }
}

size_t token_memo::bytes_per_entry() noexcept {
    return entry_bytes + sizeof(entry) + sizeof(std::uint64_t) * 2;
}

void token_memo::begin_batch(std::uint64_t run_id,
                             const std::shared_ptr<const jwks::key_set>& keys) noexcept {
    if (run_id != run_id_ || keys != keys_) {
        clear();
        run_id_ = run_id;
        keys_ = keys;
    }
    ++batch_number_;
}

void token_memo::clear() noexcept {
    std::fill(tags_.begin(), tags_.end(), 0);
    std::fill(last_used_.begin(), last_used_.end(), 0);
}

std::uint64_t token_memo::hash_of(std::string_view token) noexcept {
    return std::hash<std::string_view>{}(token) | 1;
}

std::uint32_t token_memo::find(std::string_view token) noexcept {
    const std::uint64_t tag = hash_of(token);
    const size_t first = (tag >> 1 & set_mask_) * ways;
    for (size_t slot = first; slot < first + ways; ++slot) {
        if (tags_[slot] == tag && entries_[slot].token == token) {
            last_used_[slot] = batch_number_;
            return static_cast<std::uint32_t>(slot);
        }
    }
    return no_slot;
}

void token_memo::insert(std::string_view token, const memo_result& result) noexcept {
    const std::uint64_t tag = hash_of(token);
    const size_t first = (tag >> 1 & set_mask_) * ways;

    // An empty slot first, else the least recently used slot that this batch has not used.
    size_t target = no_slot;
    for (size_t slot = first; slot < first + ways; ++slot) {
        if (tags_[slot] == tag && entries_[slot].token == token) {
            return; // a repeat within the batch was inserted already
        }
        if (last_used_[slot] == batch_number_) {
            continue;
        }
        if (target == no_slot || tags_[slot] == 0
            || (tags_[target] != 0 && last_used_[slot] < last_used_[target])) {
            target = slot;
        }
    }
    if (target == no_slot) {
        return;
    }

    // The slot stays empty until every piece is copied, so a piece that does not fit leaves it so.
    tags_[target] = 0;
    entry& item = entries_[target];
    storage_writer writer(item.storage, entry_bytes);
    memo_result& stored = item.result;
    stored = result;
    const bool fits = writer.append(token, item.token) && writer.append(result.kid, stored.kid)
                      && writer.append(result.claims_text, stored.claims_text)
                      && writer.append(result.formatted_claims, stored.formatted_claims);
    if (!fits) {
        return;
    }
    tags_[target] = tag;
    last_used_[target] = batch_number_;
}

} // namespace jwtbatch::pipeline
