// I/O faults through the binary: a file-size limit on --output, a closed stdout, an unreadable
// input among several, and SIGINT or SIGTERM in the middle of a run.
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <signal.h>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

#include <catch2/catch.hpp>

#include "support/csv.hpp"
#include "support/jose_builder.hpp"
#include "support/process.hpp"
#include "support/process_control.hpp"

namespace fs = std::filesystem;
using namespace jwtbatch::test;
using namespace std::chrono_literals;

namespace {

std::string data_path(const std::string& name) {
    return std::string(JWTBATCH_DATA_DIR) + "/" + name;
}

std::string sample_now() {
    std::string now = read_whole_file(data_path("sample-now.txt"));
    while (!now.empty() && (now.back() == '\n' || now.back() == '\r')) {
        now.pop_back();
    }
    return now;
}

/// Returns data/tokens.txt without its 64 KiB too_long line: 21 lines, 20 of them records.
std::string short_sample() {
    std::istringstream sample(read_whole_file(data_path("tokens.txt")));
    std::string text;
    std::string line;
    while (std::getline(sample, line)) {
        if (line.size() < 4096) {
            text += line + "\n";
        }
    }
    return text;
}

/// Writes `copies` copies of the short sample to `name` in `folder`.
std::string repeated_sample(const temp_folder& folder, const std::string& name, size_t copies) {
    const std::string sample = short_sample();
    std::string text;
    text.reserve(sample.size() * copies);
    for (size_t i = 0; i < copies; ++i) {
        text += sample;
    }
    return folder.write(name, text);
}

/// Returns the valid lines of data/tokens.txt (the first two), repeated `copies` times.
std::string repeated_valid_lines(const temp_folder& folder, size_t copies) {
    const std::string sample = read_whole_file(data_path("tokens.txt"));
    const size_t second_end = sample.find('\n', sample.find('\n') + 1);
    const std::string two_lines = sample.substr(0, second_end + 1);
    std::string text;
    for (size_t i = 0; i < copies; ++i) {
        text += two_lines;
    }
    return folder.write("valid.txt", text);
}

/// Returns the names in `folder` other than `keep`.
std::vector<std::string> other_entries(const fs::path& folder, const std::vector<std::string>& keep) {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(folder)) {
        const std::string name = entry.path().filename().string();
        if (std::find(keep.begin(), keep.end(), name) == keep.end()) {
            names.push_back(name);
        }
    }
    return names;
}

} // namespace

TEST_CASE("file size limit on output exits 2", "[e2e]") {
    const temp_folder folder("jwtbatch-fault");
    const std::string input = repeated_sample(folder, "input.txt", 200);
    const fs::path output_folder = folder.path / "out";
    fs::create_directory(output_folder);
    const std::string output = (output_folder / "results.csv").string();

    // ulimit -f counts 512-byte blocks in dash, so the limit is 512 bytes, far less than the
    // 4,000 rows need. The child inherits RLIMIT_FSIZE through exec.
    const auto result = run_process(
        "/bin/sh", {"-c", "ulimit -f 1; exec \"$0\" \"$@\"", JWTBATCH_BINARY, "--jwks",
                    data_path("jwks.json"), "--now", sample_now(), "--output", output, input});
    CAPTURE(result.err);
    CHECK(result.exit_status == 2);
    CHECK(result.out.empty());
    CHECK(result.err.rfind("jwtbatch: ", 0) == 0);
    CHECK(result.err.find(output) != std::string::npos);
    CHECK_FALSE(fs::exists(output));
    CHECK(other_entries(output_folder, {}).empty());
}

TEST_CASE("closed stdout stops quietly", "[e2e]") {
    const temp_folder folder("jwtbatch-fault");
    auto run_until_first_line = [](const std::string& input) {
        process_control control;
        control.close_stdout_after_first_line = true;
        return run_controlled(
            JWTBATCH_BINARY,
            {"--jwks", data_path("jwks.json"), "--now", sample_now(), "--quiet", input}, control);
    };

    SECTION("all rows written so far valid") {
        const auto result = run_until_first_line(repeated_valid_lines(folder, 100'000));
        CAPTURE(result.process.err, result.elapsed.count());
        CHECK(result.process.exit_status == 0);
        CHECK(result.process.err.empty());
        CHECK(result.process.out.rfind("source,line,status", 0) == 0);
    }
    SECTION("some rows written so far invalid") {
        const auto result = run_until_first_line(repeated_sample(folder, "input.txt", 20'000));
        CAPTURE(result.process.err, result.elapsed.count());
        CHECK(result.process.exit_status == 1);
        CHECK(result.process.err.empty());
    }
    SECTION("through a shell pipe into head") {
        const std::string input = repeated_sample(folder, "input.txt", 20'000);
        // The shell reports jwtbatch's status in a file, since the pipeline's status is head's.
        const std::string status_file = (folder.path / "status").string();
        const auto result = run_process(
            "/bin/sh", {"-c", "{ \"$0\" \"$@\"; echo $? > " + status_file + "; } | head -1",
                        JWTBATCH_BINARY, "--jwks", data_path("jwks.json"), "--now", sample_now(),
                        "--quiet", input});
        CAPTURE(result.err);
        CHECK(result.out == "source,line,status,reason,kid,cid,crid,rclid,iat,exp\n");
        CHECK(result.err.empty());
        CHECK(read_whole_file(status_file) == "1\n");
    }
}

TEST_CASE("unreadable inputs of every kind exit 2", "[e2e]") {
    const temp_folder folder("jwtbatch-fault");
    const std::string locked = folder.write("locked.txt", read_whole_file(data_path("tokens.txt")));
    fs::permissions(locked, fs::perms::none);
    const std::string directory = (folder.path / "a-folder").string();
    fs::create_directory(directory);
    if (geteuid() == 0) {
        WARN("running as root, so a file with mode 000 is still readable; only the folder and "
             "the missing file are unreadable inputs here");
    }

    const auto result = run_jwtbatch({"--jwks", data_path("jwks.json"), "--now", sample_now(),
                                      data_path("tokens.txt"), locked, directory,
                                      (folder.path / "missing.txt").string(),
                                      data_path("tokens.txt")});
    CAPTURE(result.err);
    CHECK(result.exit_status == 2);
    const size_t readable_copies = geteuid() == 0 ? 3 : 2;
    CHECK(parse_csv(result.out).size() == 1 + readable_copies * 21);
    if (geteuid() != 0) {
        CHECK(result.err.find(locked) != std::string::npos);
    }
    CHECK(result.err.find(directory) != std::string::npos);
    CHECK(result.err.find("missing.txt") != std::string::npos);
}

TEST_CASE("signal mid-run leaves no output file", "[e2e]") {
    const temp_folder folder("jwtbatch-fault");
    // 300,000 records. With the plain EVP verifier, one thread and no verdict cache, the run
    // takes several seconds, so the signal arrives while rows are still being verified.
    const std::string input = repeated_sample(folder, "input.txt", 15'000);
    const fs::path output_folder = folder.path / "out";
    fs::create_directory(output_folder);
    const std::string output = (output_folder / "results.csv").string();
    const std::string summary = (folder.path / "summary.json").string();

    for (int signal_number : {SIGINT, SIGTERM}) {
        CAPTURE(signal_number);
        process_control control;
        control.signal_after = 700ms;
        control.signal_number = signal_number;
        const auto result = run_controlled(
            JWTBATCH_BINARY,
            {"--jwks", data_path("jwks.json"), "--now", sample_now(), "--verifier", "evp",
             "--threads", "1", "--dedup-cache", "0", "--output", output, "--summary-json",
             summary, input},
            control);
        CAPTURE(result.process.err, result.elapsed.count());
        REQUIRE(result.signal_sent);
        CHECK(result.process.exit_status == 2);
        CHECK(result.process.out.empty());
        CHECK(result.process.err.find("interrupted") != std::string::npos);
        CHECK(result.process.err.find(output) != std::string::npos);
        CHECK_FALSE(fs::exists(output));
        CHECK(other_entries(output_folder, {}).empty());
        const std::string json = read_whole_file(summary);
        CAPTURE(json);
        CHECK(json.find("\"interrupted\":true") != std::string::npos);
        CHECK(json.find("\"exit_status\":2") != std::string::npos);
        // The handler stops the pipeline at the next batch, well before the input ends.
        CHECK(result.elapsed < 5000ms);
    }
}
