// The P-256 group with a public key Q as its generator and a fixed-base table for Q, so that
// u2·Q costs about as much as u1·G; the only unit that calls deprecated OpenSSL EC functions.
#pragma once

#include <cstdint>
#include <memory>
#include <span>

#include <openssl/ec.h>

namespace jwtbatch::jws::fast {

/// A duplicate of the named P-256 group whose generator is Q. With a table, multiplying by Q
/// costs about 9 µs instead of about 48 µs (OpenSSL 3.0.19, one AMD EPYC core), and the tests
/// check that ratio. Immutable after `build` and safe to share between threads.
class key_group {
public:
    /// Builds the group for the affine point (x, y), and its fixed-base table (about 150 KB, about
    /// 30 ms) when `with_table` is true. `p256` must be the named P-256 group from
    /// `EC_GROUP_new_by_curve_name`, because a group built from explicit parameters loses the
    /// nistz256 implementation. Returns nullptr, with the thread's OpenSSL error queue cleared,
    /// when (x, y) is not on the curve, OpenSSL fails, or k·Q through the new group differs from
    /// k·Q through `p256` for a fixed test scalar k.
    [[nodiscard]] static std::unique_ptr<key_group> build(const EC_GROUP* p256,
                                                          std::span<const std::uint8_t, 32> x,
                                                          std::span<const std::uint8_t, 32> y,
                                                          bool with_table,
                                                          BN_CTX* context) noexcept;

    ~key_group();
    key_group(const key_group&) = delete;
    key_group& operator=(const key_group&) = delete;

    /// Computes `out` = k·Q. `out` must come from a P-256 group and `k` must be in [0, n). Returns
    /// false when OpenSSL fails, and the caller clears the error queue.
    /// NOTE: OpenSSL 3.0's nistz256 code allocates one EC_POINT per call with a table, to check
    /// that the table's first entry is the generator; no API avoids it.
    [[nodiscard]] bool multiply(const BIGNUM* k, EC_POINT* out, BN_CTX* context) const noexcept;

    /// Returns Q as a point of the named P-256 group.
    [[nodiscard]] const EC_POINT* public_point() const noexcept { return public_point_; }

    [[nodiscard]] bool has_table() const noexcept { return has_table_; }

private:
    key_group() = default;

    EC_GROUP* group_ = nullptr;
    EC_POINT* public_point_ = nullptr;
    bool has_table_ = false;
};

/// Writes the Jacobian coordinates X and Z of `point` (affine x = X / Z² mod p), which saves
/// the inversion of an affine conversion. Returns false when OpenSSL fails.
[[nodiscard]] bool get_jacobian_x_z(
    const EC_GROUP* p256, const EC_POINT* point, BIGNUM* x, BIGNUM* z, BN_CTX* context) noexcept;

} // namespace jwtbatch::jws::fast
