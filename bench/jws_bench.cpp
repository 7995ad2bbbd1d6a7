// Micro-benchmarks of the per-token steps: base64url, header and payload parsing, SHA-256, both
// signature verifiers (single and batched) and a verdict cache hit.
#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <benchmark/benchmark.h>

#include "cli/sample_tokens.hpp"
#include "jws/base64url.hpp"
#include "jws/claims.hpp"
#include "jws/compact.hpp"
#include "jws/digest.hpp"
#include "jws/es256_key.hpp"
#include "jws/es256_signer.hpp"
#include "jws/header.hpp"
#include "jws/signature_verifier.hpp"
#include "jws/verdict_cache.hpp"

namespace jws = jwtbatch::jws;

namespace {

/// Distinct signed tokens that the benchmarks cycle through, so that no step gets the same
/// input twice in a row. 1,024 jobs of about 140 bytes stay in the L2 cache.
constexpr size_t sample_count = 1024;

/// Tokens shaped like the production ones, their parts and their signature jobs, made once.
struct samples {
    jws::es256_signer signer;
    std::shared_ptr<const jws::es256_key> key = signer.public_key("bench");
    std::vector<std::string> tokens;
    std::vector<jws::compact_parts> parts;
    std::vector<std::string> headers;  ///< decoded header JSON
    std::vector<std::string> payloads; ///< decoded payload JSON
    std::vector<jws::signature_job> jobs;

    samples() {
        const std::string text =
            jwtbatch::cli::make_sample_tokens(signer, "bench", sample_count, 0);
        for (size_t start = 0; start < text.size();) {
            const size_t end = text.find('\n', start);
            tokens.push_back(text.substr(start, end - start));
            start = end + 1;
        }
        for (const std::string& token : tokens) {
            jws::compact_parts split;
            if (jws::split_compact(token, split) != jws::failure_reason::ok) {
                throw std::runtime_error("a sample token does not split");
            }
            parts.push_back(split);
            headers.push_back(jws::decode_base64url_to_string(split.header).value());
            payloads.push_back(jws::decode_base64url_to_string(split.payload).value());
            jws::signature_job job;
            job.key = key.get();
            if (!jws::sha256(split.signing_input, job.digest)
                || jws::decode_base64url(split.signature, job.signature) != 64) {
                throw std::runtime_error("a sample signature does not decode");
            }
            jobs.push_back(job);
        }
    }
};

const samples& sample_set() {
    static const samples instance;
    return instance;
}

// Runs `operation` on one sample string per iteration, the one `select` picks from the sample
// set, and reports tokens and bytes.
template <typename Select, typename Operation>
void run_over_samples(benchmark::State& state, Select select, Operation operation) {
    const samples& set = sample_set();
    size_t index = 0;
    size_t bytes = 0;
    for (auto _ : state) {
        const std::string_view input = select(set, index);
        operation(input);
        bytes += input.size();
        index = (index + 1) % sample_count;
    }
    state.SetItemsProcessed(state.iterations());
    state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
}

void base64url_decode_payload(benchmark::State& state) {
    std::array<std::uint8_t, 1024> out{};
    run_over_samples(
        state,
        [](const samples& set, size_t index) { return set.parts[index].payload; },
        [&](std::string_view payload) {
            benchmark::DoNotOptimize(jws::decode_base64url(payload, out));
        });
}

BENCHMARK(base64url_decode_payload);

void header_parse(benchmark::State& state) {
    jws::header_parser parser;
    jws::jose_header header;
    run_over_samples(
        state,
        [](const samples& set, size_t index) { return std::string_view(set.headers[index]); },
        [&](std::string_view json) { benchmark::DoNotOptimize(parser.parse(json, header)); });
}

BENCHMARK(header_parse);

void payload_parse_and_check(benchmark::State& state) {
    jws::payload_parser parser;
    const jws::claim_policy policy;
    run_over_samples(
        state,
        [](const samples& set, size_t index) { return std::string_view(set.payloads[index]); },
        [&](std::string_view json) {
            benchmark::DoNotOptimize(parser.parse(json));
            benchmark::DoNotOptimize(parser.check(policy, 0));
        });
}

BENCHMARK(payload_parse_and_check);

void sha256_signing_input(benchmark::State& state) {
    std::array<std::uint8_t, 32> digest{};
    run_over_samples(
        state,
        [](const samples& set, size_t index) { return set.parts[index].signing_input; },
        [&](std::string_view input) { benchmark::DoNotOptimize(jws::sha256(input, digest)); });
}

BENCHMARK(sha256_signing_input);

// Verifies batches of state.range(0) jobs. A first batch outside the timed loop builds the fast
// verifier's table for the key (about 30 ms), as the pipeline does once per key.
void verify_batch(benchmark::State& state, jws::verifier_kind kind) {
    const samples& set = sample_set();
    const auto verifier = jws::make_verifier(kind);
    const size_t batch_size = static_cast<size_t>(state.range(0));
    std::vector<jws::signature_job> jobs = set.jobs;
    verifier->verify(std::span(jobs).first(batch_size));
    size_t start = 0;
    size_t valid = 0;
    for (auto _ : state) {
        const auto batch = std::span(jobs).subspan(start, batch_size);
        verifier->verify(batch);
        valid += batch.front().is_valid ? 1 : 0;
        start = (start + batch_size) % sample_count;
    }
    if (valid != static_cast<size_t>(state.iterations())) {
        state.SkipWithError("a valid sample signature did not verify");
    }
    state.SetItemsProcessed(state.iterations() * state.range(0));
}

void verify_evp(benchmark::State& state) {
    verify_batch(state, jws::verifier_kind::evp);
}

BENCHMARK(verify_evp)->Arg(1)->Arg(64);

void verify_fast(benchmark::State& state) {
    verify_batch(state, jws::verifier_kind::fast);
}

BENCHMARK(verify_fast)->Arg(1)->Arg(16)->Arg(64)->Arg(256);

void verdict_cache_hit(benchmark::State& state) {
    const samples& set = sample_set();
    jws::verdict_cache cache(jws::verdict_cache::default_capacity());
    for (const jws::signature_job& job : set.jobs) {
        cache.insert(job.key, job.digest, job.signature, true);
    }
    size_t index = 0;
    for (auto _ : state) {
        const jws::signature_job& job = set.jobs[index];
        benchmark::DoNotOptimize(cache.find(job.key, job.digest, job.signature));
        index = (index + 1) % sample_count;
    }
    state.SetItemsProcessed(state.iterations());
}

BENCHMARK(verdict_cache_hit);

} // namespace
