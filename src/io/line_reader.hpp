// Splits an input stream into records, one per line, read in large blocks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "io/input_source.hpp"

namespace jwtbatch::io {

/// One non-blank input line. The text is `batch.text.substr(offset, length)`.
struct line_record {
    std::uint32_t source_index = 0; ///< index into the run's list of inputs
    std::uint64_t line_number = 0;  ///< 1-based line number within its source
    std::uint32_t offset = 0;
    std::uint32_t length = 0;
    bool is_too_long = false; ///< longer than the limit: no text is kept
};

/// A batch of lines; reused between batches so that its buffers keep their capacity.
struct line_batch {
    std::string text;
    std::vector<line_record> records;
    std::uint64_t blank_lines = 0;

    void clear() noexcept {
        text.clear();
        records.clear();
        blank_lines = 0;
    }
};

/// Reads lines from one source. Line ends are LF or CRLF; trailing spaces, tabs and CR are
/// trimmed; a UTF-8 byte-order mark at the start of the source is dropped; lines that are empty
/// after trimming are counted as blank and get no record; NUL and other bytes are kept as they
/// are. A line longer than `max_line_bytes` becomes one record marked too long, and its bytes are
/// skipped as they stream by, so memory stays bounded whatever the line length.
class line_reader {
public:
    line_reader(input_source& source, std::uint32_t source_index, size_t max_line_bytes);

    /// Appends records to `batch` until it holds `max_records` records or `max_text_bytes`
    /// bytes of text, or the source ends. Returns false once the source is exhausted and
    /// nothing was appended. Throws `common::run_error` from the source.
    bool read_batch(line_batch& batch, size_t max_records, size_t max_text_bytes);

private:
    input_source& source_;
    std::uint32_t source_index_;
    size_t max_line_bytes_;
    std::vector<char> block_;
    size_t block_begin_ = 0;
    size_t block_end_ = 0;
    std::uint64_t line_number_ = 0;
    bool at_start_ = true;
    bool at_end_ = false;
};

} // namespace jwtbatch::io
