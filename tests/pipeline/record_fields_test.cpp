#include "pipeline/record_fields.hpp"

#include <array>
#include <string>

#include <catch2/catch.hpp>

#include "pipeline/json_text.hpp"
#include "pipeline/ndjson_record.hpp"

namespace {

using jwtbatch::io::field_value;
using jwtbatch::jws::failure_reason;
using jwtbatch::pipeline::field_selection;
using jwtbatch::pipeline::ndjson_record_parser;
using jwtbatch::pipeline::parse_event_time;
using jwtbatch::pipeline::record_fields;
using jwtbatch::pipeline::strip_token_decoration;
using jwtbatch::pipeline::time_format;

field_value text(std::string_view value) { return {field_value::kind::string, value}; }

field_value json(std::string_view value) { return {field_value::kind::json, value}; }

std::string format_date(double seconds) {
    std::array<char, 40> buffer{};
    size_t length = jwtbatch::pipeline::format_rfc3339_utc(seconds, buffer);
    return std::string(buffer.data(), length);
}

} // namespace

TEST_CASE("ndjson record yields token, time and kept values", "[pipeline]") {
    ndjson_record_parser parser;
    record_fields fields;
    const field_selection selection{
        "/auth/token", "ts", {"/order_id", "/a~1b", "/items/1", "/meta", "/missing", "note"}};
    const std::string record =
        R"({"auth":{"token":"Bearer \u0065yJ.x\"y"},"ts":1714564800,"order_id":"A-1","a/b":true,)"
        R"("items":[1,-2.5e3],"meta":{"k":[null,"\u00e9\n"]},"note":"caf\u00e9 \ud83d\ude00"})";
    auto result = parser.extract(record, selection, fields);
    REQUIRE(result.reason == failure_reason::ok);
    CHECK(fields.token.type == field_value::kind::string);
    CHECK(fields.token.text == "Bearer eyJ.x\"y");
    CHECK(fields.time.type == field_value::kind::json);
    CHECK(fields.time.text == "1714564800");
    REQUIRE(fields.keep.size() == 6);
    CHECK(fields.keep[0].text == "A-1");
    CHECK(fields.keep[1].type == field_value::kind::json);
    CHECK(fields.keep[1].text == "true");
    CHECK(fields.keep[2].text == "-2500");
    CHECK(fields.keep[3].text == R"({"k":[null,"é\u000a"]})");
    CHECK(fields.keep[4].type == field_value::kind::absent);
    CHECK(fields.keep[5].text == "café 😀");
}

TEST_CASE("ndjson record rejects what is not one object", "[pipeline]") {
    ndjson_record_parser parser;
    record_fields fields;
    const field_selection selection{"/token", {}, {"/id"}};
    for (std::string_view record : {R"(not json)",
                                    R"(["token"])",
                                    R"({"token":"a","token":"b"})",
                                    "{\"token\":\"\xff\"}",
                                    R"({"token":"a"} {"token":"b"})"}) {
        CAPTURE(record);
        auto result = parser.extract(record, selection, fields);
        CHECK(result.reason == failure_reason::bad_record);
        CHECK_FALSE(result.detail.empty());
        CHECK(fields.keep.size() == 1);
    }
}

TEST_CASE("ndjson record reports missing token as absent", "[pipeline]") {
    ndjson_record_parser parser;
    record_fields fields;
    REQUIRE(parser.extract(R"({"other":"x"})", {"/token", {}, {}}, fields).reason
            == failure_reason::ok);
    CHECK(fields.token.type == field_value::kind::absent);
    REQUIRE(parser.extract(R"({"token":"x"})", {"/token/0", {}, {}}, fields).reason
            == failure_reason::ok);
    CHECK(fields.token.type == field_value::kind::absent);
    REQUIRE(parser.extract(R"({"token":null})", {"token", {}, {}}, fields).reason
            == failure_reason::ok);
    CHECK(fields.token.type == field_value::kind::json);
    CHECK(fields.token.text == "null");
}

TEST_CASE("ndjson field names are validated", "[pipeline]") {
    using jwtbatch::pipeline::is_valid_ndjson_field;
    CHECK(is_valid_ndjson_field("/token"));
    CHECK(is_valid_ndjson_field("/a~0b~1c/0"));
    CHECK(is_valid_ndjson_field("token"));
    CHECK(is_valid_ndjson_field("a~2"));
    CHECK_FALSE(is_valid_ndjson_field(""));
    CHECK_FALSE(is_valid_ndjson_field("/a~2"));
    CHECK_FALSE(is_valid_ndjson_field("/a~"));
}

TEST_CASE("csv record fields follow header columns", "[pipeline]") {
    jwtbatch::io::csv_columns columns;
    columns.count = 3;
    columns.token = 1;
    columns.time = 2;
    columns.keep = {0};
    std::vector<std::string_view> scratch;
    std::string unescaped;
    record_fields fields;
    auto result = jwtbatch::pipeline::extract_csv_fields(
        R"("o,1","Bearer a.b.c",2024-05-01T12:00:00Z)", ',', columns, scratch, unescaped, fields);
    REQUIRE(result.reason == failure_reason::ok);
    CHECK(fields.keep[0].text == "o,1");
    CHECK(fields.token.text == "Bearer a.b.c");
    CHECK(fields.time.text == "2024-05-01T12:00:00Z");

    result = jwtbatch::pipeline::extract_csv_fields(
        "o2,a.b.c", ',', columns, scratch, unescaped, fields);
    CHECK(result.reason == failure_reason::bad_record);
    CHECK(fields.keep[0].text == "o2"); // the row still joins back
    result = jwtbatch::pipeline::extract_csv_fields(
        R"(o3,"a.b.c)", ',', columns, scratch, unescaped, fields);
    CHECK(result.reason == failure_reason::bad_record);
}

TEST_CASE("token decoration is stripped and nothing else", "[pipeline]") {
    CHECK(strip_token_decoration("a.b.c") == "a.b.c");
    CHECK(strip_token_decoration("  a.b.c\r\n") == "a.b.c");
    CHECK(strip_token_decoration("Bearer a.b.c") == "a.b.c");
    CHECK(strip_token_decoration("bearer   a.b.c") == "a.b.c");
    CHECK(strip_token_decoration("BEARER a.b.c") == "a.b.c");
    CHECK(strip_token_decoration("\"a.b.c\"") == "a.b.c");
    CHECK(strip_token_decoration("'a.b.c'") == "a.b.c");
    CHECK(strip_token_decoration(" \"Bearer a.b.c\" ") == "a.b.c");
    CHECK(strip_token_decoration("Bearer") == "Bearer");
    CHECK(strip_token_decoration("Bearer:a.b.c") == "Bearer:a.b.c");
    CHECK(strip_token_decoration("Token a.b.c") == "Token a.b.c");
    CHECK(strip_token_decoration("\"a.b.c'") == "\"a.b.c'");
    CHECK(strip_token_decoration("a.b .c") == "a.b .c");
    CHECK(strip_token_decoration("Bearer Bearer a.b.c") == "Bearer a.b.c");
    CHECK(strip_token_decoration(" \t ").empty());
}

TEST_CASE("event time read in each format", "[pipeline]") {
    CHECK(parse_event_time(json("1714564800"), time_format::unix_seconds) == 1714564800.0);
    CHECK(parse_event_time(text("1714564800.5"), time_format::unix_seconds) == 1714564800.5);
    CHECK(parse_event_time(json("1714564800123"), time_format::unix_milliseconds)
          == Approx(1714564800.123));
    CHECK(parse_event_time(text("2024-05-01T12:00:00Z"), time_format::rfc3339) == 1714564800.0);
    CHECK(parse_event_time(text("2024-05-01T14:00:00+02:00"), time_format::rfc3339)
          == 1714564800.0);

    CHECK_FALSE(parse_event_time({}, time_format::unix_seconds));
    CHECK_FALSE(parse_event_time(json("null"), time_format::unix_seconds));
    CHECK_FALSE(parse_event_time(json("true"), time_format::unix_seconds));
    CHECK_FALSE(parse_event_time(text("2024-05-01T12:00:00Z"), time_format::unix_seconds));
    CHECK_FALSE(parse_event_time(text("yesterday"), time_format::unix_seconds));
    CHECK_FALSE(parse_event_time(text(""), time_format::unix_seconds));
    CHECK_FALSE(parse_event_time(json("1714564800"), time_format::rfc3339));
    CHECK_FALSE(parse_event_time(text("1714564800"), time_format::rfc3339));
    CHECK_FALSE(parse_event_time(text("2024-13-01T12:00:00Z"), time_format::rfc3339));
}

TEST_CASE("rfc 3339 dates formatted without allocation", "[pipeline]") {
    CHECK(format_date(0) == "1970-01-01T00:00:00Z");
    CHECK(format_date(1714564800) == "2024-05-01T12:00:00Z");
    CHECK(format_date(1714564800.25) == "2024-05-01T12:00:00.25Z");
    CHECK(format_date(951782400) == "2000-02-29T00:00:00Z");
    CHECK(format_date(-1) == "1969-12-31T23:59:59Z");
    CHECK(format_date(253402300799) == "9999-12-31T23:59:59Z");
    CHECK(format_date(253402300800).empty());
    CHECK(format_date(1e300).empty());
}

TEST_CASE("claims rewritten with rfc 3339 times", "[pipeline]") {
    jwtbatch::jws::strict_json_parser parser(64);
    std::string out;
    REQUIRE(jwtbatch::pipeline::append_claims_with_dates(
        R"({"cid":"1","iat":1714564800,"exp":"soon","nbf":1714564800.5,"x":{"iat":1}})",
        parser,
        out));
    CHECK(out == R"({"cid":"1","iat":"2024-05-01T12:00:00Z","exp":"soon",)"
                 R"("nbf":"2024-05-01T12:00:00.5Z","x":{"iat":1}})");
    out.clear();
    CHECK_FALSE(jwtbatch::pipeline::append_claims_with_dates("[1]", parser, out));
    CHECK(out.empty());
}

TEST_CASE("large doubles written with an exponent", "[pipeline]") {
    // A whole double from 2^63 on would otherwise be written as digits that no 64-bit integer
    // holds, which simdjson then rejects.
    for (const char* number :
         {"159312272063925464E04", "-1e19", "9223372036854775808.0", "1.5e300", "12.5", "4e18"}) {
        simdjson::dom::parser parser;
        simdjson::dom::element original;
        REQUIRE(parser.parse(std::string(number)).get(original) == simdjson::SUCCESS);
        const double value = original.get_double().value_unsafe();
        std::string text;
        jwtbatch::pipeline::append_json_value(original, text);
        CAPTURE(number, text);
        simdjson::dom::parser again;
        simdjson::dom::element reread;
        REQUIRE(again.parse(text).get(reread) == simdjson::SUCCESS);
        CHECK(reread.get_double().value_unsafe() == value);
    }
}
