#include "jws/compact.hpp"

#include <string>

#include <catch2/catch.hpp>

namespace jws = jwtbatch::jws;

TEST_CASE("compact split returns views of three parts", "[jws]") {
    const std::string token = "eyJh.eyJi.c2ln";
    jws::compact_parts parts;
    REQUIRE(jws::split_compact(token, parts) == jws::failure_reason::ok);
    CHECK(parts.header == "eyJh");
    CHECK(parts.payload == "eyJi");
    CHECK(parts.signature == "c2ln");
    CHECK(parts.signing_input == "eyJh.eyJi");
    // The views point into the token: nothing is copied.
    CHECK(parts.header.data() == token.data());
    CHECK(parts.payload.data() == token.data() + 5);
    CHECK(parts.signature.data() == token.data() + 10);
    CHECK(parts.signing_input.data() == token.data());
}

TEST_CASE("compact split rejects malformed tokens", "[jws]") {
    const auto [token, why] = GENERATE(table<std::string, std::string>({
        {"", "empty"},
        {"abc", "no dot"},
        {"a.b", "one dot"},
        {"a.b.c.d", "three dots"},
        {"a.b.c.", "three dots, trailing"},
        {".b.c", "empty header"},
        {"a..c", "empty payload"},
        {"a.b.", "empty signature"},
        {"..", "all parts empty"},
        {"a.b.c ", "trailing space"},
        {" a.b.c", "leading space"},
        {"a.b.c\n", "trailing newline"},
        {"a.b.c\r", "trailing carriage return"},
        {"a\tb.c.d", "tab"},
        {std::string("a.b\0.c", 6), "NUL byte"},
        {std::string("a.b.c\0", 6), "trailing NUL byte"},
        {"a.b.c\xc3\xa9", "non-ASCII bytes"},
        {"a.b.c\"", "quote"},
        {"a.b.c~", "tilde"},
    }));
    CAPTURE(token, why);
    jws::compact_parts parts;
    parts.header = "unchanged";
    CHECK(jws::split_compact(token, parts) == jws::failure_reason::malformed);
    CHECK(parts.header == "unchanged");
}

TEST_CASE("compact split leaves padding to decoding", "[jws]") {
    // '=', '+' and '/' are base64 characters that decoding reports as bad_base64.
    const auto token = GENERATE(as<std::string>{}, "ab==.cd.ef", "a+.b/.c", "a.b.c=");
    CAPTURE(token);
    jws::compact_parts parts;
    CHECK(jws::split_compact(token, parts) == jws::failure_reason::ok);
}
