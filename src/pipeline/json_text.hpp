// JSON text from parsed simdjson values, and RFC 3339 text for NumericDate claims.
// NOTE: simdjson appears here, outside jws/ and jwks/, because the record readers and the
// --timestamps rewrite need parsed values in the pipeline; jws/strict_json does the parsing.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include <simdjson.h>

#include "jws/strict_json.hpp"

namespace jwtbatch::pipeline {

/// Returns whether `name` is one of the NumericDate claims `iat`, `exp` and `nbf`.
[[nodiscard]] bool is_time_claim(std::string_view name) noexcept;

/// Appends `value` as minified JSON. Strings are escaped (quote, backslash and control
/// characters); simdjson has validated their UTF-8. Integers keep their digits and other numbers
/// are written in the shortest form that reads back to the same double, in exponent form from
/// 2^63 on, so that no double is written as an integer beyond 64 bits.
void append_json_value(simdjson::dom::element value, std::string& out);

/// Formats unix seconds as an RFC 3339 UTC date-time ("2024-05-01T12:00:00Z", with up to six
/// fractional digits when the value has them) into `out`. Returns the length, or 0 when the
/// value is not finite or falls outside the years 0000 to 9999. Does not allocate.
[[nodiscard]] size_t format_rfc3339_utc(double unix_seconds, std::span<char, 40> out) noexcept;

/// Appends the JSON object `claims` with its top-level numeric `iat`, `exp` and `nbf` written as
/// RFC 3339 strings, and every other member as it is. Returns false, with `out` unchanged, when
/// `claims` is not a valid JSON object; `parser` is the caller's per-thread parser.
[[nodiscard]] bool append_claims_with_dates(std::string_view claims,
                                            jws::strict_json_parser& parser,
                                            std::string& out);

} // namespace jwtbatch::pipeline
