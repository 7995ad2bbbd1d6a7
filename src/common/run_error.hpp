// The one exception type for errors that end the run (options, inputs, keys, output).
#pragma once

#include <stdexcept>
#include <string>

namespace jwtbatch::common {

/// An error of the run rather than of one record. `what()` holds the message without the
/// program name, as "<context>: <what failed>[: <fix>]"; `cli::run` prints it and exits 2.
class run_error : public std::runtime_error {
public:
    explicit run_error(const std::string& message) : std::runtime_error(message) {}
};

} // namespace jwtbatch::common
