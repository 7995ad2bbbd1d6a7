// parse_time and format_rfc3339, declared in claims.hpp: NumericDate text and RFC 3339 UTC.
#include "jws/claims.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>

namespace jwtbatch::jws {
namespace {

constexpr std::int64_t seconds_per_day = 86400;

bool is_leap_year(std::int64_t year) noexcept {
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

int days_in_month(std::int64_t year, int month) noexcept {
    constexpr std::array<int, 12> lengths{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return month == 2 && is_leap_year(year) ? 29 : lengths[month - 1];
}

// Days from 1970-01-01 to the proleptic Gregorian date, for years 0 to 9999. Four hundred
// years (146097 days) are added before dividing so every division works on positive numbers.
std::int64_t days_from_civil(std::int64_t year, int month, int day) noexcept {
    constexpr std::array<int, 12> days_before_month{
        0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
    constexpr std::int64_t days_per_400_years = 146097;
    const std::int64_t shifted = year + 400 - 1;
    const std::int64_t days_before_year = 365 * shifted + shifted / 4 - shifted / 100
                                          + shifted / 400 - days_per_400_years;
    // The same count for 1970, so that 1970-01-01 is day 0.
    constexpr std::int64_t days_before_1970 = 719162;
    const std::int64_t day_of_year =
        days_before_month[month - 1] + (day - 1) + (month > 2 && is_leap_year(year) ? 1 : 0);
    return days_before_year - days_before_1970 + day_of_year;
}

struct civil_date {
    int year;
    int month;
    int day;
};

// Inverts days_from_civil for days of years 0 to 9999.
civil_date civil_from_days(std::int64_t days) noexcept {
    // Estimate the year, correct it, then walk the months of that year.
    std::int64_t year = 1970 + days / 365;
    while (days_from_civil(year, 1, 1) > days) {
        --year;
    }
    while (year < 9999 && days_from_civil(year + 1, 1, 1) <= days) {
        ++year;
    }
    std::int64_t day_of_year = days - days_from_civil(year, 1, 1);
    int month = 1;
    while (day_of_year >= days_in_month(year, month)) {
        day_of_year -= days_in_month(year, month);
        ++month;
    }
    return {static_cast<int>(year), month, static_cast<int>(day_of_year) + 1};
}

// Reads exactly `count` digits at `position` and advances it.
bool read_digits(std::string_view text, size_t& position, size_t count, int& value) noexcept {
    if (position + count > text.size()) {
        return false;
    }
    value = 0;
    for (size_t i = 0; i < count; ++i) {
        const char c = text[position + i];
        if (c < '0' || c > '9') {
            return false;
        }
        value = value * 10 + (c - '0');
    }
    position += count;
    return true;
}

bool read_char(std::string_view text, size_t& position, char expected) noexcept {
    if (position >= text.size() || text[position] != expected) {
        return false;
    }
    ++position;
    return true;
}

size_t count_digits(std::string_view text, size_t position) noexcept {
    size_t end = position;
    while (end < text.size() && text[end] >= '0' && text[end] <= '9') {
        ++end;
    }
    return end - position;
}

// Unix seconds: one or more digits, optionally '.' and one or more digits. No sign, exponent
// or surrounding space.
std::optional<double> parse_unix_seconds(std::string_view text) noexcept {
    const size_t integer_digits = count_digits(text, 0);
    if (integer_digits == 0) {
        return std::nullopt;
    }
    size_t end = integer_digits;
    if (end < text.size() && text[end] == '.') {
        const size_t fraction_digits = count_digits(text, end + 1);
        if (fraction_digits == 0) {
            return std::nullopt;
        }
        end += 1 + fraction_digits;
    }
    if (end != text.size()) {
        return std::nullopt;
    }
    double value = 0;
    const auto [last, error] = std::from_chars(
        text.data(), text.data() + text.size(), value, std::chars_format::fixed);
    if (error != std::errc{} || last != text.data() + text.size()) {
        return std::nullopt;
    }
    return value;
}

// Reads "Z" or "+hh:mm" / "-hh:mm" and returns the offset east of UTC in seconds.
bool read_offset(std::string_view text, size_t& position, std::int64_t& offset_seconds) noexcept {
    if (position < text.size() && (text[position] == 'Z' || text[position] == 'z')) {
        ++position;
        offset_seconds = 0;
        return true;
    }
    if (position >= text.size() || (text[position] != '+' && text[position] != '-')) {
        return false;
    }
    const bool is_negative = text[position] == '-';
    ++position;
    int hours = 0;
    int minutes = 0;
    if (!read_digits(text, position, 2, hours) || !read_char(text, position, ':')
        || !read_digits(text, position, 2, minutes) || hours > 23 || minutes > 59) {
        return false;
    }
    offset_seconds = (hours * 60 + minutes) * 60;
    if (is_negative) {
        offset_seconds = -offset_seconds;
    }
    return true;
}

// RFC 3339 section 5.6 date-time: YYYY-MM-DD, 'T' or 't', hh:mm:ss, optional '.' and digits,
// then 'Z', 'z' or a numeric offset.
std::optional<double> parse_date_time(std::string_view text) noexcept {
    size_t position = 0;
    int year = 0;
    int month = 0;
    int day = 0;
    int hour = 0;
    int minute = 0;
    int second = 0;
    if (!read_digits(text, position, 4, year) || !read_char(text, position, '-')
        || !read_digits(text, position, 2, month) || !read_char(text, position, '-')
        || !read_digits(text, position, 2, day)) {
        return std::nullopt;
    }
    if (position >= text.size() || (text[position] != 'T' && text[position] != 't')) {
        return std::nullopt;
    }
    ++position;
    if (!read_digits(text, position, 2, hour) || !read_char(text, position, ':')
        || !read_digits(text, position, 2, minute) || !read_char(text, position, ':')
        || !read_digits(text, position, 2, second)) {
        return std::nullopt;
    }
    if (month < 1 || month > 12 || day < 1 || day > days_in_month(year, month) || hour > 23
        || minute > 59 || second > 60) {
        return std::nullopt;
    }
    double fraction = 0;
    if (position < text.size() && text[position] == '.') {
        const size_t digits = count_digits(text, position + 1);
        if (digits == 0) {
            return std::nullopt;
        }
        // "0." followed by the digits is a valid fixed-format number for from_chars.
        double scaled = 0;
        const char* first = text.data() + position + 1;
        std::from_chars(first, first + digits, scaled, std::chars_format::fixed);
        fraction = scaled / std::pow(10.0, static_cast<double>(digits));
        position += 1 + digits;
    }
    std::int64_t offset_seconds = 0;
    if (!read_offset(text, position, offset_seconds) || position != text.size()) {
        return std::nullopt;
    }
    // Unix time has no leap seconds, so a leap second (:60) counts as :59 with its fraction.
    // The result stays inside the minute that contains the leap second.
    if (second == 60) {
        second = 59;
    }
    const std::int64_t whole = days_from_civil(year, month, day) * seconds_per_day
                               + (hour * 60 + minute) * 60 + second - offset_seconds;
    return static_cast<double>(whole) + fraction;
}

} // namespace

std::optional<double> parse_time(std::string_view text) noexcept {
    // A date-time starts with four digits and a '-', which no unix seconds value contains.
    if (text.size() > 4 && text[4] == '-') {
        return parse_date_time(text);
    }
    return parse_unix_seconds(text);
}

std::string format_rfc3339(double unix_seconds) {
    if (!std::isfinite(unix_seconds)) {
        return {};
    }
    // Print at most microseconds: near 1.7e9 seconds a double has a step of about 0.24
    // microseconds, so finer digits would be noise.
    const double microseconds_total = std::round(unix_seconds * 1e6);
    const double whole_seconds = std::floor(microseconds_total / 1e6);
    const auto microseconds = static_cast<std::int64_t>(microseconds_total - whole_seconds * 1e6);
    constexpr double max_seconds = 253402300799.0; // 9999-12-31T23:59:59Z
    constexpr double min_seconds = -62167219200.0; // 0000-01-01T00:00:00Z
    if (whole_seconds > max_seconds || whole_seconds < min_seconds) {
        return {};
    }
    const auto seconds = static_cast<std::int64_t>(whole_seconds);
    std::int64_t days = seconds / seconds_per_day;
    std::int64_t second_of_day = seconds % seconds_per_day;
    if (second_of_day < 0) {
        second_of_day += seconds_per_day;
        --days;
    }
    const civil_date date = civil_from_days(days);
    char text[40];
    int length = std::snprintf(text,
                               sizeof text,
                               "%04d-%02d-%02dT%02d:%02d:%02d",
                               date.year,
                               date.month,
                               date.day,
                               static_cast<int>(second_of_day / 3600),
                               static_cast<int>(second_of_day / 60 % 60),
                               static_cast<int>(second_of_day % 60));
    if (microseconds != 0) {
        int fraction = static_cast<int>(microseconds);
        int digits = 6;
        while (fraction % 10 == 0) {
            fraction /= 10;
            --digits;
        }
        length += std::snprintf(text + length, sizeof text - length, ".%0*d", digits, fraction);
    }
    return std::string(text, static_cast<size_t>(length)) + 'Z';
}

} // namespace jwtbatch::jws
