// Proves that the per-token parsing path allocates nothing once its parsers are warm, by
// counting calls to the global operator new of this test executable.
#include <array>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <string>

#include <catch2/catch.hpp>

#include "jws/base64url.hpp"
#include "jws/claims.hpp"
#include "jws/compact.hpp"
#include "jws/header.hpp"

namespace jws = jwtbatch::jws;

namespace {

// Counted only while a test sets it, and only on the thread that sets it.
thread_local bool is_counting = false;
thread_local std::size_t allocation_count = 0;

void* allocate(std::size_t size) {
    if (is_counting) {
        ++allocation_count;
    }
    if (void* memory = std::malloc(size == 0 ? 1 : size)) {
        return memory;
    }
    throw std::bad_alloc();
}

std::string encode(std::string_view text) {
    return jws::encode_base64url(
        {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()});
}

} // namespace

// The replacements forward to malloc and free. Every unaligned form is replaced, because a
// sanitizer runtime provides its own forms and mixing them with these is a mismatch.
void* operator new(std::size_t size) {
    return allocate(size);
}

void* operator new[](std::size_t size) {
    return allocate(size);
}

void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
    try {
        return allocate(size);
    } catch (const std::bad_alloc&) {
        return nullptr;
    }
}

void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
    return operator new(size, std::nothrow);
}

void operator delete(void* memory) noexcept {
    std::free(memory);
}

void operator delete[](void* memory) noexcept {
    std::free(memory);
}

void operator delete(void* memory, std::size_t) noexcept {
    std::free(memory);
}

void operator delete[](void* memory, std::size_t) noexcept {
    std::free(memory);
}

void operator delete(void* memory, const std::nothrow_t&) noexcept {
    std::free(memory);
}

void operator delete[](void* memory, const std::nothrow_t&) noexcept {
    std::free(memory);
}

TEST_CASE("token parsing allocates nothing when warm", "[jws]") {
    const std::string header_json = R"({"alg":"ES256","kid":"k1","typ":"JWT"})";
    const std::string payload_json =
        R"({"cid":"c-1","crid":"cr\u00e9","rclid":"r1","iat":1700000000,"exp":1700003600.5,)"
        R"("aud":["a","partner"],"iss":"https://ads.example","o":{"list":[1,2,3]}})";
    const std::string token =
        encode(header_json) + "." + encode(payload_json) + "." + std::string(86, 'A');
    jws::header_parser header_parser;
    jws::payload_parser payload_parser;
    jws::claim_policy policy;
    policy.issuer = "https://ads.example";
    policy.audience = "partner";
    policy.required = {"cid", "crid"};
    std::array<std::uint8_t, 1024> buffer{};

    const auto run_token = [&] {
        jws::compact_parts parts;
        REQUIRE(jws::split_compact(token, parts) == jws::failure_reason::ok);
        const auto header_size = jws::decode_base64url(parts.header, buffer);
        REQUIRE(header_size.has_value());
        jws::jose_header header;
        const std::string_view header_text(reinterpret_cast<const char*>(buffer.data()),
                                           *header_size);
        REQUIRE(header_parser.parse(header_text, header) == jws::failure_reason::ok);
        const auto payload_size = jws::decode_base64url(parts.payload, buffer);
        REQUIRE(payload_size.has_value());
        const std::string_view payload_text(reinterpret_cast<const char*>(buffer.data()),
                                            *payload_size);
        REQUIRE(payload_parser.parse(payload_text).reason == jws::failure_reason::ok);
        REQUIRE(payload_parser.check(policy, 1700000001).reason == jws::failure_reason::ok);
        REQUIRE(payload_parser.find("o").text == R"({"list":[1,2,3]})");
        REQUIRE(!payload_parser.minified().empty());
    };

    run_token();
    allocation_count = 0;
    is_counting = true;
    for (int i = 0; i < 100; ++i) {
        run_token();
    }
    is_counting = false;
    CHECK(allocation_count == 0u);
}

TEST_CASE("allocation counter sees allocations", "[jws]") {
    // Guards the test above: a counter that never counts would pass it.
    allocation_count = 0;
    is_counting = true;
    auto* value = new int(7);
    is_counting = false;
    delete value;
    CHECK(allocation_count == 1u);
}
