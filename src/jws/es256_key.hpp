// A validated P-256 public key, parsed once before any token is verified.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include <openssl/types.h>

namespace jwtbatch::jws {

/// An ES256 verification key: the affine point Q, its `kid`, and the OpenSSL key built from it.
/// Immutable after construction and safe to share between threads.
class es256_key {
public:
    /// Builds a key from 32-byte big-endian affine coordinates. Throws `std::invalid_argument`
    /// with a short lowercase reason when the point is not on P-256 or is the point at infinity.
    static std::shared_ptr<const es256_key> from_affine(std::string kid,
                                                        std::span<const std::uint8_t, 32> x,
                                                        std::span<const std::uint8_t, 32> y);

    ~es256_key();
    es256_key(const es256_key&) = delete;
    es256_key& operator=(const es256_key&) = delete;

    [[nodiscard]] const std::string& kid() const noexcept { return kid_; }

    [[nodiscard]] const std::array<std::uint8_t, 32>& x() const noexcept { return x_; }

    [[nodiscard]] const std::array<std::uint8_t, 32>& y() const noexcept { return y_; }

    /// Returns the OpenSSL key for the plain EVP verifier; owned by this object.
    [[nodiscard]] EVP_PKEY* evp_key() const noexcept { return evp_key_; }

    /// Returns a number that no other `es256_key` of this process has, even after this one is
    /// destroyed. Caches use it as the key identity, because a new key can reuse a freed address.
    [[nodiscard]] std::uint64_t instance_id() const noexcept { return instance_id_; }

    /// Returns true when both keys are the same point (the `kid` is not compared).
    [[nodiscard]] bool same_point(const es256_key& other) const noexcept {
        return x_ == other.x_ && y_ == other.y_;
    }

private:
    es256_key() = default;

    std::string kid_;
    std::array<std::uint8_t, 32> x_{};
    std::array<std::uint8_t, 32> y_{};
    EVP_PKEY* evp_key_ = nullptr;
    std::uint64_t instance_id_ = 0;
};

} // namespace jwtbatch::jws
