#include "jws/signature_verifier.hpp"

namespace jwtbatch::jws {

std::optional<verifier_kind> parse_verifier_kind(std::string_view name) noexcept {
    if (name == "evp") {
        return verifier_kind::evp;
    }
    if (name == "fast") {
        return verifier_kind::fast;
    }
    return std::nullopt;
}

} // namespace jwtbatch::jws
