// End-to-end throughput: the whole pipeline over a generated file of 100,000 tokens.
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <benchmark/benchmark.h>

#include "cli/sample_tokens.hpp"
#include "io/discard_sink.hpp"
#include "jwks/key_store.hpp"
#include "jws/es256_signer.hpp"
#include "pipeline/run_pipeline.hpp"

namespace fs = std::filesystem;
using namespace jwtbatch;

namespace {

constexpr size_t distinct_tokens = 100'000;
constexpr size_t repeated_distinct = 1'000;
constexpr size_t repeat_count = 100;

/// The generated inputs, made once per process in a temporary folder (JWTBATCH_BENCH_DIR
/// overrides it, so that repeated runs can reuse the files).
struct bench_inputs {
    fs::path folder;
    fs::path jwks;
    fs::path distinct;
    fs::path repeated;
    double now = 0;

    bench_inputs() {
        const char* configured = std::getenv("JWTBATCH_BENCH_DIR");
        folder = configured ? fs::path(configured) : fs::temp_directory_path() / "jwtbatch-bench";
        fs::create_directories(folder);
        jwks = folder / "jwks.json";
        distinct = folder / "tokens-100k.txt";
        repeated = folder / "tokens-1k-x100.txt";
        now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
                  .count();
        // Tokens live an hour; files older than that are made again.
        if (fs::exists(distinct) && fs::exists(repeated) && fs::exists(jwks)
            && fs::last_write_time(distinct) > fs::file_time_type::clock::now() - std::chrono::minutes(50)) {
            return;
        }
        jws::es256_signer signer;
        std::ofstream(jwks) << signer.to_jwks_json("bench");
        std::ofstream(distinct) << cli::make_sample_tokens(signer, "bench", distinct_tokens, now);
        const std::string few = cli::make_sample_tokens(signer, "bench", repeated_distinct, now);
        std::ofstream repeated_file(repeated);
        for (size_t i = 0; i < repeat_count; ++i) {
            repeated_file << few;
        }
    }
};

const bench_inputs& inputs() {
    static const bench_inputs made;
    return made;
}

void run_file(benchmark::State& state,
              const fs::path& file,
              jws::verifier_kind verifier,
              size_t dedup_capacity) {
    const auto& in = inputs();
    jwks::key_store keys({in.jwks.string()}, jwks::fetch_options{});
    pipeline::run_config config;
    config.inputs = {file.string()};
    config.threads = static_cast<size_t>(state.range(0));
    config.now_seconds = in.now;
    config.verifier = verifier;
    config.dedup_capacity = dedup_capacity;
    const std::atomic<bool> never_stop{false};
    std::uint64_t records = 0;
    std::uint64_t valid = 0;
    for (auto _ : state) {
        io::discard_sink sink;
        auto counters = pipeline::run_pipeline(config, keys, sink, never_stop);
        records += counters.records;
        valid += counters.valid();
    }
    if (valid != records) {
        state.SkipWithError("some generated tokens did not verify");
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(records));
    state.counters["valid"] = static_cast<double>(valid);
}

void pipeline_fast_100k(benchmark::State& state) {
    run_file(state, inputs().distinct, jws::verifier_kind::fast, 0);
}

void pipeline_evp_100k(benchmark::State& state) {
    run_file(state, inputs().distinct, jws::verifier_kind::evp, 0);
}

void pipeline_fast_repeated_dedup(benchmark::State& state) {
    run_file(state, inputs().repeated, jws::verifier_kind::fast, 1 << 16);
}

} // namespace

BENCHMARK(pipeline_fast_100k)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond)->Iterations(2);
BENCHMARK(pipeline_evp_100k)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond)->Iterations(1);
BENCHMARK(pipeline_fast_repeated_dedup)
    ->Arg(1)
    ->Arg(2)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3);
