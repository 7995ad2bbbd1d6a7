// Result rows in CSV (RFC 4180) or NDJSON, appended to a caller-owned buffer.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace jwtbatch::io {

/// A claim value as the formatter receives it (see `jws::claim_value`).
struct field_value {
    enum class kind { absent, string, json };
    kind type = kind::absent;
    std::string_view text; ///< unescaped string, or raw JSON text
};

/// One output row. Views must stay valid during the `append_row` call only.
struct output_row {
    std::string_view source;
    std::uint64_t line_number = 0;
    bool is_valid = false;
    std::string_view reason;                 ///< empty when valid
    std::string_view detail;                 ///< empty when valid
    std::string_view kid;                    ///< empty when unknown
    std::span<const field_value> fields;     ///< one per configured field name, CSV only
    std::string_view claims_json;            ///< minified payload JSON of a valid token, NDJSON only
};

enum class output_format { csv, ndjson };

/// Formats rows. Stateless after construction, so one instance serves all threads.
class row_formatter {
public:
    virtual ~row_formatter() = default;

    /// Appends the header line, if the format has one.
    virtual void append_header(std::string& out) const = 0;

    /// Appends one row and its line end. Does not allocate beyond growing `out`.
    virtual void append_row(const output_row& row, std::string& out) const = 0;
};

/// Creates a formatter. `field_names` are the CSV claim columns, after source, line, status,
/// reason and kid.
[[nodiscard]] std::unique_ptr<row_formatter> make_formatter(output_format format,
                                                            std::vector<std::string> field_names);

} // namespace jwtbatch::io
