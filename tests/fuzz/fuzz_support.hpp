// Pieces shared by every harness: an in-memory input source and the abort that reports a
// broken invariant.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "io/input_source.hpp"

namespace jwtbatch::fuzz {

/// Prints `message` to stderr and aborts, so that libFuzzer records the input as a finding.
[[noreturn]] inline void fail(std::string_view message) {
    std::fprintf(stderr, "fuzz invariant failed: %.*s\n", static_cast<int>(message.size()),
                 message.data());
    std::abort();
}

/// Input bytes held in memory, returned at most `max_read_bytes` at a time so that short reads
/// reach the reader's refill paths even on small inputs.
class memory_source final : public io::input_source {
public:
    memory_source(std::string_view bytes, size_t max_read_bytes)
        : bytes_(bytes), max_read_bytes_(std::max<size_t>(max_read_bytes, 1)) {}

    size_t read(char* buffer, size_t size) override {
        const size_t count = std::min({size, max_read_bytes_, bytes_.size() - position_});
        std::memcpy(buffer, bytes_.data() + position_, count);
        position_ += count;
        return count;
    }

    [[nodiscard]] const std::string& name() const noexcept override { return name_; }

    [[nodiscard]] std::optional<std::uint64_t> size_bytes() const noexcept override {
        return bytes_.size();
    }

    [[nodiscard]] std::uint64_t bytes_consumed() const noexcept override { return position_; }

private:
    std::string_view bytes_;
    size_t max_read_bytes_;
    size_t position_ = 0;
    std::string name_ = "fuzz";
};

} // namespace jwtbatch::fuzz
