// Differential test of the jwtbatch binary against an independent ES256 check written here with
// OpenSSL's EVP API: strict base64url decoding, the header text, the DER signature and
// EVP_DigestVerify. Tokens are generated valid and mutated, and every verifier path of the
// binary (fast and evp, with and without the verdict cache) must give the reference verdict.
//
// What is compared, per line:
// - the reference class "encoding": the binary reports `malformed` (wrong number of dots, an
//   empty part, or a byte outside base64url and "=+/") or else `bad_base64`, exactly;
// - the reference class "signature": the header is one this test wrote, so the reason is decided
//   by the signature alone, and the binary reports `valid` exactly when EVP_DigestVerify accepts
//   the 64-byte r||s, and `bad_signature` otherwise (or `missing_kid` for the header without
//   `kid`, since the key set holds several keys);
// - the reference class "other header": the header bytes were altered, so the signature cannot
//   verify, and the binary must report any reason but `valid`.
// Claims are not compared: payloads carry only `iat` in the past, and the run uses
// --no-verify-exp, so a verified signature means a valid record.
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <catch2/catch.hpp>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "jws/base64url.hpp"
#include "jws/es256_signer.hpp"
#include "support/process.hpp"

namespace fs = std::filesystem;

namespace {

constexpr size_t trusted_key_count = 70; // above the 64 fixed-base tables of the fast verifier

/// The order n of P-256, big-endian (SEC 2, section 2.4.2).
constexpr std::array<std::uint8_t, 32> p256_order{
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51};

size_t differential_count() {
    const char* value = std::getenv("JWTBATCH_DIFFERENTIAL_COUNT");
    if (value == nullptr || *value == '\0') {
        return 100'000;
    }
    return static_cast<size_t>(std::strtoull(value, nullptr, 10));
}

// ---- the independent reference ----------------------------------------------------------------

bool is_base64url_byte(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'
           || c == '_';
}

int base64url_value(char c) {
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }
    return c == '-' ? 62 : 63;
}

/// Decodes unpadded base64url (RFC 4648 section 5) and rejects what RFC 7515 section 2 rules
/// out: padding, other alphabets, a length of 1 mod 4 and non-zero unused trailing bits.
std::optional<std::string> reference_decode(std::string_view text) {
    if (text.size() % 4 == 1) {
        return std::nullopt;
    }
    std::string bytes;
    std::uint32_t bits = 0;
    int bit_count = 0;
    for (char c : text) {
        if (!is_base64url_byte(c)) {
            return std::nullopt;
        }
        bits = (bits << 6) | static_cast<std::uint32_t>(base64url_value(c));
        bit_count += 6;
        if (bit_count >= 8) {
            bit_count -= 8;
            bytes.push_back(static_cast<char>((bits >> bit_count) & 0xff));
        }
    }
    if ((bits & ((1u << bit_count) - 1)) != 0) {
        return std::nullopt;
    }
    return bytes;
}

struct evp_pkey_deleter {
    void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using evp_pkey_ptr = std::unique_ptr<EVP_PKEY, evp_pkey_deleter>;

/// Builds a P-256 public key from its affine coordinates with EVP_PKEY_fromdata.
evp_pkey_ptr reference_public_key(const std::array<std::uint8_t, 32>& x,
                                  const std::array<std::uint8_t, 32>& y) {
    std::array<unsigned char, 65> point{};
    point[0] = 0x04;
    std::copy(x.begin(), x.end(), point.begin() + 1);
    std::copy(y.begin(), y.end(), point.begin() + 33);
    char group[] = "prime256v1";
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0),
        OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()),
        OSSL_PARAM_construct_end()};
    EVP_PKEY_CTX* context = EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr);
    REQUIRE(context != nullptr);
    EVP_PKEY* key = nullptr;
    const bool is_built = EVP_PKEY_fromdata_init(context) == 1
                          && EVP_PKEY_fromdata(context, &key, EVP_PKEY_PUBLIC_KEY, params) == 1;
    EVP_PKEY_CTX_free(context);
    REQUIRE(is_built);
    return evp_pkey_ptr(key);
}

/// Returns true when `signature` (r||s, 32 bytes each) verifies over `signing_input` with
/// EVP_DigestVerify and SHA-256, after converting it to the DER form that OpenSSL expects.
bool reference_verify(EVP_PKEY* key, std::string_view signing_input, std::string_view signature) {
    ECDSA_SIG* sig = ECDSA_SIG_new();
    BIGNUM* r = BN_bin2bn(reinterpret_cast<const unsigned char*>(signature.data()), 32, nullptr);
    BIGNUM* s = BN_bin2bn(reinterpret_cast<const unsigned char*>(signature.data()) + 32, 32, nullptr);
    REQUIRE(sig != nullptr);
    REQUIRE(r != nullptr);
    REQUIRE(s != nullptr);
    REQUIRE(ECDSA_SIG_set0(sig, r, s) == 1);
    unsigned char* der = nullptr;
    const int der_length = i2d_ECDSA_SIG(sig, &der);
    ECDSA_SIG_free(sig);
    REQUIRE(der_length > 0);

    EVP_MD_CTX* context = EVP_MD_CTX_new();
    REQUIRE(context != nullptr);
    bool is_valid = false;
    if (EVP_DigestVerifyInit(context, nullptr, EVP_sha256(), nullptr, key) == 1) {
        is_valid = EVP_DigestVerify(context, der, static_cast<size_t>(der_length),
                                    reinterpret_cast<const unsigned char*>(signing_input.data()),
                                    signing_input.size())
                   == 1;
    }
    ERR_clear_error(); // an invalid signature may leave an error on the queue
    EVP_MD_CTX_free(context);
    OPENSSL_free(der);
    return is_valid;
}

/// A reference verdict: `expected` holds the exact reasons the binary may report.
struct reference_verdict {
    std::string kind; ///< "encoding", "signature" or "other header"
    std::vector<std::string> expected; ///< empty: any reason but "valid"
};

/// The headers this test writes, with the key that signs under each one (nullptr: no kid).
struct known_header {
    std::string json;
    EVP_PKEY* key = nullptr;
};

reference_verdict reference_check(std::string_view token,
                                  const std::map<std::string, known_header, std::less<>>& headers) {
    const size_t first_dot = token.find('.');
    const size_t second_dot = first_dot == std::string_view::npos ? first_dot
                                                                  : token.find('.', first_dot + 1);
    const bool has_two_dots = second_dot != std::string_view::npos
                              && token.find('.', second_dot + 1) == std::string_view::npos;
    bool is_split = has_two_dots && first_dot > 0 && second_dot > first_dot + 1
                    && second_dot + 1 < token.size();
    for (char c : token) {
        if (c != '.' && !is_base64url_byte(c) && c != '=' && c != '+' && c != '/') {
            is_split = false;
        }
    }
    if (!is_split) {
        return {"encoding", {"malformed"}};
    }
    const std::string_view header_part = token.substr(0, first_dot);
    const std::string_view payload_part = token.substr(first_dot + 1, second_dot - first_dot - 1);
    const std::string_view signature_part = token.substr(second_dot + 1);
    auto header = reference_decode(header_part);
    auto payload = reference_decode(payload_part);
    auto signature = reference_decode(signature_part);
    if (!header || !payload || !signature) {
        return {"encoding", {"bad_base64"}};
    }
    auto known = headers.find(*header);
    if (known == headers.end()) {
        return {"other header", {}};
    }
    if (known->second.key == nullptr) {
        return {"signature", {"missing_kid"}};
    }
    if (signature->size() != 64) {
        return {"signature", {"bad_signature"}};
    }
    const std::string_view signing_input = token.substr(0, second_dot);
    if (reference_verify(known->second.key, signing_input, *signature)) {
        return {"signature", {"valid"}};
    }
    return {"signature", {"bad_signature"}};
}

// ---- token generation -------------------------------------------------------------------------

std::string encode(std::string_view bytes) {
    return jwtbatch::jws::encode_base64url(std::span<const std::uint8_t>(
        reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
}

struct token_parts {
    std::string header;
    std::string payload;
    std::string signature; ///< decoded r||s
};

token_parts split_token(const std::string& token) {
    const size_t first = token.find('.');
    const size_t second = token.find('.', first + 1);
    return {*jwtbatch::jws::decode_base64url_to_string(token.substr(0, first)),
            *jwtbatch::jws::decode_base64url_to_string(token.substr(first + 1, second - first - 1)),
            *jwtbatch::jws::decode_base64url_to_string(token.substr(second + 1))};
}

std::string join_token(const token_parts& parts) {
    return encode(parts.header) + "." + encode(parts.payload) + "." + encode(parts.signature);
}

/// Returns n - value, or value + n when `add` is set, for 32-byte big-endian scalars (the
/// result of an addition keeps its low 256 bits).
std::string scalar_with_order(std::string_view value, bool add) {
    std::string out(32, '\0');
    int carry = 0;
    for (int i = 31; i >= 0; --i) {
        const int a = static_cast<std::uint8_t>(value[static_cast<size_t>(i)]);
        const int n = p256_order[static_cast<size_t>(i)];
        int digit = add ? a + n + carry : n - a - carry;
        carry = add ? digit >> 8 : (digit < 0 ? 1 : 0);
        out[static_cast<size_t>(i)] = static_cast<char>(digit & 0xff);
    }
    return out;
}

std::string order_plus(std::uint8_t addend) {
    std::string value(reinterpret_cast<const char*>(p256_order.data()), 32);
    value[31] = static_cast<char>(static_cast<std::uint8_t>(value[31]) + addend);
    return value;
}

struct corpus {
    std::vector<jwtbatch::jws::es256_signer> trusted;
    jwtbatch::jws::es256_signer attacker;
    std::vector<std::string> lines;
};

std::string kid_of(size_t index) {
    return "k" + std::to_string(100 + index);
}

std::string header_json(size_t key_index, int form) {
    switch (form) {
    case 0:
        return R"({"alg":"ES256","kid":")" + kid_of(key_index) + R"(","typ":"JWT"})";
    case 1:
        return R"({"kid":")" + kid_of(key_index) + R"(","alg":"ES256"})";
    default:
        return R"({"alg":"ES256","typ":"JWT"})";
    }
}

/// Applies one random mutation to a valid token. The kinds are weighted so that most mutated
/// tokens still reach the signature check.
std::string mutate(const std::string& token, const corpus& keys, const std::vector<std::string>& pool,
                   std::mt19937_64& random) {
    token_parts parts = split_token(token);
    switch (random() % 12) {
    case 0:
    case 1:
    case 2: { // one bit of the decoded signature
        const size_t bit = random() % (parts.signature.size() * 8);
        parts.signature[bit / 8] = static_cast<char>(parts.signature[bit / 8] ^ (1 << (bit % 8)));
        return join_token(parts);
    }
    case 3: { // one bit of the decoded payload
        const size_t bit = random() % (parts.payload.size() * 8);
        parts.payload[bit / 8] = static_cast<char>(parts.payload[bit / 8] ^ (1 << (bit % 8)));
        return join_token(parts);
    }
    case 4: { // one bit of the decoded header
        const size_t bit = random() % (parts.header.size() * 8);
        parts.header[bit / 8] = static_cast<char>(parts.header[bit / 8] ^ (1 << (bit % 8)));
        return join_token(parts);
    }
    case 5: { // one character of the text, replaced by any printable byte but space
        std::string mutated = token;
        mutated[random() % mutated.size()] = static_cast<char>(0x21 + random() % 94);
        return mutated;
    }
    case 6: // truncated
        return token.substr(0, 1 + random() % (token.size() - 1));
    case 7: { // swapped or foreign parts
        const token_parts other = split_token(pool[random() % pool.size()]);
        switch (random() % 3) {
        case 0:
            std::swap(parts.header, parts.payload);
            break;
        case 1:
            parts.signature = other.signature;
            break;
        default:
            std::swap(parts.payload, parts.signature);
        }
        return join_token(parts);
    }
    case 8: // signed by a key outside the JWKS under the same header
        return keys.attacker.sign_compact(parts.header, parts.payload);
    case 9: { // the other valid signature (r, n - s), which ECDSA accepts
        parts.signature = parts.signature.substr(0, 32)
                          + scalar_with_order(std::string_view(parts.signature).substr(32), false);
        return join_token(parts);
    }
    case 10: { // r or s out of range, zero, or r and s swapped
        const std::string r = parts.signature.substr(0, 32);
        const std::string s = parts.signature.substr(32);
        const std::string zero(32, '\0');
        const std::string order = order_plus(0);
        const std::array<std::string, 8> choices{zero + s, r + zero, zero + zero, order + s,
                                                 r + order, order_plus(1) + s,
                                                 r + scalar_with_order(s, true), s + r};
        parts.signature = choices[random() % choices.size()];
        return join_token(parts);
    }
    default: { // a signature of another length
        const size_t length = random() % 2 == 0 ? 63 : 65 + random() % 40;
        parts.signature.resize(length, static_cast<char>(random() & 0xff));
        return join_token(parts);
    }
    }
}

corpus make_corpus(size_t count, std::mt19937_64& random) {
    corpus tokens;
    for (size_t i = 0; i < trusted_key_count; ++i) {
        tokens.trusted.emplace_back();
    }
    // Every line is a fresh valid token, a mutation of one, or a repeat of an earlier line,
    // whose verdict then comes from the verdict cache.
    std::vector<std::string> pool;
    for (size_t i = 0; i < count; ++i) {
        const unsigned kind = static_cast<unsigned>(random() % 20);
        if (kind < 3 && !tokens.lines.empty()) {
            tokens.lines.push_back(tokens.lines[random() % tokens.lines.size()]);
            continue;
        }
        const size_t key_index = random() % trusted_key_count;
        const int form = random() % 25 == 0 ? 2 : static_cast<int>(random() % 2);
        const std::string payload = R"({"cid":")" + std::to_string(random()) + R"(","n":)"
                                    + std::to_string(i) + R"(,"iat":1700000000})";
        std::string token = tokens.trusted[key_index].sign_compact(header_json(key_index, form), payload);
        pool.push_back(token);
        tokens.lines.push_back(kind < 9 ? token : mutate(token, tokens, pool, random));
    }
    return tokens;
}

std::string make_jwks(const std::vector<jwtbatch::jws::es256_signer>& signers) {
    std::string json = R"({"keys":[)";
    for (size_t i = 0; i < signers.size(); ++i) {
        json += (i == 0 ? "" : ",");
        json += R"({"kty":"EC","crv":"P-256","kid":")" + kid_of(i) + R"(","x":")"
                + jwtbatch::jws::encode_base64url(signers[i].x()) + R"(","y":")"
                + jwtbatch::jws::encode_base64url(signers[i].y()) + R"("})";
    }
    return json + "]}";
}

/// Returns the status of each NDJSON row ("valid" or the reason), indexed by line number - 1.
std::vector<std::string> statuses_by_line(const std::string& ndjson, size_t line_count) {
    std::vector<std::string> statuses(line_count);
    std::istringstream rows(ndjson);
    std::string row;
    while (std::getline(rows, row)) {
        const size_t line_at = row.find("\"line\":");
        const size_t line = line_at == std::string::npos ? 0 : std::stoul(row.substr(line_at + 7));
        if (line < 1 || line > line_count) {
            FAIL("row without a line number in range: " << row);
        }
        std::string status;
        if (row.find("\"status\":\"valid\"") != std::string::npos) {
            status = "valid";
        } else {
            const size_t reason_at = row.find("\"reason\":\"");
            if (reason_at == std::string::npos) {
                FAIL("invalid row without a reason: " << row);
            }
            status = row.substr(reason_at + 10, row.find('"', reason_at + 10) - reason_at - 10);
        }
        statuses[line - 1] = status;
    }
    return statuses;
}

} // namespace

TEST_CASE("differential verdicts match openssl evp", "[jws][e2e]") {
    const size_t count = differential_count();
    REQUIRE(count >= 100);
    std::mt19937_64 random(0x6a77746261746368);
    const auto started = std::chrono::steady_clock::now();
    const corpus tokens = make_corpus(count, random);

    std::map<std::string, known_header, std::less<>> headers;
    std::vector<evp_pkey_ptr> reference_keys;
    for (size_t i = 0; i < tokens.trusted.size(); ++i) {
        reference_keys.push_back(reference_public_key(tokens.trusted[i].x(), tokens.trusted[i].y()));
        for (int form : {0, 1}) {
            headers[header_json(i, form)] = {header_json(i, form), reference_keys.back().get()};
        }
    }
    headers[header_json(0, 2)] = {header_json(0, 2), nullptr};

    std::vector<reference_verdict> reference;
    std::map<std::string, size_t> reference_counts;
    for (const std::string& line : tokens.lines) {
        reference.push_back(reference_check(line, headers));
        const auto& verdict = reference.back();
        ++reference_counts[verdict.kind + " " + (verdict.expected.empty() ? "" : verdict.expected[0])];
    }
    const auto generated = std::chrono::steady_clock::now();
    std::string class_counts;
    for (const auto& [kind, number] : reference_counts) {
        class_counts += kind + ": " + std::to_string(number) + "; ";
    }
    INFO("reference classes: " << class_counts);
    // Every class must be well represented, or the comparison proves little.
    CHECK(reference_counts["signature valid"] > count / 4);
    CHECK(reference_counts["signature bad_signature"] > count / 10);
    CHECK(reference_counts["encoding malformed"] > count / 100);
    CHECK(reference_counts["encoding bad_base64"] > count / 100);
    CHECK(reference_counts["other header "] > count / 100);

    char pattern[] = "/tmp/jwtbatch-differential-XXXXXX";
    const fs::path dir = mkdtemp(pattern);
    const fs::path jwks = dir / "jwks.json";
    const fs::path input = dir / "tokens.txt";
    std::ofstream(jwks) << make_jwks(tokens.trusted);
    {
        std::ofstream file(input, std::ios::binary);
        for (const std::string& line : tokens.lines) {
            file << line << '\n';
        }
    }

    struct run_case {
        std::string verifier;
        std::string dedup_cache; ///< empty: the default cache
    };
    for (const run_case& run : {run_case{"fast", ""}, run_case{"fast", "0"}, run_case{"evp", ""},
                                run_case{"evp", "0"}}) {
        std::vector<std::string> args{"--jwks", jwks.string(), "--now", "1800000000",
                                      "--no-verify-exp", "--format", "ndjson", "--verifier",
                                      run.verifier, "--quiet"};
        if (!run.dedup_cache.empty()) {
            args.insert(args.end(), {"--dedup-cache", run.dedup_cache});
        }
        args.push_back(input.string());
        const auto run_started = std::chrono::steady_clock::now();
        const auto result = jwtbatch::test::run_jwtbatch(args);
        const auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now()
                                                           - run_started)
                                 .count();
        CAPTURE(run.verifier, run.dedup_cache, seconds, result.err);
        REQUIRE(result.exit_status == 1);
        const std::vector<std::string> statuses = statuses_by_line(result.out, tokens.lines.size());

        size_t mismatches = 0;
        for (size_t i = 0; i < tokens.lines.size(); ++i) {
            const reference_verdict& want = reference[i];
            const std::string& got = statuses[i];
            const bool is_match =
                want.expected.empty()
                    ? (!got.empty() && got != "valid")
                    : std::find(want.expected.begin(), want.expected.end(), got) != want.expected.end();
            if (!is_match && ++mismatches <= 5) {
                CAPTURE(i + 1, tokens.lines[i], want.kind, want.expected, got);
                CHECK(is_match);
            }
        }
        CHECK(mismatches == 0);
        WARN("differential run: verifier " << run.verifier << ", dedup cache "
             << (run.dedup_cache.empty() ? "default" : run.dedup_cache) << ", " << count
             << " tokens, " << seconds << " s");
    }
    WARN("differential corpus and reference verdicts: "
         << std::chrono::duration<double>(generated - started).count() << " s");
    fs::remove_all(dir);
}
