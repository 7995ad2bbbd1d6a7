// Factory of the fast ES256 verifier (per-key fixed-base tables, batch inversion).
#pragma once

#include <cstddef>
#include <memory>

#include "jws/signature_verifier.hpp"

namespace jwtbatch::jws {

/// Creates the fast verifier; `make_verifier(verifier_kind::fast)` returns it. It keeps
/// fixed-base tables for up to 64 keys (about 10 MB). Throws `common::run_error` when OpenSSL
/// cannot set up the P-256 group.
[[nodiscard]] std::unique_ptr<signature_verifier> make_fast_verifier();

/// Creates the fast verifier with fixed-base tables for at most `max_key_tables` keys; keys used
/// after that are verified without a table, about three times slower but with the same verdicts.
[[nodiscard]] std::unique_ptr<signature_verifier> make_fast_verifier(size_t max_key_tables);

} // namespace jwtbatch::jws
