#include "jws/es256_signer.hpp"

#include <array>
#include <cstdint>
#include <stdexcept>
#include <string>

#include <catch2/catch.hpp>
#include <simdjson.h>

#include "es256_test_support.hpp"
#include "jws/base64url.hpp"
#include "jws/es256_key.hpp"
#include "jws/evp_verifier.hpp"

namespace jws = jwtbatch::jws;
using jwtbatch::test::make_job;
using jwtbatch::test::verify_single;

TEST_CASE("es256 signer signs compact tokens", "[jws]") {
    const jws::es256_signer signer;
    const auto key = signer.public_key("k1");
    const std::string token =
        signer.sign_compact(R"({"alg":"ES256","kid":"k1"})", R"({"sub":"a"})");

    const size_t last_dot = token.rfind('.');
    REQUIRE(last_dot != std::string::npos);
    const std::string_view signing_input = std::string_view(token).substr(0, last_dot);
    CHECK(signing_input == "eyJhbGciOiJFUzI1NiIsImtpZCI6ImsxIn0.eyJzdWIiOiJhIn0");
    std::array<std::uint8_t, 64> signature{};
    REQUIRE(jws::decode_base64url(std::string_view(token).substr(last_dot + 1), signature) == 64);
    CHECK(verify_single(jws::evp_verifier(), make_job(key.get(), signing_input, signature)));
}

TEST_CASE("es256 signer makes fresh keys", "[jws]") {
    const jws::es256_signer first;
    const jws::es256_signer second;
    CHECK(first.x() != second.x());
    CHECK(first.d() != second.d());
}

TEST_CASE("es256 signer reloads its key pair", "[jws]") {
    const jws::es256_signer original;
    const std::array<std::uint8_t, 32> d = original.d();
    const jws::es256_signer reloaded(original.x(), original.y(), d);
    CHECK(reloaded.x() == original.x());
    CHECK(reloaded.y() == original.y());
    CHECK(reloaded.d() == d);

    const auto digest = jwtbatch::test::sha256_of("reloaded");
    const auto key = original.public_key("");
    const std::array<std::uint8_t, 64> signature = reloaded.sign_digest(digest);
    jws::signature_job job;
    job.key = key.get();
    job.digest = digest;
    job.signature = signature;
    CHECK(verify_single(jws::evp_verifier(), job));
}

TEST_CASE("es256 signer rejects mismatched pair", "[jws]") {
    const jws::es256_signer first;
    const jws::es256_signer second;
    const std::array<std::uint8_t, 32> d = second.d();
    CHECK_THROWS_AS(jws::es256_signer(first.x(), first.y(), d), std::invalid_argument);
}

TEST_CASE("es256 signer writes jwks json", "[jws]") {
    const jws::es256_signer signer;
    const std::string json = signer.to_jwks_json("key-1");
    simdjson::dom::parser parser;
    simdjson::dom::element jwk;
    REQUIRE(parser.parse(json).at_pointer("/keys/0").get(jwk) == simdjson::SUCCESS);
    std::string_view text;
    REQUIRE(jwk["kty"].get(text) == simdjson::SUCCESS);
    CHECK(text == "EC");
    REQUIRE(jwk["crv"].get(text) == simdjson::SUCCESS);
    CHECK(text == "P-256");
    REQUIRE(jwk["kid"].get(text) == simdjson::SUCCESS);
    CHECK(text == "key-1");
    REQUIRE(jwk["x"].get(text) == simdjson::SUCCESS);
    CHECK(text == jws::encode_base64url(signer.x()));
    REQUIRE(jwk["y"].get(text) == simdjson::SUCCESS);
    CHECK(text == jws::encode_base64url(signer.y()));

    CHECK(signer.to_jwks_json("").find("kid") == std::string::npos);
    CHECK_THROWS_AS(signer.to_jwks_json("a\"b"), std::invalid_argument);
}

TEST_CASE("es256 signer moves its key", "[jws]") {
    jws::es256_signer first;
    const std::array<std::uint8_t, 32> x = first.x();
    jws::es256_signer second(std::move(first));
    CHECK(second.x() == x);
    CHECK_NOTHROW(second.sign_compact("{}", "{}"));
}
