// ES256 signing for tests, benchmarks and `jwtbatch bench`: never used to verify records.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include <openssl/types.h>

namespace jwtbatch::jws {

class es256_key;

/// A P-256 key pair that signs JWS compact tokens with 64-byte r||s signatures (RFC 7518,
/// section 3.4). Move-only. Signing is thread-safe; each call creates its own OpenSSL context,
/// so it allocates and is not meant for hot paths. Errors throw `std::runtime_error`.
class es256_signer {
public:
    /// Generates a fresh key pair.
    es256_signer();

    /// Loads a key pair from 32-byte big-endian coordinates and private scalar. Throws
    /// `std::invalid_argument` when OpenSSL rejects them.
    es256_signer(std::span<const std::uint8_t, 32> x,
                 std::span<const std::uint8_t, 32> y,
                 std::span<const std::uint8_t, 32> d);

    ~es256_signer();
    es256_signer(es256_signer&& other) noexcept;
    es256_signer& operator=(es256_signer&& other) noexcept;
    es256_signer(const es256_signer&) = delete;
    es256_signer& operator=(const es256_signer&) = delete;

    [[nodiscard]] const std::array<std::uint8_t, 32>& x() const noexcept { return x_; }

    [[nodiscard]] const std::array<std::uint8_t, 32>& y() const noexcept { return y_; }

    /// Returns the private scalar d, big-endian; for writing test key files.
    [[nodiscard]] std::array<std::uint8_t, 32> d() const;

    /// Builds the verification key of this pair with the given `kid`.
    [[nodiscard]] std::shared_ptr<const es256_key> public_key(std::string kid) const;

    /// Returns a JWKS JSON document with this public key as its only JWK, and "kid" set unless
    /// `kid` is empty. Throws `std::invalid_argument` when `kid` would need JSON escaping.
    [[nodiscard]] std::string to_jwks_json(std::string_view kid) const;

    /// Signs a SHA-256 digest and returns the signature as r||s.
    [[nodiscard]] std::array<std::uint8_t, 64>
    sign_digest(std::span<const std::uint8_t, 32> digest) const;

    /// Returns the compact serialization base64url(header) '.' base64url(payload) '.'
    /// base64url(r||s). The JSON texts are encoded as given, without checking them.
    [[nodiscard]] std::string sign_compact(std::string_view header_json,
                                           std::string_view payload_json) const;

private:
    EVP_PKEY* pkey_ = nullptr;
    std::array<std::uint8_t, 32> x_{};
    std::array<std::uint8_t, 32> y_{};
};

} // namespace jwtbatch::jws
