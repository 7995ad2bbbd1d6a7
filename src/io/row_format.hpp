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
    std::span<const field_value> kept;       ///< one per kept field name, or empty
    std::string_view unverified_claims;      ///< payload JSON of an invalid token, or empty
    /// Output of `append_claims` for this row's `fields` and `claims_json`, used in their place
    /// when `has_formatted_claims`, so that the rows of a repeated token format them once.
    std::string_view formatted_claims;
    bool has_formatted_claims = false;
};

enum class output_format { csv, ndjson };

/// Choices that change how cells are written.
struct format_options {
    /// CSV only: guard string cells against spreadsheet formulas (see `make_formatter`). Turn it
    /// off when a program, not a spreadsheet, reads the CSV and needs the exact values.
    bool guard_formulas = true;

    /// Names of the input fields copied into every row (`--keep`), as the user gave them.
    std::vector<std::string> keep_names;

    /// CSV only: add an `unverified_claims` column after the claim columns.
    bool unverified_claims_column = false;
};

/// Formats rows. Stateless after construction, so one instance serves all threads.
class row_formatter {
public:
    virtual ~row_formatter() = default;

    /// Appends the header line, if the format has one.
    virtual void append_header(std::string& out) const = 0;

    /// Appends one row and its line end. Does not allocate beyond growing `out`.
    virtual void append_row(const output_row& row, std::string& out) const = 0;

    /// Appends the part of a valid row that comes from its claims (`fields` for CSV,
    /// `claims_json` for NDJSON), exactly as `append_row` writes it.
    virtual void append_claims(std::span<const field_value> fields,
                               std::string_view claims_json,
                               std::string& out) const = 0;
};

/// Creates a formatter. `field_names` are the CSV claim columns, after source, line, status,
/// reason, kid and the kept columns (`options.keep_names`), and before `unverified_claims` when
/// `options.unverified_claims_column` is set.
///
/// CSV follows RFC 4180 except that lines end in LF alone, as Unix tools expect (spreadsheets
/// and CSV libraries read both). A cell is quoted when it contains a comma or a double quote,
/// and a double quote inside is doubled. Every control character (0x00-0x1F and 0x7F) is written
/// as the six characters `\u00xx` with lowercase hex, so a cell never contains a raw CR, LF or NUL.
/// A backslash itself is written as it is, so exact values need NDJSON. Bytes of 0x80 and above
/// are written as they are. With `guard_formulas`, a string cell (source, reason, kid, header
/// names and string claims) that starts with `=`, `+`, `-` or `@` is quoted and prefixed with a
/// single quote, as `"'=1+2"`, so spreadsheet programs show it as text instead of running it.
/// The cell `-` alone, the source name of stdin, is not a formula and is not prefixed. JSON claims (numbers such as -5, objects, arrays) are never prefixed. A cell that started
/// with tab or CR starts with `\u00` after escaping, so it needs no guard.
///
/// NDJSON writes one object per line, ended by LF. Valid rows hold source, line, status, kid
/// and claims (the minified payload as it is, with DEL written as `\u007f`; `{}` when empty). Invalid rows hold source, line,
/// status, reason, detail and kid. `kid` is left out when empty. With kept names, both hold
/// `"keep":{"<name>":value,...}` after kid: a string as a JSON string, a JSON value as its text,
/// and an absent field left out. A non-empty `unverified_claims` is written as a member of that
/// name at the end of an invalid row. Strings escape `"`, `\` and
/// every control character, and each invalid UTF-8 sequence becomes U+FFFD (one per maximal
/// invalid subpart, as Unicode 15 section 3.9 recommends), so any input bytes give valid JSON.
[[nodiscard]] std::unique_ptr<row_formatter> make_formatter(output_format format,
                                                            std::vector<std::string> field_names,
                                                            format_options options = {});

} // namespace jwtbatch::io
