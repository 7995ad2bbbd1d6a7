#include "jwks/key_store.hpp"

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include <arpa/inet.h>
#include <catch2/catch.hpp>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/run_error.hpp"
#include "jwks/https_client.hpp"
#include "jwks/jwks_cache.hpp"
#include "jws/es256_signer.hpp"
#include "support/nginx_server.hpp"

namespace jwks = jwtbatch::jwks;
namespace jws = jwtbatch::jws;
using jwtbatch::common::run_error;
using jwtbatch::test::nginx_server;
using namespace std::chrono_literals;

namespace {

/// An nginx with `/jwks.json` serving key "k1", and fetch options that trust its CA and keep
/// the cache inside the server's temporary directory.
struct network_fixture {
    nginx_server server;
    jws::es256_signer first_signer;
    jws::es256_signer second_signer;
    jwks::fetch_options options;
    std::string url;

    network_fixture() {
        server.put_file("jwks.json", first_signer.to_jwks_json("k1"));
        options.cacert_path = server.ca_path();
        options.cache_dir = (server.root() / "cache").string();
        options.timeout = 5s;
        url = server.https_url("/jwks.json");
    }

    [[nodiscard]] std::unique_ptr<jwks::key_store> load(const std::string& source) const {
        return std::make_unique<jwks::key_store>(std::vector<std::string>{source}, options);
    }

    [[nodiscard]] std::string load_error(const std::string& source) const {
        try {
            (void)load(source);
        } catch (const run_error& error) {
            return error.what();
        }
        return "no error";
    }

    /// Makes one request for which nginx returns 404 and waits until it is logged, so every
    /// request made before it is in the log too.
    void sync_request_log() const {
        static int marker_count = 0;
        std::string marker = "/marker-" + std::to_string(++marker_count);
        std::string error;
        auto response = jwks::http_get(*jwks::parse_url(server.https_url(marker), error), options);
        REQUIRE(response.status == 404);
        server.wait_for_logged_request(marker);
    }

    [[nodiscard]] std::optional<jwks::cache_entry> cached() const {
        std::string error;
        return jwks::jwks_cache(options.cache_dir).read(*jwks::parse_url(url, error));
    }
};

/// Redirects file descriptor 2 to a file while it lives; `text()` returns what was written.
class stderr_capture {
public:
    stderr_capture() : path_(std::filesystem::temp_directory_path() / "jwtbatch-stderr-XXXXXX") {
        std::string pattern = path_.string();
        int fd = ::mkstemp(pattern.data());
        REQUIRE(fd >= 0);
        path_ = pattern;
        saved_ = ::dup(STDERR_FILENO);
        ::dup2(fd, STDERR_FILENO);
        ::close(fd);
    }

    ~stderr_capture() {
        restore();
        std::filesystem::remove(path_);
    }

    std::string text() {
        restore();
        return jwtbatch::test::read_text_file(path_);
    }

private:
    void restore() {
        if (saved_ >= 0) {
            ::dup2(saved_, STDERR_FILENO);
            ::close(saved_);
            saved_ = -1;
        }
    }

    std::filesystem::path path_;
    int saved_ = -1;
};

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

} // namespace

TEST_CASE("key_store first fetch fills the cache", "[jwks][network]") {
    network_fixture fixture;
    auto store = fixture.load(fixture.url);
    auto keys = store->snapshot();
    REQUIRE(keys->find("k1") != nullptr);
    CHECK(keys->find("k1")->x() == fixture.first_signer.x());
    CHECK(store->refresh_count() == 0);

    auto entry = fixture.cached();
    REQUIRE(entry.has_value());
    CHECK(entry->body == fixture.first_signer.to_jwks_json("k1"));
    CHECK_FALSE(entry->etag.empty());
    CHECK_FALSE(entry->last_modified.empty());

    fixture.sync_request_log();
    REQUIRE(fixture.server.count_requests("/jwks.json") == 1);
    auto line = fixture.server.request_log().front();
    CHECK(line.rfind("GET /jwks.json 200 \"-\" \"-\" \"jwtbatch/", 0) == 0);
}

TEST_CASE("key_store within TTL sends no request", "[jwks][network]") {
    network_fixture fixture;
    (void)fixture.load(fixture.url);
    fixture.server.put_file("jwks.json", fixture.second_signer.to_jwks_json("k2"));
    auto store = fixture.load(fixture.url);
    CHECK(store->snapshot()->find("k1") != nullptr);
    CHECK(store->snapshot()->find("k2") == nullptr);
    fixture.sync_request_log();
    CHECK(fixture.server.count_requests("/jwks.json") == 1);
}

TEST_CASE("key_store revalidates after TTL with 304", "[jwks][network]") {
    network_fixture fixture;
    (void)fixture.load(fixture.url);
    auto first_entry = fixture.cached();
    REQUIRE(first_entry.has_value());
    std::this_thread::sleep_for(1100ms);

    fixture.options.ttl = 0s;
    auto store = fixture.load(fixture.url);
    CHECK(store->snapshot()->find("k1") != nullptr);
    fixture.sync_request_log();
    auto log = fixture.server.request_log();
    REQUIRE(fixture.server.count_requests("/jwks.json") == 2);
    // nginx writes a double quote inside a logged header value as \x22.
    std::string logged_etag;
    for (char c : first_entry->etag) {
        logged_etag += c == '"' ? std::string("\\x22") : std::string(1, c);
    }
    CAPTURE(log[1]);
    CHECK(log[1].rfind("GET /jwks.json 304 \"" + logged_etag + "\" \""
                           + first_entry->last_modified + "\"",
                       0)
          == 0);
    auto second_entry = fixture.cached();
    REQUIRE(second_entry.has_value());
    CHECK(second_entry->fetched_at > first_entry->fetched_at);
    CHECK(second_entry->body == first_entry->body);
}

TEST_CASE("key_store honors shorter server max-age", "[jwks][network]") {
    network_fixture fixture;
    fixture.server.put_file("max-age-zero.json", fixture.first_signer.to_jwks_json("k1"));
    std::string url = fixture.server.https_url("/max-age-zero.json");
    (void)fixture.load(url);
    std::string error;
    auto entry = jwks::jwks_cache(fixture.options.cache_dir).read(*jwks::parse_url(url, error));
    REQUIRE(entry.has_value());
    REQUIRE(entry->max_age.has_value());
    CHECK(entry->max_age->count() == 0);

    auto store = fixture.load(url);
    CHECK(store->snapshot()->find("k1") != nullptr);
    fixture.sync_request_log();
    CHECK(fixture.server.count_requests("/max-age-zero.json") == 2);
}

TEST_CASE("key_store uses stale entry when server is down", "[jwks][network]") {
    network_fixture fixture;
    (void)fixture.load(fixture.url);
    fixture.server.stop();
    fixture.options.ttl = 0s;
    stderr_capture capture;
    auto store = fixture.load(fixture.url);
    std::string messages = capture.text();
    CHECK(store->snapshot()->find("k1") != nullptr);
    CAPTURE(messages);
    CHECK(contains(messages, "jwtbatch: warning: JWKS " + fixture.url + ": connect: "));
    CHECK(contains(messages, "using the cache entry from"));
    CHECK(contains(messages, "keys: \"k1\""));
}

TEST_CASE("key_store uses stale entry on HTTP error", "[jwks][network]") {
    network_fixture fixture;
    (void)fixture.load(fixture.url);
    std::filesystem::remove(fixture.server.root() / "www" / "jwks.json");
    fixture.options.ttl = 0s;
    stderr_capture capture;
    auto store = fixture.load(fixture.url);
    std::string messages = capture.text();
    CAPTURE(messages);
    CHECK(store->snapshot()->find("k1") != nullptr);
    CHECK(contains(messages, "JWKS " + fixture.url + ": HTTP status 404 Not Found: using the "
                             "cache entry from"));

    std::string message = fixture.load_error(fixture.server.https_url("/missing.json"));
    CHECK(contains(message, ": HTTP status 404 Not Found: no cached copy in"));
}

TEST_CASE("key_store without cache fails when server is down", "[jwks][network]") {
    network_fixture fixture;
    fixture.server.stop();
    std::string message = fixture.load_error(fixture.url + "?token=secret");
    CAPTURE(message);
    CHECK(message.rfind("cannot load JWKS from " + fixture.url + ": connect: ", 0) == 0);
    CHECK(contains(message, "no cached copy in " + fixture.options.cache_dir));
    CHECK(contains(message, "--jwks-max-stale"));
    CHECK_FALSE(contains(message, "secret"));
}

TEST_CASE("key_store rejects entry older than max stale", "[jwks][network]") {
    network_fixture fixture;
    (void)fixture.load(fixture.url);
    auto entry = fixture.cached();
    REQUIRE(entry.has_value());
    entry->fetched_at -= 2h;
    std::string error;
    REQUIRE(jwks::jwks_cache(fixture.options.cache_dir)
                .write(*jwks::parse_url(fixture.url, error), *entry));
    fixture.server.stop();
    fixture.options.max_stale = 1h;
    std::string message = fixture.load_error(fixture.url);
    CAPTURE(message);
    CHECK(contains(message, "the cached copy is too old for --jwks-max-stale 3600 s"));

    fixture.options.offline = true;
    message = fixture.load_error(fixture.url);
    CHECK(contains(message, "with --offline: a cache entry 2 h old, older than --jwks-max-stale"));
}

TEST_CASE("key_store offline uses only the cache", "[jwks][network]") {
    network_fixture fixture;
    fixture.options.offline = true;
    std::string message = fixture.load_error(fixture.url);
    CHECK(contains(message, "with --offline: no usable cache entry"));

    fixture.options.offline = false;
    (void)fixture.load(fixture.url);
    fixture.options.offline = true;
    fixture.options.ttl = 0s;
    auto store = fixture.load(fixture.url);
    CHECK(store->snapshot()->find("k1") != nullptr);
    fixture.sync_request_log();
    CHECK(fixture.server.count_requests("/jwks.json") == 1);
}

TEST_CASE("key_store rejects wrong host and untrusted CA", "[jwks][network]") {
    network_fixture fixture;
    const auto& ports = fixture.server.ports();
    std::string wrong_name = fixture.load_error("https://127.0.0.1:"
                                                + std::to_string(ports.wrong_name) + "/jwks.json");
    CAPTURE(wrong_name);
    CHECK(contains(wrong_name, ": handshake: certificate verify failed"));
    CHECK(contains(wrong_name, "IP address mismatch"));

    std::string untrusted = fixture.load_error(
        "https://127.0.0.1:" + std::to_string(ports.untrusted_ca) + "/jwks.json");
    CAPTURE(untrusted);
    CHECK(contains(untrusted, ": handshake: certificate verify failed"));
    CHECK(contains(untrusted, "unable to get local issuer certificate"));

    std::string by_name = fixture.load_error("https://localhost:"
                                             + std::to_string(ports.wrong_name) + "/jwks.json");
    CAPTURE(by_name);
    CHECK(contains(by_name, "hostname mismatch"));

    auto store = fixture.load("https://localhost:" + std::to_string(ports.trusted) + "/jwks.json");
    CHECK(store->snapshot()->find("k1") != nullptr);

    fixture.options.cacert_path.reset();
    std::string system_store = fixture.load_error(fixture.server.https_url("/other.json"));
    CAPTURE(system_store);
    CHECK(contains(system_store, ": handshake: certificate verify failed"));
    CHECK(contains(system_store, "pass --cacert FILE for a private CA"));
}

TEST_CASE("key_store keeps cache on oversized or invalid body", "[jwks][network]") {
    network_fixture fixture;
    (void)fixture.load(fixture.url);
    auto good_entry = fixture.cached();
    REQUIRE(good_entry.has_value());
    fixture.options.ttl = 0s;

    struct row {
        const char* name;
        std::string body;
        const char* expected;
    };
    const row rows[] = {
        {"oversized body",
         "{\"keys\":[],\"padding\":\"" + std::string(1 << 20, 'a') + "\"}",
         "read: the response body exceeds 1048576 bytes"},
        {"non-JSON body", "<html>maintenance</html>", "malformed JSON"},
        {"no usable key", R"({"keys":[{"kty":"RSA","kid":"r","n":"AQAB","e":"AQAB"}]})",
         "no usable key"},
    };
    for (const auto& item : rows) {
        CAPTURE(item.name);
        fixture.server.put_file("jwks.json", item.body);
        stderr_capture capture;
        auto store = fixture.load(fixture.url);
        std::string messages = capture.text();
        CAPTURE(messages);
        CHECK(store->snapshot()->find("k1") != nullptr);
        CHECK(contains(messages, item.expected));
        CHECK(contains(messages, "using the cache entry from"));
        auto entry = fixture.cached();
        REQUIRE(entry.has_value());
        CHECK(entry->body == good_entry->body);
    }

    std::string error = fixture.load_error(fixture.server.https_url("/jwks.json?fresh=1"));
    CHECK(contains(error, "no usable key"));
    CHECK(contains(error, "no cached copy"));
}

TEST_CASE("key_store follows only https redirects", "[jwks][network]") {
    network_fixture fixture;
    std::string message = fixture.load_error(fixture.server.https_url("/redirect-to-http.json"));
    CAPTURE(message);
    CHECK(contains(message,
                   "redirect: rejected a redirect to http://127.0.0.1:"
                       + std::to_string(fixture.server.ports().plain_http) + "/jwks.json"));

    fixture.options.allow_http = true;
    message = fixture.load_error(fixture.server.https_url("/redirect-to-http.json"));
    CHECK(contains(message, "redirect: rejected a redirect to http://"));

    message = fixture.load_error(fixture.server.https_url("/redirect-loop.json"));
    CHECK(contains(message, "redirect: more than 3 redirects"));

    auto store = fixture.load(fixture.server.https_url("/redirect-relative.json"));
    CHECK(store->snapshot()->find("k1") != nullptr);

    fixture.sync_request_log();
    CHECK(fixture.server.count_requests("/jwks.json") == 1);
    CHECK(fixture.server.count_requests("/redirect-loop.json") == 4);
}

TEST_CASE("key_store needs allow_http for http URLs", "[jwks][network]") {
    network_fixture fixture;
    std::string url = "http://127.0.0.1:" + std::to_string(fixture.server.ports().plain_http)
                      + "/jwks.json";
    std::string message = fixture.load_error(url);
    CHECK(contains(message, "uses plain http"));
    CHECK(contains(message, "--allow-http"));

    fixture.options.allow_http = true;
    auto store = fixture.load(url);
    CHECK(store->snapshot()->find("k1") != nullptr);
}

TEST_CASE("key_store refreshes once for rotated key", "[jwks][network]") {
    network_fixture fixture;
    fixture.options.refresh_cooldown = 1s;
    auto store = fixture.load(fixture.url);
    auto before = store->snapshot();
    REQUIRE(before->find("k1") != nullptr);
    REQUIRE(before->find("k2") == nullptr);
    std::this_thread::sleep_for(1100ms);

    fixture.server.put_file("jwks.json", fixture.second_signer.to_jwks_json("k2"));
    auto refreshed = store->refresh_for_unknown_kid("k2");
    REQUIRE(refreshed != nullptr);
    CHECK(refreshed->find("k2") != nullptr);
    CHECK(refreshed->find("k1") == nullptr);
    CHECK(store->snapshot()->find("k2") != nullptr);
    CHECK(before->find("k1") != nullptr);
    CHECK(store->refresh_count() == 1);

    CHECK(store->refresh_for_unknown_kid("k3") == nullptr);
    CHECK(store->refresh_for_unknown_kid("k2") == store->snapshot());
    CHECK(store->refresh_count() == 1);

    fixture.sync_request_log();
    CHECK(fixture.server.count_requests("/jwks.json") == 2);
    auto entry = fixture.cached();
    REQUIRE(entry.has_value());
    CHECK(entry->body == fixture.second_signer.to_jwks_json("k2"));
}

TEST_CASE("key_store merges file and URL sources", "[jwks][network]") {
    network_fixture fixture;
    jws::es256_signer retired;
    auto archive = fixture.server.root() / "archive.json";
    jwtbatch::test::write_file_atomically(archive, retired.to_jwks_json("old"));
    jwks::key_store store({archive.string(), fixture.url}, fixture.options);
    CHECK(store.snapshot()->size() == 2);
    CHECK(store.snapshot()->find("old") != nullptr);
    CHECK(store.snapshot()->find("k1") != nullptr);

    jwtbatch::test::write_file_atomically(archive, retired.to_jwks_json("k1"));
    try {
        jwks::key_store conflicting({archive.string(), fixture.url}, fixture.options);
        FAIL("two keys for kid k1 were merged");
    } catch (const run_error& error) {
        CHECK(std::string(error.what())
                  .rfind("conflicting keys in " + fixture.url + ": kid \"k1\"", 0)
              == 0);
    }
}

TEST_CASE("key_store times out on a silent server", "[jwks][network]") {
    network_fixture fixture;
    // The kernel completes the TCP handshake for a listening socket that never accepts, so the
    // TLS handshake waits for a ServerHello that never comes.
    int listener = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(listener >= 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    REQUIRE(::listen(listener, 4) == 0);
    socklen_t length = sizeof address;
    REQUIRE(::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length) == 0);
    fixture.options.timeout = 300ms;
    auto started = std::chrono::steady_clock::now();
    std::string message = fixture.load_error(
        "https://127.0.0.1:" + std::to_string(ntohs(address.sin_port)) + "/jwks.json");
    auto elapsed = std::chrono::steady_clock::now() - started;
    ::close(listener);
    CAPTURE(message);
    CHECK(contains(message, ": handshake: timed out after 300 ms"));
    CHECK(elapsed < 3s);
}

TEST_CASE("key_store concurrent refreshes fetch once", "[jwks][network]") {
    network_fixture fixture;
    fixture.options.refresh_cooldown = 0s;
    auto store = fixture.load(fixture.url);
    fixture.server.put_file("jwks.json", fixture.second_signer.to_jwks_json("k2"));

    constexpr int thread_count = 4;
    std::vector<std::shared_ptr<const jwks::key_set>> results(thread_count);
    std::vector<std::thread> threads;
    for (int i = 0; i < thread_count; ++i) {
        threads.emplace_back([&, i] { results[i] = store->refresh_for_unknown_kid("k2"); });
    }
    for (auto& thread : threads) {
        thread.join();
    }
    for (const auto& result : results) {
        REQUIRE(result != nullptr);
        CHECK(result->find("k2") != nullptr);
    }
    CHECK(store->refresh_count() == 1);
    fixture.sync_request_log();
    CHECK(fixture.server.count_requests("/jwks.json") == 2);
}
