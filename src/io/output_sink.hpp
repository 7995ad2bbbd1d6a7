// Destinations for result rows: stdout, or a file that appears only when the run completes.
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

/// Opens stdout when `path` is empty or "-", else a temporary file "<folder>/.<name>.tmp-XXXXXX"
/// in the same folder as `path`, which `commit` renames over `path`. The new file gets the mode
/// of the file it replaces, or 0666 minus the umask. A symbolic link at `path` is followed, so
/// its target is replaced. An existing device or FIFO (/dev/null, a named pipe) is written
/// directly, since a rename cannot replace it. Throws `common::run_error` naming the path when
/// the file cannot be created or `path` is a folder.
///
/// NOTE: a file size limit (ulimit -f) raises SIGXFSZ, which ends the process unless it is
/// ignored; with it ignored, the write fails with EFBIG and throws.
[[nodiscard]] std::unique_ptr<output_sink> open_output(const std::string& path);

} // namespace jwtbatch::io
