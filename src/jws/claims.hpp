// Payload parsing, registered claim checks and access to claim values for output.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "jws/failure_reason.hpp"

namespace jwtbatch::jws {

/// What the claim checks enforce. Times are seconds since the Unix epoch.
struct claim_policy {
    double leeway_seconds = 0;
    bool verify_exp = true;
    std::optional<std::string> issuer;   ///< `iss` must equal this when set
    std::optional<std::string> audience; ///< `aud` (string or array) must contain this when set
    std::vector<std::string> required;   ///< claim names that must be present
};

/// A claim value for output. `text` is the unescaped string for `string`, the raw JSON text
/// (number, true, false, null, object, array) for `json`, and empty for `absent`.
struct claim_value {
    enum class kind { absent, string, json };
    kind type = kind::absent;
    std::string_view text;
};

/// Result of a check: the reason and a short lowercase detail that never quotes the token.
struct check_result {
    failure_reason reason = failure_reason::ok;
    std::string_view detail; ///< a static string, empty when `reason` is ok
};

/// The time claims of a payload as numbers; an absent claim is not checked.
struct claim_times {
    std::optional<double> exp;
    std::optional<double> nbf;
    std::optional<double> iat;

    /// Returns the first of `expired`, `not_yet_valid` and `issued_in_future` that applies at
    /// `now_seconds` with the policy's leeway (exp only when `verify_exp`), else ok.
    [[nodiscard]] check_result check(const claim_policy& policy, double now_seconds) const noexcept;
};

/// What `payload_parser::check` decides, split where the evaluation time enters, so that a
/// payload seen again can be checked at another time without being parsed again.
struct claim_outcome {
    check_result before_times; ///< bad_payload, bad_claim or missing_claim, else ok
    claim_times times;
    check_result after_times; ///< bad_issuer or bad_audience, else ok

    /// Returns what `check(policy, now_seconds)` returns for the payload this came from.
    [[nodiscard]] check_result at(const claim_policy& policy, double now_seconds) const noexcept;
};

/// Parses payload JSON and checks claims. One parser per thread; it reuses its buffers. Views
/// returned by the accessors are valid until the next `parse` on the same parser.
class payload_parser {
public:
    payload_parser();
    ~payload_parser();
    payload_parser(const payload_parser&) = delete;
    payload_parser& operator=(const payload_parser&) = delete;

    /// Parses decoded payload bytes (copied, so no padding is needed). Returns `bad_payload`
    /// unless `json` is one JSON object of valid UTF-8, with unique member names in every
    /// object (compared after unescaping) and nesting depth at most `max_depth`, where the
    /// root object is depth 1. Returns `ok` otherwise. Nested duplicates are rejected too,
    /// because the payload is written to the output and its readers could pick either value.
    [[nodiscard]] check_result parse(std::string_view json) noexcept;

    /// Checks the parsed payload at evaluation time `now_seconds`. `exp`, `nbf` and `iat` are
    /// NumericDate: an integer or fractional JSON number, anything else is `bad_claim`. `iss`
    /// must be a string and `aud` a string or an array of strings, checked only when the policy
    /// sets `issuer` or `audience`. Returns the first failure of, in this order:
    /// - `bad_claim`: one of the type rules above is broken;
    /// - `missing_claim`: a top-level claim named in `required` is absent;
    /// - `expired`: `now_seconds >= exp + leeway`, skipped unless `verify_exp`;
    /// - `not_yet_valid`: `now_seconds + leeway < nbf`;
    /// - `issued_in_future`: `iat > now_seconds + leeway`;
    /// - `bad_issuer`: `issuer` is set and `iss` is absent or differs;
    /// - `bad_audience`: `audience` is set and `aud` is absent or does not contain it.
    /// Returns `bad_payload` when the last `parse` failed.
    [[nodiscard]] check_result check(const claim_policy& policy, double now_seconds) const noexcept;

    /// Returns every decision of `check` under `policy` that does not depend on the time.
    [[nodiscard]] claim_outcome outcome(const claim_policy& policy) const noexcept;

    /// Returns the top-level claim `name`, or kind::absent (also after a failed `parse`).
    /// Numbers keep the exact text of the input, so large integers are not rounded.
    [[nodiscard]] claim_value find(std::string_view name) const noexcept;

    /// Returns the payload as minified JSON (one line, members in input order, string escapes
    /// as in the input), or an empty view after a failed `parse`.
    [[nodiscard]] std::string_view minified() const noexcept;

    static constexpr size_t max_depth = 64;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

/// Parses `--now` and event times as unix seconds or RFC 3339 date-time. Unix seconds are
/// digits, optionally followed by '.' and digits, with no sign or exponent. A date-time looks
/// like `2024-05-01T12:00:00Z` and may use lowercase `t` and `z`, fractional seconds and a
/// numeric offset. A leap second (`23:59:60`) is read as `23:59:59` with
/// its fraction, because Unix time has no leap seconds. Returns nullopt for anything else,
/// including impossible dates such as February 30.
[[nodiscard]] std::optional<double> parse_time(std::string_view text) noexcept;

/// Formats unix seconds as RFC 3339 UTC ("2024-05-01T12:00:00Z"), keeping fractional seconds
/// to the microsecond without trailing zeros. Returns an empty string for a value that is not
/// finite or falls outside years 0000 to 9999.
[[nodiscard]] std::string format_rfc3339(double unix_seconds);

} // namespace jwtbatch::jws
