// Every non-blank line of any input gets exactly one row, and no input crashes the run.
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include <catch2/catch.hpp>

#include "support/process.hpp"

namespace fs = std::filesystem;

namespace {

/// Counts the lines that the reader must turn into records: split at LF, trailing spaces, tabs
/// and CR trimmed, a leading UTF-8 byte-order mark dropped, empty lines skipped.
size_t count_non_blank_lines(std::string text) {
    if (text.rfind("\xEF\xBB\xBF", 0) == 0) {
        text.erase(0, 3);
    }
    size_t count = 0;
    size_t begin = 0;
    while (begin <= text.size()) {
        size_t end = text.find('\n', begin);
        if (end == std::string::npos) {
            end = text.size();
        }
        size_t last = end;
        while (last > begin && (text[last - 1] == ' ' || text[last - 1] == '\t'
                                || text[last - 1] == '\r')) {
            --last;
        }
        if (last > begin) {
            ++count;
        }
        begin = end + 1;
    }
    return count;
}

size_t count_lines(const std::string& text) {
    size_t count = 0;
    for (char c : text) {
        count += c == '\n' ? 1 : 0;
    }
    return count;
}

std::string random_bytes(std::mt19937_64& random, size_t size) {
    std::string bytes(size, '\0');
    for (char& c : bytes) {
        c = static_cast<char>(random() & 0xff);
    }
    return bytes;
}

} // namespace

TEST_CASE("hostile inputs get one row per non-blank line", "[e2e]") {
    std::mt19937_64 random(20261204);
    const std::string valid_line =
        "eyJhbGciOiJFUzI1NiIsImtpZCI6ImFkcy0yMDI2LTEwIn0.eyJjaWQiOiIxIn0." + std::string(86, 'A');
    struct input_case {
        std::string name;
        std::string bytes;
    };
    std::vector<input_case> cases{
        {"random bytes", random_bytes(random, 1 << 20)},
        {"nul bytes", std::string(1000, '\0') + "\n" + valid_line + std::string(3, '\0') + "\n\0\n"},
        {"crlf lines", valid_line + "\r\n\r\n" + valid_line + "\r\n \t\r\n" + valid_line},
        {"ten megabyte line", valid_line + "\n" + std::string(10 << 20, 'A') + "\n" + valid_line},
        {"byte order mark", "\xEF\xBB\xBF" + valid_line + "\n\xEF\xBB\xBF" + valid_line + "\n"},
        {"only blank lines", "\n\n \r\n\t\n"},
        {"dots everywhere", "...\n.\n..\na.b.c\n" + std::string(5000, '.') + "\n"},
        {"no final newline", valid_line},
    };
    for (int i = 0; i < 8; ++i) {
        std::string mixed;
        for (int part = 0; part < 200; ++part) {
            switch (random() % 4) {
            case 0:
                mixed += valid_line;
                break;
            case 1:
                mixed += random_bytes(random, random() % 300);
                break;
            case 2:
                mixed += "\r\n";
                break;
            default:
                mixed += valid_line.substr(0, random() % valid_line.size()) + "\n";
            }
        }
        cases.push_back({"mixed " + std::to_string(i), mixed});
    }

    char pattern[] = "/tmp/jwtbatch-hostile-XXXXXX";
    const fs::path dir = mkdtemp(pattern);
    for (const auto& input : cases) {
        const fs::path path = dir / "input.bin";
        std::ofstream(path, std::ios::binary | std::ios::trunc) << input.bytes;
        for (const char* threads : {"1", "2"}) {
            auto result = jwtbatch::test::run_jwtbatch({"--jwks", std::string(JWTBATCH_DATA_DIR)
                                                                      + "/jwks.json",
                                                        "--format", "ndjson", "--threads", threads,
                                                        path.string()});
            CAPTURE(input.name, threads, result.err);
            CHECK((result.exit_status == 0 || result.exit_status == 1));
            CHECK(count_lines(result.out) == count_non_blank_lines(input.bytes));
        }
    }
    fs::remove_all(dir);
}
