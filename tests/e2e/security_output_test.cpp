// Output safety through the binary: CSV cells that a spreadsheet would run as formulas are
// guarded unless --no-formula-guard, and control characters in claims are escaped in CSV and
// NDJSON.
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "jws/es256_signer.hpp"
#include "support/csv.hpp"
#include "support/jose_builder.hpp"
#include "support/process.hpp"

using namespace jwtbatch::test;
using jwtbatch::jws::es256_signer;

namespace {

constexpr const char* evaluation_time = "1700000100";

bool has_raw_control_byte(const std::string& text) {
    for (char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if ((byte < 0x20 && byte != '\n') || byte == 0x7f) {
            return true;
        }
    }
    return false;
}

} // namespace

TEST_CASE("csv formula cells are guarded", "[e2e]") {
    const es256_signer signer;
    const temp_folder folder("jwtbatch-output");
    const std::string kid = "=kid";
    const std::string jwks = folder.write("jwks.json", signer.to_jwks_json(kid));
    const std::string token = signer.sign_compact(
        R"({"alg":"ES256","kid":"=kid"})",
        R"json({"cid":"=HYPERLINK(\"http://127.0.0.1/\",\"x\")","crid":"+1","rclid":"-2+3","tag":"@SUM(A1)","iat":1700000000,"n":-5,"safe":"a=b"})json");
    // Runs the binary with the claim columns of the token and returns its one data row.
    auto run_row = [&](const std::vector<std::string>& extra_args, std::string& out) {
        std::vector<std::string> args{"--jwks", jwks, "--now", evaluation_time, "--fields",
                                      "cid,crid,rclid,tag,n,safe"};
        args.insert(args.end(), extra_args.begin(), extra_args.end());
        const auto result = run_jwtbatch(args, token + "\n");
        out = result.out;
        CAPTURE(result.out, result.err);
        REQUIRE(result.exit_status == 0);
        const auto rows = parse_csv(result.out);
        REQUIRE(rows.size() == 2);
        REQUIRE(rows[1].size() == 11);
        return rows[1];
    };

    SECTION("guarded by default") {
        std::string out;
        const auto row = run_row({}, out);
        CHECK(row[4] == "'=kid");
        CHECK(row[5] == R"('=HYPERLINK("http://127.0.0.1/","x"))");
        CHECK(row[6] == "'+1");
        CHECK(row[7] == "'-2+3");
        CHECK(row[8] == "'@SUM(A1)");
        CHECK(row[9] == "-5"); // a number is never changed
        CHECK(row[10] == "a=b");
        // Guarded cells are quoted, so no cell of the raw text starts with '=', '+' or '@'.
        CHECK(out.find(",=") == std::string::npos);
        CHECK(out.find(",+") == std::string::npos);
        CHECK(out.find(",@") == std::string::npos);
    }
    SECTION("written unchanged with no-formula-guard") {
        std::string out;
        const auto row = run_row({"--no-formula-guard"}, out);
        CHECK(row[4] == "=kid");
        CHECK(row[5] == R"(=HYPERLINK("http://127.0.0.1/","x"))");
        CHECK(row[6] == "+1");
        CHECK(row[7] == "-2+3");
        CHECK(row[8] == "@SUM(A1)");
    }
    SECTION("an invalid row guards its kid") {
        const auto result = run_jwtbatch({"--jwks", jwks, "--now", evaluation_time},
                                         signer.sign_compact(R"({"alg":"ES256","kid":"@x"})",
                                                             "{}")
                                             + "\n");
        const auto rows = parse_csv(result.out);
        REQUIRE(rows.size() == 2);
        CHECK(rows[1][3] == "unknown_kid");
        CHECK(rows[1][4] == "'@x");
    }
}

TEST_CASE("control characters in claims are escaped", "[e2e]") {
    const es256_signer signer;
    const temp_folder folder("jwtbatch-output");
    const std::string jwks = folder.write("jwks.json", signer.to_jwks_json("k1"));
    // Every C0 control, escaped in the JSON text, and a kid with a line feed, a NUL and ESC.
    std::string controls;
    for (int c = 1; c < 0x20; ++c) {
        char escaped[8];
        std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
        controls += escaped;
    }
    const std::string payload = R"({"cid":"a\u0000b)" + controls + R"(z","crid":"line1\nline2\r\n=x","iat":1700000000})";
    const std::string valid = signer.sign_compact(R"({"alg":"ES256","kid":"k1"})", payload);
    const std::string bad_kid =
        signer.sign_compact(R"({"alg":"ES256","kid":"k\n1\u0000\u001b[31m"})", payload);
    const std::string input = valid + "\n" + bad_kid + "\n";

    SECTION("csv") {
        const auto result = run_jwtbatch({"--jwks", jwks, "--now", evaluation_time}, input);
        CAPTURE(result.out, result.err);
        CHECK(result.exit_status == 1);
        CHECK_FALSE(has_raw_control_byte(result.out));
        const auto rows = parse_csv(result.out);
        REQUIRE(rows.size() == 3);
        REQUIRE(rows[1].size() == 10);
        CHECK(rows[1][2] == "valid");
        CHECK(rows[1][5].find("a\\u0000b\\u0001") == 0);
        CHECK(rows[1][5].find("\\u001fz") != std::string::npos);
        CHECK(rows[1][6] == "line1\\u000aline2\\u000d\\u000a=x");
        CHECK(rows[2][3] == "unknown_kid");
        CHECK(rows[2][4] == "k\\u000a1\\u0000\\u001b[31m");
    }
    SECTION("ndjson") {
        const auto result =
            run_jwtbatch({"--jwks", jwks, "--now", evaluation_time, "--format", "ndjson"}, input);
        CAPTURE(result.out, result.err);
        CHECK(result.exit_status == 1);
        CHECK_FALSE(has_raw_control_byte(result.out));
        const auto first_end = result.out.find('\n');
        REQUIRE(first_end != std::string::npos);
        CHECK(result.out.find('\n', first_end + 1) == result.out.size() - 1);
        CHECK(result.out.find(R"("cid":"a\u0000b\u0001)") != std::string::npos);
        CHECK(result.out.find(R"(line1\nline2\r\n=x)") != std::string::npos);
        CHECK(result.out.find(R"("kid":"k\n1\u0000\u001b[31m")") != std::string::npos);
    }
}

TEST_CASE("raw del in claims is escaped", "[e2e]") {
    // JSON allows a raw DEL (0x7F) inside a string, so a payload can carry one unescaped.
    const es256_signer signer;
    const temp_folder folder("jwtbatch-output");
    const std::string jwks = folder.write("jwks.json", signer.to_jwks_json("k1"));
    const std::string token = signer.sign_compact(R"({"alg":"ES256","kid":"k1"})",
                                                  "{\"cid\":\"a\x7f" "b\",\"iat\":1700000000}");
    for (const char* format : {"csv", "ndjson"}) {
        const auto result = run_jwtbatch(
            {"--jwks", jwks, "--now", evaluation_time, "--format", format}, token + "\n");
        CAPTURE(format, result.out, result.err);
        CHECK(result.exit_status == 0);
        CHECK_FALSE(has_raw_control_byte(result.out));
    }
}

TEST_CASE("summary escapes control characters in kid", "[e2e]") {
    const es256_signer signer;
    const temp_folder folder("jwtbatch-output");
    const std::string jwks = folder.write("jwks.json", signer.to_jwks_json("k1"));
    const std::string summary = (folder.path / "summary.json").string();
    const std::string token = signer.sign_compact(
        R"({"alg":"ES256","kid":"evil\n\u001b[2Jjwtbatch: summary: 0 invalid"})", "{}");
    const auto result = run_jwtbatch(
        {"--jwks", jwks, "--now", evaluation_time, "--summary-json", summary}, token + "\n");
    CAPTURE(result.err);
    CHECK(result.exit_status == 1);
    // The only raw line feeds are the line ends of the summary lines, which all start with the
    // program name; a kid cannot start a line of its own or send a terminal escape.
    CHECK(result.err.find('\x1b') == std::string::npos);
    CHECK(result.err.find("evil\n") == std::string::npos);
    const std::string json = read_whole_file(summary);
    CAPTURE(json);
    CHECK_FALSE(has_raw_control_byte(json));
    CHECK(json.find("\\u001b[2J") != std::string::npos);
}
