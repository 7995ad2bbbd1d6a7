// Command-line options: parsing into a plain struct, then validation into a run configuration.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "jwks/key_store.hpp"
#include "pipeline/run_config.hpp"

namespace jwtbatch::cli {

/// A validated command: the action and every setting the command line gave.
struct command {
    enum class action { run, help, version };
    action what = action::run;
    pipeline::run_config run;
    std::vector<std::string> key_sources;
    jwks::fetch_options fetch;
    std::optional<std::string> output_path;
    std::optional<std::string> summary_json_path;
    bool quiet = false;
    bool verbose = false;
    std::string help_text;
};

/// Parses and validates `argv`. Throws `usage_error` with a message that names the option.
[[nodiscard]] command parse_command_line(int argc, const char* const* argv);

/// A command-line mistake: printed with a hint to run --help, exit status 2.
class usage_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

} // namespace jwtbatch::cli
