// The keys a run verifies with, looked up by `kid`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "jws/es256_key.hpp"

namespace jwtbatch::jwks {

/// An immutable-once-shared set of ES256 keys indexed by `kid`. A JWK without `kid` is stored
/// under the empty `kid`. Lookups are thread-safe once the set is no longer modified.
class key_set {
public:
    /// Adds `key`. Throws `common::run_error` naming `source` when another key has the same
    /// `kid` but a different point; the same point under the same `kid` is kept once.
    void add(std::shared_ptr<const jws::es256_key> key, std::string_view source);

    /// Adds `keys` in order with the same rule as `add`, in O(n log n).
    void add_all(std::vector<std::shared_ptr<const jws::es256_key>> keys, std::string_view source);

    /// Adds every key of `other` with the same rule as `add`, in O(n log n) for large sets.
    void merge(const key_set& other, std::string_view source);

    /// Returns the key with this `kid`, or nullptr. Binary search, does not allocate.
    [[nodiscard]] const jws::es256_key* find(std::string_view kid) const noexcept;

    /// Returns the key when the set contains exactly one, else nullptr (a token without `kid`).
    [[nodiscard]] const jws::es256_key* only_key() const noexcept;

    [[nodiscard]] size_t size() const noexcept { return entries_.size(); }

    [[nodiscard]] bool empty() const noexcept { return entries_.empty(); }

    /// Returns the keys in insertion order.
    [[nodiscard]] std::vector<const jws::es256_key*> keys() const;

    /// Returns the `kid`s in insertion order, for log lines.
    [[nodiscard]] std::vector<std::string> kids() const;

    /// Formats up to `max_listed` `kid`s in insertion order as `"k1", "k2" and 3 more`, for logs.
    [[nodiscard]] std::string describe_kids(size_t max_listed = 10) const;

private:
    struct entry {
        std::string_view kid; ///< points into `key`, which is immutable
        std::shared_ptr<const jws::es256_key> key;
        std::uint32_t order = 0; ///< insertion position
    };

    void add_sorted(std::vector<entry> added, std::string_view source);

    std::vector<entry> entries_; ///< sorted by kid for lookup
};

/// Parses a JWK Set (RFC 7517). Members with `kty` "EC", `crv` "P-256" and 32-byte `x`/`y` that
/// lie on the curve become keys. Members with another `kty` or `crv`, a `use` other than "sig",
/// `key_ops` without "verify", an `alg` other than "ES256", a non-string `kid`, or an invalid
/// point are skipped with one warning each naming `source` and the member's `kid` or index. A
/// member that also publishes the private `d` is used for its public part, with a warning.
/// Throws `common::run_error` naming `source` when the text is not a JWKS, has no usable key,
/// or maps one `kid` to two different points.
[[nodiscard]] key_set parse_jwks(std::string_view json, std::string_view source);

/// Reads and parses a JWKS file. Throws `common::run_error` naming the path on any failure.
[[nodiscard]] key_set load_jwks_file(const std::string& path);

} // namespace jwtbatch::jwks
