// Runs of the built jwtbatch binary on the sample data, the RFC 7515 example and bad options.
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include <catch2/catch.hpp>

#include "support/csv.hpp"
#include "support/process.hpp"
#include "support/vectors.hpp"

namespace fs = std::filesystem;
using jwtbatch::test::parse_csv;
using jwtbatch::test::run_jwtbatch;

namespace {

std::string data_path(const std::string& name) { return std::string(JWTBATCH_DATA_DIR) + "/" + name; }

std::string read_file(const fs::path& path) {
    std::ifstream file(path, std::ios::binary);
    std::ostringstream contents;
    contents << file.rdbuf();
    return contents.str();
}

std::string sample_now() {
    std::string now = read_file(data_path("sample-now.txt"));
    while (!now.empty() && (now.back() == '\n' || now.back() == '\r')) {
        now.pop_back();
    }
    return now;
}

/// Reads the expected status of each line from the table in data/README.md.
std::map<std::string, std::string> expected_sample_reasons() {
    std::map<std::string, std::string> expected;
    std::istringstream readme(read_file(data_path("README.md")));
    std::string line;
    while (std::getline(readme, line)) {
        if (line.rfind("| ", 0) != 0 || line.find('`') == std::string::npos) {
            continue;
        }
        auto number_end = line.find(' ', 2);
        auto tick = line.find('`');
        auto tick_end = line.find('`', tick + 1);
        expected[line.substr(2, number_end - 2)] = line.substr(tick + 1, tick_end - tick - 1);
    }
    return expected;
}

struct temp_dir {
    fs::path path;

    temp_dir() {
        char pattern[] = "/tmp/jwtbatch-e2e-XXXXXX";
        path = mkdtemp(pattern);
    }

    ~temp_dir() { fs::remove_all(path); }
};

} // namespace

TEST_CASE("sample data rows match data readme", "[e2e]") {
    auto result =
        run_jwtbatch({"--jwks", data_path("jwks.json"), "--now", sample_now(), data_path("tokens.txt")});
    CAPTURE(result.err);
    REQUIRE(result.exit_status == 1);
    auto rows = parse_csv(result.out);
    REQUIRE(rows.size() >= 2);
    CHECK(rows[0] == jwtbatch::test::csv_row{"source", "line", "status", "reason", "kid", "cid",
                                             "crid", "rclid", "iat", "exp"});
    auto expected = expected_sample_reasons();
    REQUIRE(rows.size() == expected.size() + 1);
    for (size_t i = 1; i < rows.size(); ++i) {
        const auto& row = rows[i];
        CAPTURE(row);
        REQUIRE(row.size() == 10);
        const std::string& want = expected.at(row[1]);
        if (want == "valid") {
            CHECK(row[2] == "valid");
            CHECK(row[3].empty());
            CHECK(row[5].size() == 19);
            CHECK(row[7].size() == 64);
        } else {
            CHECK(row[2] == "invalid");
            CHECK(row[3] == want);
        }
    }
    CHECK(result.err.find("summary") != std::string::npos);
}

TEST_CASE("rfc 7515 a.3 example is valid", "[e2e]") {
    auto token = jwtbatch::test::read_vector_file("rfc7515-a3/token.txt");
    if (!token) {
        return;
    }
    const std::string jwks = jwtbatch::test::vector_path("rfc7515-a3/jwks.json").string();

    SECTION("valid before its exp") {
        auto result = run_jwtbatch({"--jwks", jwks, "--now", "1300819000"}, *token);
        CAPTURE(result.out, result.err);
        CHECK(result.exit_status == 0);
        auto rows = parse_csv(result.out);
        REQUIRE(rows.size() == 2);
        CHECK(rows[1][2] == "valid");
    }
    SECTION("expired with the current clock") {
        auto result = run_jwtbatch({"--jwks", jwks}, *token);
        CHECK(result.exit_status == 1);
        auto rows = parse_csv(result.out);
        REQUIRE(rows.size() == 2);
        CHECK(rows[1][3] == "expired");
    }
    SECTION("a flipped signature bit is bad_signature with either verifier") {
        std::string flipped = *token;
        while (!flipped.empty() && (flipped.back() == '\n' || flipped.back() == '\r')) {
            flipped.pop_back();
        }
        char& c = flipped[flipped.size() - 10];
        c = c == 'A' ? 'B' : 'A';
        for (const char* verifier : {"fast", "evp"}) {
            auto result = run_jwtbatch(
                {"--jwks", jwks, "--now", "1300819000", "--verifier", verifier}, flipped + "\n");
            CAPTURE(verifier, result.err);
            CHECK(result.exit_status == 1);
            auto rows = parse_csv(result.out);
            REQUIRE(rows.size() == 2);
            CHECK(rows[1][3] == "bad_signature");
        }
    }
    SECTION("ndjson row holds the claims") {
        auto result =
            run_jwtbatch({"--jwks", jwks, "--now", "1300819000", "--format", "ndjson"}, *token);
        CHECK(result.exit_status == 0);
        CHECK(result.out.find("\"status\":\"valid\"") != std::string::npos);
        CHECK(result.out.find("\"iss\":\"joe\"") != std::string::npos);
        CHECK(result.out.find("\"http://example.com/is_root\":true") != std::string::npos);
    }
}

TEST_CASE("rows keep input order with any thread count", "[e2e]") {
    temp_dir dir;
    const std::string sample = read_file(data_path("tokens.txt"));
    std::string big;
    for (int i = 0; i < 400; ++i) {
        big += sample;
    }
    const fs::path input = dir.path / "many.txt";
    std::ofstream(input, std::ios::binary) << big;

    std::string reference;
    for (const char* threads : {"1", "2", "3", "8"}) {
        auto result = run_jwtbatch({"--jwks", data_path("jwks.json"), "--now", sample_now(),
                                    "--threads", threads, "--format", "ndjson", input.string()});
        CAPTURE(threads, result.err);
        REQUIRE(result.exit_status == 1);
        if (reference.empty()) {
            reference = result.out;
            // Line numbers rise by one per non-blank line: 22 lines per copy, one of them blank.
            std::istringstream rows(reference);
            std::string row;
            long previous = 0;
            long count = 0;
            while (std::getline(rows, row)) {
                auto at = row.find("\"line\":");
                REQUIRE(at != std::string::npos);
                long line = std::stol(row.substr(at + 7));
                REQUIRE(line > previous);
                previous = line;
                ++count;
            }
            CHECK(count == 400 * 21);
        } else {
            CHECK(result.out == reference);
        }
    }
}

TEST_CASE("output file is replaced atomically", "[e2e]") {
    temp_dir dir;
    const fs::path output = dir.path / "out.csv";
    const fs::path summary = dir.path / "summary.json";
    auto result = run_jwtbatch({"--jwks", data_path("jwks.json"), "--now", sample_now(), "--output",
                                output.string(), "--summary-json", summary.string(), "--quiet",
                                data_path("tokens.txt")});
    CAPTURE(result.err);
    CHECK(result.exit_status == 1);
    CHECK(result.out.empty());
    CHECK(result.err.empty());
    CHECK(parse_csv(read_file(output)).size() == 22);
    const std::string json = read_file(summary);
    CHECK(json.find("\"records\":21") != std::string::npos);
    CHECK(json.find("\"blank_lines\":1") != std::string::npos);
    CHECK(json.find("\"expired\":1") != std::string::npos);
    for (const auto& entry : fs::directory_iterator(dir.path)) {
        CAPTURE(entry.path());
        CHECK((entry.path() == output || entry.path() == summary));
    }
}

TEST_CASE("bad configuration exits 2 with one message", "[e2e]") {
    temp_dir dir;
    const fs::path bad_jwks = dir.path / "bad.json";
    std::ofstream(bad_jwks) << R"({"keys":[{"kty":"RSA","n":"AQAB","e":"AQAB"}]})";
    const fs::path not_json = dir.path / "not.json";
    std::ofstream(not_json) << "hello";

    struct case_row {
        std::vector<std::string> args;
        std::string expected_text;
    };
    const std::vector<case_row> cases{
        {{data_path("tokens.txt")}, "--jwks"},
        {{"--jwks", (dir.path / "missing.json").string(), data_path("tokens.txt")}, "missing.json"},
        {{"--jwks", bad_jwks.string(), data_path("tokens.txt")}, "bad.json"},
        {{"--jwks", not_json.string(), data_path("tokens.txt")}, "not.json"},
        {{"--jwks", data_path("jwks.json"), "--now", "yesterday"}, "--now"},
        {{"--jwks", data_path("jwks.json"), "--format", "xml"}, "--format"},
        {{"--jwks", data_path("jwks.json"), "--threads", "-1"}, "--threads"},
        {{"--jwks", data_path("jwks.json"), "--bogus"}, "bogus"},
        {{"--jwks", "http://127.0.0.1:9/jwks.json"}, "http"},
    };
    for (const auto& row : cases) {
        auto result = run_jwtbatch(row.args);
        CAPTURE(row.args, result.err);
        CHECK(result.exit_status == 2);
        CHECK(result.out.empty());
        CHECK(result.err.rfind("jwtbatch: ", 0) == 0);
        CHECK(result.err.find(row.expected_text) != std::string::npos);
    }
}

TEST_CASE("unreadable input among several exits 2", "[e2e]") {
    auto result = run_jwtbatch({"--jwks", data_path("jwks.json"), "--now", sample_now(),
                                data_path("tokens.txt"), "/nonexistent/input.txt",
                                data_path("tokens.txt")});
    CAPTURE(result.err);
    CHECK(result.exit_status == 2);
    CHECK(parse_csv(result.out).size() == 1 + 2 * 21);
    CHECK(result.err.find("/nonexistent/input.txt") != std::string::npos);
}

TEST_CASE("help and version exit 0", "[e2e]") {
    auto help = run_jwtbatch({"--help"});
    CHECK(help.exit_status == 0);
    CHECK(help.out.find("--jwks") != std::string::npos);
    CHECK(help.out.find("Exit status") != std::string::npos);
    auto version = run_jwtbatch({"--version"});
    CHECK(version.exit_status == 0);
    CHECK(version.out.rfind("jwtbatch ", 0) == 0);
}
