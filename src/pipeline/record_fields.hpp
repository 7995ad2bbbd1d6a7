// The fields a run takes from a structured record (NDJSON or CSV): the token, the event time
// and the kept join keys, with the rules that turn a field into a token or a time.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "io/csv_record.hpp"
#include "io/row_format.hpp"
#include "jws/claims.hpp"

namespace jwtbatch::pipeline {

/// Encoding of event times in the records.
enum class time_format {
    unix_seconds,      ///< integer or fractional seconds since the epoch, a JSON number or text
    unix_milliseconds, ///< integer or fractional milliseconds since the epoch
    rfc3339,           ///< an RFC 3339 date-time string such as 2024-05-01T12:00:00Z
};

/// Field names as the command line gave them: JSON Pointers (RFC 6901) or plain member names
/// for NDJSON, header names or 1-based indexes for CSV.
struct field_selection {
    std::string token;
    std::optional<std::string> time;
    std::vector<std::string> keep;
};

/// Values taken from one record. String values are unescaped text, other JSON values are their
/// minified JSON text, and a field the record does not have is `absent`. Views are valid until
/// the next extraction with the same reader.
struct record_fields {
    io::field_value token;
    io::field_value time;
    std::vector<io::field_value> keep;
};

/// Splits `record` as CSV and picks the selected columns. Returns `bad_record` when the record
/// is not valid CSV or has a different number of fields than the header. Otherwise returns `ok`,
/// with every selected column present as a string. `fields` and `unescaped` are reused buffers.
[[nodiscard]] jws::check_result extract_csv_fields(std::string_view record,
                                                   char delimiter,
                                                   const io::csv_columns& columns,
                                                   std::vector<std::string_view>& fields,
                                                   std::string& unescaped,
                                                   record_fields& out);

/// Removes what log writers typically put around a token, in this order: leading and trailing
/// white space (space, tab, CR, LF), one pair of matching double or single quotes, and an
/// RFC 6750 "Bearer " prefix (scheme name in any case, then one or more spaces). White space is
/// trimmed again after each step. Anything else, such as inner white space or padding, stays
/// and fails the later checks.
[[nodiscard]] std::string_view strip_token_decoration(std::string_view field) noexcept;

/// Reads an event time from a field. `unix_seconds` and `unix_milliseconds` accept a JSON number
/// or a string of a decimal number. `rfc3339` accepts a string in RFC 3339 form (date, 'T' or
/// 't' or space, time, 'Z' or an offset). Returns nullopt for anything else.
[[nodiscard]] std::optional<double> parse_event_time(io::field_value value,
                                                     time_format format) noexcept;

} // namespace jwtbatch::pipeline
