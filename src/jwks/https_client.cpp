#include "jwks/https_client.hpp"

#include <algorithm>
#include <cctype>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include "common/run_error.hpp"

namespace jwtbatch::jwks {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using std::chrono::milliseconds;
using std::chrono::steady_clock;

constexpr std::uint32_t max_header_bytes = 64 * 1024;

/// The end of the whole exchange, redirects included.
class deadline {
public:
    explicit deadline(milliseconds timeout) : timeout_(timeout), end_(steady_clock::now() + timeout) {}

    [[nodiscard]] milliseconds remaining() const {
        auto left = std::chrono::duration_cast<milliseconds>(end_ - steady_clock::now());
        return std::max(left, milliseconds(1));
    }

    [[nodiscard]] std::string describe() const {
        return "timed out after " + std::to_string(timeout_.count())
               + " ms: raise --jwks-timeout if the server is slow";
    }

private:
    milliseconds timeout_;
    steady_clock::time_point end_;
};

/// Runs `ioc` until the operation started before the call sets `done`, or the deadline
/// passes; then `cancel` aborts it and its handler runs. Returns false on a timeout.
template <typename Cancel>
bool run_until_done(asio::io_context& ioc, const bool& done, const deadline& limit, Cancel cancel) {
    ioc.restart();
    ioc.run_for(limit.remaining());
    if (done) {
        return true;
    }
    cancel();
    ioc.restart();
    ioc.run();
    return false;
}

std::string_view to_std(boost::beast::string_view text) {
    return std::string_view(text.data(), text.size());
}

std::string describe_error(const error_code& ec) {
    std::string text = ec.message();
    ERR_clear_error();
    return text;
}

ssl::context make_tls_context(const fetch_options& options) {
    ssl::context context(ssl::context::tls_client);
    if (SSL_CTX_set_min_proto_version(context.native_handle(), TLS1_2_VERSION) != 1) {
        ERR_clear_error();
        throw fetch_error("handshake: cannot require TLS 1.2 or later");
    }
    error_code ec;
    if (options.cacert_path) {
        context.load_verify_file(*options.cacert_path, ec);
        if (ec) {
            std::string reason = describe_error(ec);
            throw common::run_error("cannot load CA certificates from --cacert "
                                    + *options.cacert_path + ": " + reason
                                    + ": pass a PEM file of CA certificates");
        }
    } else {
        context.set_default_verify_paths(ec);
        if (ec) {
            std::string reason = describe_error(ec);
            throw fetch_error("handshake: cannot load the system CA store: " + reason
                              + ": pass --cacert FILE");
        }
    }
    context.set_verify_mode(ssl::verify_peer);
    return context;
}

/// Sets SNI for DNS names and makes OpenSSL check the certificate against the host or IP.
void configure_peer_check(SSL* connection, const url& address) {
    X509_VERIFY_PARAM* param = SSL_get0_param(connection);
    bool ok = false;
    if (address.is_ip_literal()) {
        ok = X509_VERIFY_PARAM_set1_ip_asc(param, address.host.c_str()) == 1;
    } else {
        X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        ok = X509_VERIFY_PARAM_set1_host(param, address.host.c_str(), address.host.size()) == 1
             && SSL_set_tlsext_host_name(connection, address.host.c_str()) == 1;
    }
    if (!ok) {
        ERR_clear_error();
        throw fetch_error("handshake: cannot set the expected host name " + address.host);
    }
}

std::optional<std::chrono::seconds> parse_max_age(std::string_view cache_control) {
    std::optional<std::chrono::seconds> result;
    size_t start = 0;
    while (start <= cache_control.size()) {
        size_t end = cache_control.find(',', start);
        std::string_view item = cache_control.substr(start, end - start);
        while (!item.empty() && std::isspace(static_cast<unsigned char>(item.front()))) {
            item.remove_prefix(1);
        }
        while (!item.empty() && std::isspace(static_cast<unsigned char>(item.back()))) {
            item.remove_suffix(1);
        }
        std::string lower(item);
        std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) {
            return static_cast<char>(std::tolower(c));
        });
        if (lower == "no-cache" || lower == "no-store") {
            return std::chrono::seconds(0);
        }
        if (lower.rfind("max-age=", 0) == 0) {
            std::string digits = lower.substr(8);
            if (!digits.empty() && digits.size() < 10
                && std::all_of(digits.begin(), digits.end(), [](unsigned char c) {
                       return std::isdigit(c);
                   })) {
                result = std::chrono::seconds(std::stoll(digits));
            }
        }
        if (end == std::string_view::npos) {
            break;
        }
        start = end + 1;
    }
    return result;
}

/// One request and response on one connection; the caller follows redirects.
class exchange {
public:
    exchange(const url& address, const fetch_options& options, const deadline& limit)
        : address_(address), options_(options), limit_(limit) {}

    http::response<http::string_body> run(const http_validators& validators) {
        auto endpoints = resolve();
        http::request<http::empty_body> request = make_request(validators);
        if (address_.is_https()) {
            ssl::context context = make_tls_context(options_);
            beast::ssl_stream<beast::tcp_stream> stream(ioc_, context);
            configure_peer_check(stream.native_handle(), address_);
            connect(beast::get_lowest_layer(stream), endpoints);
            handshake(stream);
            return transfer(stream, request);
        }
        beast::tcp_stream stream(ioc_);
        connect(stream, endpoints);
        return transfer(stream, request);
    }

private:
    tcp::resolver::results_type resolve() {
        tcp::resolver resolver(ioc_);
        tcp::resolver::results_type endpoints;
        error_code ec;
        bool done = false;
        resolver.async_resolve(address_.host,
                               address_.port,
                               [&](error_code result, tcp::resolver::results_type found) {
                                   ec = result;
                                   endpoints = std::move(found);
                                   done = true;
                               });
        // NOTE: cancel cannot interrupt getaddrinfo, so a hung DNS lookup ends only when the
        // system resolver gives up; IP literals resolve without a lookup.
        if (!run_until_done(ioc_, done, limit_, [&] { resolver.cancel(); })) {
            throw fetch_error("resolve: " + address_.host + ": " + limit_.describe());
        }
        if (ec) {
            throw fetch_error("resolve: " + address_.host + ": " + describe_error(ec));
        }
        return endpoints;
    }

    void connect(beast::tcp_stream& stream, const tcp::resolver::results_type& endpoints) {
        error_code ec;
        bool done = false;
        stream.expires_after(limit_.remaining());
        stream.async_connect(endpoints, [&](error_code result, const tcp::endpoint&) {
            ec = result;
            done = true;
        });
        finish_stage("connect", stream, done, ec);
    }

    void handshake(beast::ssl_stream<beast::tcp_stream>& stream) {
        error_code ec;
        bool done = false;
        beast::get_lowest_layer(stream).expires_after(limit_.remaining());
        stream.async_handshake(ssl::stream_base::client, [&](error_code result) {
            ec = result;
            done = true;
        });
        if (!run_until_done(ioc_, done, limit_, [&] { beast::get_lowest_layer(stream).cancel(); })
            || ec == beast::error::timeout) {
            throw fetch_error("handshake: " + limit_.describe());
        }
        if (ec) {
            std::string reason = describe_error(ec);
            long verify_result = SSL_get_verify_result(stream.native_handle());
            if (verify_result != X509_V_OK) {
                reason += std::string(": ") + X509_verify_cert_error_string(verify_result);
                if (!options_.cacert_path) {
                    reason += ": pass --cacert FILE for a private CA";
                }
            }
            throw fetch_error("handshake: " + reason);
        }
    }

    template <typename Stream>
    http::response<http::string_body> transfer(Stream& stream,
                                               const http::request<http::empty_body>& request) {
        error_code ec;
        bool done = false;
        auto& lowest = beast::get_lowest_layer(stream);
        lowest.expires_after(limit_.remaining());
        http::async_write(stream, request, [&](error_code result, size_t) {
            ec = result;
            done = true;
        });
        finish_stage("write", lowest, done, ec);

        http::response_parser<http::string_body> parser;
        parser.header_limit(max_header_bytes);
        parser.body_limit(options_.max_body_bytes);
        beast::flat_buffer buffer;
        done = false;
        lowest.expires_after(limit_.remaining());
        http::async_read_header(stream, buffer, parser, [&](error_code result, size_t) {
            ec = result;
            done = true;
        });
        finish_stage("read", lowest, done, ec);
        // NOTE: Beast 1.74 as packaged in Debian 12 lets a Content-Length body past
        // body_limit (measured), so the declared length is checked here before the body is read.
        auto declared_length = parser.content_length();
        if (declared_length && *declared_length > options_.max_body_bytes) {
            throw_body_too_large();
        }
        done = false;
        http::async_read(stream, buffer, parser, [&](error_code result, size_t) {
            ec = result;
            done = true;
        });
        finish_stage("read", lowest, done, ec);
        if (parser.get().body().size() > options_.max_body_bytes) {
            throw_body_too_large();
        }
        // The whole response has been read and the connection is not reused, so it is closed
        // without a TLS close_notify exchange that a slow server could stall.
        error_code ignored;
        lowest.socket().close(ignored);
        return parser.release();
    }

    void finish_stage(const char* stage, beast::tcp_stream& stream, const bool& done, error_code& ec) {
        if (!run_until_done(ioc_, done, limit_, [&] { stream.cancel(); })
            || ec == beast::error::timeout) {
            throw fetch_error(std::string(stage) + ": " + limit_.describe());
        }
        if (ec == http::error::body_limit) {
            throw_body_too_large();
        }
        if (ec) {
            throw fetch_error(std::string(stage) + ": " + describe_error(ec));
        }
    }

    [[noreturn]] void throw_body_too_large() const {
        throw fetch_error("read: the response body exceeds "
                          + std::to_string(options_.max_body_bytes) + " bytes");
    }

    http::request<http::empty_body> make_request(const http_validators& validators) const {
        http::request<http::empty_body> request{http::verb::get, address_.target, 11};
        request.set(http::field::host, address_.host_header());
        request.set(http::field::user_agent, "jwtbatch/" JWTBATCH_VERSION);
        request.set(http::field::accept, "application/json");
        if (!validators.etag.empty()) {
            request.set(http::field::if_none_match, validators.etag);
        }
        if (!validators.last_modified.empty()) {
            request.set(http::field::if_modified_since, validators.last_modified);
        }
        request.keep_alive(false);
        return request;
    }

    asio::io_context ioc_;
    const url& address_;
    const fetch_options& options_;
    const deadline& limit_;
};

bool is_redirect(unsigned status) {
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

} // namespace

http_response http_get(const url& address,
                       const fetch_options& options,
                       const http_validators& validators) {
    deadline limit(options.timeout);
    url current = address;
    for (int redirects = 0;; ++redirects) {
        exchange one(current, options, limit);
        auto response = one.run(validators);
        unsigned status = response.result_int();
        if (is_redirect(status)) {
            if (redirects == max_redirects) {
                throw fetch_error("redirect: more than " + std::to_string(max_redirects)
                                  + " redirects");
            }
            std::string error;
            auto next = resolve_location(
                current, to_std(response[http::field::location]), error);
            if (!next) {
                throw fetch_error("redirect: invalid Location: " + error);
            }
            if (!next->is_https() && (current.is_https() || !options.allow_http)) {
                throw fetch_error("redirect: rejected a redirect to "
                                  + next->redacted() + ": only https redirects are followed");
            }
            current = std::move(*next);
            continue;
        }
        http_response out;
        out.status = status;
        out.reason = std::string(to_std(response.reason()));
        out.etag = std::string(to_std(response[http::field::etag]));
        out.last_modified = std::string(to_std(response[http::field::last_modified]));
        out.max_age = parse_max_age(to_std(response[http::field::cache_control]));
        out.body = std::move(response.body());
        out.final_url = std::move(current);
        out.redirects = redirects;
        return out;
    }
}

} // namespace jwtbatch::jwks
