#include "jws/compact.hpp"

#include <string>
#include <string_view>
#include <vector>

#include <catch2/catch.hpp>

#include "support/byte_sweep.hpp"

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

namespace {

/// Splits `token` by the rule of `split_compact`, written as plainly as possible: two dots,
/// three non-empty parts, and no byte outside base64url, '=', '+' and '/'.
bool reference_split(std::string_view token, jws::compact_parts& out) {
    constexpr std::string_view part_bytes =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=+/";
    std::vector<size_t> dots;
    for (size_t i = 0; i < token.size(); ++i) {
        if (token[i] == '.') {
            dots.push_back(i);
        } else if (part_bytes.find(token[i]) == std::string_view::npos) {
            return false;
        }
    }
    if (dots.size() != 2 || dots[0] == 0 || dots[1] == dots[0] + 1
        || dots[1] == token.size() - 1) {
        return false;
    }
    out.header = token.substr(0, dots[0]);
    out.payload = token.substr(dots[0] + 1, dots[1] - dots[0] - 1);
    out.signature = token.substr(dots[1] + 1);
    out.signing_input = token.substr(0, dots[1]);
    return true;
}

/// Returns true when both splits are views of the same bytes, not only equal text.
bool is_same_split(const jws::compact_parts& left, const jws::compact_parts& right) {
    const auto same_view = [](std::string_view a, std::string_view b) {
        return a.data() == b.data() && a.size() == b.size();
    };
    return same_view(left.header, right.header) && same_view(left.payload, right.payload)
           && same_view(left.signature, right.signature)
           && same_view(left.signing_input, right.signing_input);
}

} // namespace

TEST_CASE("compact split matches reference for every byte", "[jws]") {
    // Two dot layouts, so that the dots and the byte under test fall in different lanes.
    constexpr std::string_view filler =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=+/";
    size_t accepted = 0;
    const auto is_same = [&](const std::string& token) {
        jws::compact_parts expected;
        jws::compact_parts actual;
        const bool expected_ok = reference_split(token, expected);
        const bool actual_ok = jws::split_compact(token, actual) == jws::failure_reason::ok;
        accepted += expected_ok ? 1 : 0;
        return expected_ok == actual_ok && (!expected_ok || is_same_split(actual, expected));
    };
    for (size_t layout = 0; layout < 2; ++layout) {
        const auto make_base = [&](size_t length) {
            std::string base(length, 'A');
            for (size_t i = 0; i < length; ++i) {
                base[i] = filler[(i * 7 + length + layout * 13) % filler.size()];
            }
            if (length >= 3) {
                base[layout == 0 ? length / 3 : 1] = '.';
                base[layout == 0 ? 2 * length / 3 : length - 2] = '.';
            }
            return base;
        };
        const auto result = jwtbatch::test::sweep_every_byte(64, make_base, is_same);
        CAPTURE(layout, result.first_mismatch);
        CHECK(result.mismatches == 0);
    }
    // Most inputs keep their two dots and a valid byte, so both outcomes are compared.
    CHECK(accepted > 100'000);
}
