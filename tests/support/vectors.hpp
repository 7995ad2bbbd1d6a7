// Access to the shared read-only test vectors (JWTBATCH_VECTORS_DIR) with the CI rule: a missing
// vector file fails the test when the environment variable CI is "true" and only warns otherwise.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>

#include <catch2/catch.hpp>

namespace jwtbatch::test {

/// Returns true when the environment variable CI is exactly "true".
inline bool is_ci() {
    const char* value = std::getenv("CI");
    return value != nullptr && std::string_view(value) == "true";
}

/// Returns the absolute path of `relative_path` under JWTBATCH_VECTORS_DIR.
inline std::filesystem::path vector_path(std::string_view relative_path) {
    return std::filesystem::path(JWTBATCH_VECTORS_DIR) / relative_path;
}

/// Reads the vector file `relative_path` (relative to JWTBATCH_VECTORS_DIR) as bytes. When the
/// file is missing or unreadable, fails the current test if CI is "true", and otherwise emits a
/// Catch2 warning and returns nullopt, so the caller returns early (Catch2 2 cannot skip).
inline std::optional<std::string> read_vector_file(std::string_view relative_path) {
    const std::filesystem::path path = vector_path(relative_path);
    std::ifstream file(path, std::ios::binary);
    if (!file) {
        const std::string message = "test vector file not found: " + path.string();
        if (is_ci()) {
            FAIL(message);
        }
        WARN(message << " (set CI=true to make this a failure)");
        return std::nullopt;
    }
    std::ostringstream contents;
    contents << file.rdbuf();
    return std::move(contents).str();
}

} // namespace jwtbatch::test
