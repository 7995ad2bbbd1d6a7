// ES256 signature verification of whole batches, behind one interface for every verifier.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>

namespace jwtbatch::jws {

class es256_key;

/// One signature to check: SHA-256 of the signing input, the 64-byte r||s signature and the key.
struct signature_job {
    const es256_key* key = nullptr;
    std::array<std::uint8_t, 32> digest{};
    std::array<std::uint8_t, 64> signature{};
    bool is_valid = false; ///< output of `verify`
};

enum class verifier_kind {
    evp,  ///< OpenSSL's EVP_DigestVerify path, one token at a time; works under the FIPS provider
    fast, ///< per-key fixed-base tables and batch inversion; the default
};

/// Verifies batches of ES256 signatures. Implementations keep per-thread scratch state in
/// thread-local storage, so one instance is shared by all pipeline threads.
class signature_verifier {
public:
    virtual ~signature_verifier() = default;

    /// Sets `is_valid` of every job. The verdict of a job never depends on the other jobs of
    /// the batch. Does not allocate once the calling thread has verified a batch of this size.
    virtual void verify(std::span<signature_job> jobs) const noexcept = 0;

    /// Builds the per-key state of `key` ahead of its first batch, so that the first tokens do
    /// not wait for it. Optional: a key met later is prepared on first use. Thread-safe.
    virtual void prepare(const es256_key& key) const noexcept { static_cast<void>(key); }

    [[nodiscard]] virtual std::string_view name() const noexcept = 0;
};

/// Creates a verifier of the given kind.
[[nodiscard]] std::unique_ptr<signature_verifier> make_verifier(verifier_kind kind);

/// Parses "evp" or "fast".
[[nodiscard]] std::optional<verifier_kind> parse_verifier_kind(std::string_view name) noexcept;

} // namespace jwtbatch::jws
