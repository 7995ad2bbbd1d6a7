// Why a record is not a valid token: one stable reason per invalid record.
#pragma once

#include <cstdint>
#include <string_view>

namespace jwtbatch::jws {

/// The first failing check of a record. Names are printed in results and are stable: never
/// rename or reuse one. Enumerators after `ok` follow the order in which checks run.
enum class failure_reason : std::uint8_t {
    ok = 0,             ///< verified: signature and every claim check passed
    malformed,          ///< not three non-empty dot-separated parts, or a byte outside base64
    bad_base64,         ///< padding, '+' or '/', an impossible length or non-zero trailing bits
    bad_header,         ///< the header is not a JSON object with string `alg` (and string `kid`)
    unsupported_header, ///< `crit`, `b64` or another header member that changes processing
    alg_not_allowed,    ///< `alg` is anything but "ES256" (including "none" and HMAC)
    missing_kid,        ///< no `kid` and the key set holds more than one key
    unknown_kid,        ///< no loaded key has the token's `kid`, even after a refresh
    bad_signature,      ///< not 64 bytes of r||s, or does not verify with the key
    bad_payload,        ///< the payload is not a JSON object
    bad_claim,          ///< `exp`, `nbf` or `iat` is not a number, or `iss`/`aud` has a bad type
    missing_claim,      ///< a claim named by `--require` is absent
    expired,            ///< evaluation time is at or after `exp` plus leeway
    not_yet_valid,      ///< evaluation time plus leeway is before `nbf`
    issued_in_future,   ///< `iat` is after evaluation time plus leeway
    bad_issuer,         ///< `iss` differs from `--issuer`
    bad_audience,       ///< `aud` does not contain `--audience`
    too_long,           ///< the record is longer than `--max-token-bytes`; decided by the reader
    no_token,           ///< a structured record has no token field, or it is empty
    bad_record,         ///< a structured record cannot be parsed, or its event time is invalid
};

inline constexpr int failure_reason_count = static_cast<int>(failure_reason::bad_record) + 1;

/// Returns the stable snake_case name ("ok" for `failure_reason::ok`).
[[nodiscard]] std::string_view to_string(failure_reason reason) noexcept;

/// Returns a one-line description for help text and documentation.
[[nodiscard]] std::string_view describe(failure_reason reason) noexcept;

} // namespace jwtbatch::jws
