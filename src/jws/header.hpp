// JOSE header parsing: the members that decide how a token is verified.
#pragma once

#include <memory>
#include <string_view>

#include "jws/failure_reason.hpp"

namespace jwtbatch::jws {

/// Header members the verifier uses. Views are valid until the next `parse` on the same parser.
struct jose_header {
    std::string_view alg;
    std::string_view kid;
    std::string_view typ;
    bool has_kid = false;
    bool has_typ = false;
};

/// Parses decoded header JSON. One parser per thread; it reuses its buffers, so parsing does not
/// allocate once the parser has seen its largest header.
class header_parser {
public:
    header_parser();
    ~header_parser();
    header_parser(const header_parser&) = delete;
    header_parser& operator=(const header_parser&) = delete;

    /// Parses `json` (the decoded header bytes; the parser copies them, so no padding is needed).
    /// Returns, first failing check first:
    /// - `bad_header`: not a JSON object of valid UTF-8 nested at most 64 levels, a duplicate
    ///   member name in any object of the header, `alg` missing or not a string, `kid` or `typ`
    ///   present but not a string. Names are compared after unescaping, and two `alg` or two
    ///   `kid` members are rejected rather than one of them chosen;
    /// - `unsupported_header`: a `crit` or `b64` member (no extension is understood);
    /// - `alg_not_allowed`: `alg` is not exactly "ES256".
    /// Embedded key members (`jwk`, `jku`, `x5u`, `x5c`, `x5t`) are ignored, never used.
    /// `out` is reset first, and is complete only when the result is `ok`.
    [[nodiscard]] failure_reason parse(std::string_view json, jose_header& out) noexcept;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

} // namespace jwtbatch::jws
