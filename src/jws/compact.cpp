#include "jws/compact.hpp"

#include <array>
#include <cstdint>
#include <cstring>

// JWTBATCH_SCALAR_SCANS forces the portable loop on x86-64 too, so its tests can run there.
#if defined(__SSE2__) && !defined(JWTBATCH_SCALAR_SCANS)
#include <emmintrin.h>
#define JWTBATCH_COMPACT_SSE2 1
#endif

namespace jwtbatch::jws {
namespace {

// Bytes a token may contain: the dots between its parts, the URL alphabet, and '=', '+' and '/'
// from padded or standard base64, which pass here so that decoding reports them as
// `bad_base64`, the more precise reason.
constexpr std::array<bool, 256> make_token_byte_table() {
    std::array<bool, 256> table{};
    constexpr std::string_view allowed =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=+/.";
    for (char c : allowed) {
        table[static_cast<std::uint8_t>(c)] = true;
    }
    return table;
}

constexpr std::array<bool, 256> token_byte_table = make_token_byte_table();

bool has_only_token_bytes_scalar(const char* bytes, size_t size) noexcept {
    bool all_allowed = true;
    for (size_t i = 0; i < size; ++i) {
        all_allowed &= token_byte_table[static_cast<std::uint8_t>(bytes[i])];
    }
    return all_allowed;
}

#ifdef JWTBATCH_COMPACT_SSE2

// Returns all ones in each lane whose byte is in `token_byte_table`. SSE2 compares are signed,
// so bytes 0x80-0xFF are negative and fall outside every range below.
__m128i token_byte_lanes(__m128i block) noexcept {
    // Setting bit 5 maps 'A'-'Z' onto 'a'-'z' and moves no other byte into that range.
    const __m128i folded = _mm_or_si128(block, _mm_set1_epi8(0x20));
    const __m128i letter = _mm_and_si128(_mm_cmpgt_epi8(folded, _mm_set1_epi8('a' - 1)),
                                         _mm_cmplt_epi8(folded, _mm_set1_epi8('z' + 1)));
    // '-', '.', '/' and the digits are the contiguous range 0x2D-0x39.
    const __m128i dash_to_nine = _mm_and_si128(_mm_cmpgt_epi8(block, _mm_set1_epi8('-' - 1)),
                                               _mm_cmplt_epi8(block, _mm_set1_epi8('9' + 1)));
    const __m128i other = _mm_or_si128(
        _mm_or_si128(_mm_cmpeq_epi8(block, _mm_set1_epi8('_')),
                     _mm_cmpeq_epi8(block, _mm_set1_epi8('='))),
        _mm_cmpeq_epi8(block, _mm_set1_epi8('+')));
    return _mm_or_si128(_mm_or_si128(letter, dash_to_nine), other);
}

__m128i load_block(const char* bytes) noexcept {
    return _mm_loadu_si128(reinterpret_cast<const __m128i*>(bytes));
}

bool has_only_token_bytes(const char* bytes, size_t size) noexcept {
    if (size < 16) {
        return has_only_token_bytes_scalar(bytes, size);
    }
    __m128i allowed = _mm_set1_epi8(-1);
    size_t at = 0;
    for (; at + 16 <= size; at += 16) {
        allowed = _mm_and_si128(allowed, token_byte_lanes(load_block(bytes + at)));
    }
    // The last block overlaps the one before it instead of reading past the end.
    if (at < size) {
        allowed = _mm_and_si128(allowed, token_byte_lanes(load_block(bytes + size - 16)));
    }
    return _mm_movemask_epi8(allowed) == 0xffff;
}

#else

bool has_only_token_bytes(const char* bytes, size_t size) noexcept {
    return has_only_token_bytes_scalar(bytes, size);
}

#endif

/// Returns the index of the first '.' in `token` at or after `from`, or the token's size.
size_t find_dot(std::string_view token, size_t from) noexcept {
    const void* dot = std::memchr(token.data() + from, '.', token.size() - from);
    return dot ? static_cast<size_t>(static_cast<const char*>(dot) - token.data()) : token.size();
}

} // namespace

failure_reason split_compact(std::string_view token, compact_parts& out) noexcept {
    // "a.b.c" is the shortest token with two dots and three non-empty parts. Returning early
    // also keeps a null data pointer away from memchr.
    if (token.size() < 5) {
        return failure_reason::malformed;
    }
    const size_t first_dot = find_dot(token, 0);
    if (first_dot == 0 || first_dot >= token.size() - 1) {
        return failure_reason::malformed;
    }
    const size_t second_dot = find_dot(token, first_dot + 1);
    if (second_dot == first_dot + 1 || second_dot >= token.size() - 1) {
        return failure_reason::malformed;
    }
    if (find_dot(token, second_dot + 1) != token.size()
        || !has_only_token_bytes(token.data(), token.size())) {
        return failure_reason::malformed;
    }
    out.header = token.substr(0, first_dot);
    out.payload = token.substr(first_dot + 1, second_dot - first_dot - 1);
    out.signature = token.substr(second_dot + 1);
    out.signing_input = token.substr(0, second_dot);
    return failure_reason::ok;
}

} // namespace jwtbatch::jws
