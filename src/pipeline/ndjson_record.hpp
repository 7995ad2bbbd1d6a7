// Field extraction from NDJSON records: one JSON object per record, fields named by JSON
// Pointer (RFC 6901).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "jws/claims.hpp"
#include "pipeline/record_fields.hpp"

namespace jwtbatch::pipeline {

/// Returns whether `name` is a valid field name for NDJSON records: a JSON Pointer other than
/// the empty one (the whole record), so "/" followed by reference tokens in which '~' is always
/// followed by '0' or '1', or a non-empty member name that does not start with '/'.
[[nodiscard]] bool is_valid_ndjson_field(std::string_view name) noexcept;

/// Parses NDJSON records and picks the selected fields. One instance per thread: it reuses its
/// parser and buffers, so extraction does not allocate once it has seen its largest record.
class ndjson_record_parser {
public:
    ndjson_record_parser();
    ~ndjson_record_parser();
    ndjson_record_parser(const ndjson_record_parser&) = delete;
    ndjson_record_parser& operator=(const ndjson_record_parser&) = delete;

    /// Parses `record` (copied, so no padding is needed) and looks up each field of `selection`.
    /// A name that starts with '/' is a JSON Pointer; any other name is a member of the root
    /// object. Names must pass `is_valid_ndjson_field`. A pointer that leads nowhere, through a scalar or past the end of an
    /// array gives an absent field. Returns `bad_record` unless the record is one JSON object of
    /// valid UTF-8 with unique member names and nesting at most 64 deep; `ok` otherwise.
    /// Views in `out` are valid until the next call.
    [[nodiscard]] jws::check_result extract(std::string_view record,
                                            const field_selection& selection,
                                            record_fields& out) noexcept;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

} // namespace jwtbatch::pipeline
