// The plain ES256 verifier: one EVP_PKEY_verify call per token through OpenSSL's provider layer.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "jws/signature_verifier.hpp"

namespace jwtbatch::jws {

/// Verifies each job with `EVP_PKEY_verify` over its digest. Every operation goes through the
/// provider that OpenSSL's default library context selects, so this is the verifier to use where
/// the FIPS provider is required. The object is stateless, and each thread caches verify
/// contexts for the last 16 keys it used.
///
/// NOTE: the tests run with the default provider only, because Debian 12 ships no FIPS module.
///
/// NOTE: OpenSSL 3.0.19 allocates 36 times inside each `EVP_PKEY_verify` (counted with
/// `CRYPTO_set_mem_functions`), so this path allocates per token although its own state does
/// not after warm-up.
class evp_verifier final : public signature_verifier {
public:
    void verify(std::span<signature_job> jobs) const noexcept override;

    [[nodiscard]] std::string_view name() const noexcept override { return "evp"; }
};

/// Returns true when the 32-byte big-endian scalar is in [1, n - 1], n being the order of P-256.
/// r and s outside that range never verify, so callers reject them before any arithmetic.
[[nodiscard]] bool is_p256_scalar_in_range(std::span<const std::uint8_t, 32> scalar) noexcept;

} // namespace jwtbatch::jws
