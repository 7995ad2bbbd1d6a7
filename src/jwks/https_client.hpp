// One HTTP GET over TLS (or plain http when allowed) with timeouts, a size limit and redirects.
#pragma once

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>

#include "jwks/key_store.hpp"
#include "jwks/url.hpp"

namespace jwtbatch::jwks {

/// A transport or protocol failure. `what()` names the stage (resolve, connect, handshake,
/// write, read, redirect) and the error, as "handshake: certificate verify failed: ...".
class fetch_error : public std::runtime_error {
public:
    explicit fetch_error(const std::string& message) : std::runtime_error(message) {}
};

/// The validators of a cached response, sent as If-None-Match and If-Modified-Since.
struct http_validators {
    std::string etag;
    std::string last_modified;
};

/// The final response after redirects.
struct http_response {
    unsigned status = 0;
    std::string reason;
    std::string body;
    std::string etag;
    std::string last_modified;
    std::optional<std::chrono::seconds> max_age; ///< from Cache-Control; no-cache gives 0
    url final_url;
    int redirects = 0;
};

/// The most redirects a fetch follows.
inline constexpr int max_redirects = 3;

/// Sends GET for `address` with `Accept: application/json` and a jwtbatch User-Agent, and
/// returns the final response of any status. TLS 1.2 or later with peer verification against
/// `options.cacert_path` or the system CA store, host-name or IP verification, and SNI for
/// DNS names. `options.timeout` bounds the whole exchange including redirects; the body is
/// limited to `options.max_body_bytes`. Follows at most `max_redirects` redirects, never from
/// https to http, and to http only with `options.allow_http`. Throws `fetch_error` on any
/// transport failure and `common::run_error` when the CA file cannot be loaded. Blocks.
[[nodiscard]] http_response http_get(const url& address,
                                     const fetch_options& options,
                                     const http_validators& validators = {});

} // namespace jwtbatch::jwks
