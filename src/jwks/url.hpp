// The http and https URLs that a JWKS is fetched from.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace jwtbatch::jwks {

/// An absolute http or https URL split into the parts a request needs.
struct url {
    std::string scheme; ///< "https" or "http", lowercase
    std::string host;   ///< a DNS name or IP literal, IPv6 without brackets
    std::string port;   ///< decimal, the scheme's default when the URL has none
    std::string target; ///< path and query, at least "/"
    bool is_ipv6 = false;

    [[nodiscard]] bool is_https() const noexcept { return scheme == "https"; }

    /// Returns true when `host` is an IPv4 or IPv6 literal, which gets no SNI.
    [[nodiscard]] bool is_ip_literal() const;

    /// Returns the value of the Host header: the host (IPv6 in brackets) and a non-default port.
    [[nodiscard]] std::string host_header() const;

    /// Returns the whole URL, query included, for requests and the cache key.
    [[nodiscard]] std::string to_string() const;

    /// Returns the URL without its query, which may hold a credential, for messages and logs.
    [[nodiscard]] std::string redacted() const;
};

/// Returns true when `text` starts with "http://" or "https://" in any letter case.
[[nodiscard]] bool looks_like_url(std::string_view text) noexcept;

/// Parses `https://host[:port]/path?query` (or http). Returns nullopt and sets `error` to a short
/// lowercase reason for other schemes, user information, an empty host or an invalid port. The
/// fragment is dropped.
[[nodiscard]] std::optional<url> parse_url(std::string_view text, std::string& error);

/// Resolves a redirect `location` (absolute, scheme-relative, absolute-path or relative-path)
/// against `base` (RFC 3986 section 5.2, without dot-segment removal). Returns nullopt and sets
/// `error` when the result is not a valid URL.
[[nodiscard]] std::optional<url> resolve_location(const url& base,
                                                  std::string_view location,
                                                  std::string& error);

} // namespace jwtbatch::jwks
