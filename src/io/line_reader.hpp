// Splits an input stream into records, one per line (or one CSV record), read in large blocks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "io/input_source.hpp"

namespace jwtbatch::io {

/// Default for `--max-token-bytes`: far above any real ES256 token (a few hundred bytes to a few
/// KiB), yet small enough that a stray binary file cannot make one record huge.
inline constexpr size_t default_max_line_bytes = 64 * 1024;

/// Largest accepted line limit, so that a record's offset and length fit its 32-bit fields.
inline constexpr size_t max_line_bytes_limit = size_t{1} << 30;

/// One non-blank input record. The text is `batch.text.substr(offset, length)`.
struct line_record {
    std::uint32_t source_index = 0; ///< index into the run's list of inputs
    std::uint64_t line_number = 0;  ///< 1-based number of the record's first line in its source
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

/// Reads lines from one source. Line ends are LF or CRLF, and trailing spaces, tabs and CR are
/// trimmed. A UTF-8 byte-order mark at the start of the source is dropped. Lines that are empty
/// after trimming are counted as blank and get no record. NUL and other bytes are kept as they
/// are, and a lone CR does not end a line. The last line needs no line end.
///
/// A line is too long when its bytes without the line end (LF or CRLF) but before trimming
/// spaces and tabs exceed `max_line_bytes`. It becomes one record marked too long, unless it
/// contains nothing but spaces, tabs and CR, in which case it is blank. Its bytes are skipped as
/// they stream by, so memory stays bounded by about `read_block_bytes + max_line_bytes` whatever
/// the line length.
///
/// In CSV mode (`set_csv_mode`), an LF between double quotes does not end the record, so one
/// record may span several lines (RFC 4180 section 2.6). Its `line_number` is that of its first
/// line, and the line numbers of later records count every line. Quote state is a parity count
/// of `"` bytes, which is exact for RFC 4180 records because an escaped quote is doubled.
/// NOTE: an unterminated quote makes the rest of the source one record, which then becomes too
/// long (and is skipped in bounded memory) unless a later stray quote closes it.
class line_reader {
public:
    /// Bytes requested from the source per read(2). One block contains thousands of tokens, so the cost
    /// of the system call vanishes beside verification, and the block stays small next to the
    /// memory of the batches in flight.
    static constexpr size_t read_block_bytes = 1024 * 1024;

    /// Starts reading `source`. `max_line_bytes` is clamped to [1, max_line_bytes_limit].
    line_reader(input_source& source, std::uint32_t source_index, size_t max_line_bytes);

    /// Appends records to `batch` until it contains `max_records` records or `max_text_bytes`
    /// bytes of text, or the source ends. Line numbers continue from the previous call. Returns
    /// false once the source is exhausted and nothing (neither a record nor a blank line) was
    /// appended. Throws `common::run_error` from the source.
    bool read_batch(line_batch& batch, size_t max_records, size_t max_text_bytes);

    /// Makes the following records end only at an LF outside double quotes. Call it between
    /// records, for example after `peek_first_line`.
    void set_csv_mode() noexcept { is_csv_ = true; }

    /// Returns the first line of the source that is not blank, without its LF and without
    /// consuming it, or the text read so far when no LF arrives before the read buffer is full
    /// or the source ends. Call it before the first `read_batch`. The view is valid until the
    /// next call on this reader. Throws `common::run_error` from the source.
    [[nodiscard]] std::string_view peek_first_line();

    /// Returns the bytes held by the read buffer, which does not grow after construction.
    [[nodiscard]] size_t buffer_bytes() const noexcept { return block_.size(); }

private:
    bool read_line(line_batch& batch);
    const char* find_record_end(const char* begin, size_t size) noexcept;
    bool fill();
    void drop_byte_order_mark();
    void finish_line(line_batch& batch, const char* begin, size_t size);
    void finish_too_long_line(line_batch& batch, bool has_content);
    void append_line(line_batch& batch, std::string_view text, bool is_too_long);

    input_source& source_;
    std::uint32_t source_index_;
    size_t max_line_bytes_;
    std::vector<char> block_;
    size_t block_begin_ = 0;
    size_t block_end_ = 0;
    size_t scanned_bytes_ = 0;   ///< bytes after `block_begin_` known to hold no LF
    std::uint64_t line_number_ = 0;
    bool at_start_ = true;
    bool at_end_ = false;
    bool is_skipping_ = false;   ///< inside a too-long line, discarding up to its LF
    bool skipped_content_ = false; ///< the too-long line has a byte other than space, tab, CR
    bool is_csv_ = false;
    bool in_quotes_ = false;            ///< CSV mode: the scanned bytes leave a quote open
    std::uint64_t embedded_lines_ = 0; ///< CSV mode: LFs inside quotes of the current record
};

} // namespace jwtbatch::io
