#include "pipeline/json_text.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>

namespace jwtbatch::pipeline {
namespace {

constexpr std::string_view hex_digits = "0123456789abcdef";

void append_json_string(std::string_view text, std::string& out) {
    out.push_back('"');
    for (char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out.push_back('\\');
            out.push_back(c);
        } else if (byte < 0x20) {
            out.append("\\u00");
            out.push_back(hex_digits[byte >> 4]);
            out.push_back(hex_digits[byte & 0xf]);
        } else {
            out.push_back(c);
        }
    }
    out.push_back('"');
}

template <typename Number>
void append_number(Number value, std::string& out) {
    char digits[32];
    auto result = std::to_chars(digits, digits + sizeof digits, value);
    out.append(digits, result.ptr);
}

void append_number(double value, std::string& out) {
    char digits[32];
    // The shortest form of a large whole double has no point or exponent, such as
    // 1593122720639254528000, and a reader that keeps integers in 64 bits (simdjson among
    // them) rejects it. From 2^63 on, the exponent form is written instead.
    const auto format = std::fabs(value) >= 9223372036854775808.0 ? std::chars_format::scientific
                                                                    : std::chars_format{};
    auto result = format == std::chars_format{}
                      ? std::to_chars(digits, digits + sizeof digits, value)
                      : std::to_chars(digits, digits + sizeof digits, value, format);
    out.append(digits, result.ptr);
}

} // namespace

bool is_time_claim(std::string_view name) noexcept {
    return name == "iat" || name == "exp" || name == "nbf";
}

void append_json_value(simdjson::dom::element value, std::string& out) {
    switch (value.type()) {
    case simdjson::dom::element_type::ARRAY: {
        simdjson::dom::array items;
        if (value.get_array().get(items) != simdjson::SUCCESS) {
            return; // not reached: the type is ARRAY
        }
        out.push_back('[');
        bool first = true;
        for (simdjson::dom::element item : items) {
            if (!first) {
                out.push_back(',');
            }
            first = false;
            append_json_value(item, out);
        }
        out.push_back(']');
        return;
    }
    case simdjson::dom::element_type::OBJECT: {
        simdjson::dom::object members;
        if (value.get_object().get(members) != simdjson::SUCCESS) {
            return; // not reached: the type is OBJECT
        }
        out.push_back('{');
        bool first = true;
        for (simdjson::dom::key_value_pair member : members) {
            if (!first) {
                out.push_back(',');
            }
            first = false;
            append_json_string(member.key, out);
            out.push_back(':');
            append_json_value(member.value, out);
        }
        out.push_back('}');
        return;
    }
    case simdjson::dom::element_type::INT64:
        append_number(value.get_int64().value_unsafe(), out);
        return;
    case simdjson::dom::element_type::UINT64:
        append_number(value.get_uint64().value_unsafe(), out);
        return;
    case simdjson::dom::element_type::DOUBLE:
        append_number(value.get_double().value_unsafe(), out);
        return;
    case simdjson::dom::element_type::STRING:
        append_json_string(value.get_string().value_unsafe(), out);
        return;
    case simdjson::dom::element_type::BOOL:
        out.append(value.get_bool().value_unsafe() ? "true" : "false");
        return;
    case simdjson::dom::element_type::NULL_VALUE:
        out.append("null");
        return;
    }
}

size_t format_rfc3339_utc(double unix_seconds, std::span<char, 40> out) noexcept {
    // -62167219200 is 0000-01-01T00:00:00Z and 253402300800 is 10000-01-01T00:00:00Z.
    if (!std::isfinite(unix_seconds) || unix_seconds < -62167219200.0
        || unix_seconds >= 253402300800.0) {
        return 0;
    }
    using namespace std::chrono;
    // Microseconds at most: near 1.7e9 seconds a double has a step of about 0.24 microseconds.
    const double micros_total = std::round(unix_seconds * 1e6);
    const double whole = std::floor(micros_total / 1e6);
    const auto micros = static_cast<long>(micros_total - whole * 1e6);
    const sys_seconds time{seconds{static_cast<long long>(whole)}};
    const sys_days day = floor<days>(time);
    const year_month_day date{day};
    const hh_mm_ss clock{time - day};
    int length = std::snprintf(out.data(),
                               out.size(),
                               "%04d-%02u-%02uT%02ld:%02ld:%02ld",
                               static_cast<int>(date.year()),
                               static_cast<unsigned>(date.month()),
                               static_cast<unsigned>(date.day()),
                               static_cast<long>(clock.hours().count()),
                               static_cast<long>(clock.minutes().count()),
                               static_cast<long>(clock.seconds().count()));
    if (micros > 0) {
        char fraction[24];
        std::snprintf(fraction, sizeof fraction, ".%06ld", micros);
        size_t fraction_length = 7;
        while (fraction[fraction_length - 1] == '0') {
            --fraction_length;
        }
        std::copy_n(fraction, fraction_length, out.data() + length);
        length += static_cast<int>(fraction_length);
    }
    out[static_cast<size_t>(length)] = 'Z';
    return static_cast<size_t>(length) + 1;
}

bool append_claims_with_dates(std::string_view claims,
                              jws::strict_json_parser& parser,
                              std::string& out) {
    simdjson::dom::object root;
    if (parser.parse(claims, root) != jws::json_status::ok) {
        return false;
    }
    std::array<char, 40> date{};
    out.push_back('{');
    bool first = true;
    for (simdjson::dom::key_value_pair member : root) {
        if (!first) {
            out.push_back(',');
        }
        first = false;
        append_json_string(member.key, out);
        out.push_back(':');
        size_t length = 0;
        if (is_time_claim(member.key) && member.value.is_number()) {
            length = format_rfc3339_utc(member.value.get_double().value_unsafe(), date);
        }
        if (length > 0) {
            out.push_back('"');
            out.append(date.data(), length);
            out.push_back('"');
        } else {
            append_json_value(member.value, out);
        }
    }
    out.push_back('}');
    return true;
}

} // namespace jwtbatch::pipeline
