// Per-thread working state of the fast verifier, so that verifying a token never allocates.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include <openssl/ec.h>

namespace jwtbatch::jws::fast {

/// Signatures that share one modular inversion. Longer spans are verified in chunks of this
/// size, so the scratch state has a fixed size; at 256 the shared inversion (about 12 µs) adds
/// well under 0.1 µs per signature.
inline constexpr size_t max_chunk_size = 256;

/// Numbers and points that one thread reuses for every chunk it verifies. Points come from a
/// P-256 group but do not refer to it, so one thread's scratch serves every fast verifier.
struct thread_scratch {
    BN_CTX* context = nullptr;
    std::array<BIGNUM*, max_chunk_size> r{};      ///< r of each accepted signature
    std::array<BIGNUM*, max_chunk_size> s{};      ///< s in Montgomery form modulo n
    std::array<BIGNUM*, max_chunk_size> digest{}; ///< e reduced modulo n
    std::array<BIGNUM*, max_chunk_size> prefix{}; ///< s[0]·…·s[i] in Montgomery form
    std::array<std::uint16_t, max_chunk_size> job_index{};
    BIGNUM* inverse = nullptr; ///< running inverse of a prefix product, Montgomery form
    BIGNUM* w = nullptr;       ///< s⁻¹ in Montgomery form
    BIGNUM* u1 = nullptr;
    BIGNUM* u2 = nullptr;
    BIGNUM* x = nullptr; ///< Jacobian X of u1·G + u2·Q
    BIGNUM* z = nullptr; ///< Jacobian Z of u1·G + u2·Q
    BIGNUM* z_squared = nullptr;
    BIGNUM* candidate = nullptr;
    BIGNUM* affine_x = nullptr; ///< coordinates of Q when no key group is available
    BIGNUM* affine_y = nullptr;
    EC_POINT* generator_part = nullptr; ///< u1·G
    EC_POINT* key_part = nullptr;       ///< u2·Q
    EC_POINT* sum = nullptr;
    EC_POINT* public_point = nullptr; ///< Q when no key group is available
    bool is_ready = false;

    thread_scratch() = default;
    ~thread_scratch();
    thread_scratch(const thread_scratch&) = delete;
    thread_scratch& operator=(const thread_scratch&) = delete;

    /// Returns the calling thread's scratch, allocating it on the thread's first call, or
    /// nullptr when OpenSSL cannot allocate it (the error queue is cleared).
    [[nodiscard]] static thread_scratch* for_this_thread(const EC_GROUP* p256) noexcept;

private:
    [[nodiscard]] bool allocate(const EC_GROUP* p256) noexcept;
    void release() noexcept;
};

} // namespace jwtbatch::jws::fast
