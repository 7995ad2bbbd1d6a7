#include "jws/evp_verifier.hpp"

#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>
#include <simdjson.h>

#include "es256_test_support.hpp"
#include "jws/base64url.hpp"
#include "jws/es256_key.hpp"
#include "jws/es256_signer.hpp"
#include "support/vectors.hpp"

namespace jws = jwtbatch::jws;
using jwtbatch::test::make_job;
using jwtbatch::test::verify_single;

namespace {

// The order n of P-256, big-endian.
constexpr std::array<std::uint8_t, 32> p256_order{
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
};

constexpr std::string_view signing_input = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ0ZXN0In0";

struct signed_sample {
    jws::es256_signer signer;
    std::shared_ptr<const jws::es256_key> key = signer.public_key("test");
    std::array<std::uint8_t, 64> signature =
        signer.sign_digest(jwtbatch::test::sha256_of(signing_input));
};

std::array<std::uint8_t, 32> decode_coordinate(simdjson::dom::element jwk, const char* name) {
    std::array<std::uint8_t, 32> bytes{};
    std::string_view encoded;
    REQUIRE(jwk[name].get(encoded) == simdjson::SUCCESS);
    REQUIRE(jws::decode_base64url(encoded, bytes) == 32);
    return bytes;
}

} // namespace

TEST_CASE("evp verifier accepts valid signature", "[jws]") {
    const signed_sample sample;
    const jws::evp_verifier verifier;
    CHECK(verify_single(verifier, make_job(sample.key.get(), signing_input, sample.signature)));
    CHECK(verifier.name() == "evp");
}

TEST_CASE("evp verifier rejects every bit flip", "[jws]") {
    const signed_sample sample;
    const jws::evp_verifier verifier;
    for (size_t bit = 0; bit < 512; ++bit) {
        std::array<std::uint8_t, 64> flipped = sample.signature;
        flipped[bit / 8] ^= static_cast<std::uint8_t>(1U << (bit % 8));
        CAPTURE(bit);
        CHECK_FALSE(verify_single(verifier, make_job(sample.key.get(), signing_input, flipped)));
    }
}

TEST_CASE("evp verifier rejects changed signing input", "[jws]") {
    const signed_sample sample;
    const jws::evp_verifier verifier;
    const std::string changed = std::string(signing_input) + "A";
    CHECK_FALSE(verify_single(verifier, make_job(sample.key.get(), changed, sample.signature)));
}

TEST_CASE("evp verifier rejects wrong key", "[jws]") {
    const signed_sample sample;
    const jws::es256_signer other;
    const auto other_key = other.public_key("other");
    const jws::evp_verifier verifier;
    CHECK_FALSE(
        verify_single(verifier, make_job(other_key.get(), signing_input, sample.signature)));
    CHECK_FALSE(verify_single(verifier, make_job(nullptr, signing_input, sample.signature)));
}

TEST_CASE("evp verifier rejects out of range scalars", "[jws]") {
    const signed_sample sample;
    const jws::evp_verifier verifier;

    struct row {
        const char* name;
        size_t offset;
        std::array<std::uint8_t, 32> value;
    };

    const std::array<std::uint8_t, 32> zero{};
    const std::vector<row> rows{
        {"r = 0", 0, zero},
        {"s = 0", 32, zero},
        {"r = n", 0, p256_order},
        {"s = n", 32, p256_order},
    };
    for (const row& case_row : rows) {
        std::array<std::uint8_t, 64> signature = sample.signature;
        std::copy(
            case_row.value.begin(), case_row.value.end(), signature.begin() + case_row.offset);
        CAPTURE(case_row.name);
        CHECK_FALSE(verify_single(verifier, make_job(sample.key.get(), signing_input, signature)));
    }
}

TEST_CASE("p256 scalar range is one to n minus one", "[jws]") {
    std::array<std::uint8_t, 32> scalar{};
    CHECK_FALSE(jws::is_p256_scalar_in_range(scalar));
    scalar[31] = 1;
    CHECK(jws::is_p256_scalar_in_range(scalar));
    scalar = p256_order;
    CHECK_FALSE(jws::is_p256_scalar_in_range(scalar));
    scalar[31] -= 1;
    CHECK(jws::is_p256_scalar_in_range(scalar));
    scalar.fill(0xff);
    CHECK_FALSE(jws::is_p256_scalar_in_range(scalar));
}

TEST_CASE("evp verifier judges batch jobs independently", "[jws]") {
    const signed_sample first;
    const signed_sample second;
    std::array<std::uint8_t, 64> flipped = second.signature;
    flipped[40] ^= 0x10;
    std::vector<jws::signature_job> jobs{
        make_job(first.key.get(), signing_input, first.signature),
        make_job(second.key.get(), signing_input, flipped),
        make_job(second.key.get(), signing_input, second.signature),
        make_job(first.key.get(), signing_input, second.signature),
    };
    jws::evp_verifier().verify(jobs);
    CHECK(jobs[0].is_valid);
    CHECK_FALSE(jobs[1].is_valid);
    CHECK(jobs[2].is_valid);
    CHECK_FALSE(jobs[3].is_valid);
}

TEST_CASE("evp verifier handles more keys than cached", "[jws]") {
    // More keys than the per-thread context cache holds, visited twice, so contexts are evicted
    // and created again.
    std::vector<signed_sample> samples(20);
    const jws::evp_verifier verifier;
    for (int round = 0; round < 2; ++round) {
        for (const signed_sample& sample : samples) {
            CHECK(verify_single(verifier,
                                make_job(sample.key.get(), signing_input, sample.signature)));
        }
    }
}

TEST_CASE("evp verifier accepts rfc 7515 token", "[jws]") {
    const auto token = jwtbatch::test::read_vector_file("rfc7515-a3/token.txt");
    const auto jwks = jwtbatch::test::read_vector_file("rfc7515-a3/jwks.json");
    if (!token || !jwks) {
        return;
    }
    simdjson::dom::parser parser;
    simdjson::dom::element document;
    REQUIRE(parser.parse(*jwks).get(document) == simdjson::SUCCESS);
    simdjson::dom::element jwk;
    REQUIRE(document["keys"].at(0).get(jwk) == simdjson::SUCCESS);
    const auto key =
        jws::es256_key::from_affine("", decode_coordinate(jwk, "x"), decode_coordinate(jwk, "y"));

    std::string_view text = *token;
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) {
        text.remove_suffix(1);
    }
    const size_t last_dot = text.rfind('.');
    REQUIRE(last_dot != std::string_view::npos);
    std::array<std::uint8_t, 64> signature{};
    REQUIRE(jws::decode_base64url(text.substr(last_dot + 1), signature) == 64);

    const jws::evp_verifier verifier;
    const std::string_view input = text.substr(0, last_dot);
    CHECK(verify_single(verifier, make_job(key.get(), input, signature)));
    signature[63] ^= 0x01;
    CHECK_FALSE(verify_single(verifier, make_job(key.get(), input, signature)));
}

TEST_CASE("verifier kind parses evp and fast", "[jws]") {
    CHECK(jws::parse_verifier_kind("evp") == jws::verifier_kind::evp);
    CHECK(jws::parse_verifier_kind("fast") == jws::verifier_kind::fast);
    CHECK_FALSE(jws::parse_verifier_kind("EVP").has_value());
    CHECK_FALSE(jws::parse_verifier_kind("").has_value());
}

TEST_CASE("evp verifier runs on several threads", "[jws]") {
    // Each thread builds its own context cache; verdicts must not depend on the thread.
    const signed_sample sample;
    std::array<std::uint8_t, 64> flipped = sample.signature;
    flipped[0] ^= 0x80;
    const jws::evp_verifier verifier;
    // Catch2 assertions are not thread-safe, so the jobs are built here and copied per thread.
    const std::array<jws::signature_job, 2> template_jobs{
        make_job(sample.key.get(), signing_input, sample.signature),
        make_job(sample.key.get(), signing_input, flipped),
    };
    std::atomic<int> wrong_verdicts{0};
    std::vector<std::thread> threads;
    for (int thread = 0; thread < 4; ++thread) {
        threads.emplace_back([&] {
            std::array<jws::signature_job, 2> jobs = template_jobs;
            for (int round = 0; round < 50; ++round) {
                verifier.verify(jobs);
                if (!jobs[0].is_valid || jobs[1].is_valid) {
                    ++wrong_verdicts;
                }
            }
        });
    }
    for (std::thread& thread : threads) {
        thread.join();
    }
    CHECK(wrong_verdicts == 0);
}
