// Byte streams from files or stdin, decompressed when the bytes start with a gzip or zstd magic.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace jwtbatch::io {

/// A sequential stream of input bytes.
class input_source {
public:
    virtual ~input_source() = default;

    /// Reads up to `size` bytes into `buffer`; returns 0 only at the end of the stream. Throws
    /// `common::run_error` naming the source on a read error or corrupt compressed data.
    virtual size_t read(char* buffer, size_t size) = 0;

    /// Returns the name used in results and messages: the path, or "-" for stdin.
    [[nodiscard]] virtual const std::string& name() const noexcept = 0;

    /// Returns the size on disk when known (regular files), for progress display.
    [[nodiscard]] virtual std::optional<std::uint64_t> size_bytes() const noexcept = 0;

    /// Returns the compressed bytes consumed so far (equal to bytes read for plain input).
    [[nodiscard]] virtual std::uint64_t bytes_consumed() const noexcept = 0;
};

/// Opens `path` ("-" is stdin) and wraps it in a decompressor when its first bytes are a gzip
/// (1f 8b) or zstd (28 b5 2f fd) magic. Throws `common::run_error` naming the path when it
/// cannot be opened.
[[nodiscard]] std::unique_ptr<input_source> open_input(const std::string& path);

} // namespace jwtbatch::io
