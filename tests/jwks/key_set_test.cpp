#include "jwks/key_set.hpp"

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <unistd.h>

#include "common/run_error.hpp"
#include "jws/base64url.hpp"
#include "jws/es256_signer.hpp"

namespace jwks = jwtbatch::jwks;
namespace jws = jwtbatch::jws;
using jwtbatch::common::run_error;

namespace {

// The P-256 public key of RFC 7515 appendix A.3, which has no "kid".
constexpr const char* rfc7515_x = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU";
constexpr const char* rfc7515_y = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0";

std::string ec_member(const std::string& kid_member, const std::string& x, const std::string& y,
                      const std::string& extra = "") {
    return "{\"kty\":\"EC\",\"crv\":\"P-256\"," + kid_member + "\"x\":\"" + x + "\",\"y\":\"" + y
           + "\"" + extra + "}";
}

std::string signer_member(const jws::es256_signer& signer, const std::string& kid,
                          const std::string& extra = "") {
    return ec_member("\"kid\":\"" + kid + "\",",
                     jws::encode_base64url(signer.x()),
                     jws::encode_base64url(signer.y()),
                     extra);
}

std::string jwks_of(const std::vector<std::string>& members) {
    std::string out = "{\"keys\":[";
    for (size_t i = 0; i < members.size(); ++i) {
        out += (i > 0 ? "," : "") + members[i];
    }
    return out + "]}";
}

std::string error_of(const std::string& json, const std::string& source = "keys.json") {
    try {
        (void)jwks::parse_jwks(json, source);
    } catch (const run_error& error) {
        return error.what();
    }
    return "no error";
}

} // namespace

TEST_CASE("parse_jwks loads RFC 7515 key without kid", "[jwks]") {
    auto set = jwks::parse_jwks(jwks_of({ec_member("", rfc7515_x, rfc7515_y)}), "rfc.json");
    REQUIRE(set.size() == 1);
    REQUIRE(set.only_key() != nullptr);
    CHECK(set.only_key()->kid().empty());
    CHECK(set.find("") == set.only_key());
    CHECK(set.find("k1") == nullptr);
}

TEST_CASE("key set finds key by kid", "[jwks]") {
    jws::es256_signer first;
    jws::es256_signer second;
    auto set = jwks::parse_jwks(
        jwks_of({signer_member(first, "k1"), signer_member(second, "k2")}), "keys.json");
    REQUIRE(set.size() == 2);
    REQUIRE(set.find("k1") != nullptr);
    REQUIRE(set.find("k2") != nullptr);
    CHECK(set.find("k1")->x() == first.x());
    CHECK(set.find("k2")->y() == second.y());
    CHECK(set.find("k3") == nullptr);
    CHECK(set.find("") == nullptr);
    CHECK(set.only_key() == nullptr);
    CHECK(set.kids() == std::vector<std::string>{"k1", "k2"});
    CHECK(set.describe_kids(1) == "\"k1\" and 1 more");
}

TEST_CASE("parse_jwks skips unusable members", "[jwks]") {
    jws::es256_signer good;
    jws::es256_signer other;
    std::string x = jws::encode_base64url(other.x());
    std::string y = jws::encode_base64url(other.y());
    auto off_curve_y = other.y();
    off_curve_y[31] ^= 1;
    std::string short_x = x.substr(0, 40);
    struct row {
        const char* name;
        std::string member;
    };
    std::vector<row> rows = {
        {"RSA key", R"({"kty":"RSA","kid":"r","n":"AQAB","e":"AQAB"})"},
        {"oct key", R"({"kty":"oct","kid":"s","k":"c2VjcmV0"})"},
        {"P-384 curve", R"({"kty":"EC","crv":"P-384","kid":"p","x":")" + x + "\",\"y\":\"" + y + "\"}"},
        {"short x", ec_member("\"kid\":\"a\",", short_x, y)},
        {"padded x", ec_member("\"kid\":\"a\",", x + "=", y)},
        {"33-byte y", ec_member("\"kid\":\"a\",", x, y + "AA")},
        {"off-curve point",
         ec_member("\"kid\":\"a\",", x, jws::encode_base64url(off_curve_y))},
        {"use enc", signer_member(other, "a", ",\"use\":\"enc\"")},
        {"alg RS256", signer_member(other, "a", ",\"alg\":\"RS256\"")},
        {"key_ops without verify", signer_member(other, "a", ",\"key_ops\":[\"encrypt\"]")},
        {"numeric kid", ec_member("\"kid\":7,", x, y)},
        {"missing y", R"({"kty":"EC","crv":"P-256","kid":"a","x":")" + x + "\"}"},
        {"not an object", "\"just a string\""},
    };
    for (const auto& item : rows) {
        CAPTURE(item.name);
        auto set = jwks::parse_jwks(jwks_of({item.member, signer_member(good, "good")}),
                                    "keys.json");
        CHECK(set.size() == 1);
        CHECK(set.find("good") != nullptr);
        CHECK(set.find("a") == nullptr);
    }
}

TEST_CASE("parse_jwks accepts ES256 sig key with d", "[jwks]") {
    jws::es256_signer signer;
    std::string d = jws::encode_base64url(signer.d());
    auto set = jwks::parse_jwks(
        jwks_of({signer_member(signer,
                               "k1",
                               ",\"use\":\"sig\",\"alg\":\"ES256\",\"key_ops\":[\"verify\"],\"d\":\""
                                   + d + "\"")}),
        "keys.json");
    REQUIRE(set.find("k1") != nullptr);
    CHECK(set.find("k1")->x() == signer.x());
}

TEST_CASE("parse_jwks rejects documents that are not JWK Sets", "[jwks]") {
    CHECK(error_of("{\"keys\": [") .find("invalid JWKS in keys.json: malformed JSON") == 0);
    CHECK(error_of("{\"key\": []}")
          == "invalid JWKS in keys.json: no \"keys\" array: check that the file is a JWK Set "
             "(RFC 7517)");
    CHECK(error_of("[1, 2]").find("no \"keys\" array") != std::string::npos);
    CHECK(error_of("{\"keys\": {}}").find("no \"keys\" array") != std::string::npos);
    CHECK(error_of("{\"keys\": []}").find("invalid JWKS in keys.json: no usable key (0 skipped")
          == 0);
    CHECK(error_of(jwks_of({R"({"kty":"RSA","n":"AQAB","e":"AQAB"})"}))
              .find("no usable key (1 skipped")
          != std::string::npos);
}

TEST_CASE("key set rejects one kid for two keys", "[jwks]") {
    jws::es256_signer first;
    jws::es256_signer second;
    std::string message =
        error_of(jwks_of({signer_member(first, "k1"), signer_member(second, "k1")}));
    CHECK(message.find("conflicting keys in keys.json: kid \"k1\"") == 0);

    auto set = jwks::parse_jwks(jwks_of({signer_member(first, "k1"), signer_member(first, "k1")}),
                                "keys.json");
    CHECK(set.size() == 1);

    jwks::key_set merged = set;
    auto archive = jwks::parse_jwks(
        jwks_of({signer_member(first, "k1"), signer_member(second, "old")}), "archive.json");
    merged.merge(archive, "archive.json");
    CHECK(merged.size() == 2);
    CHECK(merged.kids() == std::vector<std::string>{"k1", "old"});

    auto rotated = jwks::parse_jwks(jwks_of({signer_member(second, "k1")}), "live.json");
    try {
        merged.merge(rotated, "live.json");
        FAIL("merge accepted a second key for kid k1");
    } catch (const run_error& error) {
        CHECK(std::string(error.what()).find("conflicting keys in live.json: kid \"k1\"") == 0);
    }
    CHECK(merged.size() == 2);
    CHECK(merged.find("k1")->x() == first.x());
}

TEST_CASE("parse_jwks loads 10000 keys and skips bad ones", "[jwks]") {
    constexpr int key_count = 10'000;
    jws::es256_signer signer;
    std::string x = jws::encode_base64url(signer.x());
    std::string y = jws::encode_base64url(signer.y());
    auto off_curve_y = signer.y();
    off_curve_y[0] ^= 0x80;
    std::string bad_y = jws::encode_base64url(off_curve_y);
    std::vector<std::string> members;
    members.reserve(key_count + 2);
    // One point under many kids keeps the test fast while the set still contains 10,000 entries.
    for (int i = 0; i < key_count; ++i) {
        members.push_back(ec_member("\"kid\":\"key-" + std::to_string(i) + "\",", x, y));
    }
    members.push_back(ec_member("\"kid\":\"off-curve\",", x, bad_y));
    members.push_back(R"({"kty":"EC","crv":"P-521","kid":"wrong-curve","x":")" + x + "\",\"y\":\""
                      + y + "\"}");
    auto set = jwks::parse_jwks(jwks_of(members), "big.json");
    CHECK(set.size() == key_count);
    for (int i = 0; i < key_count; i += 997) {
        CAPTURE(i);
        REQUIRE(set.find("key-" + std::to_string(i)) != nullptr);
    }
    CHECK(set.find("key-9999") != nullptr);
    CHECK(set.find("key-10000") == nullptr);
    CHECK(set.find("off-curve") == nullptr);
    CHECK(set.find("wrong-curve") == nullptr);
    CHECK(set.kids().front() == "key-0");
    CHECK(set.kids().back() == "key-9999");
}

TEST_CASE("load_jwks_file reads file and names missing path", "[jwks]") {
    jws::es256_signer signer;
    auto path = std::filesystem::temp_directory_path()
                / ("jwtbatch-key-set-" + std::to_string(::getpid()) + ".json");
    {
        std::ofstream file(path);
        file << jwks_of({signer_member(signer, "k1")});
    }
    auto set = jwks::load_jwks_file(path.string());
    std::filesystem::remove(path);
    CHECK(set.find("k1") != nullptr);
    try {
        (void)jwks::load_jwks_file(path.string());
        FAIL("a missing file was loaded");
    } catch (const run_error& error) {
        CHECK(std::string(error.what()).find("cannot read JWKS file " + path.string()) == 0);
    }
}
