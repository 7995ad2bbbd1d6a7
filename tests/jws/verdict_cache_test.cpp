#include "jws/verdict_cache.hpp"

#include <array>
#include <atomic>
#include <cstdint>
#include <fstream>
#include <memory>
#include <random>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>
#include <unistd.h>

#include "jws/es256_key.hpp"
#include "jws/es256_signer.hpp"

namespace jws = jwtbatch::jws;

namespace {

struct cached_token {
    std::array<std::uint8_t, 32> digest{};
    std::array<std::uint8_t, 64> signature{};
};

// Returns a token that differs from those of other numbers in digest and signature bytes.
cached_token token_number(std::uint32_t number) {
    cached_token token;
    for (size_t i = 0; i < token.digest.size(); ++i) {
        token.digest[i] = static_cast<std::uint8_t>((number >> (8 * (i % 4))) + i);
    }
    for (size_t i = 0; i < token.signature.size(); ++i) {
        token.signature[i] = static_cast<std::uint8_t>((number * 7 >> (8 * (i % 4))) + i);
    }
    return token;
}

// Returns the resident set size of this process in bytes, from Linux's /proc/self/statm.
size_t resident_bytes() {
    std::ifstream statm("/proc/self/statm");
    size_t total_pages = 0;
    size_t resident_pages = 0;
    statm >> total_pages >> resident_pages;
    REQUIRE(statm);
    return resident_pages * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

std::shared_ptr<const jws::es256_key> make_key(const char* kid) {
    return jws::es256_signer().public_key(kid);
}

} // namespace

TEST_CASE("verdict cache finds inserted verdicts", "[jws]") {
    const auto key = make_key("a");
    jws::verdict_cache cache(1024);
    const cached_token valid = token_number(1);
    const cached_token invalid = token_number(2);
    CHECK_FALSE(cache.find(key.get(), valid.digest, valid.signature).has_value());
    cache.insert(key.get(), valid.digest, valid.signature, true);
    cache.insert(key.get(), invalid.digest, invalid.signature, false);
    CHECK(cache.find(key.get(), valid.digest, valid.signature) == true);
    CHECK(cache.find(key.get(), invalid.digest, invalid.signature) == false);
    CHECK(cache.capacity() == 1024);
}

TEST_CASE("verdict cache misses on any difference", "[jws]") {
    const auto key = make_key("a");
    const auto same_point_key = jws::es256_key::from_affine("b", key->x(), key->y());
    jws::verdict_cache cache(64);
    const cached_token token = token_number(5);
    cache.insert(key.get(), token.digest, token.signature, true);

    cached_token changed_signature = token;
    changed_signature.signature[63] ^= 0x01;
    cached_token changed_digest = token;
    changed_digest.digest[31] ^= 0x01;
    CHECK_FALSE(cache.find(key.get(), changed_signature.digest, changed_signature.signature));
    CHECK_FALSE(cache.find(key.get(), changed_digest.digest, changed_digest.signature));
    CHECK_FALSE(cache.find(same_point_key.get(), token.digest, token.signature));
    CHECK_FALSE(cache.find(nullptr, token.digest, token.signature));
}

TEST_CASE("verdict cache overwrites a verdict", "[jws]") {
    const auto key = make_key("a");
    jws::verdict_cache cache(16);
    const cached_token token = token_number(9);
    cache.insert(key.get(), token.digest, token.signature, true);
    cache.insert(key.get(), token.digest, token.signature, false);
    CHECK(cache.find(key.get(), token.digest, token.signature) == false);
}

TEST_CASE("verdict cache stays within capacity", "[jws]") {
    const auto key = make_key("a");
    jws::verdict_cache cache(32);
    REQUIRE(cache.capacity() == 32);
    constexpr std::uint32_t inserted = 1000;
    for (std::uint32_t number = 0; number < inserted; ++number) {
        const cached_token token = token_number(number);
        cache.insert(key.get(), token.digest, token.signature, true);
    }
    size_t hits = 0;
    for (std::uint32_t number = 0; number < inserted; ++number) {
        const cached_token token = token_number(number);
        if (cache.find(key.get(), token.digest, token.signature).has_value()) {
            ++hits;
        }
    }
    CHECK(hits > 0);
    CHECK(hits <= cache.capacity());
    const cached_token last = token_number(inserted - 1);
    CHECK(cache.find(key.get(), last.digest, last.signature) == true);
}

TEST_CASE("verdict cache spreads entries over every set", "[jws]") {
    // 2,048 random entries in 1,024 sets of 4 stay about 1,976 on average (a Poisson estimate).
    // A table that used only half of its sets would retain about 1,650.
    const auto key = make_key("a");
    jws::verdict_cache cache(4096);
    REQUIRE(cache.capacity() == 4096);
    std::mt19937_64 random(20261204);
    std::vector<cached_token> tokens(2048);
    for (cached_token& token : tokens) {
        for (auto& byte : token.digest) {
            byte = static_cast<std::uint8_t>(random());
        }
        for (auto& byte : token.signature) {
            byte = static_cast<std::uint8_t>(random());
        }
        cache.insert(key.get(), token.digest, token.signature, true);
    }
    size_t retained = 0;
    for (const cached_token& token : tokens) {
        if (cache.find(key.get(), token.digest, token.signature).has_value()) {
            ++retained;
        }
    }
    CHECK(retained >= 1900);
}

TEST_CASE("verdict cache of capacity zero never hits", "[jws]") {
    const auto key = make_key("a");
    jws::verdict_cache cache(0);
    const cached_token token = token_number(3);
    cache.insert(key.get(), token.digest, token.signature, true);
    CHECK_FALSE(cache.find(key.get(), token.digest, token.signature).has_value());
    CHECK(cache.capacity() == 0);
}

TEST_CASE("verdict cache rounds small capacities", "[jws]") {
    CHECK(jws::verdict_cache(1).capacity() == 1);
    CHECK(jws::verdict_cache(3).capacity() == 3);
    CHECK(jws::verdict_cache(6).capacity() == 4);
    CHECK(jws::verdict_cache(8).capacity() == 8);
}

TEST_CASE("verdict cache default is about 64 MiB", "[jws]") {
    const size_t entries = jws::verdict_cache::default_capacity();
    CHECK(entries > 500'000);
    // Each entry takes at least its 96 bytes of digest and signature.
    CHECK(entries * 96 <= size_t{64} << 20);
}

TEST_CASE("verdict cache leaves untouched pages out", "[jws]") {
    const size_t before = resident_bytes();
    jws::verdict_cache cache(jws::verdict_cache::default_capacity());
    const size_t after = resident_bytes();
    CHECK(cache.capacity() >= jws::verdict_cache::default_capacity() - 3);
    // The table is about 64 MiB; only pages that entries were written to become resident.
    CHECK(after < before + (size_t{4} << 20));
}

TEST_CASE("verdict cache serves two threads", "[jws]") {
    const auto first_key = make_key("a");
    const auto second_key = make_key("b");
    jws::verdict_cache cache(4096);
    std::atomic<int> wrong_verdicts{0};
    std::atomic<int> hits{0};
    const auto work = [&](const jws::es256_key* key, bool verdict) {
        for (int round = 0; round < 20; ++round) {
            for (std::uint32_t number = 0; number < 1000; ++number) {
                const cached_token token = token_number(number);
                const std::optional<bool> found = cache.find(key, token.digest, token.signature);
                if (!found) {
                    cache.insert(key, token.digest, token.signature, verdict);
                } else if (*found != verdict) {
                    ++wrong_verdicts;
                } else {
                    ++hits;
                }
            }
        }
    };
    std::thread first(work, first_key.get(), true);
    std::thread second(work, second_key.get(), false);
    first.join();
    second.join();
    CHECK(wrong_verdicts == 0);
    CHECK(hits > 0);
}
