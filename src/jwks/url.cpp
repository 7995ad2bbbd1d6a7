#include "jwks/url.hpp"

#include <algorithm>
#include <cctype>

#include <boost/asio/ip/address.hpp>

namespace jwtbatch::jwks {
namespace {

std::string to_lower(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) {
        return static_cast<char>(std::tolower(c));
    });
    return out;
}

bool starts_with_ignoring_case(std::string_view text, std::string_view prefix) noexcept {
    if (text.size() < prefix.size()) {
        return false;
    }
    for (size_t i = 0; i < prefix.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(text[i])) != prefix[i]) {
            return false;
        }
    }
    return true;
}

bool is_valid_port(std::string_view port) {
    if (port.empty() || port.size() > 5
        || !std::all_of(port.begin(), port.end(), [](unsigned char c) { return std::isdigit(c); })) {
        return false;
    }
    int value = std::stoi(std::string(port));
    return value > 0 && value <= 65535;
}

/// Splits "host[:port]" or "[v6]:port" into `out`; returns false and sets `error` if invalid.
bool parse_authority(std::string_view authority, url& out, std::string& error) {
    if (authority.find('@') != std::string_view::npos) {
        error = "user information in the URL is not supported";
        return false;
    }
    std::string_view port;
    bool has_port = false;
    if (!authority.empty() && authority.front() == '[') {
        auto close = authority.find(']');
        if (close == std::string_view::npos) {
            error = "unterminated IPv6 literal";
            return false;
        }
        out.host = std::string(authority.substr(1, close - 1));
        out.is_ipv6 = true;
        boost::system::error_code ec;
        boost::asio::ip::make_address_v6(out.host, ec);
        if (ec) {
            error = "invalid IPv6 literal";
            return false;
        }
        auto rest = authority.substr(close + 1);
        if (!rest.empty()) {
            if (rest.front() != ':') {
                error = "unexpected text after the IPv6 literal";
                return false;
            }
            port = rest.substr(1);
            has_port = true;
        }
    } else {
        auto colon = authority.rfind(':');
        if (colon != std::string_view::npos) {
            port = authority.substr(colon + 1);
            authority = authority.substr(0, colon);
            has_port = true;
        }
        out.host = to_lower(authority);
    }
    if (out.host.empty()) {
        error = "the URL has no host";
        return false;
    }
    if (has_port) {
        if (!is_valid_port(port)) {
            error = "invalid port";
            return false;
        }
        out.port = std::string(port);
    }
    return true;
}

} // namespace

bool url::is_ip_literal() const {
    boost::system::error_code ec;
    boost::asio::ip::make_address(host, ec);
    return !ec;
}

std::string url::host_header() const {
    std::string out = is_ipv6 ? "[" + host + "]" : host;
    bool default_port = (is_https() && port == "443") || (!is_https() && port == "80");
    if (!default_port) {
        out.append(":").append(port);
    }
    return out;
}

std::string url::to_string() const { return scheme + "://" + host_header() + target; }

std::string url::redacted() const {
    std::string path = target.substr(0, target.find('?'));
    return scheme + "://" + host_header() + path;
}

bool looks_like_url(std::string_view text) noexcept {
    return starts_with_ignoring_case(text, "https://") || starts_with_ignoring_case(text, "http://");
}

std::optional<url> parse_url(std::string_view text, std::string& error) {
    url out;
    auto separator = text.find("://");
    if (separator == std::string_view::npos) {
        error = "not an absolute URL";
        return std::nullopt;
    }
    out.scheme = to_lower(text.substr(0, separator));
    if (out.scheme != "https" && out.scheme != "http") {
        error = "scheme \"" + out.scheme + "\" is not supported, only https";
        return std::nullopt;
    }
    text.remove_prefix(separator + 3);
    text = text.substr(0, text.find('#'));
    auto path_start = text.find_first_of("/?");
    std::string_view authority = text.substr(0, path_start);
    out.port = out.is_https() ? "443" : "80";
    if (!parse_authority(authority, out, error)) {
        return std::nullopt;
    }
    std::string_view rest = path_start == std::string_view::npos ? std::string_view{}
                                                                  : text.substr(path_start);
    if (rest.empty() || rest.front() == '?') {
        out.target.push_back('/');
    }
    out.target.append(rest);
    if (std::any_of(out.target.begin(), out.target.end(), [](unsigned char c) {
            return c <= 0x20 || c == 0x7f;
        })) {
        error = "the path contains a space or control character";
        return std::nullopt;
    }
    return out;
}

std::optional<url> resolve_location(const url& base, std::string_view location, std::string& error) {
    if (location.empty()) {
        error = "empty Location header";
        return std::nullopt;
    }
    if (location.find("://") != std::string_view::npos
        && location.find("://") < location.find_first_of("/?")) {
        return parse_url(location, error);
    }
    if (location.substr(0, 2) == "//") {
        return parse_url(base.scheme + ":" + std::string(location), error);
    }
    std::string origin = base.scheme + "://" + base.host_header();
    if (location.front() == '/') {
        return parse_url(origin + std::string(location), error);
    }
    std::string path = base.target.substr(0, base.target.find('?'));
    if (location.front() == '?') {
        return parse_url(origin + path + std::string(location), error);
    }
    path = path.substr(0, path.rfind('/') + 1);
    return parse_url(origin + path + std::string(location), error);
}

} // namespace jwtbatch::jwks
