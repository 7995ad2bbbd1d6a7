// Runs every case of Wycheproof's ECDSA P-256 SHA-256 file with IEEE P1363 (r||s) signatures
// through the plain EVP verifier.
#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <simdjson.h>

#include "es256_test_support.hpp"
#include "jws/es256_key.hpp"
#include "jws/evp_verifier.hpp"
#include "support/vectors.hpp"

namespace jws = jwtbatch::jws;
using jwtbatch::test::decode_hex;

namespace {

constexpr std::string_view vector_file = "ecdsa_secp256r1_sha256_p1363_test.json";

std::string_view field(simdjson::dom::element object, const char* name) {
    std::string_view value;
    REQUIRE(object[name].get(value) == simdjson::SUCCESS);
    return value;
}

// Builds the group's key from its uncompressed SEC 1 point (04 || x || y, in hex).
std::shared_ptr<const jws::es256_key> group_key(simdjson::dom::element group) {
    simdjson::dom::element public_key;
    REQUIRE(group["publicKey"].get(public_key) == simdjson::SUCCESS);
    const auto point = decode_hex(field(public_key, "uncompressed"));
    REQUIRE(point);
    REQUIRE(point->size() == 65);
    REQUIRE((*point)[0] == 0x04);
    std::array<std::uint8_t, 32> x{};
    std::array<std::uint8_t, 32> y{};
    std::copy(point->begin() + 1, point->begin() + 33, x.begin());
    std::copy(point->begin() + 33, point->end(), y.begin());
    return jws::es256_key::from_affine("", x, y);
}

// Returns the verifier's verdict. A signature that is not exactly 64 bytes never reaches the
// verifier, because `signature_job` has room for exactly 64 bytes. It counts as rejected here,
// as the pipeline returns `bad_signature` for it before verification.
bool verdict_of(const jws::signature_verifier& verifier,
                const jws::es256_key& key,
                simdjson::dom::element test) {
    const auto message = decode_hex(field(test, "msg"));
    const auto signature = decode_hex(field(test, "sig"));
    REQUIRE(message);
    REQUIRE(signature);
    if (signature->size() != 64) {
        return false;
    }
    std::array<std::uint8_t, 64> raw{};
    std::copy(signature->begin(), signature->end(), raw.begin());
    const std::string message_text(message->begin(), message->end());
    return jwtbatch::test::verify_single(verifier,
                                         jwtbatch::test::make_job(&key, message_text, raw));
}

} // namespace

TEST_CASE("wycheproof p1363 verdicts match evp verifier", "[jws]") {
    const auto text = jwtbatch::test::read_vector_file(vector_file);
    if (!text) {
        return;
    }
    simdjson::dom::parser parser;
    simdjson::dom::element document;
    REQUIRE(parser.parse(*text).get(document) == simdjson::SUCCESS);
    simdjson::dom::array groups;
    REQUIRE(document["testGroups"].get(groups) == simdjson::SUCCESS);

    const jws::evp_verifier verifier;
    std::map<std::string, int> count_by_result;
    int short_signatures = 0;
    for (simdjson::dom::element group : groups) {
        REQUIRE(field(group, "sha") == "SHA-256");
        const auto key = group_key(group);
        simdjson::dom::array tests;
        REQUIRE(group["tests"].get(tests) == simdjson::SUCCESS);
        for (simdjson::dom::element test : tests) {
            std::int64_t id = 0;
            REQUIRE(test["tcId"].get(id) == simdjson::SUCCESS);
            const std::string result(field(test, "result"));
            CAPTURE(id, result, field(test, "comment"));
            ++count_by_result[result];
            if (field(test, "sig").size() != 128) {
                ++short_signatures;
            }
            const bool is_valid = verdict_of(verifier, *key, test);
            // "acceptable" marks inputs that a verifier may either accept or reject; any verdict
            // passes for them. This version of the file has none, which the counts below check.
            if (result == "valid") {
                CHECK(is_valid);
            } else if (result == "invalid") {
                CHECK_FALSE(is_valid);
            } else {
                CHECK(result == "acceptable");
            }
        }
    }
    std::int64_t declared_count = 0;
    REQUIRE(document["numberOfTests"].get(declared_count) == simdjson::SUCCESS);
    CHECK(declared_count == 262);
    CHECK(count_by_result["valid"] + count_by_result["invalid"] + count_by_result["acceptable"]
          == 262);
    CHECK(count_by_result["valid"] == 173);
    CHECK(count_by_result["invalid"] == 89);
    CHECK(count_by_result["acceptable"] == 0);
    CHECK(short_signatures == 21);
}
