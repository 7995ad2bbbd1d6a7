// An output sink that drops every row, for benchmarks that measure verification alone.
#pragma once

#include <cstdint>
#include <string_view>

#include "io/output_sink.hpp"

namespace jwtbatch::io {

/// Counts the bytes written to it and keeps none of them.
class discard_sink final : public output_sink {
public:
    bool write(std::string_view bytes) override {
        bytes_written_ += bytes.size();
        return true;
    }

    void commit() override {}

    [[nodiscard]] std::uint64_t bytes_written() const noexcept { return bytes_written_; }

private:
    std::uint64_t bytes_written_ = 0;
};

} // namespace jwtbatch::io
