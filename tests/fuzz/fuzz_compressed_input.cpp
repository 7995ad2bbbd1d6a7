// Fuzzes the gzip (and, when built with zstd, the zstd) input readers through `open_input` on a
// real file, as a corrupt or hostile compressed log reaches them.
//
// Input: a mode byte, a parameter byte, then data. Modes:
// - corrupt gzip / corrupt zstd: the magic bytes followed by the data; the reader must return
//   bytes or throw `common::run_error`, nothing else;
// - gzip round trip: the data compressed into two gzip members split at the parameter byte;
//   the reader must return exactly the data;
// - damaged gzip: the same two members with one byte after the magic changed. Because gzip
//   checks a CRC-32 and the length, the reader must throw `common::run_error` or return exactly
//   the data;
// - zstd round trip: the data compressed with a content checksum; must read back exactly.
// The reader's buffer size varies with the parameter byte, so short reads are exercised too.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include <unistd.h>
#include <zlib.h>
#ifdef JWTBATCH_HAVE_ZSTD
#include <zstd.h>
#endif

#include "common/run_error.hpp"
#include "fuzz_support.hpp"
#include "io/input_source.hpp"

namespace {

using jwtbatch::fuzz::fail;

/// Reading stops here. Deflate expands at most about 1032 to 1, so an input within the 8 KiB
/// -max_len of scripts/fuzz.sh stays far below this, and a wrong reader cannot exhaust memory.
constexpr size_t max_output_bytes = 64 << 20;

enum class mode { corrupt_gzip, gzip_round_trip, damaged_gzip, corrupt_zstd, zstd_round_trip };
constexpr int mode_count = 5;

/// Returns the file that each input is written to, one per process, removed at exit.
const std::string& temp_path() {
    static const std::string path = [] {
        std::atexit([] { std::remove(temp_path().c_str()); });
        const auto name = "jwtbatch-fuzz-" + std::to_string(getpid()) + ".bin";
        return (std::filesystem::temp_directory_path() / name).string();
    }();
    return path;
}

void write_file(const std::string& bytes) {
    std::ofstream file(temp_path(), std::ios::binary | std::ios::trunc);
    file.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!file) {
        fail("cannot write the temporary input file");
    }
}

/// Compresses `data` as one gzip member (RFC 1952) with zlib.
std::string gzip_member(std::string_view data) {
    z_stream stream{};
    // 16 + MAX_WBITS asks zlib for the gzip wrapper.
    if (deflateInit2(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8,
                     Z_DEFAULT_STRATEGY) != Z_OK) {
        fail("deflateInit2 failed");
    }
    std::string out(deflateBound(&stream, static_cast<uLong>(data.size())) + 32, '\0');
    stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    stream.avail_in = static_cast<uInt>(data.size());
    stream.next_out = reinterpret_cast<Bytef*>(out.data());
    stream.avail_out = static_cast<uInt>(out.size());
    if (deflate(&stream, Z_FINISH) != Z_STREAM_END) {
        fail("deflate did not finish in one call");
    }
    out.resize(stream.total_out);
    deflateEnd(&stream);
    return out;
}

#ifdef JWTBATCH_HAVE_ZSTD
std::string zstd_frame(std::string_view data) {
    ZSTD_CCtx* context = ZSTD_createCCtx();
    std::string out(ZSTD_compressBound(data.size()), '\0');
    size_t size = ZSTD_isError(ZSTD_CCtx_setParameter(context, ZSTD_c_checksumFlag, 1))
                      ? 0
                      : ZSTD_compress2(context, out.data(), out.size(), data.data(), data.size());
    ZSTD_freeCCtx(context);
    if (size == 0 || ZSTD_isError(size)) {
        fail("ZSTD_compress2 failed");
    }
    out.resize(size);
    return out;
}
#endif

/// Opens the temporary file with `open_input` and reads it to the end, or returns nullopt when
/// the reader throws `common::run_error`.
std::optional<std::string> read_back(size_t buffer_bytes) {
    try {
        auto source = jwtbatch::io::open_input(temp_path());
        std::string out;
        std::vector<char> buffer(buffer_bytes);
        while (out.size() < max_output_bytes) {
            size_t count = source->read(buffer.data(), buffer.size());
            if (count == 0) {
                break;
            }
            if (count > buffer.size()) {
                fail("read returned more bytes than the buffer holds");
            }
            out.append(buffer.data(), count);
        }
        return out;
    } catch (const jwtbatch::common::run_error&) {
        return std::nullopt;
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, size_t size) {
    if (size < 2) {
        return 0;
    }
    const auto selected = static_cast<mode>(bytes[0] % mode_count);
    const size_t parameter = bytes[1];
    const std::string_view data(reinterpret_cast<const char*>(bytes + 2), size - 2);
    const size_t buffer_bytes = parameter % 2 == 0 ? 65536 : 1 + parameter % 61;

    switch (selected) {
    case mode::corrupt_gzip:
        write_file(std::string("\x1f\x8b", 2) + std::string(data));
        (void)read_back(buffer_bytes);
        break;
    case mode::corrupt_zstd:
        write_file(std::string("\x28\xb5\x2f\xfd", 4) + std::string(data));
        (void)read_back(buffer_bytes);
        break;
    case mode::gzip_round_trip:
    case mode::damaged_gzip: {
        const size_t split = std::min(parameter, data.size());
        std::string compressed = gzip_member(data.substr(0, split)) + gzip_member(data.substr(split));
        if (selected == mode::damaged_gzip) {
            // The last data byte picks the damaged position, so it varies apart from the split.
            // The first two bytes stay: without the gzip magic the file is plain text, which
            // the reader rightly returns as it is.
            const size_t position = data.empty() ? 0 : static_cast<std::uint8_t>(data.back());
            compressed[2 + position * 7 % (compressed.size() - 2)] ^= 0x5a;
        }
        write_file(compressed);
        const auto out = read_back(buffer_bytes);
        if (selected == mode::gzip_round_trip && !out) {
            fail("a valid two-member gzip file was rejected");
        }
        if (out && *out != data) {
            fail("the gzip reader returned bytes other than those compressed");
        }
        break;
    }
    case mode::zstd_round_trip: {
#ifdef JWTBATCH_HAVE_ZSTD
        write_file(zstd_frame(data));
        const auto out = read_back(buffer_bytes);
        if (!out || *out != data) {
            fail("the zstd reader did not return the bytes compressed");
        }
#endif
        break;
    }
    }
    return 0;
}
