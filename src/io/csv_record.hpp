// Fields of one CSV record (RFC 4180) and the header columns a run selects from it.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace jwtbatch::io {

/// Result of `split_csv_record`: `ok` or the reason the record was rejected.
enum class csv_status {
    ok,
    unterminated_quote, ///< a quoted field has no closing quote
    text_after_quote,   ///< a closing quote is followed by a byte other than the delimiter
    bare_quote,         ///< an unquoted field contains a double quote
};

/// Returns a short lowercase description of `status` for reason details.
[[nodiscard]] std::string_view describe(csv_status status) noexcept;

/// Splits `record` (one record as `line_reader` in CSV mode returns it, without its line end)
/// into fields separated by `delimiter`. A field that starts with `"` is quoted: it ends at the
/// next single `"`, a doubled `""` inside stands for one quote, and it may hold delimiters, CR
/// and LF. Other fields are taken as they are, spaces included. An empty record is one empty
/// field.
///
/// `fields` is replaced. Views point into `record`, or into `unescaped` for quoted fields that
/// contained `""`. `unescaped` is cleared and reserved to `record.size()`, so those views stay
/// valid until the next call with the same buffer. On failure `fields` contains the fields
/// before the fault. Allocates only when `fields` or `unescaped` needs more capacity than before.
[[nodiscard]] csv_status split_csv_record(std::string_view record,
                                          char delimiter,
                                          std::vector<std::string_view>& fields,
                                          std::string& unescaped);

/// Column indexes (0-based) of the fields a run needs, resolved once from a source's header.
struct csv_columns {
    size_t count = 0; ///< columns in the header; every record must have as many
    size_t token = 0;
    std::optional<size_t> time;
    std::vector<size_t> keep;
};

/// Resolves a column given as a header name or, when it is all digits, as a 1-based index.
/// A name is matched exactly before the index reading is tried, so a column named "2" is found
/// by name. Returns nullopt when no column matches or the index is out of range.
[[nodiscard]] std::optional<size_t> find_csv_column(const std::vector<std::string_view>& header,
                                                    std::string_view column);

} // namespace jwtbatch::io
