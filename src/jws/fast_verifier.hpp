// Factory of the fast ES256 verifier (per-key fixed-base tables, batch inversion).
#pragma once

#include <memory>

#include "jws/signature_verifier.hpp"

namespace jwtbatch::jws {

/// Creates the fast verifier; `make_verifier(verifier_kind::fast)` returns it.
[[nodiscard]] std::unique_ptr<signature_verifier> make_fast_verifier();

} // namespace jwtbatch::jws
