// JWS compact serialization split into views of its three parts, without copying.
#pragma once

#include <string_view>

#include "jws/failure_reason.hpp"

namespace jwtbatch::jws {

/// Views into one token; valid as long as the token's bytes are.
struct compact_parts {
    std::string_view header;        ///< base64url header
    std::string_view payload;       ///< base64url payload
    std::string_view signature;     ///< base64url signature
    std::string_view signing_input; ///< header '.' payload: the bytes that were signed
};

/// Splits `token` at its two dots without copying. Returns `failure_reason::malformed` unless
/// there are exactly two dots, every part is non-empty and every other byte is in the base64url
/// alphabet or is '=', '+' or '/'; otherwise `failure_reason::ok` with `out` filled. Those three
/// bytes pass so that `decode_base64url` rejects the part as `bad_base64` (padded or standard
/// base64), a more precise reason than `malformed`. `out` is unchanged on failure.
[[nodiscard]] failure_reason split_compact(std::string_view token, compact_parts& out) noexcept;

} // namespace jwtbatch::jws
