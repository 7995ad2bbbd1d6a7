#include "io/input_source.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>
#include <zlib.h>

#ifdef JWTBATCH_HAVE_ZSTD
#include <zstd.h>
#endif

#include "common/run_error.hpp"

namespace jwtbatch::io {
namespace {

// Compressed bytes read per call into a decompressor. The decompressed side is sized by the
// caller's buffer; 256 KiB of input keeps zlib and zstd in their fast paths without holding
// much memory per open file.
constexpr size_t compressed_block_bytes = 256 * 1024;

constexpr std::array<unsigned char, 2> gzip_magic = {0x1f, 0x8b};
constexpr std::array<unsigned char, 4> zstd_magic = {0x28, 0xb5, 0x2f, 0xfd};

std::string errno_text(int error) { return std::strerror(error); }

/// Plain bytes from a file descriptor, with room to put back the bytes peeked for the magic.
class fd_source final : public input_source {
public:
    fd_source(int fd, bool owns_fd, std::string name, std::optional<std::uint64_t> size)
        : fd_(fd), owns_fd_(owns_fd), name_(std::move(name)), size_(size) {}

    fd_source(const fd_source&) = delete;
    fd_source& operator=(const fd_source&) = delete;

    ~fd_source() override {
        if (owns_fd_) {
            ::close(fd_);
        }
    }

    size_t read(char* buffer, size_t size) override {
        if (size == 0) {
            return 0;
        }
        if (peeked_begin_ < peeked_.size()) {
            size_t count = std::min(size, peeked_.size() - peeked_begin_);
            std::memcpy(buffer, peeked_.data() + peeked_begin_, count);
            peeked_begin_ += count;
            consumed_ += count;
            return count;
        }
        return read_fd(buffer, size);
    }

    /// Reads up to `size` bytes from the start and keeps them to be returned again by `read`.
    std::string_view peek(size_t size) {
        std::vector<char> head(size);
        size_t filled = 0;
        while (filled < size) {
            size_t count = read_fd(head.data() + filled, size - filled);
            if (count == 0) {
                break;
            }
            filled += count;
        }
        head.resize(filled);
        consumed_ -= filled;
        peeked_ = std::move(head);
        peeked_begin_ = 0;
        return {peeked_.data(), peeked_.size()};
    }

    const std::string& name() const noexcept override { return name_; }

    std::optional<std::uint64_t> size_bytes() const noexcept override { return size_; }

    std::uint64_t bytes_consumed() const noexcept override { return consumed_; }

private:
    size_t read_fd(char* buffer, size_t size) {
        for (;;) {
            ssize_t count = ::read(fd_, buffer, size);
            if (count >= 0) {
                consumed_ += static_cast<std::uint64_t>(count);
                return static_cast<size_t>(count);
            }
            if (errno != EINTR) {
                throw common::run_error("cannot read " + name_ + ": " + errno_text(errno));
            }
        }
    }

    int fd_;
    bool owns_fd_;
    std::string name_;
    std::optional<std::uint64_t> size_;
    std::uint64_t consumed_ = 0;
    std::vector<char> peeked_;
    size_t peeked_begin_ = 0;
};

/// Base of the decompressors: owns the compressed source and its input buffer.
class decompressing_source : public input_source {
public:
    explicit decompressing_source(std::unique_ptr<fd_source> raw)
        : raw_(std::move(raw)), input_(compressed_block_bytes) {}

    const std::string& name() const noexcept override { return raw_->name(); }

    std::optional<std::uint64_t> size_bytes() const noexcept override {
        return raw_->size_bytes();
    }

    std::uint64_t bytes_consumed() const noexcept override {
        return raw_->bytes_consumed() - input_size_;
    }

protected:
    /// Refills the compressed input buffer; returns false at the end of the file.
    bool refill() {
        input_size_ = raw_->read(input_.data(), input_.size());
        return input_size_ > 0;
    }

    [[noreturn]] void fail(const std::string& what) const {
        throw common::run_error(name() + ": " + what);
    }

    std::unique_ptr<fd_source> raw_;
    std::vector<char> input_;
    size_t input_size_ = 0; ///< compressed bytes in `input_` not yet given to the decompressor
};

/// Inflates gzip members one after another, as `cat a.gz b.gz` concatenates them (RFC 1952
/// allows several members in one file and gzip(1) decompresses them all).
class gzip_source final : public decompressing_source {
public:
    explicit gzip_source(std::unique_ptr<fd_source> raw) : decompressing_source(std::move(raw)) {
        // 16 + 15: a gzip wrapper only (the magic was checked), with the largest window.
        if (inflateInit2(&stream_, 16 + MAX_WBITS) != Z_OK) {
            fail("cannot start gzip decompression: out of memory");
        }
    }

    gzip_source(const gzip_source&) = delete;
    gzip_source& operator=(const gzip_source&) = delete;

    ~gzip_source() override { inflateEnd(&stream_); }

    size_t read(char* buffer, size_t size) override {
        stream_.next_out = reinterpret_cast<Bytef*>(buffer);
        // zlib counts in 32-bit units, so a larger request is served in part.
        const auto capacity = static_cast<uInt>(std::min<size_t>(size, UINT32_MAX));
        stream_.avail_out = capacity;
        while (stream_.avail_out == capacity && capacity > 0) {
            if (stream_.avail_in == 0) {
                if (!refill()) {
                    if (in_member_) {
                        fail("truncated gzip stream");
                    }
                    return 0;
                }
                stream_.next_in = reinterpret_cast<Bytef*>(input_.data());
                stream_.avail_in = static_cast<uInt>(input_size_);
            }
            if (!in_member_) {
                // More bytes follow the end of a member: they must be another member.
                if (inflateReset(&stream_) != Z_OK) {
                    fail("cannot restart gzip decompression");
                }
                in_member_ = true;
            }
            int status = inflate(&stream_, Z_NO_FLUSH);
            input_size_ = stream_.avail_in;
            if (status == Z_STREAM_END) {
                in_member_ = false;
            } else if (status == Z_DATA_ERROR) {
                fail(std::string("corrupt gzip data: ") + (stream_.msg ? stream_.msg : "invalid"));
            } else if (status == Z_MEM_ERROR) {
                fail("gzip decompression ran out of memory");
            } else if (status != Z_OK && status != Z_BUF_ERROR) {
                fail("gzip decompression failed with zlib status " + std::to_string(status));
            }
        }
        return capacity - stream_.avail_out;
    }

private:
    z_stream stream_{};
    bool in_member_ = true;
};

#ifdef JWTBATCH_HAVE_ZSTD
/// Decompresses zstd frames one after another (concatenated frames form a valid stream).
class zstd_source final : public decompressing_source {
public:
    explicit zstd_source(std::unique_ptr<fd_source> raw)
        : decompressing_source(std::move(raw)), context_(ZSTD_createDStream()) {
        if (context_ == nullptr) {
            fail("cannot start zstd decompression: out of memory");
        }
    }

    zstd_source(const zstd_source&) = delete;
    zstd_source& operator=(const zstd_source&) = delete;

    ~zstd_source() override { ZSTD_freeDStream(context_); }

    size_t read(char* buffer, size_t size) override {
        ZSTD_outBuffer output{buffer, size, 0};
        while (output.pos == 0 && size > 0) {
            if (frame_input_.pos == frame_input_.size) {
                if (!refill()) {
                    if (in_frame_) {
                        fail("truncated zstd stream");
                    }
                    return 0;
                }
                frame_input_ = ZSTD_inBuffer{input_.data(), input_size_, 0};
            }
            size_t status = ZSTD_decompressStream(context_, &output, &frame_input_);
            input_size_ = frame_input_.size - frame_input_.pos;
            if (ZSTD_isError(status)) {
                fail(std::string("corrupt zstd data: ") + ZSTD_getErrorName(status));
            }
            // 0 means a frame was completed and flushed; anything else means more is expected.
            in_frame_ = status != 0;
        }
        return output.pos;
    }

private:
    ZSTD_DStream* context_;
    ZSTD_inBuffer frame_input_{nullptr, 0, 0};
    bool in_frame_ = true;
};
#endif

bool starts_with(std::string_view bytes, const auto& magic) {
    return bytes.size() >= magic.size()
           && std::equal(magic.begin(), magic.end(), bytes.begin(), [](unsigned char m, char b) {
                  return m == static_cast<unsigned char>(b);
              });
}

std::unique_ptr<fd_source> open_raw(const std::string& path) {
    if (path == "-") {
        return std::make_unique<fd_source>(STDIN_FILENO, false, path, std::nullopt);
    }
    int fd = -1;
    do {
        fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) {
        throw common::run_error("cannot open " + path + ": " + errno_text(errno));
    }
    struct stat info {};
    if (::fstat(fd, &info) != 0) {
        int error = errno;
        ::close(fd);
        throw common::run_error("cannot open " + path + ": " + errno_text(error));
    }
    if (S_ISDIR(info.st_mode)) {
        ::close(fd);
        throw common::run_error("cannot open " + path + ": " + errno_text(EISDIR));
    }
    std::optional<std::uint64_t> size;
    if (S_ISREG(info.st_mode)) {
        size = static_cast<std::uint64_t>(info.st_size);
    }
    return std::make_unique<fd_source>(fd, true, path, size);
}

} // namespace

std::unique_ptr<input_source> open_input(const std::string& path) {
    auto raw = open_raw(path);
    std::string_view head = raw->peek(zstd_magic.size());
    if (starts_with(head, gzip_magic)) {
        return std::make_unique<gzip_source>(std::move(raw));
    }
    if (starts_with(head, zstd_magic)) {
#ifdef JWTBATCH_HAVE_ZSTD
        return std::make_unique<zstd_source>(std::move(raw));
#else
        throw common::run_error(path + ": zstd input is not supported by this build: "
                                       "decompress it with zstd -dc first");
#endif
    }
    return raw;
}

} // namespace jwtbatch::io
