// make_verifier lives alone in this file, so that only programs that call it link the fast
// verifier's implementation.
#include <stdexcept>

#include "jws/evp_verifier.hpp"
#include "jws/fast_verifier.hpp"
#include "jws/signature_verifier.hpp"

namespace jwtbatch::jws {

std::unique_ptr<signature_verifier> make_verifier(verifier_kind kind) {
    switch (kind) {
    case verifier_kind::evp:
        return std::make_unique<evp_verifier>();
    case verifier_kind::fast:
        return make_fast_verifier();
    }
    throw std::invalid_argument("unknown verifier kind");
}

} // namespace jwtbatch::jws
