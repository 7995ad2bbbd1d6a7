// The command-line entry point: parses options, loads keys, runs the pipeline, reports.
#pragma once

namespace jwtbatch::cli {

/// Exit statuses, as documented in --help and the README.
enum exit_status : int {
    all_valid = 0,      ///< every record was a valid token
    some_invalid = 1,   ///< at least one record was invalid
    run_failed = 2,     ///< usage, key, network or I/O error
};

/// Runs jwtbatch with the process arguments and returns the exit status. Never throws.
[[nodiscard]] int run(int argc, char** argv) noexcept;

} // namespace jwtbatch::cli
