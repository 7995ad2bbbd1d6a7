// Helpers shared by the ES256 tests of this folder: hex decoding and signature jobs.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <catch2/catch.hpp>

#include "jws/digest.hpp"
#include "jws/signature_verifier.hpp"

namespace jwtbatch::test {

/// Decodes lowercase or uppercase hex, or returns nullopt on an odd length or a non-hex digit.
inline std::optional<std::vector<std::uint8_t>> decode_hex(std::string_view hex) {
    const auto nibble = [](char digit) -> int {
        if (digit >= '0' && digit <= '9') {
            return digit - '0';
        }
        if (digit >= 'a' && digit <= 'f') {
            return digit - 'a' + 10;
        }
        if (digit >= 'A' && digit <= 'F') {
            return digit - 'A' + 10;
        }
        return -1;
    };
    if (hex.size() % 2 != 0) {
        return std::nullopt;
    }
    std::vector<std::uint8_t> bytes;
    for (size_t i = 0; i < hex.size(); i += 2) {
        const int high = nibble(hex[i]);
        const int low = nibble(hex[i + 1]);
        if (high < 0 || low < 0) {
            return std::nullopt;
        }
        bytes.push_back(static_cast<std::uint8_t>(high * 16 + low));
    }
    return bytes;
}

/// Returns SHA-256 of `data`, failing the test when OpenSSL fails.
inline std::array<std::uint8_t, 32> sha256_of(std::string_view data) {
    std::array<std::uint8_t, 32> digest{};
    REQUIRE(jws::sha256(data, digest));
    return digest;
}

/// Builds a job for `key` over SHA-256 of `signing_input`.
inline jws::signature_job make_job(const jws::es256_key* key,
                                   std::string_view signing_input,
                                   const std::array<std::uint8_t, 64>& signature) {
    jws::signature_job job;
    job.key = key;
    job.digest = sha256_of(signing_input);
    job.signature = signature;
    return job;
}

/// Runs one job through `verifier` and returns its verdict.
inline bool verify_single(const jws::signature_verifier& verifier, jws::signature_job job) {
    job.is_valid = !job.is_valid;
    verifier.verify(std::span<jws::signature_job>(&job, 1));
    return job.is_valid;
}

} // namespace jwtbatch::test
