#include "jws/digest.hpp"

#include <array>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "es256_test_support.hpp"

namespace jws = jwtbatch::jws;
using jwtbatch::test::decode_hex;

namespace {

std::vector<std::uint8_t> sha256_vector(const std::string& data) {
    std::array<std::uint8_t, 32> digest{};
    REQUIRE(jws::sha256(data, digest));
    return {digest.begin(), digest.end()};
}

} // namespace

// The last three rows are the SHA-256 examples of FIPS 180-2, appendix B; the first is the
// digest of the empty message.
TEST_CASE("sha256 matches published digests", "[jws]") {
    struct sample {
        std::string input;
        std::string_view expected_hex;
    };

    const std::vector<sample> samples{
        {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
        {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
        {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
        {std::string(1'000'000, 'a'),
         "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"},
    };
    for (const sample& row : samples) {
        CAPTURE(row.input.size());
        CHECK(sha256_vector(row.input) == *decode_hex(row.expected_hex));
    }
}

TEST_CASE("sha256 reuses its context between calls", "[jws]") {
    const std::vector<std::uint8_t> first = sha256_vector("abc");
    CHECK(sha256_vector("something else") != first);
    CHECK(sha256_vector("abc") == first);
}

TEST_CASE("sha256 gives equal digests on threads", "[jws]") {
    const std::vector<std::uint8_t> expected = sha256_vector("abc");
    std::vector<std::vector<std::uint8_t>> results(4);
    std::vector<std::thread> threads;
    for (auto& result : results) {
        threads.emplace_back([&result] {
            for (int i = 0; i < 1000; ++i) {
                std::array<std::uint8_t, 32> digest{};
                if (!jws::sha256("abc", digest)) {
                    return;
                }
                result.assign(digest.begin(), digest.end());
            }
        });
    }
    for (std::thread& thread : threads) {
        thread.join();
    }
    for (const auto& result : results) {
        CHECK(result == expected);
    }
}
