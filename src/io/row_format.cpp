#include "io/row_format.hpp"

#include <charconv>

namespace jwtbatch::io {
namespace {

constexpr std::string_view hex_digits = "0123456789abcdef";

bool is_control(unsigned char c) noexcept {
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
        append_values(out, row.fields, field_names_.size());
        if (options_.unverified_claims_column) {
            out.push_back(',');
            append_cell(out, row.unverified_claims, false);
        }
        out.push_back('\n');
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
        bool needs_quotes = is_guarded;
        bool needs_escapes = false;
        for (char c : text) {
            needs_quotes = needs_quotes || c == ',' || c == '"';
            needs_escapes = needs_escapes || is_control(static_cast<unsigned char>(c));
        }
        if (!needs_quotes && !needs_escapes) {
            out.append(text);
            return;
        }
        if (needs_quotes) {
            out.push_back('"');
        }
        if (is_guarded) {
            out.push_back('\'');
        }
        for (char c : text) {
            if (is_control(static_cast<unsigned char>(c))) {
                append_control_escape(out, static_cast<unsigned char>(c));
            } else if (c == '"') {
                out.append("\"\"");
            } else {
                out.push_back(c);
            }
        }
        if (needs_quotes) {
            out.push_back('"');
        }
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
            out.append(",\"claims\":");
            append_validated_json(
                out, row.claims_json.empty() ? std::string_view("{}") : row.claims_json);
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
