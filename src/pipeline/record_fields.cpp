#include "pipeline/record_fields.hpp"

#include <cctype>

namespace jwtbatch::pipeline {
namespace {

using jws::failure_reason;

bool is_white_space(char c) noexcept { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view trim(std::string_view text) noexcept {
    while (!text.empty() && is_white_space(text.front())) {
        text.remove_prefix(1);
    }
    while (!text.empty() && is_white_space(text.back())) {
        text.remove_suffix(1);
    }
    return text;
}

bool starts_with_bearer(std::string_view text) noexcept {
    constexpr std::string_view scheme = "bearer";
    if (text.size() <= scheme.size() || text[scheme.size()] != ' ') {
        return false;
    }
    for (size_t i = 0; i < scheme.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(text[i])) != scheme[i]) {
            return false;
        }
    }
    return true;
}

io::field_value string_field(std::string_view text) noexcept {
    return {io::field_value::kind::string, text};
}

} // namespace

jws::check_result extract_csv_fields(std::string_view record,
                                     char delimiter,
                                     const io::csv_columns& columns,
                                     std::vector<std::string_view>& fields,
                                     std::string& unescaped,
                                     record_fields& out) {
    out.token = {};
    out.time = {};
    out.keep.assign(columns.keep.size(), io::field_value{});
    const io::csv_status status = io::split_csv_record(record, delimiter, fields, unescaped);
    if (status != io::csv_status::ok) {
        return {failure_reason::bad_record, io::describe(status)};
    }
    // Kept columns are filled before the field count is checked, so that a ragged record
    // still joins back to its source where its columns exist.
    for (size_t i = 0; i < columns.keep.size(); ++i) {
        if (columns.keep[i] < fields.size()) {
            out.keep[i] = string_field(fields[columns.keep[i]]);
        }
    }
    if (fields.size() != columns.count) {
        return {failure_reason::bad_record, "csv record has a different number of fields than the header"};
    }
    out.token = string_field(fields[columns.token]);
    if (columns.time) {
        out.time = string_field(fields[*columns.time]);
    }
    return {};
}

std::string_view strip_token_decoration(std::string_view field) noexcept {
    std::string_view text = trim(field);
    if (text.size() >= 2 && (text.front() == '"' || text.front() == '\'')
        && text.back() == text.front()) {
        text = trim(text.substr(1, text.size() - 2));
    }
    if (starts_with_bearer(text)) {
        text = trim(text.substr(6));
    }
    return text;
}

std::optional<double> parse_event_time(io::field_value value, time_format format) noexcept {
    if (value.type == io::field_value::kind::absent) {
        return std::nullopt;
    }
    const bool is_string = value.type == io::field_value::kind::string;
    // A date-time starts with four digits and a '-', which no number has at that place.
    const bool is_date_time = value.text.size() > 4 && value.text[4] == '-';
    if (format == time_format::rfc3339) {
        if (!is_string || !is_date_time) {
            return std::nullopt;
        }
        return jws::parse_time(value.text);
    }
    if (is_date_time || value.text.empty()) {
        return std::nullopt;
    }
    // A JSON value here is a number only if it starts like one; objects, true and null do not.
    const char first = value.text.front();
    if (!is_string && first != '-' && (first < '0' || first > '9')) {
        return std::nullopt;
    }
    auto seconds = jws::parse_time(value.text);
    if (seconds && format == time_format::unix_milliseconds) {
        *seconds /= 1000;
    }
    return seconds;
}

} // namespace jwtbatch::pipeline
