#include "io/line_reader.hpp"

#include <algorithm>
#include <cstring>
#include <limits>

namespace jwtbatch::io {
namespace {

bool is_trailing_space(char c) noexcept { return c == ' ' || c == '\t' || c == '\r'; }

bool has_content(const char* begin, size_t size) noexcept {
    return std::any_of(begin, begin + size, [](char c) { return !is_trailing_space(c); });
}

} // namespace

line_reader::line_reader(input_source& source, std::uint32_t source_index, size_t max_line_bytes)
    : source_(source)
    , source_index_(source_index)
    , max_line_bytes_(std::clamp<size_t>(max_line_bytes, 1, max_line_bytes_limit))
    // A partial line of up to max_line_bytes + 1 bytes (its CR may wait for the LF) stays in
    // the buffer while the next block is read behind it.
    , block_(read_block_bytes + max_line_bytes_ + 1) {}

bool line_reader::read_batch(line_batch& batch, size_t max_records, size_t max_text_bytes) {
    // Keeps every offset and length of the batch within its 32-bit record fields.
    const size_t text_limit = std::min(
        max_text_bytes, size_t{std::numeric_limits<std::uint32_t>::max()} - max_line_bytes_);
    const size_t records_before = batch.records.size();
    const std::uint64_t blank_before = batch.blank_lines;
    bool is_exhausted = false;
    while (batch.records.size() < max_records && batch.text.size() < text_limit) {
        if (!read_line(batch)) {
            is_exhausted = true;
            break;
        }
    }
    bool appended = batch.records.size() != records_before || batch.blank_lines != blank_before;
    return appended || !is_exhausted;
}

bool line_reader::read_line(line_batch& batch) {
    if (at_start_) {
        drop_byte_order_mark();
        at_start_ = false;
    }
    for (;;) {
        char* begin = block_.data() + block_begin_;
        size_t available = block_end_ - block_begin_;
        if (is_skipping_) {
            const char* line_end = find_record_end(begin, available);
            size_t size = line_end != nullptr ? static_cast<size_t>(line_end - begin) : available;
            skipped_content_ = skipped_content_ || has_content(begin, size);
            if (line_end != nullptr) {
                block_begin_ += size + 1;
                finish_too_long_line(batch, skipped_content_);
                return true;
            }
            block_begin_ = block_end_ = 0;
            if (!fill()) {
                finish_too_long_line(batch, skipped_content_);
                return true;
            }
            continue;
        }
        const char* line_end =
            find_record_end(begin + scanned_bytes_, available - scanned_bytes_);
        if (line_end != nullptr) {
            auto size = static_cast<size_t>(line_end - begin);
            block_begin_ += size + 1;
            scanned_bytes_ = 0;
            finish_line(batch, begin, size);
            return true;
        }
        scanned_bytes_ = available;
        if (available > max_line_bytes_ + 1) {
            // Too long whatever follows, so stop keeping its bytes.
            is_skipping_ = true;
            skipped_content_ = has_content(begin, available);
            block_begin_ = block_end_ = 0;
            scanned_bytes_ = 0;
            continue;
        }
        if (fill()) {
            continue;
        }
        // The last line has no line end. `fill` may have moved it to the front of the block.
        if (available == 0) {
            return false;
        }
        begin = block_.data() + block_begin_;
        block_begin_ = block_end_;
        scanned_bytes_ = 0;
        finish_line(batch, begin, available);
        return true;
    }
}

/// Returns the LF that ends the record in [begin, begin + size), or nullptr. In CSV mode the
/// quote state and embedded line count carry over from one call to the next.
const char* line_reader::find_record_end(const char* begin, size_t size) noexcept {
    if (!is_csv_) {
        return static_cast<const char*>(std::memchr(begin, '\n', size));
    }
    for (size_t i = 0; i < size; ++i) {
        if (begin[i] == '"') {
            in_quotes_ = !in_quotes_;
        } else if (begin[i] == '\n') {
            if (!in_quotes_) {
                return begin + i;
            }
            ++embedded_lines_;
        }
    }
    return nullptr;
}

std::string_view line_reader::peek_first_line() {
    if (at_start_) {
        drop_byte_order_mark();
        at_start_ = false;
    }
    size_t offset = 0; // from block_begin_, which fill() may move
    for (;;) {
        const char* begin = block_.data() + block_begin_;
        const size_t available = block_end_ - block_begin_;
        while (offset < available) {
            const auto* line_end =
                static_cast<const char*>(std::memchr(begin + offset, '\n', available - offset));
            if (line_end == nullptr) {
                break;
            }
            const auto size = static_cast<size_t>(line_end - (begin + offset));
            if (has_content(begin + offset, size)) {
                return {begin + offset, size};
            }
            offset += size + 1;
        }
        if (available == block_.size() || !fill()) {
            begin = block_.data() + block_begin_;
            return {begin + offset, block_end_ - block_begin_ - offset};
        }
    }
}

bool line_reader::fill() {
    if (at_end_) {
        return false;
    }
    if (block_begin_ > 0) {
        std::memmove(block_.data(), block_.data() + block_begin_, block_end_ - block_begin_);
        block_end_ -= block_begin_;
        block_begin_ = 0;
    }
    size_t count = source_.read(block_.data() + block_end_, block_.size() - block_end_);
    if (count == 0) {
        at_end_ = true;
        return false;
    }
    block_end_ += count;
    return true;
}

void line_reader::drop_byte_order_mark() {
    static constexpr std::string_view byte_order_mark = "\xEF\xBB\xBF";
    while (block_end_ - block_begin_ < byte_order_mark.size() && fill()) {
    }
    std::string_view head(block_.data() + block_begin_, block_end_ - block_begin_);
    if (head.starts_with(byte_order_mark)) {
        block_begin_ += byte_order_mark.size();
    }
}

void line_reader::finish_line(line_batch& batch, const char* begin, size_t size) {
    size_t content_size = size;
    if (content_size > 0 && begin[content_size - 1] == '\r') {
        --content_size;
    }
    if (content_size > max_line_bytes_) {
        finish_too_long_line(batch, has_content(begin, content_size));
        return;
    }
    while (content_size > 0 && is_trailing_space(begin[content_size - 1])) {
        --content_size;
    }
    append_line(batch, {begin, content_size}, false);
}

void line_reader::finish_too_long_line(line_batch& batch, bool has_content) {
    is_skipping_ = false;
    skipped_content_ = false;
    append_line(batch, {}, has_content);
}

void line_reader::append_line(line_batch& batch, std::string_view text, bool is_too_long) {
    ++line_number_;
    const std::uint64_t first_line = line_number_;
    line_number_ += embedded_lines_;
    embedded_lines_ = 0;
    in_quotes_ = false;
    if (text.empty() && !is_too_long) {
        ++batch.blank_lines;
        return;
    }
    line_record record;
    record.source_index = source_index_;
    record.line_number = first_line;
    record.offset = static_cast<std::uint32_t>(batch.text.size());
    record.length = static_cast<std::uint32_t>(text.size());
    record.is_too_long = is_too_long;
    batch.text.append(text);
    batch.records.push_back(record);
}

} // namespace jwtbatch::io
