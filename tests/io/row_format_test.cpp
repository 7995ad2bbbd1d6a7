#include "io/row_format.hpp"

#include <random>
#include <string>
#include <string_view>

#include <catch2/catch.hpp>

#include "support/byte_sweep.hpp"

namespace {

using jwtbatch::io::field_value;
using jwtbatch::io::format_options;
using jwtbatch::io::make_formatter;
using jwtbatch::io::output_format;
using jwtbatch::io::output_row;

using kind = field_value::kind;

std::string csv_row(const output_row& row, format_options options = {}) {
    auto formatter = make_formatter(output_format::csv, {"cid"}, options);
    std::string out;
    formatter->append_row(row, out);
    return out;
}

std::string csv_cell(std::string_view text, kind type = kind::string, format_options options = {}) {
    field_value field{type, text};
    output_row row;
    row.source = "a.log";
    row.line_number = 1;
    row.is_valid = true;
    row.fields = {&field, 1};
    std::string line = csv_row(row, options);
    std::string prefix = "a.log,1,valid,,,";
    REQUIRE(line.starts_with(prefix));
    REQUIRE(line.ends_with("\n"));
    return line.substr(prefix.size(), line.size() - prefix.size() - 1);
}

std::string ndjson_row(const output_row& row) {
    auto formatter = make_formatter(output_format::ndjson, {});
    std::string out;
    formatter->append_row(row, out);
    return out;
}

/// Returns the JSON string written for `text` as the source of an invalid row.
std::string json_string(std::string_view text) {
    output_row row;
    row.source = text;
    row.line_number = 1;
    row.reason = "malformed";
    std::string line = ndjson_row(row);
    std::string prefix = "{\"source\":";
    size_t end = line.find(",\"line\":1,");
    REQUIRE(line.starts_with(prefix));
    REQUIRE(end != std::string::npos);
    return line.substr(prefix.size(), end - prefix.size());
}

/// Checks that `bytes` is well-formed UTF-8 by decoding code points (RFC 3629 section 4).
bool is_valid_utf8(std::string_view bytes) {
    size_t i = 0;
    while (i < bytes.size()) {
        auto lead = static_cast<unsigned char>(bytes[i]);
        int extra = lead < 0x80 ? 0 : (lead >> 5) == 0x6 ? 1 : (lead >> 4) == 0xe ? 2
                                  : (lead >> 3) == 0x1e  ? 3
                                                         : -1;
        if (extra < 0 || i + static_cast<size_t>(extra) >= bytes.size()) {
            return false;
        }
        std::uint32_t code_point = extra == 0 ? lead : lead & (0x3f >> extra);
        for (int k = 1; k <= extra; ++k) {
            auto next = static_cast<unsigned char>(bytes[i + static_cast<size_t>(k)]);
            if ((next & 0xc0) != 0x80) {
                return false;
            }
            code_point = (code_point << 6) | (next & 0x3f);
        }
        static constexpr std::uint32_t min_for_length[] = {0, 0x80, 0x800, 0x10000};
        if (code_point < min_for_length[extra] || code_point > 0x10ffff
            || (code_point >= 0xd800 && code_point <= 0xdfff)) {
            return false;
        }
        i += static_cast<size_t>(extra) + 1;
    }
    return true;
}

/// Checks that `text` is one JSON string token (RFC 8259 section 7) and nothing else.
bool is_json_string(std::string_view text) {
    if (text.size() < 2 || text.front() != '"' || text.back() != '"' || !is_valid_utf8(text)) {
        return false;
    }
    for (size_t i = 1; i + 1 < text.size(); ++i) {
        auto c = static_cast<unsigned char>(text[i]);
        if (c < 0x20 || c == '"') {
            return false;
        }
        if (c == '\\') {
            ++i;
            if (i + 1 >= text.size()) {
                return false;
            }
            char escape = text[i];
            if (escape == 'u') {
                if (i + 4 >= text.size()) {
                    return false;
                }
                for (size_t k = 1; k <= 4; ++k) {
                    if (!std::isxdigit(static_cast<unsigned char>(text[i + k]))) {
                        return false;
                    }
                }
                i += 4;
            } else if (std::string_view("\"\\/bfnrt").find(escape) == std::string_view::npos) {
                return false;
            }
        }
    }
    return true;
}

} // namespace

TEST_CASE("csv header lists fields", "[io]") {
    auto formatter = make_formatter(output_format::csv, {"cid", "crid", "a,b"});
    std::string out;
    formatter->append_header(out);
    CHECK(out == "source,line,status,reason,kid,cid,crid,\"a,b\"\n");
}

TEST_CASE("csv writes valid and invalid rows", "[io]") {
    field_value fields[] = {{kind::string, "c1"}, {kind::json, "1700000000"}, {kind::absent, ""}};
    output_row row;
    row.source = "a.log";
    row.line_number = 7;
    row.is_valid = true;
    row.kid = "k1";
    row.fields = fields;
    auto formatter = make_formatter(output_format::csv, {"cid", "iat", "exp"});
    std::string out;
    formatter->append_row(row, out);
    CHECK(out == "a.log,7,valid,,k1,c1,1700000000,\n");

    output_row invalid;
    invalid.source = "a.log";
    invalid.line_number = 8;
    invalid.reason = "expired";
    invalid.detail = "token expired";
    field_value absent[] = {{kind::absent, ""}, {kind::absent, ""}, {kind::absent, ""}};
    invalid.fields = absent;
    out.clear();
    formatter->append_row(invalid, out);
    CHECK(out == "a.log,8,invalid,expired,,,,\n");
}

TEST_CASE("csv quotes comma and quote", "[io]") {
    CHECK(csv_cell("plain") == "plain");
    CHECK(csv_cell("a,b") == "\"a,b\"");
    CHECK(csv_cell("say \"hi\"") == "\"say \"\"hi\"\"\"");
    CHECK(csv_cell("{\"a\":1,\"b\":[2]}", kind::json) == "\"{\"\"a\"\":1,\"\"b\"\":[2]}\"");
    CHECK(csv_cell("", kind::absent).empty());
    CHECK(csv_cell("", kind::string).empty());
}

TEST_CASE("csv guards formula cells", "[io]") {
    std::string cell = GENERATE(as<std::string>{}, "=1+2", "+1", "-2+3", "@SUM(A1)", "=a,\"b\"");
    CAPTURE(cell);
    std::string expected = "\"'";
    for (char c : cell) {
        expected += c == '"' ? std::string("\"\"") : std::string(1, c);
    }
    expected += '"';
    CHECK(csv_cell(cell) == expected);
}

TEST_CASE("csv formula guard skips json and opt out", "[io]") {
    CHECK(csv_cell("-5", kind::json) == "-5");
    CHECK(csv_cell("x=1") == "x=1");
    format_options unguarded;
    unguarded.guard_formulas = false;
    CHECK(csv_cell("=1+2", kind::string, unguarded) == "=1+2");
    CHECK(csv_cell("=a,b", kind::string, unguarded) == "\"=a,b\"");

    output_row row;
    row.source = "=evil.log";
    row.line_number = 1;
    row.reason = "malformed";
    row.kid = "@k";
    CHECK(csv_row(row) == "\"'=evil.log\",1,invalid,malformed,\"'@k\",\n");
}

TEST_CASE("csv escapes control characters", "[io]") {
    CHECK(csv_cell(std::string("a\nb\0c\x7f", 6)) == "a\\u000ab\\u0000c\\u007f");
    CHECK(csv_cell("line\r\n") == "line\\u000d\\u000a");
    CHECK(csv_cell("\t=1") == "\\u0009=1");
    CHECK(csv_cell("a,\x1b[31m") == "\"a,\\u001b[31m\"");
    for (int c = 0; c < 256; ++c) {
        std::string cell = csv_cell(std::string(1, static_cast<char>(c)));
        CAPTURE(c, cell);
        for (char b : cell) {
            CHECK_FALSE((static_cast<unsigned char>(b) < 0x20 || b == 0x7f));
        }
    }
}

namespace {

/// Returns the CSV text of one cell by the documented rule, written as plainly as possible.
std::string reference_csv_cell(std::string_view text, bool is_guarded) {
    constexpr std::string_view formula_starts = "=+-@";
    constexpr std::string_view hex = "0123456789abcdef";
    const bool guard = is_guarded && !text.empty() && text != "-"
                       && formula_starts.find(text[0]) != std::string_view::npos;
    const bool quote = guard || text.find(',') != std::string_view::npos
                       || text.find('"') != std::string_view::npos;
    std::string cell = quote ? "\"" : "";
    cell += guard ? "'" : "";
    for (char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20 || byte == 0x7f) {
            cell += "\\u00";
            cell += hex[byte >> 4];
            cell += hex[byte & 0xf];
        } else if (c == '"') {
            cell += "\"\"";
        } else {
            cell += c;
        }
    }
    cell += quote ? "\"" : "";
    return cell;
}

} // namespace

TEST_CASE("csv cell matches reference for every byte", "[io]") {
    // The filler contains no byte that needs quotes or escapes, but does contain formula starts.
    // Each cell is written both as a string claim, which gets the formula guard, and as JSON.
    constexpr std::string_view filler = "a0 !#~\x80\xff+-=@Zz/\\'";
    const auto formatter = make_formatter(output_format::csv, {"claim"});
    size_t plain = 0;
    std::string out;
    const auto make_base = [&](size_t length) {
        std::string base(length, ' ');
        for (size_t i = 0; i < length; ++i) {
            base[i] = filler[(i * 5 + length) % filler.size()];
        }
        return base;
    };
    const auto is_same = [&](const std::string& text) {
        bool same = true;
        for (kind type : {kind::string, kind::json}) {
            const field_value field{type, text};
            output_row row;
            row.line_number = 1;
            row.is_valid = true;
            row.fields = {&field, 1};
            out.clear();
            formatter->append_row(row, out);
            const std::string expected =
                ",1,valid,,," + reference_csv_cell(text, type == kind::string) + "\n";
            plain += expected.size() == text.size() + 12 ? 1 : 0;
            same = same && out == expected;
        }
        return same;
    };
    const auto result = jwtbatch::test::sweep_every_byte(64, make_base, is_same);
    CAPTURE(result.first_mismatch);
    CHECK(result.mismatches == 0);
    // Cells written as they are and cells quoted or escaped are both compared.
    CHECK(plain > 100'000);
    CHECK(plain < 2 * 256 * 64 * 65 / 2);
}

TEST_CASE("ndjson writes valid row", "[io]") {
    output_row row;
    row.source = "a.log";
    row.line_number = 7;
    row.is_valid = true;
    row.kid = "k1";
    row.claims_json = R"({"cid":"c1","iat":1700000000})";
    CHECK(ndjson_row(row)
          == R"({"source":"a.log","line":7,"status":"valid","kid":"k1","claims":{"cid":"c1","iat":1700000000}})"
                 "\n");
    row.kid = "";
    row.claims_json = "";
    CHECK(ndjson_row(row) == R"({"source":"a.log","line":7,"status":"valid","claims":{}})"
                             "\n");
}

TEST_CASE("ndjson writes invalid row", "[io]") {
    output_row row;
    row.source = "a.log";
    row.line_number = 8;
    row.reason = "expired";
    row.detail = "exp is before now";
    row.kid = "k1";
    CHECK(ndjson_row(row)
          == R"({"source":"a.log","line":8,"status":"invalid","reason":"expired","detail":"exp is before now","kid":"k1"})"
             "\n");
    row.kid = "";
    row.detail = "";
    CHECK(ndjson_row(row)
          == R"({"source":"a.log","line":8,"status":"invalid","reason":"expired","detail":""})"
             "\n");
}

TEST_CASE("ndjson escapes every byte", "[io]") {
    static constexpr std::string_view hex = "0123456789abcdef";
    for (int c = 0; c < 256; ++c) {
        std::string input(1, static_cast<char>(c));
        std::string expected;
        if (c == '"') {
            expected = "\\\"";
        } else if (c == '\\') {
            expected = "\\\\";
        } else if (c == '\b') {
            expected = "\\b";
        } else if (c == '\f') {
            expected = "\\f";
        } else if (c == '\n') {
            expected = "\\n";
        } else if (c == '\r') {
            expected = "\\r";
        } else if (c == '\t') {
            expected = "\\t";
        } else if (c < 0x20 || c == 0x7f) {
            expected = std::string("\\u00") + hex[c >> 4] + hex[c & 0xf];
        } else if (c < 0x80) {
            expected = input;
        } else {
            expected = "\xEF\xBF\xBD";
        }
        CAPTURE(c);
        std::string written = json_string(input);
        CHECK(written == "\"" + expected + "\"");
        CHECK(is_json_string(written));
    }
}

TEST_CASE("ndjson replaces invalid utf-8", "[io]") {
    const std::string replacement = "\xEF\xBF\xBD";
    CHECK(json_string("caf\xC3\xA9") == "\"caf\xC3\xA9\"");
    CHECK(json_string("\xF0\x9F\x98\x80") == "\"\xF0\x9F\x98\x80\"");
    CHECK(json_string("\xEF\xBF\xBF") == "\"\xEF\xBF\xBF\"");
    // Overlong forms, surrogates and values above U+10FFFF: one U+FFFD per maximal subpart.
    CHECK(json_string("\xC0\xAF") == "\"" + replacement + replacement + "\"");
    CHECK(json_string("\xE0\x80\xAF") == "\"" + replacement + replacement + replacement + "\"");
    CHECK(json_string("\xED\xA0\x80") == "\"" + replacement + replacement + replacement + "\"");
    CHECK(json_string("\xF4\x90\x80\x80")
          == "\"" + replacement + replacement + replacement + replacement + "\"");
    // A truncated sequence is one U+FFFD, and the byte that interrupts it is kept.
    CHECK(json_string("\xE2\x82") == "\"" + replacement + "\"");
    CHECK(json_string("\xE2\x82" "A") == "\"" + replacement + "A\"");
    CHECK(json_string("\xF0\x9F\x98\"") == "\"" + replacement + "\\\"\"");
}

TEST_CASE("ndjson writes valid json for random bytes", "[io]") {
    std::mt19937 random(20240601);
    std::uniform_int_distribution<int> byte_value(0, 255);
    std::uniform_int_distribution<int> length(0, 40);
    for (int round = 0; round < 2000; ++round) {
        std::string input(static_cast<size_t>(length(random)), '\0');
        for (auto& b : input) {
            b = static_cast<char>(byte_value(random));
        }
        output_row row;
        row.source = input;
        row.line_number = 1;
        row.reason = "bad_payload";
        row.detail = input;
        row.kid = input;
        std::string line = ndjson_row(row);
        CAPTURE(round);
        REQUIRE(line.ends_with("}\n"));
        CHECK(is_valid_utf8(line));
        CHECK(is_json_string(json_string(input)));
    }
}
