// Every key source of a run (files and HTTPS URLs), merged, with refresh on an unknown kid.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "jwks/key_set.hpp"

namespace jwtbatch::jwks {

/// Fetch and cache settings for URL sources.
struct fetch_options {
    std::optional<std::string> cacert_path;              ///< replaces the system CA store
    std::chrono::milliseconds timeout{10'000};           ///< bounds each fetch, redirects included
    std::string cache_dir;                               ///< empty: $XDG_CACHE_HOME/jwtbatch, ~/.cache/jwtbatch
    std::chrono::seconds ttl{3600};                      ///< fresh entries skip the network
    std::chrono::seconds max_stale{7 * 24 * 3600};       ///< fallback age limit when unreachable
    std::chrono::seconds refresh_cooldown{300};          ///< minimum time between refreshes
    bool offline = false;                                ///< cache only
    bool allow_http = false;                             ///< accept http:// URLs
    size_t max_body_bytes = 1 << 20;                     ///< larger responses are rejected
};

/// Owns the merged key set. `snapshot` is cheap and thread-safe. A snapshot stays valid, and
/// its keys alive, for as long as the caller keeps it, even across refreshes.
class key_store {
public:
    /// Loads every source in order: a path is a file, an `https://` (or, with `allow_http`,
    /// `http://`) value is a URL. A URL is served from the cache while younger than `ttl` (or
    /// the server's shorter max-age), else fetched with the cached validators. When that fails,
    /// an entry younger than `max_stale` is used with a warning. Throws `common::run_error` with
    /// the source, the error and the options that help, when a source cannot be loaded or two
    /// sources map one `kid` to different keys. Blocks for up to `timeout` per URL.
    key_store(std::vector<std::string> sources, fetch_options options);
    ~key_store();
    key_store(const key_store&) = delete;
    key_store& operator=(const key_store&) = delete;

    [[nodiscard]] std::shared_ptr<const key_set> snapshot() const;

    /// Called by the pipeline for a `kid` no loaded key has. Fetches each URL source again,
    /// without validators, unless its last request (or its cached fetch time) is less than
    /// `refresh_cooldown` ago, and returns the new snapshot. Returns the current snapshot
    /// without a fetch when it already has `kid`, and nullptr when nothing was fetched: no URL
    /// source, `offline`, or every source within its cooldown. Failures are logged, not thrown,
    /// and keep the previous keys. Thread-safe: concurrent calls for the same miss fetch once.
    [[nodiscard]] std::shared_ptr<const key_set> refresh_for_unknown_kid(std::string_view kid);

    /// Number of refreshes made during the run, for the summary.
    [[nodiscard]] size_t refresh_count() const noexcept;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

} // namespace jwtbatch::jwks
