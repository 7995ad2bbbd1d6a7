// Fuzzes the line reader that splits every input into records, against a plain model of its
// documented contract.
//
// Input: three control bytes, then the stream. They set the line limit (1 to 64 bytes), the
// largest read the source returns (1 to 16 bytes, or unlimited), and the records per batch
// (1 to 8). So short reads, lines across refills and too-long lines all occur in small inputs. Checks: one record per non-blank line with its 1-based line number, the trimmed text
// and the too-long flag the contract gives, blank lines counted, and the read buffer never grows.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "io/line_reader.hpp"
#include "fuzz_support.hpp"

namespace {

using jwtbatch::fuzz::fail;

struct expected_line {
    std::uint64_t line_number = 0;
    std::string text;
    bool is_too_long = false;
};

bool is_trailing_space(char c) { return c == ' ' || c == '\t' || c == '\r'; }

/// Computes the records that the `line_reader` contract gives, as plainly as possible. A leading
/// UTF-8 BOM is dropped, the stream is split at LF, and the CR of a CRLF is dropped. A line of
/// only spaces, tabs and CR is blank. Another line over the limit is too long, and the rest
/// lose their trailing spaces, tabs and CR.
std::vector<expected_line> model_lines(std::string_view stream,
                                       size_t max_line_bytes,
                                       std::uint64_t& blank_lines) {
    if (stream.starts_with("\xEF\xBB\xBF")) {
        stream.remove_prefix(3);
    }
    std::vector<expected_line> lines;
    std::uint64_t line_number = 0;
    while (!stream.empty()) {
        size_t end = stream.find('\n');
        std::string_view line = stream.substr(0, end);
        stream.remove_prefix(end == std::string_view::npos ? stream.size() : end + 1);
        ++line_number;
        if (line.ends_with('\r')) {
            line.remove_suffix(1);
        }
        bool has_content = false;
        for (char c : line) {
            has_content = has_content || !is_trailing_space(c);
        }
        if (!has_content) {
            ++blank_lines;
        } else if (line.size() > max_line_bytes) {
            lines.push_back({line_number, {}, true});
        } else {
            while (is_trailing_space(line.back())) {
                line.remove_suffix(1);
            }
            lines.push_back({line_number, std::string(line), false});
        }
    }
    return lines;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
    if (size < 3) {
        return 0;
    }
    const size_t max_line_bytes = 1 + data[0] % 64;
    const size_t max_read_bytes = data[1] % 17 == 0 ? size : data[1] % 17;
    const size_t max_records = 1 + data[2] % 8;
    const std::string_view stream(reinterpret_cast<const char*>(data + 3), size - 3);

    std::uint64_t expected_blank_lines = 0;
    const auto expected = model_lines(stream, max_line_bytes, expected_blank_lines);

    jwtbatch::fuzz::memory_source source(stream, max_read_bytes);
    jwtbatch::io::line_reader reader(source, 7, max_line_bytes);
    const size_t buffer_bytes = reader.buffer_bytes();
    jwtbatch::io::line_batch batch;
    size_t next = 0;
    std::uint64_t blank_lines = 0;
    while (reader.read_batch(batch, max_records, 1 << 20)) {
        if (batch.records.size() > max_records) {
            fail("a batch holds more records than asked for");
        }
        for (const auto& record : batch.records) {
            if (next == expected.size()) {
                fail("the reader made more records than the input has non-blank lines");
            }
            const expected_line& line = expected[next++];
            if (record.source_index != 7 || record.line_number != line.line_number
                || record.is_too_long != line.is_too_long) {
                fail("a record has the wrong line number, source or too-long flag");
            }
            if (std::string_view(batch.text).substr(record.offset, record.length) != line.text) {
                fail("a record has the wrong text");
            }
        }
        blank_lines += batch.blank_lines;
        batch.clear();
    }
    if (next != expected.size()) {
        fail("the reader made fewer records than the input has non-blank lines");
    }
    if (blank_lines != expected_blank_lines) {
        fail("the reader counted a different number of blank lines");
    }
    if (reader.buffer_bytes() != buffer_bytes) {
        fail("the read buffer grew");
    }
    return 0;
}
