#include "jwks/url.hpp"

#include <string>

#include <catch2/catch.hpp>

namespace jwks = jwtbatch::jwks;

namespace {

jwks::url parse_or_fail(const std::string& text) {
    std::string error;
    auto parsed = jwks::parse_url(text, error);
    INFO(text << ": " << error);
    REQUIRE(parsed.has_value());
    return *parsed;
}

std::string parse_error(const std::string& text) {
    std::string error;
    auto parsed = jwks::parse_url(text, error);
    return parsed ? "parsed" : error;
}

} // namespace

TEST_CASE("parse_url splits https URL", "[jwks]") {
    auto parsed = parse_or_fail("HTTPS://Issuer.Example/.well-known/jwks.json?token=s3cret#frag");
    CHECK(parsed.scheme == "https");
    CHECK(parsed.host == "issuer.example");
    CHECK(parsed.port == "443");
    CHECK(parsed.target == "/.well-known/jwks.json?token=s3cret");
    CHECK_FALSE(parsed.is_ip_literal());
    CHECK(parsed.host_header() == "issuer.example");
    CHECK(parsed.redacted() == "https://issuer.example/.well-known/jwks.json");
    CHECK(parsed.to_string() == "https://issuer.example/.well-known/jwks.json?token=s3cret");
}

TEST_CASE("parse_url reads ports and IP literals", "[jwks]") {
    auto v4 = parse_or_fail("https://127.0.0.1:8443/keys");
    CHECK(v4.host == "127.0.0.1");
    CHECK(v4.port == "8443");
    CHECK(v4.is_ip_literal());
    CHECK(v4.host_header() == "127.0.0.1:8443");

    auto v6 = parse_or_fail("https://[::1]:9443?x=1");
    CHECK(v6.host == "::1");
    CHECK(v6.is_ipv6);
    CHECK(v6.is_ip_literal());
    CHECK(v6.port == "9443");
    CHECK(v6.target == "/?x=1");
    CHECK(v6.redacted() == "https://[::1]:9443/");

    auto plain = parse_or_fail("http://localhost");
    CHECK(plain.port == "80");
    CHECK(plain.target == "/");
    CHECK_FALSE(plain.is_https());
}

TEST_CASE("parse_url rejects invalid URLs", "[jwks]") {
    CHECK(parse_error("ftp://host/x").find("not supported") != std::string::npos);
    CHECK(parse_error("https://user:pw@host/x") == "user information in the URL is not supported");
    CHECK(parse_error("https:///path") == "the URL has no host");
    CHECK(parse_error("https://host:0/") == "invalid port");
    CHECK(parse_error("https://host:/") == "invalid port");
    CHECK(parse_error("https://host:70000/") == "invalid port");
    CHECK(parse_error("https://[::1/") == "unterminated IPv6 literal");
    CHECK(parse_error("https://[nothex]/") == "invalid IPv6 literal");
    CHECK(parse_error("https://host/a b") == "the path contains a space or control character");
    CHECK(parse_error("host/jwks.json") == "not an absolute URL");
}

TEST_CASE("looks_like_url checks scheme only", "[jwks]") {
    CHECK(jwks::looks_like_url("https://x"));
    CHECK(jwks::looks_like_url("HTTP://x"));
    CHECK_FALSE(jwks::looks_like_url("keys/https.json"));
    CHECK_FALSE(jwks::looks_like_url("file:///etc/keys.json"));
}

TEST_CASE("resolve_location handles relative redirects", "[jwks]") {
    auto base = parse_or_fail("https://127.0.0.1:8443/a/b/jwks.json?v=1");
    struct row {
        const char* location;
        const char* expected;
    };
    const row rows[] = {
        {"https://other.example/k", "https://other.example/k"},
        {"http://127.0.0.1:8080/k", "http://127.0.0.1:8080/k"},
        {"//cdn.example/k", "https://cdn.example/k"},
        {"/root.json", "https://127.0.0.1:8443/root.json"},
        {"next.json", "https://127.0.0.1:8443/a/b/next.json"},
        {"?v=2", "https://127.0.0.1:8443/a/b/jwks.json?v=2"},
    };
    for (const auto& item : rows) {
        CAPTURE(item.location);
        std::string error;
        auto resolved = jwks::resolve_location(base, item.location, error);
        REQUIRE(resolved.has_value());
        CHECK(resolved->to_string() == item.expected);
    }
    std::string error;
    CHECK_FALSE(jwks::resolve_location(base, "", error).has_value());
    CHECK(error == "empty Location header");
}
