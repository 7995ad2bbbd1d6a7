// Repeated tokens take a shortcut: a thread remembers the checks of a token it has seen, and the
// dedup cache remembers signature verdicts. These runs prove the shortcut invisible: the same log
// gives byte-identical output and counts with remembering on and off.
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "jws/es256_signer.hpp"
#include "support/jose_builder.hpp"
#include "support/process.hpp"

using namespace jwtbatch::test;
using jwtbatch::jws::es256_signer;

namespace {

/// Returns a compact token with header kid `kid` over `payload`, signed by `signer`.
std::string sign(const es256_signer& signer, std::string_view kid, std::string_view payload) {
    return signer.sign_compact(R"({"alg":"ES256","kid":")" + std::string(kid) + R"("})", payload);
}

/// Tokens whose verdicts differ in every way a remembered result could get wrong: by time, by
/// signature, by payload, by claim policy, by key, and with cells that need CSV quoting.
std::vector<std::string> varied_tokens(const es256_signer& signer) {
    std::vector<std::string> tokens{
        // valid between nbf 1000 and exp 2000, with fields that need quoting and a formula guard
        sign(signer, "k1",
             R"({"iss":"issuer-a","aud":["x","aud-a"],"nbf":1000,"iat":1000,"exp":2000,)"
             R"("cid":"a,\"b\"","crid":"=1+2","rclid":{"n":[1,2.5e3]}})"),
        // no times at all
        sign(signer, "k1", R"({"iss":"issuer-a","aud":"aud-a","cid":"plain"})"),
        // valid signature over a payload that is not JSON
        sign(signer, "k1", "not json"),
        // a duplicate member name
        sign(signer, "k1", R"({"iss":"issuer-a","aud":"aud-a","cid":1,"cid":2})"),
        // the wrong issuer, then an exp that is not a number
        sign(signer, "k1", R"({"iss":"issuer-b","aud":"aud-a","exp":2000})"),
        sign(signer, "k1", R"({"iss":"issuer-a","aud":"aud-a","exp":"2000"})"),
        // a kid that no key has
        sign(signer, "k9", R"({"iss":"issuer-a","aud":"aud-a"})"),
        "not-a-token",
    };
    // a bad signature over the first payload
    std::string forged = tokens[0];
    char& last = forged[forged.size() - 2];
    last = last == 'A' ? 'B' : 'A';
    tokens.push_back(forged);
    return tokens;
}

/// NDJSON where every token comes back many times with event times before nbf, inside the
/// validity window and after exp, spread over several batches.
std::string repeated_log(const std::vector<std::string>& tokens) {
    const char* times[] = {"500", "1500", "2500", "1999.5"};
    std::string text;
    for (size_t i = 0; i < 1500; ++i) {
        const size_t pick = (i * 7 + i / 13) % tokens.size();
        text += R"({"ts":)" + std::string(times[(i / tokens.size()) % 4]) + R"(,"order":")"
                + std::to_string(i) + R"(","token":")" + tokens[pick] + "\"}\n";
    }
    return text;
}

} // namespace

TEST_CASE("remembered tokens match full checks", "[e2e]") {
    const es256_signer signer;
    const temp_folder folder{"jwtbatch-repeats"};
    const std::string jwks = folder.write("jwks.json", signer.to_jwks_json("k1"));
    const std::string log = folder.write("log.ndjson", repeated_log(varied_tokens(signer)));
    const std::vector<std::string> base{"--jwks", jwks, "--input-format", "ndjson",
                                        "--time-field", "ts", "--time-format", "unix",
                                        "--issuer", "issuer-a", "--audience", "aud-a"};

    const std::vector<std::vector<std::string>> variants{
        {},
        {"--timestamps", "rfc3339"},
        {"--emit-unverified-claims"},
        {"--format", "ndjson"},
        {"--format", "ndjson", "--emit-unverified-claims", "--timestamps", "rfc3339"},
        {"--only", "invalid", "--keep", "order"},
        {"--fields", "cid,crid,rclid,nbf,exp,missing"},
        {"--leeway", "600"},
    };
    for (const auto& variant : variants) {
        for (const char* threads : {"1", "2"}) {
            auto args = base;
            args.insert(args.end(), variant.begin(), variant.end());
            args.insert(args.end(), {"--threads", threads});
            auto full = args;
            full.insert(full.end(), {"--dedup-cache", "0", "--summary-json",
                                     (folder.path / "full.json").string(), log});
            auto remembered = args;
            remembered.insert(remembered.end(), {"--summary-json",
                                                 (folder.path / "remembered.json").string(), log});
            const auto checked = run_jwtbatch(full);
            const auto shortcut = run_jwtbatch(remembered);
            CAPTURE(args, checked.err, shortcut.err);
            REQUIRE(checked.exit_status == 1);
            CHECK(shortcut.exit_status == checked.exit_status);
            CHECK(shortcut.out == checked.out);
            CHECK(shortcut.out.size() > 1000);

            const std::string full_summary = read_whole_file(folder.path / "full.json");
            const std::string remembered_summary = read_whole_file(folder.path / "remembered.json");
            const auto counts = [](const std::string& summary) {
                // The reason and kid counts, which follow the timing and dedup fields.
                return summary.substr(summary.find("\"exit_status\""));
            };
            CHECK(counts(remembered_summary) == counts(full_summary));
            CHECK(full_summary.find("\"dedup_hits\":0,") != std::string::npos);
            CHECK(remembered_summary.find("\"dedup_hits\":0,") == std::string::npos);
        }
    }
}

TEST_CASE("adjacent repeats share one verification", "[e2e]") {
    // Each token three times in a row, so every repeat falls in the batch of its first copy,
    // before any verdict is stored.
    const es256_signer signer;
    const temp_folder folder{"jwtbatch-repeats"};
    const std::string jwks = folder.write("jwks.json", signer.to_jwks_json("k1"));
    std::string lines;
    for (int i = 0; i < 50; ++i) {
        const std::string token =
            sign(signer, "k1", R"({"cid":")" + std::to_string(i) + R"(","exp":4000000000})");
        lines += token + "\n" + token + "\n" + token + "\n";
    }
    const std::string log = folder.write("log.txt", lines);
    const std::string summary = (folder.path / "summary.json").string();

    const auto run = run_jwtbatch({"--jwks", jwks, "--threads", "1", "--summary-json", summary, log});
    CAPTURE(run.err);
    CHECK(run.exit_status == 0);
    CHECK(read_whole_file(summary).find("\"dedup_hits\":100,") != std::string::npos);

    const auto unshared = run_jwtbatch(
        {"--jwks", jwks, "--threads", "1", "--dedup-cache", "0", "--summary-json", summary, log});
    CHECK(unshared.out == run.out);
    CHECK(read_whole_file(summary).find("\"dedup_hits\":0,") != std::string::npos);
}
