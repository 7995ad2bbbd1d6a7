#include "jws/es256_key.hpp"

#include <array>
#include <cstdint>
#include <stdexcept>
#include <string>

#include <catch2/catch.hpp>

#include "jws/base64url.hpp"

namespace jws = jwtbatch::jws;

namespace {

std::array<std::uint8_t, 32> decode_coordinate(std::string_view encoded) {
    std::array<std::uint8_t, 32> bytes{};
    const auto length = jws::decode_base64url(encoded, bytes);
    if (length != 32) {
        throw std::invalid_argument("test coordinate is not 32 bytes of base64url");
    }
    return bytes;
}

// The public key of the ES256 example in RFC 7515, appendix A.3.1.
const std::array<std::uint8_t, 32> example_x =
    decode_coordinate("f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU");
const std::array<std::uint8_t, 32> example_y =
    decode_coordinate("x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0");

std::string rejection_message(const std::array<std::uint8_t, 32>& x,
                              const std::array<std::uint8_t, 32>& y) {
    try {
        (void)jws::es256_key::from_affine("k", x, y);
    } catch (const std::invalid_argument& error) {
        return error.what();
    }
    return "accepted";
}

} // namespace

TEST_CASE("es256 key accepts rfc 7515 key", "[jws]") {
    const auto key = jws::es256_key::from_affine("example", example_x, example_y);
    REQUIRE(key != nullptr);
    CHECK(key->kid() == "example");
    CHECK(key->x() == example_x);
    CHECK(key->y() == example_y);
    CHECK(key->evp_key() != nullptr);
}

TEST_CASE("es256 key rejects point off curve", "[jws]") {
    std::array<std::uint8_t, 32> y = example_y;
    y[31] ^= 0x01;
    CHECK(rejection_message(example_x, y) == "point is not on P-256");
}

TEST_CASE("es256 key rejects point at infinity", "[jws]") {
    const std::array<std::uint8_t, 32> zero{};
    CHECK(rejection_message(zero, zero) == "point is the point at infinity");
}

TEST_CASE("es256 key rejects coordinate above prime", "[jws]") {
    std::array<std::uint8_t, 32> all_ones{};
    all_ones.fill(0xff);
    CHECK(rejection_message(all_ones, example_y) == "point is not on P-256");
    CHECK(rejection_message(example_x, all_ones) == "point is not on P-256");
}

TEST_CASE("es256 key compares points and ids", "[jws]") {
    const auto first = jws::es256_key::from_affine("a", example_x, example_y);
    const auto second = jws::es256_key::from_affine("b", example_x, example_y);
    CHECK(first->same_point(*second));
    CHECK(first->instance_id() != second->instance_id());
    CHECK(first->instance_id() != 0);
}
