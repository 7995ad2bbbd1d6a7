#include "jwks/jwks_cache.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>
#include <unistd.h>

#include "common/run_error.hpp"

namespace jwks = jwtbatch::jwks;
namespace fs = std::filesystem;

namespace {

/// A fresh directory under the system temporary directory, removed at the end of the test.
struct temporary_directory {
    fs::path path;

    temporary_directory() {
        std::string pattern = (fs::temp_directory_path() / "jwtbatch-cache-XXXXXX").string();
        REQUIRE(::mkdtemp(pattern.data()) != nullptr);
        path = pattern;
    }

    ~temporary_directory() {
        std::error_code ignored;
        fs::remove_all(path, ignored);
    }
};

jwks::url test_url(const std::string& text) {
    std::string error;
    auto parsed = jwks::parse_url(text, error);
    REQUIRE(parsed.has_value());
    return *parsed;
}

} // namespace

TEST_CASE("jwks cache round-trips an entry", "[jwks]") {
    temporary_directory directory;
    jwks::jwks_cache cache((directory.path / "sub").string());
    auto address = test_url("https://127.0.0.1:8443/jwks.json?secret=1");
    CHECK_FALSE(cache.read(address).has_value());

    jwks::cache_entry entry;
    entry.body = "{\"keys\":[]}\n\nsecond paragraph";
    entry.fetched_at = std::chrono::system_clock::time_point(std::chrono::seconds(1'700'000'000));
    entry.etag = "\"65a-1f\"";
    entry.last_modified = "Tue, 14 Nov 2023 22:13:20 GMT";
    entry.max_age = std::chrono::seconds(600);
    REQUIRE(cache.write(address, entry));

    auto loaded = cache.read(address);
    REQUIRE(loaded.has_value());
    CHECK(loaded->body == entry.body);
    CHECK(loaded->fetched_at == entry.fetched_at);
    CHECK(loaded->etag == entry.etag);
    CHECK(loaded->last_modified == entry.last_modified);
    REQUIRE(loaded->max_age.has_value());
    CHECK(loaded->max_age->count() == 600);

    std::ifstream file(cache.entry_path(address));
    std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    CHECK(text.find("secret") == std::string::npos);
    CHECK((fs::status(directory.path / "sub").permissions() & fs::perms::group_all)
          == fs::perms::none);
}

TEST_CASE("jwks cache keeps one file per URL", "[jwks]") {
    temporary_directory directory;
    jwks::jwks_cache cache(directory.path.string());
    auto first = test_url("https://127.0.0.1/a.json");
    auto second = test_url("https://127.0.0.1/a.json?tenant=2");
    CHECK(cache.entry_path(first) != cache.entry_path(second));
    jwks::cache_entry entry;
    entry.body = "one";
    REQUIRE(cache.write(first, entry));
    entry.body = "two";
    REQUIRE(cache.write(first, entry));
    CHECK(cache.read(first)->body == "two");
    size_t files = 0;
    for ([[maybe_unused]] const auto& item : fs::directory_iterator(directory.path)) {
        ++files;
    }
    CHECK(files == 1);
}

TEST_CASE("jwks cache ignores a corrupt entry", "[jwks]") {
    temporary_directory directory;
    jwks::jwks_cache cache(directory.path.string());
    auto address = test_url("https://127.0.0.1/jwks.json");
    {
        std::ofstream file(cache.entry_path(address));
        file << "{\"keys\":[]}";
    }
    CHECK_FALSE(cache.read(address).has_value());
}

TEST_CASE("jwks cache directory follows XDG then HOME", "[jwks]") {
    const char* old_xdg = std::getenv("XDG_CACHE_HOME");
    const char* old_home = std::getenv("HOME");
    std::string saved_xdg = old_xdg ? old_xdg : "";
    std::string saved_home = old_home ? old_home : "";

    ::setenv("XDG_CACHE_HOME", "/var/cache/x", 1);
    CHECK(jwks::jwks_cache::default_directory() == "/var/cache/x/jwtbatch");
    ::setenv("XDG_CACHE_HOME", "relative", 1);
    ::setenv("HOME", "/home/tester", 1);
    CHECK(jwks::jwks_cache::default_directory() == "/home/tester/.cache/jwtbatch");
    ::unsetenv("XDG_CACHE_HOME");
    ::unsetenv("HOME");
    CHECK_THROWS_AS(jwks::jwks_cache::default_directory(), jwtbatch::common::run_error);

    if (old_xdg) {
        ::setenv("XDG_CACHE_HOME", saved_xdg.c_str(), 1);
    }
    if (old_home) {
        ::setenv("HOME", saved_home.c_str(), 1);
    }
}

TEST_CASE("jwks cache readers never see torn entries", "[jwks]") {
    temporary_directory directory;
    jwks::jwks_cache cache(directory.path.string());
    auto address = test_url("https://127.0.0.1/jwks.json");
    constexpr int writer_count = 3;
    constexpr int writes_per_writer = 50;
    // Bodies of different sizes make a torn or interleaved file detectable.
    auto body_of = [](int writer) { return std::string(4096 * (writer + 1), char('a' + writer)); };

    std::vector<std::thread> writers;
    for (int writer = 0; writer < writer_count; ++writer) {
        writers.emplace_back([&, writer] {
            jwks::cache_entry entry;
            entry.body = body_of(writer);
            for (int i = 0; i < writes_per_writer; ++i) {
                (void)cache.write(address, entry);
            }
        });
    }
    int torn_reads = 0;
    for (int i = 0; i < 200; ++i) {
        auto entry = cache.read(address);
        if (!entry) {
            continue;
        }
        bool whole = false;
        for (int writer = 0; writer < writer_count; ++writer) {
            whole = whole || entry->body == body_of(writer);
        }
        torn_reads += whole ? 0 : 1;
    }
    for (auto& thread : writers) {
        thread.join();
    }
    CHECK(torn_reads == 0);
    CHECK(cache.read(address).has_value());
    size_t files = 0;
    for ([[maybe_unused]] const auto& item : fs::directory_iterator(directory.path)) {
        ++files;
    }
    CHECK(files == 1);
}
