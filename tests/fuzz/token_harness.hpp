// The token path as the pipeline runs it, for the token harnesses: a fixed key set, the real
// batch verifier with both signature verifiers, and the checks every verdict must pass.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "jws/es256_signer.hpp"
#include "jws/failure_reason.hpp"
#include "fuzz_support.hpp"

namespace jwtbatch::fuzz {

/// The verdict of one record, as the plain EVP run of the pipeline produced it.
struct record_verdict {
    jws::failure_reason reason = jws::failure_reason::ok;
    const jws::es256_key* key = nullptr; ///< the key the header selected, if any
};

/// Number of claim policies `check_records` can run under (see token_harness.cpp).
inline constexpr size_t policy_count = 3;

/// The harness state, built once per process: the key store contains the two keys of
/// data/jwks.json (so the valid lines of data/tokens.txt stay valid) and two freshly generated
/// keys, "fuzz-1" and "fuzz-2", whose signers `signer` returns.
class token_harness {
public:
    token_harness();
    ~token_harness();
    token_harness(const token_harness&) = delete;
    token_harness& operator=(const token_harness&) = delete;

    /// Returns signer 0 ("fuzz-1") or 1 ("fuzz-2").
    [[nodiscard]] const jws::es256_signer& signer(size_t index) const noexcept;

    /// Returns the loaded key of signer 0 or 1.
    [[nodiscard]] const jws::es256_key* signer_key(size_t index) const noexcept;

    /// Splits `text` into records with the real line reader and verifies them in batches of a
    /// few records with the batch verifier, once with the plain EVP verifier and once with the
    /// fast verifier and a verdict cache, under claim policy `policy_index`. Aborts when the two
    /// runs give different rows, when an NDJSON row is not valid JSON, or when a valid record
    /// fails the independent check (its key matches its `kid`, and EVP_DigestVerify accepts
    /// the signature over the signing input). Returns the verdicts in record order.
    std::vector<record_verdict> check_records(std::string_view text, size_t policy_index);

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

/// Returns the process-wide harness, built on first use.
token_harness& harness();

} // namespace jwtbatch::fuzz
