#include "jwks/jwks_cache.hpp"

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include <fcntl.h>
#include <unistd.h>

#include "common/logger.hpp"
#include "common/run_error.hpp"
#include "jws/digest.hpp"

namespace jwtbatch::jwks {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view format_line = "jwtbatch-jwks-cache 1";

std::string to_hex(const std::array<std::uint8_t, 32>& bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (auto byte : bytes) {
        out.push_back(digits[byte >> 4]);
        out.push_back(digits[byte & 0x0f]);
    }
    return out;
}

/// Header values come from the server; a line break would corrupt the metadata block.
bool is_single_line(std::string_view value) {
    return value.find_first_of("\r\n") == std::string_view::npos;
}

std::string serialize(const url& address, const cache_entry& entry) {
    std::ostringstream out;
    auto fetched = std::chrono::duration_cast<std::chrono::seconds>(
        entry.fetched_at.time_since_epoch());
    out << format_line << '\n';
    out << "url " << address.redacted() << '\n';
    out << "fetched-at " << fetched.count() << '\n';
    if (!entry.etag.empty() && is_single_line(entry.etag)) {
        out << "etag " << entry.etag << '\n';
    }
    if (!entry.last_modified.empty() && is_single_line(entry.last_modified)) {
        out << "last-modified " << entry.last_modified << '\n';
    }
    if (entry.max_age) {
        out << "max-age " << entry.max_age->count() << '\n';
    }
    out << '\n' << entry.body;
    return out.str();
}

/// Parses the metadata block; returns a short reason when the file is not a cache entry.
std::optional<std::string> parse_entry(const std::string& text, cache_entry& entry) {
    std::istringstream in(text);
    std::string line;
    if (!std::getline(in, line) || line != format_line) {
        return "unknown format";
    }
    bool has_time = false;
    while (std::getline(in, line) && !line.empty()) {
        auto space = line.find(' ');
        std::string name = line.substr(0, space);
        std::string value = space == std::string::npos ? "" : line.substr(space + 1);
        try {
            if (name == "fetched-at") {
                entry.fetched_at = std::chrono::system_clock::time_point(
                    std::chrono::seconds(std::stoll(value)));
                has_time = true;
            } else if (name == "etag") {
                entry.etag = value;
            } else if (name == "last-modified") {
                entry.last_modified = value;
            } else if (name == "max-age") {
                entry.max_age = std::chrono::seconds(std::stoll(value));
            }
        } catch (const std::exception&) {
            return "invalid " + name + " line";
        }
    }
    if (!has_time) {
        return "missing fetched-at line";
    }
    auto body_start = in.tellg();
    if (body_start < 0) {
        return "missing body";
    }
    entry.body = text.substr(static_cast<size_t>(body_start));
    return std::nullopt;
}

bool write_all(int fd, const std::string& data) {
    const char* next = data.data();
    size_t remaining = data.size();
    while (remaining > 0) {
        ssize_t written = ::write(fd, next, remaining);
        if (written < 0 && errno == EINTR) {
            continue;
        }
        if (written <= 0) {
            return false;
        }
        next += written;
        remaining -= static_cast<size_t>(written);
    }
    return true;
}

} // namespace

jwks_cache::jwks_cache(std::string directory)
    : directory_(directory.empty() ? default_directory() : std::move(directory)) {}

std::string jwks_cache::default_directory() {
    const char* xdg = std::getenv("XDG_CACHE_HOME");
    if (xdg != nullptr && xdg[0] == '/') {
        return std::string(xdg) + "/jwtbatch";
    }
    const char* home = std::getenv("HOME");
    if (home != nullptr && home[0] != '\0') {
        return std::string(home) + "/.cache/jwtbatch";
    }
    throw common::run_error("no JWKS cache directory: neither XDG_CACHE_HOME nor HOME is set: "
                            "pass --jwks-cache-dir DIR");
}

std::string jwks_cache::entry_path(const url& address) const {
    std::array<std::uint8_t, 32> hash{};
    if (!jws::sha256(address.to_string(), hash)) {
        throw common::run_error("cannot hash the JWKS URL " + address.redacted()
                                + " for its cache file name");
    }
    return directory_ + "/" + to_hex(hash) + ".jwks";
}

std::optional<cache_entry> jwks_cache::read(const url& address) const {
    std::string path = entry_path(address);
    std::ifstream file(path, std::ios::binary);
    if (!file) {
        return std::nullopt;
    }
    std::ostringstream content;
    content << file.rdbuf();
    cache_entry entry;
    if (auto problem = parse_entry(content.str(), entry)) {
        common::log_warn("ignoring JWKS cache file " + path + " for " + address.redacted() + ": "
                         + *problem);
        return std::nullopt;
    }
    return entry;
}

bool jwks_cache::write(const url& address, const cache_entry& entry) const {
    std::string path = entry_path(address);
    auto fail = [&](const std::string& what) {
        common::log_warn("cannot write JWKS cache file " + path + ": " + what + ": "
                         + std::strerror(errno) + ": check --jwks-cache-dir");
        return false;
    };
    std::error_code ec;
    // The cache decides which keys are trusted, so only the owner may write to it.
    if (fs::create_directories(directory_, ec)) {
        fs::permissions(directory_, fs::perms::owner_all, ec);
    }
    if (ec) {
        errno = ec.value();
        return fail("cannot create the directory");
    }
    std::string temporary = path + ".XXXXXX";
    int fd = ::mkstemp(temporary.data());
    if (fd < 0) {
        return fail("cannot create a temporary file");
    }
    bool ok = write_all(fd, serialize(address, entry)) && ::fsync(fd) == 0;
    int saved_errno = errno;
    ok = (::close(fd) == 0) && ok;
    if (!ok || ::rename(temporary.c_str(), path.c_str()) != 0) {
        saved_errno = ok ? errno : saved_errno;
        ::unlink(temporary.c_str());
        errno = saved_errno;
        return fail("cannot replace the entry");
    }
    // Syncing the directory makes the rename itself survive a crash.
    int directory_fd = ::open(directory_.c_str(), O_RDONLY | O_DIRECTORY);
    if (directory_fd >= 0) {
        ::fsync(directory_fd);
        ::close(directory_fd);
    }
    return true;
}

} // namespace jwtbatch::jwks
