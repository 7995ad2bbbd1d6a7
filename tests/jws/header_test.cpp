#include "jws/header.hpp"

#include <string>

#include <catch2/catch.hpp>

namespace jws = jwtbatch::jws;
using jws::failure_reason;

namespace {

std::string nested_arrays(size_t depth) {
    return std::string(depth, '[') + std::string(depth, ']');
}

} // namespace

TEST_CASE("header parser reads alg kid typ", "[jws]") {
    jws::header_parser parser;
    jws::jose_header header;
    REQUIRE(parser.parse(R"({"alg":"ES256","kid":"k1","typ":"JWT"})", header) == failure_reason::ok);
    CHECK(header.alg == "ES256");
    CHECK(header.has_kid);
    CHECK(header.kid == "k1");
    CHECK(header.has_typ);
    CHECK(header.typ == "JWT");
}

TEST_CASE("header parser allows missing kid and typ", "[jws]") {
    jws::header_parser parser;
    jws::jose_header header;
    REQUIRE(parser.parse(R"( { "alg" : "ES256" } )", header) == failure_reason::ok);
    CHECK(header.alg == "ES256");
    CHECK_FALSE(header.has_kid);
    CHECK(header.kid.empty());
    CHECK_FALSE(header.has_typ);
}

TEST_CASE("header parser unescapes member values", "[jws]") {
    jws::header_parser parser;
    jws::jose_header header;
    REQUIRE(parser.parse(R"({"\u0061lg":"ES\u0032\u00356","kid":"k\"\u00e9"})", header)
            == failure_reason::ok);
    CHECK(header.alg == "ES256");
    CHECK(header.kid == "k\"\xc3\xa9");
}

TEST_CASE("header parser ignores embedded keys", "[jws]") {
    // An attacker-supplied key must never replace the key set, so these members have no effect.
    const std::string json = R"({"alg":"ES256","kid":"k1",)"
                              R"("jwk":{"kty":"EC","crv":"P-256","x":"AA","y":"AA"},)"
                              R"("jku":"https://127.0.0.1/jwks","x5u":"https://127.0.0.1/x5u",)"
                              R"("x5c":["MIIB"],"x5t":"AA"})";
    jws::header_parser parser;
    jws::jose_header header;
    REQUIRE(parser.parse(json, header) == failure_reason::ok);
    CHECK(header.kid == "k1");
}

TEST_CASE("header parser rejects bad headers", "[jws]") {
    const auto [json, expected, why] = GENERATE(table<std::string, failure_reason, std::string>({
        {"", failure_reason::bad_header, "empty"},
        {"not json", failure_reason::bad_header, "not json"},
        {R"({"alg":"ES256")", failure_reason::bad_header, "unterminated object"},
        {R"({"alg":"ES256"} x)", failure_reason::bad_header, "trailing bytes"},
        {R"({"alg":"ES256"}{})", failure_reason::bad_header, "two documents"},
        {R"(["ES256"])", failure_reason::bad_header, "array root"},
        {R"("ES256")", failure_reason::bad_header, "string root"},
        {"null", failure_reason::bad_header, "null root"},
        {R"({"kid":"k1"})", failure_reason::bad_header, "alg missing"},
        {R"({"alg":256})", failure_reason::bad_header, "alg is a number"},
        {R"({"alg":null})", failure_reason::bad_header, "alg is null"},
        {R"({"alg":["ES256"]})", failure_reason::bad_header, "alg is an array"},
        {R"({"alg":"ES256","kid":1})", failure_reason::bad_header, "kid is a number"},
        {R"({"alg":"ES256","kid":null})", failure_reason::bad_header, "kid is null"},
        {R"({"alg":"ES256","typ":true})", failure_reason::bad_header, "typ is a bool"},
        {R"({"alg":"ES256","alg":"ES256"})", failure_reason::bad_header, "duplicate alg"},
        {R"({"alg":"ES256","alg":"none"})", failure_reason::bad_header, "duplicate alg, none"},
        {R"({"alg":"ES256","kid":"a","kid":"b"})", failure_reason::bad_header, "duplicate kid"},
        {R"({"alg":"ES256","\u006bid":"a","kid":"b"})", failure_reason::bad_header,
         "duplicate kid after unescaping"},
        {R"({"alg":"ES256","x":1,"y":2,"x":3})", failure_reason::bad_header, "duplicate other"},
        {R"({"alg":"ES256","jwk":{"x":"a","x":"b"}})", failure_reason::bad_header,
         "duplicate in nested object"},
        {R"({"alg":"ES256","kid":"k1","kid":1})", failure_reason::bad_header,
         "duplicate kid of another type"},
        {"{\"alg\":\"ES256\",\"kid\":\"\xff\"}", failure_reason::bad_header, "invalid UTF-8"},
        {"{\"alg\":\"ES256\",\"kid\":\"\xc0\xaf\"}", failure_reason::bad_header,
         "overlong UTF-8"},
        {"{\"alg\":\"ES256\",\"x\":" + nested_arrays(64) + "}", failure_reason::bad_header,
         "nested 65 levels"},
        {R"({"alg":"ES256","crit":["exp"]})", failure_reason::unsupported_header, "crit"},
        {R"({"alg":"ES256","crit":[]})", failure_reason::unsupported_header, "empty crit"},
        {R"({"alg":"ES256","b64":false})", failure_reason::unsupported_header, "b64 false"},
        {R"({"alg":"ES256","b64":true})", failure_reason::unsupported_header, "b64 true"},
        {R"({"alg":"ES256","crit":["b64"],"b64":false})", failure_reason::unsupported_header,
         "RFC 7797 unencoded payload"},
        {R"({"alg":"none","crit":["exp"]})", failure_reason::unsupported_header,
         "crit is checked before alg"},
        {R"({"alg":1,"crit":["exp"]})", failure_reason::bad_header,
         "alg type is checked before crit"},
        {R"({"alg":"none"})", failure_reason::alg_not_allowed, "none"},
        {R"({"alg":"None"})", failure_reason::alg_not_allowed, "None"},
        {R"({"alg":"NONE"})", failure_reason::alg_not_allowed, "NONE"},
        {R"({"alg":"nOnE"})", failure_reason::alg_not_allowed, "nOnE"},
        {R"({"alg":""})", failure_reason::alg_not_allowed, "empty alg"},
        {R"({"alg":"HS256"})", failure_reason::alg_not_allowed, "HS256"},
        {R"({"alg":"RS256"})", failure_reason::alg_not_allowed, "RS256"},
        {R"({"alg":"PS256"})", failure_reason::alg_not_allowed, "PS256"},
        {R"({"alg":"ES384"})", failure_reason::alg_not_allowed, "ES384"},
        {R"({"alg":"ES512"})", failure_reason::alg_not_allowed, "ES512"},
        {R"({"alg":"ES256K"})", failure_reason::alg_not_allowed, "ES256K"},
        {R"({"alg":"EdDSA"})", failure_reason::alg_not_allowed, "EdDSA"},
        {R"({"alg":"es256"})", failure_reason::alg_not_allowed, "lowercase es256"},
        {R"({"alg":"ES256 "})", failure_reason::alg_not_allowed, "trailing space"},
        {R"({"alg":"ES256\u0000"})", failure_reason::alg_not_allowed, "escaped NUL"},
    }));
    CAPTURE(why, json);
    jws::header_parser parser;
    jws::jose_header header;
    CHECK(parser.parse(json, header) == expected);
}

TEST_CASE("header parser accepts 64 nesting levels", "[jws]") {
    jws::header_parser parser;
    jws::jose_header header;
    const std::string json = "{\"alg\":\"ES256\",\"x\":" + nested_arrays(63) + "}";
    CHECK(parser.parse(json, header) == failure_reason::ok);
}

TEST_CASE("header parser reuses buffers across calls", "[jws]") {
    jws::header_parser parser;
    jws::jose_header header;
    const std::string large =
        R"({"alg":"ES256","kid":")" + std::string(10000, 'k') + R"(","typ":"JWT"})";
    REQUIRE(parser.parse(large, header) == failure_reason::ok);
    CHECK(header.kid.size() == 10000u);
    REQUIRE(parser.parse(R"({"alg":"HS256"})", header) == failure_reason::alg_not_allowed);
    CHECK_FALSE(header.has_kid);
    REQUIRE(parser.parse(R"({"alg":"ES256","kid":"k2"})", header) == failure_reason::ok);
    CHECK(header.kid == "k2");
    CHECK_FALSE(header.has_typ);
}
