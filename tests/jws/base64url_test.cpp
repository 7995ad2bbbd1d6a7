#include "jws/base64url.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "support/byte_sweep.hpp"

namespace jws = jwtbatch::jws;

namespace {

constexpr std::string_view url_alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::span<const std::uint8_t> as_bytes(std::string_view text) {
    return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

std::optional<size_t> decode_into(std::string_view encoded, std::vector<std::uint8_t>& out) {
    return jws::decode_base64url(encoded, out);
}

} // namespace

TEST_CASE("base64url decodes RFC 4648 vectors", "[jws]") {
    // RFC 4648 section 10 test vectors, without their '=' padding.
    const auto [encoded, decoded] = GENERATE(table<std::string, std::string>({
        {"", ""},
        {"Zg", "f"},
        {"Zm8", "fo"},
        {"Zm9v", "foo"},
        {"Zm9vYg", "foob"},
        {"Zm9vYmE", "fooba"},
        {"Zm9vYmFy", "foobar"},
    }));
    CAPTURE(encoded);
    const auto result = jws::decode_base64url_to_string(encoded);
    REQUIRE(result.has_value());
    CHECK(*result == decoded);
    CHECK(jws::encode_base64url(as_bytes(decoded)) == encoded);
}

TEST_CASE("base64url decodes url alphabet characters", "[jws]") {
    // '-' is 62, '_' is 63 and '8' is 60, whose two low bits are zero.
    std::vector<std::uint8_t> out(2);
    const auto size = decode_into("-_8", out);
    REQUIRE(size == 2u);
    CHECK(out[0] == 0xfb);
    CHECK(out[1] == 0xff);
    CHECK(jws::encode_base64url(out) == "-_8");
}

TEST_CASE("base64url round trips every length", "[jws]") {
    for (size_t length = 0; length <= 70; ++length) {
        CAPTURE(length);
        std::vector<std::uint8_t> bytes(length);
        for (size_t i = 0; i < length; ++i) {
            bytes[i] = static_cast<std::uint8_t>(i * 37 + length * 11 + 250);
        }
        const std::string encoded = jws::encode_base64url(bytes);
        CHECK(jws::is_base64url_alphabet(encoded));
        CHECK(jws::base64url_decoded_size(encoded.size()) == length);
        std::vector<std::uint8_t> out(length);
        REQUIRE(jws::decode_base64url(encoded, out) == length);
        CHECK(out == bytes);
    }
}

TEST_CASE("base64url decode rejects invalid input", "[jws]") {
    const auto [encoded, why] = GENERATE(table<std::string, std::string>({
        {"Zg==", "padding"},
        {"Zm8=", "padding"},
        {"Zg=", "padding in a three character tail"},
        {"Zm9v====", "padding after a full group"},
        {"+/8", "standard base64 characters"},
        {"ab+c", "standard base64 plus"},
        {"ab/c", "standard base64 slash"},
        {"A", "length 1 mod 4"},
        {"AAAAA", "length 5"},
        {"AB", "non-zero trailing bits in a two character tail"},
        {"AR", "non-zero trailing bits in a two character tail"},
        {"AAB", "non-zero trailing bits in a three character tail"},
        {"Zm9", "non-zero trailing bits after a full group"},
        {"Zm 9", "space"},
        {"Zm9v\n", "newline"},
        {std::string("Zm\0v", 4), "NUL byte"},
        {"Zm\xc3\xa9", "non-ASCII bytes"},
        {"Zm9.", "dot"},
    }));
    CAPTURE(encoded, why);
    CHECK_FALSE(jws::decode_base64url_to_string(encoded).has_value());
    std::vector<std::uint8_t> out(16);
    CHECK_FALSE(decode_into(encoded, out).has_value());
}

TEST_CASE("base64url decode accepts zero trailing bits", "[jws]") {
    const auto [encoded, expected] = GENERATE(table<std::string, std::vector<std::uint8_t>>({
        {"AA", {0x00}},
        {"AQ", {0x01}},
        {"AAA", {0x00, 0x00}},
        {"AAE", {0x00, 0x01}},
    }));
    CAPTURE(encoded);
    std::vector<std::uint8_t> out(expected.size());
    REQUIRE(decode_into(encoded, out) == expected.size());
    CHECK(out == expected);
}

TEST_CASE("base64url decode checks every tail combination", "[jws]") {
    // Exhaustive over both tail lengths: a tail is accepted exactly when its unused low bits are
    // zero, and then it is the canonical encoding of what it decodes to.
    std::array<std::uint8_t, 2> out{};
    for (char first : url_alphabet) {
        for (char second : url_alphabet) {
            const std::string two{first, second};
            const auto two_size = jws::decode_base64url(two, out);
            const bool two_canonical = (url_alphabet.find(second) & 0x0f) == 0;
            CAPTURE(two);
            CHECK(two_size.has_value() == two_canonical);
            if (two_size) {
                CHECK(jws::encode_base64url(std::span(out.data(), 1)) == two);
            }
            const std::string three{'Q', first, second};
            const auto three_size = jws::decode_base64url(three, out);
            const bool three_canonical = (url_alphabet.find(second) & 0x03) == 0;
            CAPTURE(three);
            CHECK(three_size.has_value() == three_canonical);
            if (three_size) {
                CHECK(jws::encode_base64url(out) == three);
            }
        }
    }
}

TEST_CASE("base64url decode rejects every non-alphabet byte", "[jws]") {
    std::array<std::uint8_t, 3> out{};
    for (int byte = 0; byte < 256; ++byte) {
        const char c = static_cast<char>(byte);
        const bool in_alphabet = url_alphabet.find(c) != std::string_view::npos;
        CAPTURE(byte);
        for (size_t position = 0; position < 4; ++position) {
            std::string encoded = "AAAA";
            encoded[position] = c;
            CHECK(jws::decode_base64url(encoded, out).has_value() == in_alphabet);
        }
        CHECK(jws::is_base64url_alphabet(std::string(1, c)) == in_alphabet);
    }
}

TEST_CASE("base64url decode rejects small output buffer", "[jws]") {
    std::array<std::uint8_t, 2> out{};
    CHECK_FALSE(jws::decode_base64url("Zm9v", out).has_value());
    CHECK(jws::decode_base64url("Zm8", out) == 2u);
}

TEST_CASE("base64url decode accepts empty input", "[jws]") {
    std::span<std::uint8_t> nothing;
    CHECK(jws::decode_base64url("", nothing) == 0u);
    CHECK(jws::decode_base64url_to_string("") == std::string());
    CHECK(jws::is_base64url_alphabet(""));
    CHECK(jws::encode_base64url({}).empty());
}

TEST_CASE("base64url decoded size follows length", "[jws]") {
    const auto [length, expected] = GENERATE(table<size_t, std::optional<size_t>>({
        {0, 0},
        {1, std::nullopt},
        {2, 1},
        {3, 2},
        {4, 3},
        {5, std::nullopt},
        {86, 64},
        {87, 65},
    }));
    CAPTURE(length);
    CHECK(jws::base64url_decoded_size(length) == expected);
}

namespace {

/// Decodes by the RFC 4648 rule one character at a time: a bit accumulator, no padding, and
/// zero unused bits at the end. Returns false where `decode_base64url` must fail.
bool reference_decode(std::string_view encoded, std::vector<std::uint8_t>& out) {
    out.clear();
    std::uint32_t bits = 0;
    int bit_count = 0;
    for (char c : encoded) {
        const size_t value = url_alphabet.find(c);
        if (value == std::string_view::npos) {
            return false;
        }
        bits = bits << 6 | static_cast<std::uint32_t>(value);
        bit_count += 6;
        if (bit_count >= 8) {
            bit_count -= 8;
            out.push_back(static_cast<std::uint8_t>(bits >> bit_count));
            bits &= (1u << bit_count) - 1;
        }
    }
    // Six leftover bits mean a length of 1 mod 4, and other leftovers must be zero.
    return bit_count < 6 && bits == 0;
}

} // namespace

TEST_CASE("base64url decode matches reference for every byte", "[jws]") {
    // The output buffer is larger than needed, and the bytes past the decoded size must stay
    // untouched.
    constexpr std::uint8_t spare = 0xa5;
    size_t accepted = 0;
    std::vector<std::uint8_t> expected;
    std::vector<std::uint8_t> actual(64);
    const auto make_base = [](size_t length) {
        std::string base(length, 'A');
        for (size_t i = 0; i < length; ++i) {
            base[i] = url_alphabet[(i * 11 + length) % url_alphabet.size()];
        }
        return base;
    };
    const auto is_same = [&](const std::string& encoded) {
        const bool expected_ok = reference_decode(encoded, expected);
        accepted += expected_ok ? 1 : 0;
        std::fill(actual.begin(), actual.end(), spare);
        const auto size = jws::decode_base64url(encoded, actual);
        if (size.has_value() != expected_ok) {
            return false;
        }
        if (size
            && (*size != expected.size()
                || !std::equal(expected.begin(), expected.end(), actual.begin()))) {
            return false;
        }
        // A failed decode may have written up to the decoded size, but no further.
        const size_t written = jws::base64url_decoded_size(encoded.size()).value_or(0);
        return std::all_of(actual.begin() + static_cast<std::ptrdiff_t>(written),
                           actual.end(),
                           [&](std::uint8_t value) { return value == spare; });
    };
    const auto result = jwtbatch::test::sweep_every_byte(64, make_base, is_same);
    CAPTURE(result.first_mismatch);
    CHECK(result.mismatches == 0);
    CHECK(accepted > 10'000);
}
