#include "io/line_reader.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstring>
#include <random>

#include "io/io_test_files.hpp"

namespace {

using jwtbatch::io::input_source;
using jwtbatch::io::line_batch;
using jwtbatch::io::line_reader;

/// Bytes from memory, returned in reads of at most `chunk_bytes`, as a pipe delivers them.
class chunked_source final : public input_source {
public:
    chunked_source(std::string bytes, size_t chunk_bytes)
        : bytes_(std::move(bytes)), chunk_bytes_(chunk_bytes) {}

    size_t read(char* buffer, size_t size) override {
        size_t count = std::min({size, chunk_bytes_, bytes_.size() - position_});
        std::memcpy(buffer, bytes_.data() + position_, count);
        position_ += count;
        return count;
    }

    const std::string& name() const noexcept override { return name_; }

    std::optional<std::uint64_t> size_bytes() const noexcept override { return bytes_.size(); }

    std::uint64_t bytes_consumed() const noexcept override { return position_; }

private:
    std::string bytes_;
    size_t chunk_bytes_;
    size_t position_ = 0;
    std::string name_ = "memory";
};

/// Generates "head\n", then `line_bytes` bytes of 'x', then "\ntail\n", without storing them.
class long_line_source final : public input_source {
public:
    explicit long_line_source(std::uint64_t line_bytes) : line_bytes_(line_bytes) {}

    size_t read(char* buffer, size_t size) override {
        static constexpr std::string_view head = "head\n";
        static constexpr std::string_view tail = "\ntail\n";
        std::uint64_t total = head.size() + line_bytes_ + tail.size();
        size_t count = static_cast<size_t>(std::min<std::uint64_t>(size, total - position_));
        for (size_t i = 0; i < count; ++i) {
            std::uint64_t at = position_ + i;
            if (at < head.size()) {
                buffer[i] = head[at];
            } else if (at < head.size() + line_bytes_) {
                // Most of the stream: fill the rest of this run at once.
                size_t run = static_cast<size_t>(
                    std::min<std::uint64_t>(count - i, head.size() + line_bytes_ - at));
                std::memset(buffer + i, 'x', run);
                i += run - 1;
            } else {
                buffer[i] = tail[at - head.size() - line_bytes_];
            }
        }
        position_ += count;
        return count;
    }

    const std::string& name() const noexcept override { return name_; }

    std::optional<std::uint64_t> size_bytes() const noexcept override { return std::nullopt; }

    std::uint64_t bytes_consumed() const noexcept override { return position_; }

private:
    std::uint64_t line_bytes_;
    std::uint64_t position_ = 0;
    std::string name_ = "generated";
};

struct read_line {
    std::uint64_t line_number;
    std::string text;
    bool is_too_long;

    bool operator==(const read_line&) const = default;
};

struct read_result {
    std::vector<read_line> lines;
    std::uint64_t blank_lines = 0;
};

read_result read_all(input_source& source, size_t max_line_bytes, size_t max_records = 1000) {
    line_reader reader(source, 0, max_line_bytes);
    line_batch batch;
    read_result result;
    while (reader.read_batch(batch, max_records, 1 << 20)) {
        for (const auto& record : batch.records) {
            result.lines.push_back({record.line_number,
                                    batch.text.substr(record.offset, record.length),
                                    record.is_too_long});
        }
        result.blank_lines += batch.blank_lines;
        batch.clear();
    }
    return result;
}

read_result read_string(std::string bytes, size_t chunk_bytes = 1 << 20,
                        size_t max_line_bytes = jwtbatch::io::default_max_line_bytes) {
    chunked_source source(std::move(bytes), chunk_bytes);
    return read_all(source, max_line_bytes);
}

/// Splits like the reader, written independently: std::string searches instead of a scan.
read_result split_expected(const std::string& bytes, size_t max_line_bytes) {
    read_result result;
    size_t begin = bytes.compare(0, 3, "\xEF\xBB\xBF") == 0 ? 3 : 0;
    std::uint64_t line_number = 0;
    while (begin < bytes.size()) {
        size_t end = bytes.find('\n', begin);
        std::string line = bytes.substr(begin, end == std::string::npos ? end : end - begin);
        begin = end == std::string::npos ? bytes.size() : end + 1;
        ++line_number;
        std::string content = line;
        if (!content.empty() && content.back() == '\r') {
            content.pop_back();
        }
        size_t last = line.find_last_not_of(" \t\r");
        if (last == std::string::npos) {
            ++result.blank_lines;
        } else if (content.size() > max_line_bytes) {
            result.lines.push_back({line_number, "", true});
        } else {
            result.lines.push_back({line_number, line.substr(0, last + 1), false});
        }
    }
    return result;
}

} // namespace

TEST_CASE("line reader trims line ends and trailing space", "[io]") {
    size_t chunk = GENERATE(1, 2, 7, 1 << 20);
    CAPTURE(chunk);
    auto result = read_string("a\r\nb \t\r\n c\nd\t \n", chunk);
    std::vector<read_line> expected = {
        {1, "a", false}, {2, "b", false}, {3, " c", false}, {4, "d", false}};
    CHECK(result.lines == expected);
    CHECK(result.blank_lines == 0);
}

TEST_CASE("line reader counts blank and whitespace lines", "[io]") {
    auto result = read_string("\n\n  \t\nx\n\r\n \r \r\n");
    std::vector<read_line> expected = {{4, "x", false}};
    CHECK(result.lines == expected);
    CHECK(result.blank_lines == 5);
}

TEST_CASE("line reader drops byte order mark", "[io]") {
    size_t chunk = GENERATE(1, 2, 1 << 20);
    CAPTURE(chunk);
    auto result = read_string("\xEF\xBB\xBFtok\n\xEF\xBB\xBFsecond\n", chunk);
    std::vector<read_line> expected = {{1, "tok", false}, {2, "\xEF\xBB\xBFsecond", false}};
    CHECK(result.lines == expected);

    auto only_mark = read_string("\xEF\xBB\xBF\r\n", chunk);
    CHECK(only_mark.lines.empty());
    CHECK(only_mark.blank_lines == 1);

    auto short_input = read_string("\xEF\xBB", chunk);
    std::vector<read_line> kept = {{1, "\xEF\xBB", false}};
    CHECK(short_input.lines == kept);
}

TEST_CASE("line reader keeps NUL and lone CR", "[io]") {
    std::string bytes("a\0b\rc\n\0\n", 8);
    auto result = read_string(bytes);
    std::vector<read_line> expected = {{1, std::string("a\0b\rc", 5), false},
                                       {2, std::string("\0", 1), false}};
    CHECK(result.lines == expected);
}

TEST_CASE("line reader reads last line without newline", "[io]") {
    size_t chunk = GENERATE(1, 3, 1 << 20);
    CAPTURE(chunk);
    auto result = read_string("a\nlast  ", chunk);
    std::vector<read_line> expected = {{1, "a", false}, {2, "last", false}};
    CHECK(result.lines == expected);
    CHECK(read_string("", chunk).lines.empty());
}

TEST_CASE("line reader matches independent split on random bytes", "[io]") {
    auto seed = GENERATE(range(1, 41));
    std::mt19937 random(static_cast<std::uint32_t>(seed));
    std::uniform_int_distribution<int> byte_value(0, 255);
    std::uniform_int_distribution<int> pick(0, 9);
    std::string bytes(static_cast<size_t>(std::uniform_int_distribution<int>(0, 5000)(random)),
                      '\0');
    for (auto& b : bytes) {
        // Line ends, CR, spaces and tabs are frequent so that every path is taken.
        int kind = pick(random);
        b = kind == 0   ? '\n'
            : kind == 1 ? '\r'
            : kind == 2 ? ' '
            : kind == 3 ? '\t'
                        : static_cast<char>(byte_value(random));
    }
    if (seed % 4 == 0) {
        bytes.insert(0, "\xEF\xBB\xBF");
    }
    size_t max_line_bytes = seed % 2 == 0 ? 6 : 64 * 1024;
    size_t chunk = static_cast<size_t>(std::uniform_int_distribution<int>(1, 64)(random));
    CAPTURE(seed, bytes.size(), max_line_bytes, chunk);

    auto result = read_string(bytes, chunk, max_line_bytes);
    auto expected = split_expected(bytes, max_line_bytes);
    CHECK(result.lines.size() == expected.lines.size());
    CHECK(result.blank_lines == expected.blank_lines);
    CHECK(result.lines == expected.lines);
}

TEST_CASE("line reader marks 10 MB line too long", "[io]") {
    jwtbatch::io::test::temp_folder folder;
    std::string path = folder.file("long.log");
    std::string bytes = "first\n" + std::string(10 * 1024 * 1024, 'x') + "\nlast";
    jwtbatch::io::test::write_file(path, bytes);
    auto source = jwtbatch::io::open_input(path);
    line_reader reader(*source, 3, 64 * 1024);
    line_batch batch;

    REQUIRE(reader.read_batch(batch, 100, 1 << 20));
    REQUIRE(batch.records.size() == 3);
    CHECK(batch.records[0].line_number == 1);
    CHECK_FALSE(batch.records[0].is_too_long);
    CHECK(batch.records[1].line_number == 2);
    CHECK(batch.records[1].is_too_long);
    CHECK(batch.records[1].length == 0);
    CHECK(batch.records[1].source_index == 3);
    CHECK(batch.records[2].line_number == 3);
    CHECK(batch.text == "firstlast");
    CHECK(reader.buffer_bytes() < 2 * 1024 * 1024);
    CHECK_FALSE(reader.read_batch(batch, 100, 1 << 20));
}

TEST_CASE("line reader skips 256 MiB line in bounded memory", "[io]") {
    long_line_source source(std::uint64_t{256} * 1024 * 1024);
    line_reader reader(source, 0, 64 * 1024);
    line_batch batch;
    REQUIRE(reader.read_batch(batch, 100, 1 << 20));
    REQUIRE(batch.records.size() == 3);
    CHECK(batch.records[1].is_too_long);
    CHECK(batch.records[2].line_number == 3);
    CHECK(batch.text == "headtail");
    CHECK(batch.text.capacity() < 1024);
    CHECK(reader.buffer_bytes() < 2 * 1024 * 1024);
}

TEST_CASE("line reader accepts lines at exactly limit", "[io]") {
    size_t chunk = GENERATE(1, 5, 17, 1 << 20);
    CAPTURE(chunk);
    std::string at_limit(16, 'a');
    std::string bytes = at_limit + "\n"          // 1: exactly 16 bytes
                        + at_limit + "b\n"       // 2: 17 bytes
                        + at_limit + "\r\n"      // 3: CRLF is not counted
                        + at_limit + " \n"       // 4: measured before trimming
                        + std::string(40, ' ') + "\n" // 5: too long but blank
                        + at_limit;              // 6: at the limit, no line end
    auto result = read_string(bytes, chunk, 16);
    std::vector<read_line> expected = {{1, at_limit, false},
                                       {2, "", true},
                                       {3, at_limit, false},
                                       {4, "", true},
                                       {6, at_limit, false}};
    CHECK(result.lines == expected);
    CHECK(result.blank_lines == 1);
}

TEST_CASE("line reader splits batches at max records", "[io]") {
    std::string bytes;
    for (int i = 1; i <= 10; ++i) {
        bytes += "line" + std::to_string(i) + (i == 5 ? "\n\n" : "\n");
    }
    chunked_source source(bytes, 1 << 20);
    line_reader reader(source, 0, 1024);
    line_batch batch;
    std::vector<size_t> batch_sizes;
    std::vector<std::uint64_t> line_numbers;
    std::uint64_t blank_lines = 0;
    while (reader.read_batch(batch, 3, 1 << 20)) {
        batch_sizes.push_back(batch.records.size());
        for (const auto& record : batch.records) {
            line_numbers.push_back(record.line_number);
            CHECK(batch.text.substr(record.offset, record.length).starts_with("line"));
        }
        blank_lines += batch.blank_lines;
        batch.clear();
    }
    CHECK(batch_sizes == std::vector<size_t>{3, 3, 3, 1});
    CHECK(line_numbers == std::vector<std::uint64_t>{1, 2, 3, 4, 5, 7, 8, 9, 10, 11});
    CHECK(blank_lines == 1);
}

TEST_CASE("line reader splits batches at max text bytes", "[io]") {
    chunked_source source("aaaa\nbbbb\ncccc\n", 1 << 20);
    line_reader reader(source, 0, 1024);
    line_batch batch;
    REQUIRE(reader.read_batch(batch, 100, 6));
    CHECK(batch.records.size() == 2);
    batch.clear();
    REQUIRE(reader.read_batch(batch, 100, 6));
    CHECK(batch.records.size() == 1);
    CHECK(batch.records[0].line_number == 3);
    batch.clear();
    CHECK_FALSE(reader.read_batch(batch, 100, 6));
}
