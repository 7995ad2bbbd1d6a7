// Resource limits through the binary: huge lines, floods of blank lines, large key sets and
// deeply nested JSON complete with bounded memory. Peak RSS comes from --summary-json.
#include <cstdint>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "jws/es256_signer.hpp"
#include "support/csv.hpp"
#include "support/jose_builder.hpp"
#include "support/process.hpp"
#include "support/process_control.hpp"

using namespace jwtbatch::test;
using jwtbatch::jws::es256_signer;

namespace {

constexpr const char* evaluation_time = "1700000100";

/// Peak RSS allowed for any run here. The binary holds 4 live batches per thread of at most
/// 1 MiB of text each, the 1 MiB read block, the libraries and the touched pages of the verdict
/// cache (about 64 MiB, mapped lazily). 200 MiB leaves room for a machine with many cores.
/// AddressSanitizer's shadow memory and quarantine multiply that, so a sanitized build (the
/// binary is built with the same flags as this test) gets a larger bound.
#if defined(__SANITIZE_ADDRESS__)
constexpr std::uint64_t max_peak_rss_bytes = 1024ull << 20;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr std::uint64_t max_peak_rss_bytes = 1024ull << 20;
#else
constexpr std::uint64_t max_peak_rss_bytes = 200ull << 20;
#endif
#else
constexpr std::uint64_t max_peak_rss_bytes = 200ull << 20;
#endif

std::string jwks_of(const es256_signer& signer, const std::string& kid) {
    return signer.to_jwks_json(kid);
}

/// Returns the unsigned number after `"name":` in a JSON text, or -1 when it is missing.
long long json_number(const std::string& json, const std::string& name) {
    const std::string key = "\"" + name + "\":";
    const size_t at = json.find(key);
    if (at == std::string::npos) {
        return -1;
    }
    return std::stoll(json.substr(at + key.size()));
}

std::string nested(const std::string& open, const std::string& close, size_t depth,
                   const std::string& inner) {
    std::string text;
    text.reserve(depth * (open.size() + close.size()) + inner.size());
    for (size_t i = 0; i < depth; ++i) {
        text += open;
    }
    text += inner;
    for (size_t i = 0; i < depth; ++i) {
        text += close;
    }
    return text;
}

} // namespace

TEST_CASE("two gigabyte line streams in bounded memory", "[e2e]") {
    const es256_signer signer;
    const temp_folder folder("jwtbatch-limits");
    const std::string jwks = folder.write("jwks.json", jwks_of(signer, "k1"));
    const std::string summary = (folder.path / "summary.json").string();
    const std::string token =
        signer.sign_compact(R"({"alg":"ES256","kid":"k1"})", R"({"cid":"1","iat":1700000000})");

    constexpr size_t chunk_bytes = 1 << 20;
    constexpr size_t line_bytes = size_t{2} << 30;
    size_t sent = 0;
    bool sent_tail = false;
    process_control control;
    control.next_input = [&](std::string& chunk) {
        if (sent < line_bytes) {
            chunk.assign(chunk_bytes, 'A');
            sent += chunk_bytes;
            return true;
        }
        if (!sent_tail) {
            chunk = "\n" + token + "\n";
            sent_tail = true;
            return true;
        }
        return false;
    };
    const auto result = run_controlled(JWTBATCH_BINARY,
                                       {"--jwks", jwks, "--now", evaluation_time, "--summary-json",
                                        summary, "-"},
                                       control);
    CAPTURE(result.process.err, result.elapsed.count());
    CHECK(sent == line_bytes);
    CHECK(result.process.exit_status == 1);
    const auto rows = parse_csv(result.process.out);
    REQUIRE(rows.size() == 3);
    CHECK(rows[1][3] == "too_long");
    CHECK(rows[2][2] == "valid");
    const std::string json = read_whole_file(summary);
    const long long peak = json_number(json, "peak_rss_bytes");
    CAPTURE(json);
    CHECK(peak > 0);
    CHECK(static_cast<std::uint64_t>(peak) < max_peak_rss_bytes);
    WARN("2 GiB line: peak RSS " << peak / 1024 << " KiB, " << result.elapsed.count() << " ms");
}

TEST_CASE("ten million empty lines give no rows", "[e2e]") {
    const es256_signer signer;
    const temp_folder folder("jwtbatch-limits");
    const std::string jwks = folder.write("jwks.json", jwks_of(signer, "k1"));
    const std::string summary = (folder.path / "summary.json").string();
    const std::string input = folder.write("empty-lines.txt", std::string(10'000'000, '\n'));

    const auto result = run_jwtbatch(
        {"--jwks", jwks, "--now", evaluation_time, "--summary-json", summary, input});
    CAPTURE(result.err);
    CHECK(result.exit_status == 0);
    CHECK(parse_csv(result.out).size() == 1);
    const std::string json = read_whole_file(summary);
    CAPTURE(json);
    CHECK(json_number(json, "records") == 0);
    CHECK(json_number(json, "blank_lines") == 10'000'000);
    const long long peak = json_number(json, "peak_rss_bytes");
    CHECK(peak > 0);
    CHECK(static_cast<std::uint64_t>(peak) < max_peak_rss_bytes);
    WARN("10,000,000 empty lines: peak RSS " << peak / 1024 << " KiB");
}

TEST_CASE("jwks of ten thousand keys loads", "[e2e]") {
    constexpr size_t key_count = 10'000;
    const temp_folder folder("jwtbatch-limits");
    std::string jwks_json = R"({"keys":[)";
    std::vector<std::string> tokens;
    for (size_t i = 0; i < key_count; ++i) {
        const es256_signer signer;
        const std::string kid = "key-" + std::to_string(i);
        const std::string member = signer.to_jwks_json(kid);
        // to_jwks_json returns {"keys":[MEMBER]}; keep MEMBER.
        const size_t begin = member.find('[') + 1;
        jwks_json += (i == 0 ? "" : ",") + member.substr(begin, member.rfind(']') - begin);
        if (i == 0 || i == key_count / 2 || i == key_count - 1) {
            tokens.push_back(signer.sign_compact(R"({"alg":"ES256","kid":")" + kid + R"("})",
                                                 R"({"cid":"1","iat":1700000000})"));
        }
    }
    jwks_json += "]}";
    const std::string jwks = folder.write("jwks.json", jwks_json);
    const std::string summary = (folder.path / "summary.json").string();
    std::string input;
    for (const std::string& token : tokens) {
        input += token + "\n";
    }

    for (const char* verifier : {"fast", "evp"}) {
        const auto result = run_jwtbatch({"--jwks", jwks, "--now", evaluation_time, "--verifier",
                                          verifier, "--summary-json", summary},
                                         input);
        CAPTURE(verifier, result.err);
        CHECK(result.exit_status == 0);
        const auto rows = parse_csv(result.out);
        REQUIRE(rows.size() == 4);
        CHECK(rows[1][4] == "key-0");
        CHECK(rows[3][4] == "key-9999");
        const std::string json = read_whole_file(summary);
        CHECK(json_number(json, "valid") == 3);
        const long long peak = json_number(json, "peak_rss_bytes");
        CHECK(peak > 0);
        CHECK(static_cast<std::uint64_t>(peak) < max_peak_rss_bytes);
        WARN("JWKS of 10,000 keys, verifier " << verifier << ": peak RSS " << peak / 1024
                                              << " KiB, " << jwks_json.size() << " bytes of JWKS");
    }
}

TEST_CASE("deeply nested json is rejected", "[e2e]") {
    const es256_signer signer;
    const temp_folder folder("jwtbatch-limits");
    const std::string jwks = folder.write("jwks.json", jwks_of(signer, "k1"));
    const std::string header = R"({"alg":"ES256","kid":"k1"})";
    struct nesting_case {
        std::string name;
        std::string token;
        std::string reason;
    };
    const std::vector<nesting_case> cases{
        {"payload arrays 10 deep",
         signer.sign_compact(header, R"({"cid":"1","a":)" + nested("[", "]", 10, "1") + "}"), ""},
        {"payload arrays 100,000 deep",
         signer.sign_compact(header, R"({"cid":"1","a":)" + nested("[", "]", 100'000, "") + "}"),
         "bad_payload"},
        {"payload objects 100,000 deep",
         signer.sign_compact(header, R"({"cid":"1","a":)" + nested(R"({"a":)", "}", 100'000, "1")
                                         + "}"),
         "bad_payload"},
        {"payload arrays 1,000 deep",
         signer.sign_compact(header, R"({"cid":"1","a":)" + nested("[", "]", 1000, "") + "}"),
         "bad_payload"},
        {"header arrays 100,000 deep",
         signer.sign_compact(R"({"alg":"ES256","kid":"k1","x":)" + nested("[", "]", 100'000, "")
                                 + "}",
                             R"({"cid":"1"})"),
         "bad_header"},
        {"unclosed payload arrays 100,000 deep",
         signer.sign_compact(header, R"({"a":)" + std::string(100'000, '[')), "bad_payload"},
    };
    std::string input;
    for (const auto& row : cases) {
        input += row.token + "\n";
    }

    const auto result = run_jwtbatch(
        {"--jwks", jwks, "--now", evaluation_time, "--max-token-bytes", "4194304"}, input);
    CAPTURE(result.err);
    CHECK(result.exit_status == 1);
    const auto rows = parse_csv(result.out);
    REQUIRE(rows.size() == cases.size() + 1);
    for (size_t i = 0; i < cases.size(); ++i) {
        CAPTURE(cases[i].name);
        CHECK(rows[i + 1][2] == (cases[i].reason.empty() ? "valid" : "invalid"));
        CHECK(rows[i + 1][3] == cases[i].reason);
    }
}

TEST_CASE("max token bytes bounds each record", "[e2e]") {
    const es256_signer signer;
    const temp_folder folder("jwtbatch-limits");
    const std::string jwks = folder.write("jwks.json", jwks_of(signer, "k1"));
    const std::string token =
        signer.sign_compact(R"({"alg":"ES256","kid":"k1"})",
                            R"({"cid":"1","pad":")" + std::string(3000, 'p') + R"("})");
    // The token is about 4 KiB: under a limit of its exact length it is checked, one byte less
    // and it is too_long without being parsed.
    const std::string exact = std::to_string(token.size());
    const std::string less = std::to_string(token.size() - 1);
    const auto at_limit = run_jwtbatch(
        {"--jwks", jwks, "--now", evaluation_time, "--max-token-bytes", exact}, token + "\n");
    const auto over_limit = run_jwtbatch(
        {"--jwks", jwks, "--now", evaluation_time, "--max-token-bytes", less}, token + "\n");
    CAPTURE(at_limit.err, over_limit.err);
    REQUIRE(parse_csv(at_limit.out).size() == 2);
    REQUIRE(parse_csv(over_limit.out).size() == 2);
    CHECK(parse_csv(at_limit.out)[1][2] == "valid");
    CHECK(parse_csv(over_limit.out)[1][3] == "too_long");
}
