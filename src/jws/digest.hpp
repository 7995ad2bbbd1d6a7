// SHA-256 of signing inputs with a fetched digest and a reused per-thread context.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace jwtbatch::jws {

/// Writes SHA-256 of `data` to `out`. Thread-safe. Returns false only when OpenSSL fails, after
/// clearing the thread's error queue.
///
/// NOTE: OpenSSL 3.0.19 still allocates once per call on the reused context (counted with
/// `CRYPTO_set_mem_functions`); no EVP init variant avoided it.
[[nodiscard]] bool sha256(std::string_view data, std::span<std::uint8_t, 32> out) noexcept;

} // namespace jwtbatch::jws
