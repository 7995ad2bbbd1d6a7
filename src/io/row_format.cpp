#include "io/row_format.hpp"

#include <array>
#include <charconv>
#include <cstdint>
#include <cstring>

// JWTBATCH_SCALAR_SCANS forces the portable loop on x86-64 too, so its tests can run there.
#if defined(__SSE2__) && !defined(JWTBATCH_SCALAR_SCANS)
#include <emmintrin.h>
#define JWTBATCH_ROW_FORMAT_SSE2 1
#endif

namespace jwtbatch::io {
namespace {

constexpr std::string_view hex_digits = "0123456789abcdef";

constexpr bool is_control(unsigned char c) noexcept {
    return c < 0x20 || c == 0x7f;
}

/// Appends the six characters \u00xx for a control character.
void append_control_escape(std::string& out, unsigned char c) {
    out.append("\\u00");
    out.push_back(hex_digits[c >> 4]);
    out.push_back(hex_digits[c & 0xf]);
}

void append_number(std::string& out, std::uint64_t value) {
    char digits[20];
    auto result = std::to_chars(digits, digits + sizeof digits, value);
    out.append(digits, result.ptr);
}

/// Returns the length of the well-formed UTF-8 sequence at the start of `bytes`, or 0 when it
/// is ill-formed, with `invalid_length` set to its maximal subpart (at least 1). The ranges
/// are those of Unicode 15 table 3-7, which excludes overlong forms, surrogates and values
/// above U+10FFFF.
size_t utf8_sequence_length(std::string_view bytes, size_t& invalid_length) noexcept {
    auto lead = static_cast<unsigned char>(bytes[0]);
    size_t length = 0;
    unsigned char second_min = 0x80;
    unsigned char second_max = 0xbf;
    if (lead >= 0xc2 && lead <= 0xdf) {
        length = 2;
    } else if (lead >= 0xe0 && lead <= 0xef) {
        length = 3;
        second_min = lead == 0xe0 ? 0xa0 : 0x80;
        second_max = lead == 0xed ? 0x9f : 0xbf;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
        length = 4;
        second_min = lead == 0xf0 ? 0x90 : 0x80;
        second_max = lead == 0xf4 ? 0x8f : 0xbf;
    } else {
        invalid_length = 1;
        return 0;
    }
    for (size_t i = 1; i < length; ++i) {
        unsigned char min = i == 1 ? second_min : 0x80;
        unsigned char max = i == 1 ? second_max : 0xbf;
        if (i >= bytes.size() || static_cast<unsigned char>(bytes[i]) < min
            || static_cast<unsigned char>(bytes[i]) > max) {
            invalid_length = i;
            return 0;
        }
    }
    return length;
}

/// Appends `text` as a JSON string with its quotes. Any bytes give valid JSON and UTF-8.
void append_json_string(std::string& out, std::string_view text) {
    out.push_back('"');
    size_t plain_begin = 0;
    size_t i = 0;
    while (i < text.size()) {
        auto c = static_cast<unsigned char>(text[i]);
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
            ++i;
            continue;
        }
        size_t invalid_length = 0;
        if (c >= 0x80) {
            size_t length = utf8_sequence_length(text.substr(i), invalid_length);
            if (length > 0) {
                i += length;
                continue;
            }
        }
        out.append(text.substr(plain_begin, i - plain_begin));
        switch (c) {
        case '"':
            out.append("\\\"");
            break;
        case '\\':
            out.append("\\\\");
            break;
        case '\b':
            out.append("\\b");
            break;
        case '\f':
            out.append("\\f");
            break;
        case '\n':
            out.append("\\n");
            break;
        case '\r':
            out.append("\\r");
            break;
        case '\t':
            out.append("\\t");
            break;
        default:
            if (c >= 0x80) {
                out.append("\xEF\xBF\xBD"); // U+FFFD REPLACEMENT CHARACTER
                i += invalid_length - 1;
            } else {
                append_control_escape(out, c);
            }
        }
        ++i;
        plain_begin = i;
    }
    out.append(text.substr(plain_begin));
    out.push_back('"');
}

// Bytes that make a CSV cell need quotes (',' and '"') or escapes (controls).
constexpr std::array<bool, 256> make_csv_special_table() {
    std::array<bool, 256> table{};
    for (int c = 0; c < 256; ++c) {
        table[c] = c == ',' || c == '"' || is_control(static_cast<unsigned char>(c));
    }
    return table;
}

constexpr std::array<bool, 256> csv_special_table = make_csv_special_table();

bool has_csv_special_byte_scalar(std::string_view text) noexcept {
    bool found = false;
    for (char c : text) {
        found |= csv_special_table[static_cast<std::uint8_t>(c)];
    }
    return found;
}

#ifdef JWTBATCH_ROW_FORMAT_SSE2

/// Returns all ones in each lane of `block` that contains a byte of `csv_special_table`.
__m128i csv_special_lanes(__m128i block) noexcept {
    // SSE2 compares only signed bytes. Flipping the top bit turns the unsigned test c < 0x20
    // into the signed test (c ^ 0x80) < (0x20 ^ 0x80).
    const __m128i control = _mm_cmplt_epi8(_mm_xor_si128(block, _mm_set1_epi8(-0x80)),
                                           _mm_set1_epi8(0x20 - 0x80));
    const __m128i other = _mm_or_si128(
        _mm_or_si128(_mm_cmpeq_epi8(block, _mm_set1_epi8(',')),
                     _mm_cmpeq_epi8(block, _mm_set1_epi8('"'))),
        _mm_cmpeq_epi8(block, _mm_set1_epi8(0x7f)));
    return _mm_or_si128(control, other);
}

__m128i load_16(const char* bytes) noexcept {
    return _mm_loadu_si128(reinterpret_cast<const __m128i*>(bytes));
}

std::uint64_t load_8(const char* bytes) noexcept {
    std::uint64_t value;
    std::memcpy(&value, bytes, sizeof value);
    return value;
}

std::uint32_t load_4(const char* bytes) noexcept {
    std::uint32_t value;
    std::memcpy(&value, bytes, sizeof value);
    return value;
}

/// Returns true when `text` contains a byte of `csv_special_table`. Most cells are shorter than
/// 16 bytes, so those of 4 to 15 bytes go into one vector as two overlapping loads, which
/// reads no byte outside `text`.
bool has_csv_special_byte(std::string_view text) noexcept {
    const char* bytes = text.data();
    const size_t size = text.size();
    if (size >= 16) {
        __m128i found = _mm_setzero_si128();
        size_t at = 0;
        for (; at + 16 <= size; at += 16) {
            found = _mm_or_si128(found, csv_special_lanes(load_16(bytes + at)));
        }
        // The last block overlaps the one before it instead of reading past the end.
        if (at < size) {
            found = _mm_or_si128(found, csv_special_lanes(load_16(bytes + size - 16)));
        }
        return _mm_movemask_epi8(found) != 0;
    }
    if (size >= 8) {
        const __m128i block = _mm_set_epi64x(static_cast<long long>(load_8(bytes + size - 8)),
                                             static_cast<long long>(load_8(bytes)));
        return _mm_movemask_epi8(csv_special_lanes(block)) != 0;
    }
    if (size >= 4) {
        // Lanes 8-15 hold zero bytes, which are control bytes, so only the low eight lanes count.
        const __m128i block = _mm_set_epi32(0,
                                            0,
                                            static_cast<int>(load_4(bytes + size - 4)),
                                            static_cast<int>(load_4(bytes)));
        return (_mm_movemask_epi8(csv_special_lanes(block)) & 0xff) != 0;
    }
    return has_csv_special_byte_scalar(text);
}

#else

bool has_csv_special_byte(std::string_view text) noexcept {
    return has_csv_special_byte_scalar(text);
}

#endif

/// Appends a cell that needs quotes or escapes, copying the runs between escaped bytes whole.
void append_escaped_cell(std::string& out, std::string_view text, bool is_guarded) {
    const bool needs_quotes = is_guarded || text.find_first_of(",\"") != std::string_view::npos;
    if (needs_quotes) {
        out.push_back('"');
    }
    if (is_guarded) {
        out.push_back('\'');
    }
    size_t run_begin = 0;
    for (size_t i = 0; i < text.size(); ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (!is_control(c) && c != '"') {
            continue;
        }
        out.append(text.substr(run_begin, i - run_begin));
        if (c == '"') {
            out.append("\"\"");
        } else {
            append_control_escape(out, c);
        }
        run_begin = i + 1;
    }
    out.append(text.substr(run_begin));
    if (needs_quotes) {
        out.push_back('"');
    }
}

class csv_formatter final : public row_formatter {
public:
    csv_formatter(std::vector<std::string> field_names, format_options options)
        : field_names_(std::move(field_names))
        , options_(options) {}

    void append_header(std::string& out) const override {
        out.append("source,line,status,reason,kid");
        for (const auto& name : options_.keep_names) {
            out.push_back(',');
            append_cell(out, name, true);
        }
        for (const auto& name : field_names_) {
            out.push_back(',');
            append_cell(out, name, true);
        }
        if (options_.unverified_claims_column) {
            out.append(",unverified_claims");
        }
        out.push_back('\n');
    }

    void append_row(const output_row& row, std::string& out) const override {
        append_cell(out, row.source, true);
        out.push_back(',');
        append_number(out, row.line_number);
        out.append(row.is_valid ? ",valid," : ",invalid,");
        append_cell(out, row.reason, true);
        out.push_back(',');
        append_cell(out, row.kid, true);
        // One cell per configured name whatever the row holds, so every line has the same
        // number of columns.
        append_values(out, row.kept, options_.keep_names.size());
        if (row.has_formatted_claims) {
            out.append(row.formatted_claims);
        } else {
            append_values(out, row.fields, field_names_.size());
        }
        if (options_.unverified_claims_column) {
            out.push_back(',');
            append_cell(out, row.unverified_claims, false);
        }
        out.push_back('\n');
    }

    void append_claims(std::span<const field_value> fields,
                       std::string_view /*claims_json*/,
                       std::string& out) const override {
        append_values(out, fields, field_names_.size());
    }

private:
    void append_values(std::string& out, std::span<const field_value> values, size_t count) const {
        for (size_t i = 0; i < count; ++i) {
            out.push_back(',');
            if (i < values.size() && values[i].type != field_value::kind::absent) {
                append_cell(out, values[i].text, values[i].type == field_value::kind::string);
            }
        }
    }

    /// Appends one cell; only string cells get the formula guard.
    void append_cell(std::string& out, std::string_view text, bool is_string) const {
        // A lone "-" (stdin as the source) cannot be a formula, so it stays readable.
        bool is_guarded = options_.guard_formulas && is_string && !text.empty() && text != "-"
                          && (text[0] == '=' || text[0] == '+' || text[0] == '-' || text[0] == '@');
        if (!is_guarded && !has_csv_special_byte(text)) {
            out.append(text);
            return;
        }
        append_escaped_cell(out, text, is_guarded);
    }

    std::vector<std::string> field_names_;
    format_options options_;
};

/// Appends JSON text that a JSON parser has already validated, escaping DEL (0x7F). JSON allows
/// a raw DEL inside strings, and only there, so replacing it byte by byte keeps the text valid
/// while no control byte reaches the output.
void append_validated_json(std::string& out, std::string_view json) {
    size_t start = 0;
    for (size_t at = json.find('\x7f'); at != std::string_view::npos;
         at = json.find('\x7f', start)) {
        out.append(json.substr(start, at - start));
        out.append("\\u007f");
        start = at + 1;
    }
    out.append(json.substr(start));
}

class ndjson_formatter final : public row_formatter {
public:
    explicit ndjson_formatter(std::vector<std::string> keep_names)
        : keep_names_(std::move(keep_names)) {}

    void append_header(std::string&) const override {}

    void append_row(const output_row& row, std::string& out) const override {
        out.append("{\"source\":");
        append_json_string(out, row.source);
        out.append(",\"line\":");
        append_number(out, row.line_number);
        if (row.is_valid) {
            out.append(",\"status\":\"valid\"");
            append_kid(row.kid, out);
            append_kept(row.kept, out);
            if (row.has_formatted_claims) {
                out.append(row.formatted_claims);
            } else {
                append_claims(row.fields, row.claims_json, out);
            }
        } else {
            out.append(",\"status\":\"invalid\",\"reason\":");
            append_json_string(out, row.reason);
            out.append(",\"detail\":");
            append_json_string(out, row.detail);
            append_kid(row.kid, out);
            append_kept(row.kept, out);
            if (!row.unverified_claims.empty()) {
                out.append(",\"unverified_claims\":");
                append_validated_json(out, row.unverified_claims);
            }
        }
        out.append("}\n");
    }

    void append_claims(std::span<const field_value> /*fields*/,
                       std::string_view claims_json,
                       std::string& out) const override {
        out.append(",\"claims\":");
        append_validated_json(out, claims_json.empty() ? std::string_view("{}") : claims_json);
    }

private:
    void append_kept(std::span<const field_value> kept, std::string& out) const {
        if (keep_names_.empty()) {
            return;
        }
        out.append(",\"keep\":{");
        bool first = true;
        for (size_t i = 0; i < keep_names_.size() && i < kept.size(); ++i) {
            if (kept[i].type == field_value::kind::absent) {
                continue;
            }
            if (!first) {
                out.push_back(',');
            }
            first = false;
            append_json_string(out, keep_names_[i]);
            out.push_back(':');
            if (kept[i].type == field_value::kind::string) {
                append_json_string(out, kept[i].text);
            } else {
                append_validated_json(out, kept[i].text);
            }
        }
        out.push_back('}');
    }

    std::vector<std::string> keep_names_;

    static void append_kid(std::string_view kid, std::string& out) {
        if (!kid.empty()) {
            out.append(",\"kid\":");
            append_json_string(out, kid);
        }
    }
};

} // namespace

std::unique_ptr<row_formatter>
make_formatter(output_format format, std::vector<std::string> field_names, format_options options) {
    if (format == output_format::ndjson) {
        return std::make_unique<ndjson_formatter>(std::move(options.keep_names));
    }
    return std::make_unique<csv_formatter>(std::move(field_names), options);
}

} // namespace jwtbatch::io
