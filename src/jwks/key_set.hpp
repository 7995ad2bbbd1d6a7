// The keys a run verifies with, looked up by `kid`.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "jws/es256_key.hpp"

namespace jwtbatch::jwks {

/// An immutable-once-shared set of ES256 keys indexed by `kid`. Lookups are thread-safe.
class key_set {
public:
    /// Adds `key`. Throws `common::run_error` naming `source` when another key has the same
    /// `kid` but a different point; the same point under the same `kid` is kept once.
    void add(std::shared_ptr<const jws::es256_key> key, std::string_view source);

    /// Adds every key of `other` with the same rule as `add`.
    void merge(const key_set& other, std::string_view source);

    /// Returns the key with this `kid`, or nullptr. Does not allocate.
    [[nodiscard]] const jws::es256_key* find(std::string_view kid) const noexcept;

    /// Returns the key when the set holds exactly one, else nullptr (a token without `kid`).
    [[nodiscard]] const jws::es256_key* only_key() const noexcept;

    [[nodiscard]] size_t size() const noexcept { return keys_.size(); }

    [[nodiscard]] bool empty() const noexcept { return keys_.empty(); }

    /// Returns the `kid`s in insertion order, for log lines.
    [[nodiscard]] std::vector<std::string> kids() const;

private:
    std::vector<std::shared_ptr<const jws::es256_key>> keys_; ///< sorted by kid for lookup
};

/// Parses a JWK Set (RFC 7517). Members with `kty` "EC", `crv` "P-256" and 32-byte `x`/`y` that
/// lie on the curve become keys; others are skipped with one warning each naming `source` and
/// the member's `kid` or index. Throws `common::run_error` naming `source` when the text is
/// not a JWKS or holds no usable key.
[[nodiscard]] key_set parse_jwks(std::string_view json, std::string_view source);

/// Reads and parses a JWKS file. Throws `common::run_error` naming the path on any failure.
[[nodiscard]] key_set load_jwks_file(const std::string& path);

} // namespace jwtbatch::jwks
