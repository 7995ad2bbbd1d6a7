// Runs of the built binary on NDJSON, CSV and compressed logs: the same tokens in every format
// give the same verdicts, kept fields and event times carry through, and compressed input
// faults are reported per file.
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <zlib.h>

#include "cli/sample_tokens.hpp"
#include "jws/es256_signer.hpp"
#include "support/csv.hpp"
#include "support/jose_builder.hpp"
#include "support/process.hpp"

using namespace jwtbatch::test;
using jwtbatch::jws::es256_signer;

namespace {

/// The evaluation time the generated tokens are made for: iat a minute before, exp an hour after.
constexpr double issue_time = 1793613600;
constexpr const char* issue_time_text = "1793613600";
constexpr const char* issue_time_rfc3339 = "2026-11-02T10:00:00Z";
/// Ten days later: every generated token has expired by then.
constexpr const char* later_time = "1794477600";

std::vector<std::string> split_lines(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream stream(text);
    std::string line;
    while (std::getline(stream, line)) {
        lines.push_back(line);
    }
    return lines;
}

/// Compresses `data` as one gzip member (RFC 1952) with zlib.
std::string gzip(std::string_view data) {
    z_stream stream{};
    REQUIRE(deflateInit2(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8,
                         Z_DEFAULT_STRATEGY)
            == Z_OK);
    std::string out(deflateBound(&stream, data.size()), '\0');
    stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    stream.avail_in = static_cast<uInt>(data.size());
    stream.next_out = reinterpret_cast<Bytef*>(out.data());
    stream.avail_out = static_cast<uInt>(out.size());
    REQUIRE(deflate(&stream, Z_FINISH) == Z_STREAM_END);
    out.resize(stream.total_out);
    deflateEnd(&stream);
    return out;
}

/// Signed tokens and a JWKS for them, written into a temporary folder.
struct token_fixture {
    es256_signer signer;
    temp_folder folder{"jwtbatch-formats"};
    std::string jwks = folder.write("jwks.json", signer.to_jwks_json("k1"));

    /// Returns `count` records: valid tokens, with every 7th signature altered
    /// (bad_signature) and every 11th replaced by text that is no token (malformed).
    std::vector<std::string> mixed_tokens(size_t count) const {
        auto tokens = split_lines(jwtbatch::cli::make_sample_tokens(signer, "k1", count, issue_time));
        for (size_t i = 0; i < tokens.size(); ++i) {
            if (i % 11 == 5) {
                tokens[i] = "not-a-token-" + std::to_string(i);
            } else if (i % 7 == 3) {
                char& last = tokens[i][tokens[i].size() - 2];
                last = last == 'A' ? 'B' : 'A';
            }
        }
        return tokens;
    }
};

std::string as_lines(const std::vector<std::string>& tokens) {
    std::string text;
    for (const auto& token : tokens) {
        text += token + "\n";
    }
    return text;
}

/// NDJSON with the token under /auth/token, sometimes with a Bearer prefix, beside an order id
/// and a note with escapes and non-ASCII text.
std::string as_ndjson(const std::vector<std::string>& tokens, size_t first_order = 0) {
    std::string text;
    for (size_t i = 0; i < tokens.size(); ++i) {
        const std::string token = (i % 3 == 0 ? "Bearer " : "") + tokens[i];
        text += R"({"order_id":"o)" + std::to_string(first_order + i) + R"(","note":"caf\u00e9 \"q\" \n 😀",)"
                + R"("auth":{"token":")" + token + R"("},"n":)" + std::to_string(i) + "}\n";
    }
    return text;
}

/// CSV with a header, quoted notes holding commas, quotes and line ends, and CRLF line ends.
std::string as_csv(const std::vector<std::string>& tokens) {
    std::string text = "order_id,note,token\r\n";
    for (size_t i = 0; i < tokens.size(); ++i) {
        text += "o" + std::to_string(i) + ",\"a, \"\"b\"\"\nsecond line\"," + tokens[i] + "\r\n";
    }
    return text;
}

/// Returns "status/reason" of each row after the header, in order.
std::vector<std::string> verdicts(const std::string& csv) {
    std::vector<std::string> out;
    auto rows = parse_csv(csv);
    for (size_t i = 1; i < rows.size(); ++i) {
        out.push_back(rows[i][2] + "/" + rows[i][3]);
    }
    return out;
}

process_result run(const token_fixture& fixture, std::vector<std::string> args) {
    std::vector<std::string> full{"--jwks", fixture.jwks, "--now", issue_time_text};
    full.insert(full.end(), args.begin(), args.end());
    return run_jwtbatch(full);
}

} // namespace

TEST_CASE("every input format gives identical verdicts", "[e2e]") {
    const token_fixture fixture;
    const auto tokens = fixture.mixed_tokens(2000);
    const std::string lines = fixture.folder.write("tokens.txt", as_lines(tokens));
    const std::string ndjson = fixture.folder.write("log.ndjson", as_ndjson(tokens));
    const std::string csv = fixture.folder.write("log.csv", as_csv(tokens));
    const std::string gz = fixture.folder.write("log.ndjson.gz", gzip(as_ndjson(tokens)));

    const auto plain = run(fixture, {lines});
    REQUIRE(plain.exit_status == 1);
    const auto expected = verdicts(plain.out);
    REQUIRE(expected.size() == 2000);
    CHECK(std::count(expected.begin(), expected.end(), "valid/") > 1500);
    CHECK(std::count(expected.begin(), expected.end(), "invalid/bad_signature") > 100);
    CHECK(std::count(expected.begin(), expected.end(), "invalid/malformed") > 100);

    const std::vector<std::vector<std::string>> runs{
        {"--input-format", "ndjson", "--token-field", "/auth/token", ndjson},
        {"--input-format", "csv", csv},
        {"--input-format", "ndjson", "--token-field", "/auth/token", gz},
        {"--input-format", "auto", "--token-field", "/auth/token", gz},
        {"--input-format", "auto", csv},
    };
    for (const auto& args : runs) {
        CAPTURE(args);
        const auto result = run(fixture, args);
        CAPTURE(result.err);
        CHECK(result.exit_status == 1);
        CHECK(verdicts(result.out) == expected);
    }
}

TEST_CASE("csv rows keep columns and first line numbers", "[e2e]") {
    const token_fixture fixture;
    const auto tokens = fixture.mixed_tokens(4);
    const std::string csv = fixture.folder.write("log.csv", as_csv(tokens));
    const auto result = run(fixture, {"--input-format", "csv", "--keep", "order_id,note", csv});
    CAPTURE(result.err);
    const auto rows = parse_csv(result.out);
    REQUIRE(rows.size() == 5);
    CHECK(rows[0] == csv_row{"source", "line", "status", "reason", "kid", "order_id", "note",
                             "cid", "crid", "rclid", "iat", "exp"});
    // Each record spans two lines after the one-line header.
    CHECK(rows[1][1] == "2");
    CHECK(rows[2][1] == "4");
    CHECK(rows[4][1] == "8");
    CHECK(rows[1][5] == "o0");
    CHECK(rows[1][6] == "a, \"b\"\\u000asecond line"); // the LF is escaped in the output cell
    CHECK(rows[1][2] == "valid");
}

TEST_CASE("ndjson rows keep typed values", "[e2e]") {
    const token_fixture fixture;
    const auto tokens = fixture.mixed_tokens(1);
    const std::string log = fixture.folder.write("log.ndjson", as_ndjson(tokens));
    const auto result = run(fixture,
                            {"--input-format", "ndjson", "--token-field", "/auth/token", "--keep",
                             "order_id,/n,/note,/absent", "--format", "ndjson", log});
    CAPTURE(result.err);
    CHECK(result.exit_status == 0);
    CHECK(result.out.find(R"("keep":{"order_id":"o0","/n":0,"/note":"café \"q\" \n 😀"},)")
          != std::string::npos);
}

TEST_CASE("structured records without token get rows", "[e2e]") {
    const token_fixture fixture;
    const auto tokens = fixture.mixed_tokens(1);
    const std::string log = fixture.folder.write(
        "log.ndjson",
        R"({"id":1,"token":")" + tokens[0] + "\"}\n" + R"({"id":2})" + "\n"
            + R"({"id":3,"token":null})" + "\n" + R"({"id":4,"token":"  "})" + "\n"
            + R"({"id":5,"token":42})" + "\n" + "{\"id\":6,\n" + R"({"id":7,"token":"'x.y'"})"
            + "\n");
    const auto result = run(fixture, {"--input-format", "ndjson", "--keep", "id", log});
    CAPTURE(result.out, result.err);
    CHECK(result.exit_status == 1);
    const auto rows = parse_csv(result.out);
    REQUIRE(rows.size() == 8);
    const std::vector<std::string> expected{"", "no_token", "no_token", "no_token",
                                            "bad_record", "bad_record", "malformed"};
    for (size_t i = 0; i < expected.size(); ++i) {
        CAPTURE(i);
        CHECK(rows[i + 1][3] == expected[i]);
        CHECK(rows[i + 1][1] == std::to_string(i + 1));
    }
    CHECK(rows[2][5] == "2"); // the kept id joins the row back
    CHECK(result.err.find("no_token 3") != std::string::npos);
}

TEST_CASE("csv header must name the columns", "[e2e]") {
    const token_fixture fixture;
    const std::string csv = fixture.folder.write("log.csv", "id,jwt\n1,a.b.c\n");
    const auto missing = run(fixture, {"--input-format", "csv", csv});
    CHECK(missing.exit_status == 2);
    CHECK(missing.err.find("log.csv: no column 'token'") != std::string::npos);
    CHECK(missing.err.find("columns: id, jwt") != std::string::npos);

    const auto by_index = run(fixture, {"--input-format", "csv", "--token-column", "2", csv});
    CHECK(by_index.exit_status == 1);
    const auto rows = parse_csv(by_index.out);
    REQUIRE(rows.size() == 2);
    CHECK(rows[1][3] == "bad_base64");
}

TEST_CASE("event time decides exp instead of now", "[e2e]") {
    const token_fixture fixture;
    const auto token = split_lines(jwtbatch::cli::make_sample_tokens(fixture.signer, "k1", 1, issue_time))[0];
    const std::string log = fixture.folder.write(
        "log.ndjson",
        R"({"ts":")" + std::string(issue_time_rfc3339) + R"(","token":")" + token + "\"}\n"
            + R"({"ts":"2026-11-02T12:00:00Z","token":")" + token + "\"}\n"
            + R"({"ts":"last tuesday","token":")" + token + "\"}\n" + R"({"token":")" + token
            + "\"}\n");
    const std::vector<std::string> base{"--jwks", fixture.jwks, "--now", later_time,
                                        "--input-format", "ndjson"};

    auto args = base;
    args.push_back(log);
    const auto at_now = run_jwtbatch(args);
    auto rows = parse_csv(at_now.out);
    REQUIRE(rows.size() == 5);
    CHECK(rows[1][3] == "expired");

    args = base;
    args.insert(args.end(), {"--time-field", "ts", "--time-format", "rfc3339", log});
    const auto at_event = run_jwtbatch(args);
    CAPTURE(at_event.err);
    rows = parse_csv(at_event.out);
    REQUIRE(rows.size() == 5);
    CHECK(rows[1][2] == "valid");
    CHECK(rows[2][3] == "expired");
    CHECK(rows[3][3] == "bad_record");
    CHECK(rows[4][3] == "bad_record");

    const std::string unix_log = fixture.folder.write(
        "unix.ndjson", R"({"ms":)" + std::string(issue_time_text) + "000,\"token\":\"" + token + "\"}\n");
    args = base;
    args.insert(args.end(), {"--time-field", "/ms", "--time-format", "unix-ms", unix_log});
    const auto at_ms = run_jwtbatch(args);
    CHECK(at_ms.exit_status == 0);
}

TEST_CASE("concatenated gzip members read as one file", "[e2e]") {
    const token_fixture fixture;
    const auto tokens = fixture.mixed_tokens(40);
    const std::vector<std::string> first(tokens.begin(), tokens.begin() + 25);
    const std::vector<std::string> second(tokens.begin() + 25, tokens.end());
    const std::string both = fixture.folder.write(
        "both.ndjson.gz", gzip(as_ndjson(first)) + gzip(as_ndjson(second, 25)));
    const auto result = run(fixture, {"--input-format", "ndjson", "--token-field", "/auth/token",
                                      "--keep", "order_id", both});
    CAPTURE(result.err);
    CHECK(result.exit_status == 1);
    const auto rows = parse_csv(result.out);
    REQUIRE(rows.size() == 41);
    CHECK(rows[26][1] == "26");
    CHECK(rows[26][5] == "o25");
    CHECK(rows[40][5] == "o39");
}

TEST_CASE("truncated gzip reports file and records read", "[e2e]") {
    const token_fixture fixture;
    const auto tokens = fixture.mixed_tokens(400);
    const std::string whole = gzip(as_ndjson(tokens));
    const std::string cut = fixture.folder.write("cut.ndjson.gz", whole.substr(0, whole.size() / 2));
    const std::string good = fixture.folder.write("good.txt", as_lines({tokens[0]}));
    const auto result = run(fixture, {"--input-format", "ndjson", "--token-field", "/auth/token",
                                      "--keep", "order_id", cut, good});
    CAPTURE(result.err);
    CHECK(result.exit_status == 2);
    CHECK(result.err.find("cut.ndjson.gz: truncated gzip stream after ") != std::string::npos);
    const auto rows = parse_csv(result.out);
    REQUIRE(rows.size() > 2);
    // Rows before the fault are complete and in order, then the next file is still verified.
    const size_t cut_rows = rows.size() - 2;
    CHECK(result.err.find("after " + std::to_string(cut_rows) + " records") != std::string::npos);
    for (size_t i = 1; i <= cut_rows; ++i) {
        CHECK(rows[i][5] == "o" + std::to_string(i - 1));
    }
    CHECK(rows.back()[0] == good);
}

TEST_CASE("output options shape rows", "[e2e]") {
    const token_fixture fixture;
    const auto tokens = fixture.mixed_tokens(12);
    const std::string lines = fixture.folder.write("tokens.txt", as_lines(tokens));

    const auto dated = run(fixture, {"--timestamps", "rfc3339", "--fields", "iat,exp", lines});
    auto rows = parse_csv(dated.out);
    REQUIRE(rows.size() == 13);
    CHECK(rows[1][5] == "2026-11-02T09:59:00Z");
    CHECK(rows[1][6] == "2026-11-02T10:59:00Z");

    const auto only_invalid = run(fixture, {"--only", "invalid", "--emit-unverified-claims", lines});
    rows = parse_csv(only_invalid.out);
    REQUIRE(rows.size() == 4); // lines 4 and 11 (bad signature) and line 6 (malformed)
    CHECK(rows[0].back() == "unverified_claims");
    CHECK(rows[1][3] == "bad_signature");
    CHECK(rows[1].back().find("\"cid\":") != std::string::npos);
    CHECK(rows[2][3] == "malformed");
    CHECK(rows[2].back().empty());
    CHECK(only_invalid.err.find("12 records, 9 valid, 3 invalid") != std::string::npos);

    const auto ndjson = run(fixture, {"--only", "invalid", "--emit-unverified-claims",
                                      "--format", "ndjson", "--timestamps", "rfc3339", lines});
    CHECK(ndjson.out.find(R"("unverified_claims":{"cid":)") != std::string::npos);
    CHECK(ndjson.out.find(R"("iat":"2026-11-02T09:59:00Z")") != std::string::npos);

    const auto valid_only = run(fixture, {"--only", "valid", lines});
    CHECK(parse_csv(valid_only.out).size() == 10);
}

TEST_CASE("progress line shown only on a terminal", "[e2e]") {
    const token_fixture fixture;
    const std::string lines = fixture.folder.write("tokens.txt", as_lines(fixture.mixed_tokens(20)));
    const std::string command = std::string(JWTBATCH_BINARY) + " --jwks " + fixture.jwks
                                + " --now " + issue_time_text + " --output "
                                + (fixture.folder.path / "out.csv").string() + " " + lines;
    // script(1) from util-linux gives the command a pseudo-terminal and copies what it prints.
    const auto on_terminal = run_process("/usr/bin/script", {"-qec", command, "/dev/null"});
    CAPTURE(on_terminal.out);
    CHECK(on_terminal.out.find("records, ") != std::string::npos);
    CHECK(on_terminal.out.find("\x1b[K") != std::string::npos);
    CHECK(on_terminal.out.find("tokens/s") != std::string::npos);

    const auto quiet = run_process("/usr/bin/script", {"-qec", command + " --quiet", "/dev/null"});
    CHECK(quiet.out.find("\x1b[K") == std::string::npos);

    const auto piped = run(fixture, {lines});
    CHECK(piped.err.find('\r') == std::string::npos);
    CHECK(piped.out.find('\r') == std::string::npos);
}

TEST_CASE("gzip on stdin detected by magic", "[e2e]") {
    const token_fixture fixture;
    const auto tokens = fixture.mixed_tokens(12);
    const auto result = run_jwtbatch({"--jwks", fixture.jwks, "--now", issue_time_text,
                                      "--input-format", "auto", "--token-field", "/auth/token"},
                                     gzip(as_ndjson(tokens)));
    CAPTURE(result.err);
    CHECK(result.exit_status == 1);
    const auto rows = parse_csv(result.out);
    REQUIRE(rows.size() == 13);
    CHECK(rows[1][0] == "-"); // stdin's name is not a formula, so it is written as it is
    CHECK(rows[1][2] == "valid");
}

TEST_CASE("input options are validated", "[e2e]") {
    const token_fixture fixture;
    const std::vector<std::pair<std::vector<std::string>, std::string>> cases{
        {{"--keep", "id"}, "--keep and --time-field need structured records"},
        {{"--time-field", "ts"}, "--keep and --time-field need structured records"},
        {{"--input-format", "xml"}, "invalid value for --input-format: 'xml'"},
        {{"--input-format", "ndjson", "--token-field", "/a~2"}, "invalid value for --token-field"},
        {{"--input-format", "csv", "--csv-delimiter", ";;"}, "invalid value for --csv-delimiter"},
        {{"--input-format", "csv", "--time-field", "ts", "--time-format", "iso"},
         "invalid value for --time-format: 'iso'"},
        {{"--only", "maybe"}, "invalid value for --only: 'maybe'"},
        {{"--timestamps", "local"}, "invalid value for --timestamps: 'local'"},
    };
    for (const auto& [args, message] : cases) {
        CAPTURE(args);
        const auto result = run(fixture, args);
        CAPTURE(result.err);
        CHECK(result.exit_status == 2);
        CHECK(result.err.find(message) != std::string::npos);
        CHECK(result.out.empty());
    }
    const auto help = run_jwtbatch({"--help"});
    CHECK(help.out.find("--input-format") != std::string::npos);
    CHECK(help.out.find("--emit-unverified-claims") != std::string::npos);
}
