// Where result rows go: stdout, or a file that appears only when the run completes.
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace jwtbatch::io {

/// A destination for result bytes.
class output_sink {
public:
    virtual ~output_sink() = default;

    /// Writes all of `bytes`. Returns false when the reader has gone away (EPIPE on stdout), so
    /// the run can stop quietly. Throws `common::run_error` naming the destination on any other
    /// write error (a full disk, for example).
    virtual bool write(std::string_view bytes) = 0;

    /// Flushes and, for a file, fsyncs it and renames the temporary file over the target.
    /// Throws `common::run_error` on failure. A sink destroyed without `commit` removes its
    /// temporary file, so a failed run never leaves a file that looks complete.
    virtual void commit() = 0;
};

/// Opens stdout when `path` is empty or "-", else a temporary file in the same folder as `path`.
/// Throws `common::run_error` naming the path when the file cannot be created.
[[nodiscard]] std::unique_ptr<output_sink> open_output(const std::string& path);

} // namespace jwtbatch::io
