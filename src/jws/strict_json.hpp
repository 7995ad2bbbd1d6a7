// Strict JSON object parsing shared by the header and payload parsers: simdjson DOM with a
// depth limit, a reused padded buffer and rejection of duplicate member names.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <simdjson.h>

namespace jwtbatch::jws {

/// Why `strict_json_parser::parse` rejected its input.
enum class json_status {
    ok,
    invalid_json,     ///< not one JSON value (syntax, numbers simdjson cannot represent, ...)
    invalid_utf8,     ///< a byte sequence that is not UTF-8
    too_deep,         ///< objects and arrays nested deeper than the maximum depth (root is 1)
    not_object,       ///< valid JSON whose root is not an object
    duplicate_member, ///< an object, at any depth, names the same member twice
};

/// Parses JSON whose root must be an object. One instance per thread: it owns a simdjson
/// parser and a padded copy of the input, both reused, so parsing does not allocate once the
/// instance has seen its largest input.
///
/// Duplicate member names are compared after unescaping, so {"alg":1,"\u0061lg":2} is a
/// duplicate. RFC 7515 section 4 requires a JWS recipient to reject duplicate header names or
/// keep the lexically last one. Rejecting them in every object means that no other reader of
/// the same bytes can see a value that the checks did not see.
class strict_json_parser {
public:
    /// Creates a parser for documents nested at most `max_depth` levels, where the root object
    /// is level 1. Throws std::bad_alloc when simdjson cannot allocate its buffers.
    explicit strict_json_parser(size_t max_depth);

    /// Parses `json` (copied into the padded buffer) and sets `root` on success. `root` and
    /// every view taken from it are valid until the next `parse`.
    [[nodiscard]] json_status parse(std::string_view json, simdjson::dom::object& root) noexcept;

    /// Returns the input of the last successful `parse`, followed in memory by
    /// SIMDJSON_PADDING readable bytes.
    [[nodiscard]] std::string_view text() const noexcept { return {buffer_.data(), length_}; }

private:
    // Rejects containers deeper than max_depth_ and duplicate member names below `value`.
    [[nodiscard]] json_status check_members(simdjson::dom::element value, size_t depth);

    size_t max_depth_;
    simdjson::dom::parser parser_;
    std::string buffer_;
    size_t length_ = 0;
    std::vector<std::string_view> keys_;
};

} // namespace jwtbatch::jws
