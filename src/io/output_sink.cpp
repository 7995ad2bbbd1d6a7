#include "io/output_sink.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

#include "common/run_error.hpp"

namespace jwtbatch::io {
namespace {

std::string errno_text(int error) { return std::strerror(error); }

/// Writes all of `bytes` to `fd`, retrying after EINTR and partial writes. Returns 0 on
/// success, else the errno of the failed write.
int write_all(int fd, std::string_view bytes) noexcept {
    while (!bytes.empty()) {
        ssize_t count = ::write(fd, bytes.data(), bytes.size());
        if (count < 0) {
            if (errno == EINTR) {
                continue;
            }
            return errno;
        }
        bytes.remove_prefix(static_cast<size_t>(count));
    }
    return 0;
}

/// Rows on stdout, or on an existing file that cannot be replaced (a device or a FIFO).
class stream_sink final : public output_sink {
public:
    stream_sink(int fd, bool owns_fd, std::string name)
        : fd_(fd), owns_fd_(owns_fd), name_(std::move(name)) {}

    stream_sink(const stream_sink&) = delete;
    stream_sink& operator=(const stream_sink&) = delete;

    ~stream_sink() override {
        if (owns_fd_) {
            ::close(fd_);
        }
    }

    bool write(std::string_view bytes) override {
        if (is_closed_) {
            return false;
        }
        int error = write_all(fd_, bytes);
        if (error == EPIPE) {
            is_closed_ = true;
            return false;
        }
        if (error != 0) {
            throw common::run_error("cannot write to " + name_ + ": " + errno_text(error));
        }
        return true;
    }

    void commit() override {}

private:
    int fd_;
    bool owns_fd_;
    std::string name_;
    bool is_closed_ = false;
};

/// Returns the mode a new file gets from open(2) with 0666: the process umask applied.
mode_t default_file_mode() {
    // NOTE: umask can only be read by setting it, so another thread creating a file at this
    // moment would see 0. Outputs are opened before the pipeline starts its threads.
    mode_t mask = ::umask(0);
    ::umask(mask);
    return 0666 & ~mask;
}

/// Rows in a temporary file beside the target, renamed over it by `commit`.
class atomic_file_sink final : public output_sink {
public:
    atomic_file_sink(std::string path, std::string directory, std::string temp_path, int fd)
        : path_(std::move(path))
        , directory_(std::move(directory))
        , temp_path_(std::move(temp_path))
        , fd_(fd) {}

    atomic_file_sink(const atomic_file_sink&) = delete;
    atomic_file_sink& operator=(const atomic_file_sink&) = delete;

    ~atomic_file_sink() override {
        if (fd_ >= 0) {
            ::close(fd_);
        }
        if (!is_committed_) {
            ::unlink(temp_path_.c_str());
        }
    }

    bool write(std::string_view bytes) override {
        if (is_committed_) {
            throw common::run_error("cannot write to " + path_ + ": already complete");
        }
        int error = write_all(fd_, bytes);
        if (error != 0) {
            fail("cannot write to " + path_, error);
        }
        return true;
    }

    void commit() override {
        if (is_committed_) {
            return;
        }
        // fsync before rename, so that after a crash the name never points at missing data.
        if (::fsync(fd_) != 0) {
            fail("cannot write to " + path_ + ": fsync", errno);
        }
        int fd = fd_;
        fd_ = -1;
        if (::close(fd) != 0) {
            fail("cannot write to " + path_ + ": close", errno);
        }
        if (::rename(temp_path_.c_str(), path_.c_str()) != 0) {
            fail("cannot rename " + temp_path_ + " to " + path_, errno);
        }
        is_committed_ = true;
        // The rename itself is durable only once the folder is synced.
        int directory_fd = ::open(directory_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (directory_fd >= 0) {
            ::fsync(directory_fd);
            ::close(directory_fd);
        }
    }

private:
    [[noreturn]] void fail(const std::string& context, int error) const {
        std::string message = context + ": " + errno_text(error);
        if (error == ENOSPC || error == EDQUOT || error == EFBIG) {
            message += ": free space or raise the file size limit, then run again";
        }
        throw common::run_error(message);
    }

    std::string path_;
    std::string directory_;
    std::string temp_path_;
    int fd_;
    bool is_committed_ = false;
};

std::unique_ptr<output_sink> open_atomic_file(const std::string& path, mode_t mode) {
    size_t slash = path.rfind('/');
    std::string directory = ".";
    if (slash != std::string::npos) {
        directory = path.substr(0, std::max<size_t>(slash, 1));
    }
    std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
    if (name.empty()) {
        throw common::run_error("cannot write to " + path + ": the path names a folder");
    }
    std::string temp_path = directory + "/." + name + ".tmp-XXXXXX";
    std::vector<char> template_buffer(temp_path.begin(), temp_path.end());
    template_buffer.push_back('\0');
    int fd = ::mkostemp(template_buffer.data(), O_CLOEXEC);
    if (fd < 0) {
        throw common::run_error("cannot create a temporary file in " + directory + " for "
                                + path + ": " + errno_text(errno));
    }
    temp_path.assign(template_buffer.data());
    // mkstemp creates the file with mode 0600; give it the mode a plain create would give.
    if (::fchmod(fd, mode) != 0) {
        int error = errno;
        ::close(fd);
        ::unlink(temp_path.c_str());
        throw common::run_error("cannot set the mode of " + temp_path + ": "
                                + errno_text(error));
    }
    return std::make_unique<atomic_file_sink>(path, directory, temp_path, fd);
}

} // namespace

std::unique_ptr<output_sink> open_output(const std::string& path) {
    if (path.empty() || path == "-") {
        return std::make_unique<stream_sink>(STDOUT_FILENO, false, "stdout");
    }
    struct stat info {};
    if (::stat(path.c_str(), &info) == 0) {
        if (S_ISDIR(info.st_mode)) {
            throw common::run_error("cannot write to " + path + ": " + errno_text(EISDIR));
        }
        if (!S_ISREG(info.st_mode)) {
            // A device or FIFO (/dev/null, a named pipe) cannot be replaced by a rename.
            int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
            if (fd < 0) {
                throw common::run_error("cannot open " + path + ": " + errno_text(errno));
            }
            return std::make_unique<stream_sink>(fd, true, path);
        }
        // Replacing an existing file keeps its permission bits, as rewriting it in place would,
        // and a symbolic link keeps pointing at the new contents.
        std::string target = path;
        if (char* resolved = ::realpath(path.c_str(), nullptr)) {
            target = resolved;
            std::free(resolved);
        }
        return open_atomic_file(target, info.st_mode & 0777);
    }
    return open_atomic_file(path, default_file_mode());
}

} // namespace jwtbatch::io
