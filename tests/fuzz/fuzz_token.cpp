// Fuzzes the token path on raw input lines: split, base64url, header, key selection, both
// signature verifiers, payload and claims, and the output rows, through the batch verifier.
//
// Checks, besides the sanitizers: the evp and fast verifiers give the same rows; NDJSON rows
// are JSON objects and there is one row per record; a valid record's kid names its key, and
// EVP_DigestVerify, fed a DER signature built here, accepts it. The input is split into records
// by the real line reader and verified under each claim policy of the harness.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "token_harness.hpp"

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
    (void)jwtbatch::fuzz::harness();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    for (size_t policy = 0; policy < jwtbatch::fuzz::policy_count; ++policy) {
        (void)jwtbatch::fuzz::harness().check_records(text, policy);
    }
    return 0;
}
