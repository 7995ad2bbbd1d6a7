#include "jwks/key_store.hpp"

#include <filesystem>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <unistd.h>

#include "common/run_error.hpp"
#include "jws/es256_signer.hpp"
#include "support/nginx_server.hpp"

namespace jwks = jwtbatch::jwks;
namespace jws = jwtbatch::jws;
using jwtbatch::common::run_error;

namespace {

std::string load_error(const std::vector<std::string>& sources, jwks::fetch_options options = {}) {
    try {
        jwks::key_store store(sources, options);
    } catch (const run_error& error) {
        return error.what();
    }
    return "no error";
}

/// A JWKS file in the temporary directory, removed at the end of the test.
struct jwks_file {
    std::filesystem::path path;

    jwks_file(const std::string& name, const std::string& content)
        : path(std::filesystem::temp_directory_path()
               / ("jwtbatch-" + std::to_string(::getpid()) + "-" + name)) {
        jwtbatch::test::write_file_atomically(path, content);
    }

    ~jwks_file() { std::filesystem::remove(path); }
};

} // namespace

TEST_CASE("key_store merges file sources", "[jwks]") {
    jws::es256_signer current;
    jws::es256_signer retired;
    jwks_file live("live.json", current.to_jwks_json("k2"));
    jwks_file archive("archive.json", retired.to_jwks_json("k1"));
    jwks::key_store store({archive.path.string(), live.path.string()}, {});
    auto keys = store.snapshot();
    CHECK(keys->size() == 2);
    CHECK(keys->kids() == std::vector<std::string>{"k1", "k2"});
    CHECK(keys->find("k2")->x() == current.x());
    CHECK(store.refresh_for_unknown_kid("k3") == nullptr);
    CHECK(store.refresh_count() == 0);
}

TEST_CASE("key_store serves kid-less key as only key", "[jwks]") {
    jws::es256_signer signer;
    jwks_file file("no-kid.json", signer.to_jwks_json(""));
    jwks::key_store store({file.path.string()}, {});
    auto keys = store.snapshot();
    REQUIRE(keys->only_key() != nullptr);
    CHECK(keys->only_key()->x() == signer.x());
}

TEST_CASE("key_store rejects conflicting file sources", "[jwks]") {
    jws::es256_signer first;
    jws::es256_signer second;
    jwks_file one("one.json", first.to_jwks_json("k1"));
    jwks_file two("two.json", second.to_jwks_json("k1"));
    std::string message = load_error({one.path.string(), two.path.string()});
    CHECK(message.rfind("conflicting keys in " + two.path.string() + ": kid \"k1\"", 0) == 0);

    jwks_file same("same.json", first.to_jwks_json("k1"));
    jwks::key_store store({one.path.string(), same.path.string()}, {});
    CHECK(store.snapshot()->size() == 1);
}

TEST_CASE("key_store reports invalid source values", "[jwks]") {
    CHECK(load_error({}) == "no key source: pass --jwks FILE or --jwks URL");
    CHECK(load_error({"/nonexistent/keys.json"}).rfind("cannot read JWKS file /nonexistent/keys.json",
                                                       0)
          == 0);
    CHECK(load_error({"https://user@127.0.0.1/jwks.json"})
          == "invalid --jwks URL: user information in the URL is not supported: use "
             "https://host[:port]/path");
    std::string http = load_error({"http://127.0.0.1:9/jwks.json?key=secret"});
    CHECK(http.rfind("JWKS URL http://127.0.0.1:9/jwks.json uses plain http", 0) == 0);
    CHECK(http.find("secret") == std::string::npos);
}
