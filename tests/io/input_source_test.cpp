#include "io/input_source.hpp"

#include <catch2/catch.hpp>
#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#ifdef JWTBATCH_HAVE_ZSTD
#include <zstd.h>
#endif

#include "common/run_error.hpp"
#include "io/io_test_files.hpp"
#include "io/line_reader.hpp"

namespace {

using jwtbatch::common::run_error;
using jwtbatch::io::open_input;
using jwtbatch::io::test::temp_folder;
using jwtbatch::io::test::write_file;

std::string gzip(std::string_view bytes) {
    z_stream stream{};
    // 16 + 15 selects a gzip wrapper with the largest window.
    REQUIRE(deflateInit2(&stream, 6, Z_DEFLATED, 16 + 15, 8, Z_DEFAULT_STRATEGY) == Z_OK);
    std::string out(deflateBound(&stream, static_cast<uLong>(bytes.size())), '\0');
    stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
    stream.avail_in = static_cast<uInt>(bytes.size());
    stream.next_out = reinterpret_cast<Bytef*>(out.data());
    stream.avail_out = static_cast<uInt>(out.size());
    REQUIRE(deflate(&stream, Z_FINISH) == Z_STREAM_END);
    out.resize(stream.total_out);
    deflateEnd(&stream);
    return out;
}

std::string read_everything(jwtbatch::io::input_source& source, size_t buffer_bytes = 4096) {
    std::string out;
    std::string buffer(buffer_bytes, '\0');
    while (size_t count = source.read(buffer.data(), buffer.size())) {
        out.append(buffer.data(), count);
    }
    return out;
}

std::string read_path(const std::string& path) {
    auto source = open_input(path);
    return read_everything(*source);
}

/// Lines of text that compress well but span several compressed blocks.
std::string sample_lines(int count) {
    std::string text;
    for (int i = 0; i < count; ++i) {
        text += "token-" + std::to_string(i * 7919) + "\n";
    }
    return text;
}

} // namespace

TEST_CASE("input reads plain file", "[io]") {
    temp_folder folder;
    std::string path = folder.file("plain.log");
    write_file(path, "a\nb\n");
    auto source = open_input(path);
    CHECK(source->name() == path);
    REQUIRE(source->size_bytes().has_value());
    CHECK(*source->size_bytes() == 4);
    CHECK(read_everything(*source, 1) == "a\nb\n");
    CHECK(source->bytes_consumed() == 4);
}

TEST_CASE("input reads short and empty files", "[io]") {
    temp_folder folder;
    write_file(folder.file("empty"), "");
    write_file(folder.file("one"), "\x1f");
    CHECK(read_path(folder.file("empty")).empty());
    CHECK(read_path(folder.file("one")) == "\x1f");
}

TEST_CASE("input rejects missing file with path", "[io]") {
    temp_folder folder;
    std::string path = folder.file("missing.log");
    REQUIRE_THROWS_AS(open_input(path), run_error);
    REQUIRE_THROWS_WITH(open_input(path), "cannot open " + path + ": No such file or directory");
}

TEST_CASE("input rejects folder", "[io]") {
    temp_folder folder;
    REQUIRE_THROWS_WITH(open_input(folder.path()),
                        "cannot open " + folder.path().string() + ": Is a directory");
}

TEST_CASE("input reads stdin for dash", "[io]") {
    temp_folder folder;
    std::string path = folder.file("stdin.gz");
    std::string text = sample_lines(100);
    write_file(path, gzip(text));
    int saved_stdin = ::dup(STDIN_FILENO);
    int file = ::open(path.c_str(), O_RDONLY);
    REQUIRE(file >= 0);
    REQUIRE(::dup2(file, STDIN_FILENO) == STDIN_FILENO);
    ::close(file);
    std::string read;
    std::string name;
    {
        auto source = open_input("-");
        name = source->name();
        read = read_everything(*source);
    }
    ::dup2(saved_stdin, STDIN_FILENO);
    ::close(saved_stdin);
    CHECK(name == "-");
    CHECK(read == text);
}

TEST_CASE("input reads gzip single member", "[io]") {
    temp_folder folder;
    std::string path = folder.file("one.gz");
    std::string text = sample_lines(50000);
    std::string compressed = gzip(text);
    write_file(path, compressed);
    auto source = open_input(path);
    CHECK(read_everything(*source, 1000) == text);
    CHECK(source->bytes_consumed() == compressed.size());
    CHECK(*source->size_bytes() == compressed.size());
}

TEST_CASE("input reads concatenated gzip members", "[io]") {
    temp_folder folder;
    std::string path = folder.file("two.gz");
    // The first member ends inside a line, which the second member completes.
    std::string first = sample_lines(20000) + "split-";
    std::string second = "line\n" + sample_lines(3);
    write_file(path, gzip(first) + gzip(second) + gzip(""));
    CHECK(read_path(path) == first + second);

    auto source = open_input(path);
    jwtbatch::io::line_reader reader(*source, 0, 1024);
    jwtbatch::io::line_batch batch;
    size_t records = 0;
    while (reader.read_batch(batch, 4096, 1 << 20)) {
        records += batch.records.size();
        batch.clear();
    }
    CHECK(records == 20000 + 1 + 3);
}

TEST_CASE("input reports truncated gzip with path", "[io]") {
    temp_folder folder;
    std::string path = folder.file("cut.gz");
    std::string compressed = gzip(sample_lines(20000));
    size_t keep = GENERATE(2, 10, 100, 0);
    std::string cut = compressed.substr(0, keep == 0 ? compressed.size() - 4 : keep);
    CAPTURE(cut.size());
    write_file(path, cut);
    auto source = open_input(path);
    REQUIRE_THROWS_WITH(read_everything(*source), path + ": truncated gzip stream");
}

TEST_CASE("input reports corrupt gzip data", "[io]") {
    temp_folder folder;
    std::string path = folder.file("bad.gz");
    std::string compressed = gzip(sample_lines(20000));
    // Past the 10-byte header, so the damage is in the deflate data or the trailer.
    size_t at = GENERATE(20, 200, 2000);
    CAPTURE(at);
    compressed[at] = static_cast<char>(compressed[at] ^ 0x55);
    write_file(path, compressed);
    auto source = open_input(path);
    REQUIRE_THROWS_WITH(read_everything(*source), Catch::StartsWith(path + ": corrupt gzip data"));
}

TEST_CASE("input rejects garbage after gzip member", "[io]") {
    temp_folder folder;
    std::string path = folder.file("tail.gz");
    write_file(path, gzip("a\n") + "not gzip");
    auto source = open_input(path);
    REQUIRE_THROWS_WITH(read_everything(*source), Catch::StartsWith(path + ": corrupt gzip data"));
}

#ifdef JWTBATCH_HAVE_ZSTD
namespace {

std::string zstd(std::string_view bytes) {
    std::string out(ZSTD_compressBound(bytes.size()), '\0');
    size_t size = ZSTD_compress(out.data(), out.size(), bytes.data(), bytes.size(), 3);
    REQUIRE_FALSE(ZSTD_isError(size));
    out.resize(size);
    return out;
}

} // namespace

TEST_CASE("input reads zstd frames", "[io]") {
    temp_folder folder;
    std::string path = folder.file("two.zst");
    std::string first = sample_lines(30000);
    std::string second = sample_lines(10);
    std::string compressed = zstd(first) + zstd(second);
    write_file(path, compressed);
    auto source = open_input(path);
    CHECK(read_everything(*source, 777) == first + second);
    CHECK(source->bytes_consumed() == compressed.size());
}

TEST_CASE("input reports truncated zstd with path", "[io]") {
    temp_folder folder;
    std::string path = folder.file("cut.zst");
    std::string compressed = zstd(sample_lines(30000));
    write_file(path, compressed.substr(0, compressed.size() / 2));
    auto source = open_input(path);
    REQUIRE_THROWS_WITH(read_everything(*source), path + ": truncated zstd stream");
}

TEST_CASE("input reports corrupt zstd data", "[io]") {
    temp_folder folder;
    std::string path = folder.file("bad.zst");
    std::string compressed = zstd(sample_lines(30000));
    for (size_t i = 20; i < 60; ++i) {
        compressed[i] = static_cast<char>(compressed[i] ^ 0x55);
    }
    write_file(path, compressed);
    auto source = open_input(path);
    REQUIRE_THROWS_WITH(read_everything(*source), Catch::StartsWith(path + ": corrupt zstd data"));
}
#endif
