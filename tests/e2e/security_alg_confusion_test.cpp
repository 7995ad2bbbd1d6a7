// Algorithm confusion, key injection and malformed ECDSA signatures through the binary: none of
// these tokens may be valid, and each gets the exact reason that the README's table gives.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <string>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

#include <catch2/catch.hpp>
#include <openssl/evp.h>

#include "jws/es256_key.hpp"
#include "jws/es256_signer.hpp"
#include "support/csv.hpp"
#include "support/jose_builder.hpp"
#include "support/process.hpp"

using namespace jwtbatch::test;
using jwtbatch::jws::es256_signer;

namespace {

constexpr const char* payload_json = R"({"cid":"1","iat":1700000000})";
constexpr const char* evaluation_time = "1700000100";

/// The order n of P-256, big-endian (SEC 2, section 2.4.2).
const std::string p256_order("\xff\xff\xff\xff\x00\x00\x00\x00\xff\xff\xff\xff\xff\xff\xff\xff"
                             "\xbc\xe6\xfa\xad\xa7\x17\x9e\x84\xf3\xb9\xca\xc2\xfc\x63\x25\x51",
                             32);

std::string jwk_json(const es256_signer& signer, const std::string& kid) {
    return R"({"kty":"EC","crv":"P-256","kid":")" + kid + R"(","x":")"
           + jwtbatch::jws::encode_base64url(signer.x()) + R"(","y":")"
           + jwtbatch::jws::encode_base64url(signer.y()) + R"("})";
}

/// Returns a compact token whose signature part is `signature` (raw bytes) as given.
std::string token_with_signature(const std::string& header, const std::string& signature) {
    return signing_input(header, payload_json) + "." + b64url(signature);
}

/// Returns the raw r||s of a valid ES256 signature by `signer` over `header` and the payload.
std::string es256_signature(const es256_signer& signer, const std::string& header) {
    const std::string token = signer.sign_compact(header, payload_json);
    return *jwtbatch::jws::decode_base64url_to_string(token.substr(token.rfind('.') + 1));
}

/// A TCP listener on 127.0.0.1 that records whether anything connected to it.
struct idle_listener {
    int fd = -1;
    int port = 0;

    idle_listener() {
        fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        REQUIRE(fd >= 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
        REQUIRE(listen(fd, 16) == 0);
        socklen_t length = sizeof address;
        REQUIRE(getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0);
        port = ntohs(address.sin_port);
    }

    ~idle_listener() { close(fd); }

    [[nodiscard]] bool was_contacted() const {
        const int client = accept(fd, nullptr, nullptr);
        if (client >= 0) {
            close(client);
            return true;
        }
        return false;
    }
};

struct hostile_case {
    std::string name;
    std::string token;
    std::string reason;
};

/// Runs the binary once over every case, one per line, and checks each row's reason.
void check_reasons(const std::vector<hostile_case>& cases, const std::string& jwks_path) {
    std::string input;
    for (const auto& row : cases) {
        input += row.token + "\n";
    }
    for (const char* verifier : {"fast", "evp"}) {
        const auto result = run_jwtbatch({"--jwks", jwks_path, "--now", evaluation_time,
                                          "--verifier", verifier, "--fields", "cid"},
                                         input);
        CAPTURE(verifier, result.err);
        const auto rows = parse_csv(result.out);
        REQUIRE(rows.size() == cases.size() + 1);
        for (size_t i = 0; i < cases.size(); ++i) {
            CAPTURE(cases[i].name, cases[i].token);
            REQUIRE(rows[i + 1].size() == 6);
            CHECK(rows[i + 1][2] == (cases[i].reason.empty() ? "valid" : "invalid"));
            CHECK(rows[i + 1][3] == cases[i].reason);
        }
    }
}

} // namespace

TEST_CASE("algorithm confusion tokens are never valid", "[e2e]") {
    const es256_signer trusted;
    const es256_signer other_trusted;
    const temp_folder folder("jwtbatch-alg");
    const std::string jwks_json = R"({"keys":[)" + jwk_json(trusted, "trusted-1") + ","
                                  + jwk_json(other_trusted, "trusted-2") + "]}";
    const std::string jwks = folder.write("jwks.json", jwks_json);
    const std::string trusted_pem = public_key_pem(trusted.public_key("trusted-1")->evp_key());

    auto hs256 = [](const std::string& header, const std::string& secret) {
        return token_with_signature(header, hmac_sha256(secret, signing_input(header, payload_json)));
    };
    const std::string hs_header = R"({"alg":"HS256","kid":"trusted-1","typ":"JWT"})";
    const auto rsa = generate_rsa_key();
    const auto p384 = generate_ec_key("P-384");
    const auto k256 = generate_ec_key("secp256k1");
    auto ec_token = [](EVP_PKEY* key, const EVP_MD* digest, size_t scalar_bytes,
                       const std::string& header) {
        return token_with_signature(
            header, der_to_raw(evp_sign(key, digest, signing_input(header, payload_json)), scalar_bytes));
    };
    const std::string es256_header = R"({"alg":"ES256","kid":"trusted-1"})";

    std::vector<hostile_case> cases{
        {"control: valid es256 token", trusted.sign_compact(es256_header, payload_json), ""},
        {"alg none, empty signature", signing_input(R"({"alg":"none"})", payload_json) + ".",
         "malformed"},
        {"alg none, one-byte signature", token_with_signature(R"({"alg":"none"})", "x"),
         "alg_not_allowed"},
        {"alg None with kid", token_with_signature(R"({"alg":"None","kid":"trusted-1"})", "x"),
         "alg_not_allowed"},
        {"alg NONE with kid", token_with_signature(R"({"alg":"NONE","kid":"trusted-1"})", "x"),
         "alg_not_allowed"},
        {"alg none with a valid es256 signature",
         token_with_signature(R"({"alg":"none","kid":"trusted-1"})",
                              es256_signature(trusted, R"({"alg":"none","kid":"trusted-1"})")),
         "alg_not_allowed"},
        {"hs256 with the jwks json as secret", hs256(hs_header, jwks_json), "alg_not_allowed"},
        {"hs256 with the public key pem as secret", hs256(hs_header, trusted_pem),
         "alg_not_allowed"},
        {"hs256 with the raw public point as secret",
         hs256(hs_header, "\x04" + std::string(trusted.x().begin(), trusted.x().end())
                              + std::string(trusted.y().begin(), trusted.y().end())),
         "alg_not_allowed"},
        {"rs256", token_with_signature(R"({"alg":"RS256","kid":"trusted-1"})",
                                       evp_sign(rsa.get(), EVP_sha256(),
                                                signing_input(R"({"alg":"RS256","kid":"trusted-1"})",
                                                              payload_json))),
         "alg_not_allowed"},
        {"es384 with a p-384 key",
         ec_token(p384.get(), EVP_sha384(), 48, R"({"alg":"ES384","kid":"trusted-1"})"),
         "alg_not_allowed"},
        {"es256k with a secp256k1 key",
         ec_token(k256.get(), EVP_sha256(), 32, R"({"alg":"ES256K","kid":"trusted-1"})"),
         "alg_not_allowed"},
        {"es256 header, secp256k1 signature", ec_token(k256.get(), EVP_sha256(), 32, es256_header),
         "bad_signature"},
        {"es256 header, p-384 signature", ec_token(p384.get(), EVP_sha384(), 48, es256_header),
         "bad_signature"},
        {"alg in lowercase", trusted.sign_compact(R"({"alg":"es256","kid":"trusted-1"})", payload_json),
         "alg_not_allowed"},
        {"alg with a trailing space",
         trusted.sign_compact(R"({"alg":"ES256 ","kid":"trusted-1"})", payload_json),
         "alg_not_allowed"},
        {"alg with an escaped nul",
         trusted.sign_compact(R"({"alg":"ES256\u0000","kid":"trusted-1"})", payload_json),
         "alg_not_allowed"},
        {"alg es512", trusted.sign_compact(R"({"alg":"ES512","kid":"trusted-1"})", payload_json),
         "alg_not_allowed"},
        {"alg empty", trusted.sign_compact(R"({"alg":"","kid":"trusted-1"})", payload_json),
         "alg_not_allowed"},
        {"alg as an array", trusted.sign_compact(R"({"alg":["ES256"],"kid":"trusted-1"})", payload_json),
         "bad_header"},
        {"alg null", trusted.sign_compact(R"({"alg":null,"kid":"trusted-1"})", payload_json),
         "bad_header"},
        {"alg missing", trusted.sign_compact(R"({"kid":"trusted-1"})", payload_json), "bad_header"},
        {"kid as a number", trusted.sign_compact(R"({"alg":"ES256","kid":1})", payload_json),
         "bad_header"},
        {"duplicate alg, es256 first",
         trusted.sign_compact(R"({"alg":"ES256","alg":"none","kid":"trusted-1"})", payload_json),
         "bad_header"},
        {"duplicate alg, es256 last",
         trusted.sign_compact(R"({"alg":"none","alg":"ES256","kid":"trusted-1"})", payload_json),
         "bad_header"},
        {"duplicate alg through an escape",
         trusted.sign_compact(R"({"alg":"ES256","\u0061lg":"ES256","kid":"trusted-1"})", payload_json),
         "bad_header"},
        {"duplicate kid",
         trusted.sign_compact(R"({"alg":"ES256","kid":"trusted-1","kid":"trusted-2"})", payload_json),
         "bad_header"},
        {"duplicate member in a nested object",
         trusted.sign_compact(R"({"alg":"ES256","kid":"trusted-1","x":{"a":1,"a":2}})", payload_json),
         "bad_header"},
        {"crit with an unknown name",
         trusted.sign_compact(R"({"alg":"ES256","kid":"trusted-1","crit":["exp"],"exp":1})",
                              payload_json),
         "unsupported_header"},
        {"crit empty", trusted.sign_compact(R"({"alg":"ES256","kid":"trusted-1","crit":[]})", payload_json),
         "unsupported_header"},
        {"b64 false with crit",
         trusted.sign_compact(R"({"alg":"ES256","kid":"trusted-1","b64":false,"crit":["b64"]})",
                              payload_json),
         "unsupported_header"},
        {"b64 false alone",
         trusted.sign_compact(R"({"alg":"ES256","kid":"trusted-1","b64":false})", payload_json),
         "unsupported_header"},
    };

    const es256_signer attacker;
    const std::string attacker_jwk = jwk_json(attacker, "trusted-1");
    const idle_listener listener;
    const std::string attacker_url =
        "http://127.0.0.1:" + std::to_string(listener.port) + "/jwks.json";
    const std::vector<std::pair<std::string, std::string>> injected_headers{
        {"embedded jwk of the attacker with a trusted kid",
         R"({"alg":"ES256","kid":"trusted-1","jwk":)" + attacker_jwk + "}"},
        {"jku at 127.0.0.1 with a trusted kid",
         R"({"alg":"ES256","kid":"trusted-1","jku":")" + attacker_url + R"("})"},
        {"x5u at 127.0.0.1 with a trusted kid",
         R"({"alg":"ES256","kid":"trusted-1","x5u":")" + attacker_url + R"("})"},
        {"x5c with a trusted kid",
         R"({"alg":"ES256","kid":"trusted-1","x5c":["MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"]})"},
        {"x5t with a trusted kid", R"({"alg":"ES256","kid":"trusted-1","x5t":"AAAA"})"},
    };
    for (const auto& [name, header] : injected_headers) {
        cases.push_back({name, attacker.sign_compact(header, payload_json), "bad_signature"});
    }
    cases.push_back({"embedded jwk without kid",
                     attacker.sign_compact(R"({"alg":"ES256","jwk":)" + jwk_json(attacker, "a") + "}",
                                           payload_json),
                     "missing_kid"});
    cases.push_back({"embedded jwk with the attacker's kid",
                     attacker.sign_compact(R"({"alg":"ES256","kid":"a","jwk":)"
                                               + jwk_json(attacker, "a") + "}",
                                           payload_json),
                     "unknown_kid"});

    const std::string good = es256_signature(trusted, es256_header);
    const std::string r = good.substr(0, 32);
    const std::string s = good.substr(32);
    const std::string zero(32, '\0');
    std::string order_plus_one = p256_order;
    order_plus_one[31] = static_cast<char>(order_plus_one[31] + 1);
    const std::vector<std::pair<std::string, std::string>> bad_signatures{
        {"r = 0 and s = 0", zero + zero},
        {"r = 0", zero + s},
        {"s = 0", r + zero},
        {"r = n", p256_order + s},
        {"s = n", r + p256_order},
        {"r = n + 1", order_plus_one + s},
        {"s = n + 1", r + order_plus_one},
        {"r and s all ones", std::string(64, '\xff')},
        {"63 bytes", good.substr(0, 63)},
        {"65 bytes", good + "\x01"},
    };
    for (const auto& [name, signature] : bad_signatures) {
        cases.push_back({name, token_with_signature(es256_header, signature), "bad_signature"});
    }
    {
        // The DER form of the same signature: SEQUENCE { INTEGER r, INTEGER s } (RFC 3279).
        auto der_integer = [](std::string value) {
            while (value.size() > 1 && value[0] == '\0' && (value[1] & 0x80) == 0) {
                value.erase(0, 1);
            }
            if (value[0] & 0x80) {
                value.insert(0, 1, '\0');
            }
            return std::string("\x02", 1) + static_cast<char>(value.size()) + value;
        };
        const std::string body = der_integer(r) + der_integer(s);
        cases.push_back({"der encoded signature",
                         token_with_signature(es256_header, std::string("\x30", 1)
                                                                + static_cast<char>(body.size()) + body),
                         "bad_signature"});
    }

    check_reasons(cases, jwks);
    CHECK_FALSE(listener.was_contacted());
}

TEST_CASE("kid checks come before signature length", "[e2e]") {
    const es256_signer trusted;
    const es256_signer other_trusted;
    const temp_folder folder("jwtbatch-order");
    const std::string jwks = folder.write(
        "jwks.json", R"({"keys":[)" + jwk_json(trusted, "trusted-1") + ","
                         + jwk_json(other_trusted, "trusted-2") + "]}");
    // The README orders reasons missing_kid, unknown_kid, bad_signature and promises the first
    // failing check, so a short signature must not hide a kid problem.
    check_reasons({{"unknown kid with a 10-byte signature",
                    token_with_signature(R"({"alg":"ES256","kid":"nobody"})", std::string(10, 'x')),
                    "unknown_kid"},
                   {"no kid with a 10-byte signature",
                    token_with_signature(R"({"alg":"ES256"})", std::string(10, 'x')), "missing_kid"}},
                  jwks);
}

TEST_CASE("duplicate claim in payload", "[e2e]") {
    const es256_signer trusted;
    const temp_folder folder("jwtbatch-duplicate");
    const std::string jwks = folder.write("jwks.json", trusted.to_jwks_json("trusted-1"));
    const std::string header = R"({"alg":"ES256","kid":"trusted-1"})";
    check_reasons({{"duplicate exp", trusted.sign_compact(header, R"({"exp":1,"exp":9999999999})"),
                    "bad_payload"},
                   {"duplicate through an escape",
                    trusted.sign_compact(header, R"({"cid":"1","\u0063id":"2"})"), "bad_payload"},
                   {"duplicate in a nested object",
                    trusted.sign_compact(header, R"({"cid":"1","x":[{"a":1,"a":1}]})"),
                    "bad_payload"}},
                  jwks);
}

TEST_CASE("off-curve and wrong-curve jwks keys are skipped", "[e2e]") {
    const es256_signer trusted;
    const temp_folder folder("jwtbatch-curve");
    const auto p384 = generate_ec_key("P-384");
    const auto k256 = generate_ec_key("secp256k1");
    const auto [p384_x, p384_y] = ec_coordinates(p384.get(), 48);
    const auto [k256_x, k256_y] = ec_coordinates(k256.get(), 32);
    std::string off_curve_y(trusted.y().begin(), trusted.y().end());
    off_curve_y[31] = static_cast<char>(off_curve_y[31] ^ 1);
    auto ec_jwk = [](const std::string& kid, const std::string& crv, const std::string& x,
                     const std::string& y) {
        return R"({"kty":"EC","crv":")" + crv + R"(","kid":")" + kid + R"(","x":")" + b64url(x)
               + R"(","y":")" + b64url(y) + R"("})";
    };
    const std::string trusted_x(trusted.x().begin(), trusted.x().end());
    const std::vector<std::string> bad_keys{
        ec_jwk("off-curve", "P-256", trusted_x, off_curve_y),
        ec_jwk("infinity", "P-256", std::string(32, '\0'), std::string(32, '\0')),
        ec_jwk("p384-key", "P-384", p384_x, p384_y),
        ec_jwk("p384-as-p256", "P-256", p384_x, p384_y),
        ec_jwk("k256-key", "secp256k1", k256_x, k256_y),
        ec_jwk("k256-as-p256", "P-256", k256_x, k256_y),
    };
    std::string bad_members;
    for (const std::string& member : bad_keys) {
        bad_members += (bad_members.empty() ? "" : ",") + member;
    }

    SECTION("usable keys still verify and bad kids are unknown") {
        const std::string jwks = folder.write(
            "jwks.json", R"({"keys":[)" + bad_members + "," + jwk_json(trusted, "trusted-1") + "]}");
        std::vector<hostile_case> cases{
            {"trusted key", trusted.sign_compact(R"({"alg":"ES256","kid":"trusted-1"})", payload_json),
             ""}};
        for (const char* kid : {"off-curve", "infinity", "p384-key", "p384-as-p256", "k256-key",
                                "k256-as-p256"}) {
            cases.push_back({kid,
                             trusted.sign_compact(R"({"alg":"ES256","kid":")" + std::string(kid)
                                                      + R"("})",
                                                  payload_json),
                             "unknown_kid"});
        }
        check_reasons(cases, jwks);
        const auto result = run_jwtbatch({"--jwks", jwks, "--now", evaluation_time}, "x.y.z\n");
        for (const char* kid : {"off-curve", "infinity", "p384-key", "p384-as-p256", "k256-key",
                                "k256-as-p256"}) {
            CAPTURE(kid, result.err);
            CHECK(result.err.find(std::string("\"") + kid + "\"") != std::string::npos);
        }
    }
    SECTION("a jwks with no usable key exits 2") {
        const std::string jwks = folder.write("only-bad.json", R"({"keys":[)" + bad_members + "]}");
        const auto result = run_jwtbatch({"--jwks", jwks, "--now", evaluation_time}, "x.y.z\n");
        CAPTURE(result.err);
        CHECK(result.exit_status == 2);
        CHECK(result.out.empty());
        CHECK(result.err.find("only-bad.json") != std::string::npos);
    }
}
