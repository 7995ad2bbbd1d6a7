// The disk cache of JWKS responses: one file per URL, replaced atomically.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "jwks/url.hpp"

namespace jwtbatch::jwks {

/// One cached response with the metadata that decides its freshness and revalidation.
struct cache_entry {
    std::string body;
    std::chrono::system_clock::time_point fetched_at; ///< last 200 or 304 from the server
    std::string etag;
    std::string last_modified;
    std::optional<std::chrono::seconds> max_age; ///< the server's Cache-Control max-age
};

/// A cache directory. Each URL (query included) maps to `<sha256 of the URL>.jwks`, a text file
/// of "name value" metadata lines, a blank line, then the body. Reads and writes from several
/// processes are safe because writers replace whole files by rename.
class jwks_cache {
public:
    /// Uses `directory`, or `default_directory()` when it is empty. Creates nothing yet.
    explicit jwks_cache(std::string directory);

    /// Returns $XDG_CACHE_HOME/jwtbatch when that variable is an absolute path, else
    /// $HOME/.cache/jwtbatch. Throws `common::run_error` when neither is set.
    [[nodiscard]] static std::string default_directory();

    [[nodiscard]] const std::string& directory() const noexcept { return directory_; }

    /// Returns the path of the cache file for `address`.
    [[nodiscard]] std::string entry_path(const url& address) const;

    /// Reads the entry for `address`; nullopt when there is none. A file that cannot be parsed
    /// is reported with a warning and treated as missing. Does not check the body.
    [[nodiscard]] std::optional<cache_entry> read(const url& address) const;

    /// Writes the entry for `address` to a temporary file in the directory (created with mode
    /// 0700 if missing), syncs it and renames it over the old entry, so a reader sees the old or
    /// the new file, never a torn one. Returns false after a warning when that fails.
    bool write(const url& address, const cache_entry& entry) const;

private:
    std::string directory_;
};

} // namespace jwtbatch::jwks
