#include "io/csv_record.hpp"

#include <cstring>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "io/line_reader.hpp"

namespace {

using jwtbatch::io::csv_status;
using jwtbatch::io::find_csv_column;
using jwtbatch::io::split_csv_record;

std::vector<std::string> split(std::string_view record, char delimiter, csv_status expected) {
    std::vector<std::string_view> fields;
    std::string unescaped;
    CHECK(split_csv_record(record, delimiter, fields, unescaped) == expected);
    return {fields.begin(), fields.end()};
}

/// Bytes from memory in reads of at most `chunk_bytes`, as a pipe delivers them.
class memory_source final : public jwtbatch::io::input_source {
public:
    memory_source(std::string bytes, size_t chunk_bytes)
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

struct csv_line {
    std::uint64_t line_number;
    std::string text;
    bool is_too_long;

    bool operator==(const csv_line&) const = default;
};

std::vector<csv_line> read_csv(std::string bytes, size_t chunk_bytes, size_t max_bytes = 1024) {
    memory_source source(std::move(bytes), chunk_bytes);
    jwtbatch::io::line_reader reader(source, 0, max_bytes);
    reader.set_csv_mode();
    jwtbatch::io::line_batch batch;
    std::vector<csv_line> lines;
    while (reader.read_batch(batch, 3, 1 << 20)) {
        for (const auto& record : batch.records) {
            lines.push_back({record.line_number,
                             batch.text.substr(record.offset, record.length),
                             record.is_too_long});
        }
        batch.clear();
    }
    return lines;
}

} // namespace

TEST_CASE("csv split reads plain and quoted fields", "[io]") {
    CHECK(split("a,b,c", ',', csv_status::ok) == std::vector<std::string>{"a", "b", "c"});
    CHECK(split("", ',', csv_status::ok) == std::vector<std::string>{""});
    CHECK(split("a,,", ',', csv_status::ok) == std::vector<std::string>{"a", "", ""});
    CHECK(split(R"("x,y","say ""hi""",z)", ',', csv_status::ok)
          == std::vector<std::string>{"x,y", R"(say "hi")", "z"});
    CHECK(split("\"line\r\nbreak\",2", ',', csv_status::ok)
          == std::vector<std::string>{"line\r\nbreak", "2"});
    CHECK(split(R"("")", ',', csv_status::ok) == std::vector<std::string>{""});
    CHECK(split(R"("""")", ',', csv_status::ok) == std::vector<std::string>{"\""});
    CHECK(split(" a ; b ", ';', csv_status::ok) == std::vector<std::string>{" a ", " b "});
    CHECK(split("a\tb", '\t', csv_status::ok) == std::vector<std::string>{"a", "b"});
}

TEST_CASE("csv split keeps views of several escaped fields", "[io]") {
    // Two fields that need unescaping: the first view must survive the second copy.
    CHECK(split(R"("a""b","c""d",e)", ',', csv_status::ok)
          == std::vector<std::string>{R"(a"b)", R"(c"d)", "e"});
}

TEST_CASE("csv split rejects broken quoting", "[io]") {
    split(R"("open,b)", ',', csv_status::unterminated_quote);
    split(R"("a""b)", ',', csv_status::unterminated_quote);
    split(R"("a"x,b)", ',', csv_status::text_after_quote);
    split(R"(a"b,c)", ',', csv_status::bare_quote);
    CHECK_FALSE(jwtbatch::io::describe(csv_status::bare_quote).empty());
}

TEST_CASE("csv column found by name or index", "[io]") {
    const std::vector<std::string_view> header{"order_id", "token", "2"};
    CHECK(find_csv_column(header, "token") == 1);
    CHECK(find_csv_column(header, "1") == 0);
    CHECK(find_csv_column(header, "2") == 2); // a name wins over an index
    CHECK(find_csv_column(header, "3") == 2);
    CHECK_FALSE(find_csv_column(header, "4"));
    CHECK_FALSE(find_csv_column(header, "0"));
    CHECK_FALSE(find_csv_column(header, "Token"));
    CHECK_FALSE(find_csv_column(header, ""));
}

TEST_CASE("line reader csv mode joins quoted line ends", "[io]") {
    const std::string text = "h1,h2\n"
                             "a,\"multi\nline, \"\"x\"\"\"\n"
                             "\n"
                             "b,\"two\r\nmore\nlines\"\r\n"
                             "c,plain\n";
    const std::vector<csv_line> expected{{1, "h1,h2", false},
                                         {2, "a,\"multi\nline, \"\"x\"\"\"", false},
                                         {5, "b,\"two\r\nmore\nlines\"", false},
                                         {8, "c,plain", false}};
    for (size_t chunk : {size_t{1}, size_t{2}, size_t{7}, size_t{1} << 20}) {
        CAPTURE(chunk);
        CHECK(read_csv(text, chunk) == expected);
    }
}

TEST_CASE("line reader csv mode bounds an open quote", "[io]") {
    // The open quote runs to the end of the source, which makes one too-long record whose
    // lines are still counted.
    std::string text = "h\n\"open\n";
    for (int i = 0; i < 100; ++i) {
        text += "0123456789012345678901234567890123456789\n";
    }
    auto lines = read_csv(text, 64, 256);
    REQUIRE(lines.size() == 2);
    CHECK(lines[0] == csv_line{1, "h", false});
    CHECK(lines[1] == csv_line{2, "", true});
}

TEST_CASE("line reader peeks first line without consuming it", "[io]") {
    memory_source source("\xEF\xBB\xBF\n  \n{\"token\":1}\nnext\n", 3);
    jwtbatch::io::line_reader reader(source, 0, 1024);
    CHECK(reader.peek_first_line() == "{\"token\":1}");
    jwtbatch::io::line_batch batch;
    REQUIRE(reader.read_batch(batch, 10, 1 << 20));
    REQUIRE(batch.records.size() == 2);
    CHECK(batch.records[0].line_number == 3);
    CHECK(batch.blank_lines == 2);
}
