// `jwtbatch bench`: measures verification throughput on generated tokens, no input files needed.
#pragma once

namespace jwtbatch::cli {

/// Runs `jwtbatch bench [--tokens N] [--threads N,...] [--verifier NAME,...]`: generates an
/// ephemeral key and N tokens, runs the whole pipeline over them for each verifier and thread
/// count, and prints tokens per second. `argv[0]` is "bench". Returns the exit status. Throws
/// `usage_error` or `common::run_error` like the main command.
[[nodiscard]] int run_bench(int argc, const char* const* argv);

} // namespace jwtbatch::cli
