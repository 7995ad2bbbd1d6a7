#include "jws/claims.hpp"

#include <cmath>
#include <limits>
#include <random>
#include <string>

#include <catch2/catch.hpp>

namespace jws = jwtbatch::jws;
using jws::failure_reason;

namespace {

constexpr double now = 1700000000;

std::string nested_arrays(size_t depth) {
    return std::string(depth, '[') + std::string(depth, ']');
}

// Parses `json`, which must be a valid payload, and checks it against `policy` at `at`.
jws::check_result check_payload(const std::string& json,
                                const jws::claim_policy& policy = {},
                                double at = now) {
    jws::payload_parser parser;
    const auto parsed = parser.parse(json);
    REQUIRE(parsed.reason == failure_reason::ok);
    return parser.check(policy, at);
}

// Returns `depth` objects nested as {"a":{"a":...{"a":1}...}}.
std::string nested_objects(size_t depth) {
    std::string json;
    for (size_t i = 0; i < depth; ++i) {
        json += "{\"a\":";
    }
    return json + "1" + std::string(depth, '}');
}

} // namespace

TEST_CASE("payload parser rejects bad payloads", "[jws]") {
    const auto [json, detail] = GENERATE(table<std::string, std::string>({
        {"", "payload is not valid json"},
        {"not json", "payload is not valid json"},
        {R"({"a":1)", "payload is not valid json"},
        {R"({"a":1} {})", "payload is not valid json"},
        {R"({"a":01})", "payload is not valid json"},
        {R"({"a":1e400})", "payload is not valid json"},
        {"[1,2]", "payload is not a json object"},
        {"42", "payload is not a json object"},
        {R"("text")", "payload is not a json object"},
        {"null", "payload is not a json object"},
        {"{\"a\":\"\xff\"}", "payload is not valid utf-8"},
        {"{\"a\":\"\xed\xa0\x80\"}", "payload is not valid utf-8"},
        {"{\"a\":\"\xe2\x82\"}", "payload is not valid utf-8"},
        {"{\"a\":" + nested_arrays(64) + "}", "payload nests deeper than 64 levels"},
        {"{\"a\":" + nested_arrays(100000) + "}", "payload nests deeper than 64 levels"},
        {nested_objects(65), "payload nests deeper than 64 levels"},
        {R"({"exp":1,"exp":2})", "payload has a duplicate member name"},
        {R"({"sub":"a","s\u0075b":"b"})", "payload has a duplicate member name"},
        {R"({"a":{"b":1,"b":2}})", "payload has a duplicate member name"},
        {R"({"a":[{"b":1},{"c":1,"c":2}]})", "payload has a duplicate member name"},
    }));
    CAPTURE(json.substr(0, 80), detail);
    jws::payload_parser parser;
    const auto result = parser.parse(json);
    CHECK(result.reason == failure_reason::bad_payload);
    CHECK(result.detail == detail);
    CHECK(parser.minified().empty());
    CHECK(parser.find("a").type == jws::claim_value::kind::absent);
}

TEST_CASE("payload parser accepts 64 nesting levels", "[jws]") {
    jws::payload_parser parser;
    const auto arrays = parser.parse("{\"a\":" + nested_arrays(63) + "}");
    CHECK(arrays.reason == failure_reason::ok);
    CHECK(arrays.detail.empty());
    const auto objects = parser.parse(nested_objects(64));
    CHECK(objects.reason == failure_reason::ok);
    CHECK(objects.detail.empty());
}

TEST_CASE("claims check reports bad claim types", "[jws]") {
    const auto [json, detail] = GENERATE(table<std::string, std::string>({
        {R"({"exp":"1700000100"})", "exp is not a number"},
        {R"({"exp":true})", "exp is not a number"},
        {R"({"exp":null})", "exp is not a number"},
        {R"({"exp":{"t":1}})", "exp is not a number"},
        {R"({"exp":[1700000100]})", "exp is not a number"},
        {R"({"nbf":"0"})", "nbf is not a number"},
        {R"({"iat":false})", "iat is not a number"},
        {R"({"iss":1})", "iss is not a string"},
        {R"({"iss":["a"]})", "iss is not a string"},
        {R"({"aud":1})", "aud is not a string or an array of strings"},
        {R"({"aud":null})", "aud is not a string or an array of strings"},
        {R"({"aud":["a",1]})", "aud is not a string or an array of strings"},
        {R"({"aud":{"a":"b"}})", "aud is not a string or an array of strings"},
        {R"({"exp":"x","nbf":1e20})", "exp is not a number"},
    }));
    CAPTURE(json);
    jws::claim_policy policy;
    policy.issuer = "a";
    policy.audience = "a";
    policy.required = {"not-present"};
    const auto result = check_payload(json, policy);
    CHECK(result.reason == failure_reason::bad_claim);
    CHECK(result.detail == detail);
}

TEST_CASE("claims check ignores iss and aud types without policy", "[jws]") {
    CHECK(check_payload(R"({"iss":1,"aud":{"x":2}})").reason == failure_reason::ok);
}

TEST_CASE("claims check accepts numeric dates", "[jws]") {
    const auto json = GENERATE(as<std::string>{},
                               R"({"exp":1700000001})",
                               R"({"exp":1700000000.5})",
                               R"({"exp":1.7000000005e9})",
                               R"({"exp":18446744073709551615})",
                               R"({"nbf":1700000000,"iat":1700000000})",
                               R"({"nbf":-1,"iat":0.0})",
                               R"({"iat":1699999999.999})");
    CAPTURE(json);
    const auto result = check_payload(json);
    CHECK(result.reason == failure_reason::ok);
    CHECK(result.detail.empty());
}

TEST_CASE("claims check applies leeway boundaries", "[jws]") {
    const auto [json, leeway, at, expected] =
        GENERATE(table<std::string, double, double, failure_reason>({
            {R"({"exp":1700000000})", 0, now, failure_reason::expired},
            {R"({"exp":1700000000})", 0, now - 1, failure_reason::ok},
            {R"({"exp":1700000000})", 0, now - 0.001, failure_reason::ok},
            {R"({"exp":1700000000})", 30, now + 29, failure_reason::ok},
            {R"({"exp":1700000000})", 30, now + 30, failure_reason::expired},
            {R"({"exp":1700000000.5})", 0, now + 0.25, failure_reason::ok},
            {R"({"exp":1700000000.5})", 0, now + 0.5, failure_reason::expired},
            {R"({"nbf":1700000000})", 0, now, failure_reason::ok},
            {R"({"nbf":1700000000})", 0, now - 1, failure_reason::not_yet_valid},
            {R"({"nbf":1700000000})", 30, now - 30, failure_reason::ok},
            {R"({"nbf":1700000000})", 30, now - 31, failure_reason::not_yet_valid},
            {R"({"nbf":1700000000.5})", 0, now + 0.25, failure_reason::not_yet_valid},
            {R"({"iat":1700000000})", 0, now, failure_reason::ok},
            {R"({"iat":1700000001})", 0, now, failure_reason::issued_in_future},
            {R"({"iat":1700000030})", 30, now, failure_reason::ok},
            {R"({"iat":1700000031})", 30, now, failure_reason::issued_in_future},
            {R"({"iat":1700000000.25})", 0, now, failure_reason::issued_in_future},
        }));
    CAPTURE(json, leeway, at);
    jws::claim_policy policy;
    policy.leeway_seconds = leeway;
    CHECK(check_payload(json, policy, at).reason == expected);
}

TEST_CASE("claims check details name the claim", "[jws]") {
    CHECK(check_payload(R"({"exp":1})").detail == "evaluation time is at or after exp");
    CHECK(check_payload(R"({"nbf":1800000000})").detail == "nbf is after the evaluation time");
    CHECK(check_payload(R"({"iat":1800000000})").detail == "iat is after the evaluation time");
}

TEST_CASE("claims check skips exp without verify", "[jws]") {
    jws::claim_policy policy;
    policy.verify_exp = false;
    CHECK(check_payload(R"({"exp":1})", policy).reason == failure_reason::ok);
    CHECK(check_payload(R"({"exp":"1"})", policy).reason == failure_reason::bad_claim);
    CHECK(check_payload(R"({"exp":1,"nbf":1800000000})", policy).reason
          == failure_reason::not_yet_valid);
}

TEST_CASE("claims check requires listed claims", "[jws]") {
    jws::claim_policy policy;
    policy.required = {"cid", "crid"};
    CHECK(check_payload(R"({"cid":"c","crid":null})", policy).reason == failure_reason::ok);
    const auto missing = check_payload(R"({"cid":"c","exp":1})", policy);
    CHECK(missing.reason == failure_reason::missing_claim);
    CHECK(missing.detail == "a required claim is missing");
    // Names are compared after unescaping.
    CHECK(check_payload(R"({"c\u0069d":"c","crid":1})", policy).reason == failure_reason::ok);
    // Nested members do not satisfy a top-level requirement.
    CHECK(check_payload(R"({"cid":"c","x":{"crid":1}})", policy).reason
          == failure_reason::missing_claim);
}

TEST_CASE("claims check compares issuer", "[jws]") {
    jws::claim_policy policy;
    policy.issuer = "https://ads.example";
    CHECK(check_payload(R"({"iss":"https://ads.example"})", policy).reason == failure_reason::ok);
    CHECK(check_payload(R"({"iss":"https:\/\/ads.example"})", policy).reason
          == failure_reason::ok);
    const auto other = check_payload(R"({"iss":"https://ads.example/"})", policy);
    CHECK(other.reason == failure_reason::bad_issuer);
    CHECK(other.detail == "iss does not match the expected issuer");
    const auto missing = check_payload(R"({"sub":"x"})", policy);
    CHECK(missing.reason == failure_reason::bad_issuer);
    CHECK(missing.detail == "iss is missing");
}

TEST_CASE("claims check compares audience", "[jws]") {
    const auto [json, expected] = GENERATE(table<std::string, failure_reason>({
        {R"({"aud":"partner"})", failure_reason::ok},
        {R"({"aud":["x","partner"]})", failure_reason::ok},
        {R"({"aud":["partner"]})", failure_reason::ok},
        {R"({"aud":"partner2"})", failure_reason::bad_audience},
        {R"({"aud":"Partner"})", failure_reason::bad_audience},
        {R"({"aud":["x","y"]})", failure_reason::bad_audience},
        {R"({"aud":[]})", failure_reason::bad_audience},
        {R"({"sub":"partner"})", failure_reason::bad_audience},
    }));
    CAPTURE(json);
    jws::claim_policy policy;
    policy.audience = "partner";
    CHECK(check_payload(json, policy).reason == expected);
}

TEST_CASE("claims check follows reason order", "[jws]") {
    jws::claim_policy policy;
    policy.issuer = "i";
    policy.audience = "a";
    policy.required = {"cid"};
    const auto [json, expected] = GENERATE(table<std::string, failure_reason>({
        {R"({"exp":"1","iss":"x","aud":"x"})", failure_reason::bad_claim},
        {R"({"exp":1,"iss":"x","aud":"x"})", failure_reason::missing_claim},
        {R"({"cid":1,"exp":1,"nbf":1800000000,"iss":"x","aud":"x"})", failure_reason::expired},
        {R"({"cid":1,"nbf":1800000000,"iat":1800000000,"iss":"x"})",
         failure_reason::not_yet_valid},
        {R"({"cid":1,"iat":1800000000,"iss":"x","aud":"x"})", failure_reason::issued_in_future},
        {R"({"cid":1,"iss":"x","aud":"x"})", failure_reason::bad_issuer},
        {R"({"cid":1,"iss":"i","aud":"x"})", failure_reason::bad_audience},
        {R"({"cid":1,"iss":"i","aud":"a"})", failure_reason::ok},
    }));
    CAPTURE(json);
    CHECK(check_payload(json, policy).reason == expected);
}

TEST_CASE("payload parser finds claim values", "[jws]") {
    jws::payload_parser parser;
    const std::string json = R"({ "cid" : "c\u00e9\n1", "n" : 1700000000.50,)"
                             "\n"
                             R"( "big": 12345678901234567890, "o" : { "a" : [ 1, "x y" ] },)"
                             R"( "t": true, "z": null, "e": "", "q": "a\"b" })";
    REQUIRE(parser.parse(json).reason == failure_reason::ok);
    const auto [name, type, text] = GENERATE(table<std::string, jws::claim_value::kind, std::string>({
        {"cid", jws::claim_value::kind::string, "c\xc3\xa9\n1"},
        {"n", jws::claim_value::kind::json, "1700000000.50"},
        {"big", jws::claim_value::kind::json, "12345678901234567890"},
        {"o", jws::claim_value::kind::json, R"({"a":[1,"x y"]})"},
        {"t", jws::claim_value::kind::json, "true"},
        {"z", jws::claim_value::kind::json, "null"},
        {"e", jws::claim_value::kind::string, ""},
        {"q", jws::claim_value::kind::string, "a\"b"},
        {"missing", jws::claim_value::kind::absent, ""},
        {"a", jws::claim_value::kind::absent, ""},
    }));
    CAPTURE(name);
    const auto value = parser.find(name);
    CHECK(value.type == type);
    CHECK(value.text == text);
}

TEST_CASE("payload parser minifies to one line", "[jws]") {
    jws::payload_parser parser;
    const std::string json = "{\n  \"cid\" : \"a b\\n\",\r\n\t\"n\" : [ 1 , 2 ]\n}\n";
    REQUIRE(parser.parse(json).reason == failure_reason::ok);
    CHECK(parser.minified() == R"({"cid":"a b\n","n":[1,2]})");
    CHECK(parser.minified().find('\n') == std::string_view::npos);
}

TEST_CASE("payload parser reuses buffers across calls", "[jws]") {
    jws::payload_parser parser;
    const std::string large = R"({"cid":")" + std::string(20000, 'c') + R"(","n":[1, 2]})";
    REQUIRE(parser.parse(large).reason == failure_reason::ok);
    CHECK(parser.find("cid").text.size() == 20000u);
    CHECK(parser.find("n").text == "[1,2]");
    REQUIRE(parser.parse(R"({"n": 3})").reason == failure_reason::ok);
    CHECK(parser.find("n").text == "3");
    CHECK(parser.find("cid").type == jws::claim_value::kind::absent);
    CHECK(parser.minified() == R"({"n":3})");
    REQUIRE(parser.parse("[]").reason == failure_reason::bad_payload);
    CHECK(parser.check({}, now).reason == failure_reason::bad_payload);
}

TEST_CASE("parse time accepts unix seconds and RFC 3339", "[jws]") {
    const auto [text, expected] = GENERATE(table<std::string, double>({
        {"0", 0},
        {"1700000000", 1700000000},
        {"1700000000.5", 1700000000.5},
        {"0001700000000.25", 1700000000.25},
        {"1970-01-01T00:00:00Z", 0},
        {"2023-11-14T22:13:20Z", 1700000000},
        {"2023-11-14t22:13:20z", 1700000000},
        {"2024-05-01T12:00:00Z", 1714564800},
        {"2024-05-01T12:00:00.25+02:00", 1714557600.25},
        {"2024-05-01T12:00:00-05:30", 1714584600},
        {"2024-05-01T12:00:00-00:00", 1714564800},
        {"2024-02-29T00:00:00Z", 1709164800},
        {"2000-02-29T00:00:00Z", 951782400},
        {"1969-12-31T23:59:59Z", -1},
        {"1900-01-01T00:00:00Z", -2208988800},
        {"0000-01-01T00:00:00Z", -62167219200},
        {"9999-12-31T23:59:59Z", 253402300799},
        {"2016-12-31T23:59:60Z", 1483228799},
        {"2016-12-31T23:59:60.5Z", 1483228799.5},
    }));
    CAPTURE(text);
    const auto parsed = jws::parse_time(text);
    REQUIRE(parsed.has_value());
    CHECK(*parsed == Approx(expected).margin(1e-6));
}

TEST_CASE("parse time rejects other text", "[jws]") {
    const auto text = GENERATE(as<std::string>{},
                               "",
                               " ",
                               "abc",
                               "-1",
                               "+1",
                               "1e9",
                               "1.",
                               ".5",
                               "1700000000 ",
                               " 1700000000",
                               "0x10",
                               "2024-13-01T00:00:00Z",
                               "2024-00-01T00:00:00Z",
                               "2023-02-29T00:00:00Z",
                               "2024-02-30T00:00:00Z",
                               "1900-02-29T00:00:00Z",
                               "2024-04-31T00:00:00Z",
                               "2024-05-00T00:00:00Z",
                               "2024-05-01T24:00:00Z",
                               "2024-05-01T12:60:00Z",
                               "2024-05-01T12:00:61Z",
                               "2024-05-01T12:00:00",
                               "2024-05-01T12:00:00.Z",
                               "2024-05-01T12:00Z",
                               "2024-05-01 12:00:00Z",
                               "2024-05-01",
                               "2024-5-01T12:00:00Z",
                               "2024-05-01T12:00:00+0200",
                               "2024-05-01T12:00:00+24:00",
                               "2024-05-01T12:00:00+02:60",
                               "2024-05-01T12:00:00ZZ",
                               "2024-05-01T12:00:00Z ",
                               "+2024-05-01T12:00:00Z",
                               "20240-05-01T12:00:00Z");
    CAPTURE(text);
    CHECK_FALSE(jws::parse_time(text).has_value());
}

TEST_CASE("format rfc3339 writes UTC text", "[jws]") {
    const auto [seconds, expected] = GENERATE(table<double, std::string>({
        {0, "1970-01-01T00:00:00Z"},
        {1700000000, "2023-11-14T22:13:20Z"},
        {1700000000.5, "2023-11-14T22:13:20.5Z"},
        {1700000000.25, "2023-11-14T22:13:20.25Z"},
        {1714564800.000125, "2024-05-01T12:00:00.000125Z"},
        {-1, "1969-12-31T23:59:59Z"},
        {-0.5, "1969-12-31T23:59:59.5Z"},
        {951782400, "2000-02-29T00:00:00Z"},
        {1709251199, "2024-02-29T23:59:59Z"},
        {253402300799, "9999-12-31T23:59:59Z"},
        {-62167219200, "0000-01-01T00:00:00Z"},
    }));
    CAPTURE(seconds);
    CHECK(jws::format_rfc3339(seconds) == expected);
}

TEST_CASE("format rfc3339 rejects unrepresentable times", "[jws]") {
    CHECK(jws::format_rfc3339(253402300800.0).empty());
    CHECK(jws::format_rfc3339(-62167219201.0).empty());
    CHECK(jws::format_rfc3339(std::numeric_limits<double>::infinity()).empty());
    CHECK(jws::format_rfc3339(std::numeric_limits<double>::quiet_NaN()).empty());
}

TEST_CASE("format rfc3339 round trips parse time", "[jws]") {
    // Every day from 1600 to 2500, at a time that changes with the day.
    for (double day = -135140; day <= 193540; day += 1) {
        const double seconds = day * 86400 + std::fmod(day * 3607, 86400);
        const std::string text = jws::format_rfc3339(seconds);
        const auto parsed = jws::parse_time(text);
        if (!parsed || *parsed != seconds) {
            CAPTURE(seconds, text);
            FAIL("round trip changed the time");
        }
    }
    SUCCEED();
}

TEST_CASE("payload parser survives mutated input", "[jws]") {
    // Random byte edits of a valid payload: whatever parses must minify to JSON that parses
    // again to the same text, and find() must return the same claims from both parses.
    const std::string seed_json = R"({"cid":"c\"1\\","n":[1,{"a":-2.5e3}],"o":{"k":"v w"},)"
                                  R"("exp":1700000100,"aud":["a","b"],"t":true,"z":null})";
    constexpr std::string_view edits = "{}[]\":,\\ 0-.eatnu\x01\xff";
    std::minstd_rand random(20240501);
    jws::payload_parser parser;
    jws::payload_parser reparser;
    size_t accepted = 0;
    for (int round = 0; round < 20000; ++round) {
        std::string json = seed_json;
        const int edit_count = 1 + static_cast<int>(random() % 3);
        for (int edit = 0; edit < edit_count; ++edit) {
            const size_t position = random() % json.size();
            const char byte = edits[random() % edits.size()];
            switch (random() % 3) {
            case 0:
                json[position] = byte;
                break;
            case 1:
                json.insert(position, 1, byte);
                break;
            default:
                json.erase(position, 1);
                break;
            }
        }
        if (parser.parse(json).reason != failure_reason::ok) {
            continue;
        }
        ++accepted;
        const std::string minified(parser.minified());
        CAPTURE(json, minified);
        REQUIRE(reparser.parse(minified).reason == failure_reason::ok);
        REQUIRE(reparser.minified() == minified);
        for (const std::string_view name : {"cid", "n", "o", "exp", "aud", "t", "z"}) {
            const auto value = parser.find(name);
            const auto again = reparser.find(name);
            CHECK(value.type == again.type);
            CHECK(value.text == again.text);
        }
    }
    // The edits are small, so a good share of the rounds must still be valid JSON.
    CHECK(accepted > 1000u);
}
