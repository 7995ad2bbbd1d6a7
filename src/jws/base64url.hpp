// Strict base64url (RFC 4648 section 5, no padding) as JWS compact serialization uses it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace jwtbatch::jws {

/// Returns the number of bytes that `encoded_length` base64url characters decode to, or
/// nullopt when no unpadded encoding has that length (length % 4 == 1).
[[nodiscard]] std::optional<size_t> base64url_decoded_size(size_t encoded_length) noexcept;

/// Decodes `encoded` into `out` and returns the decoded length, or nullopt when `encoded` holds a
/// character outside the URL alphabet (padding '=' included), has an impossible length, has
/// non-zero trailing bits, or decodes to more than `out.size()` bytes. Never allocates.
[[nodiscard]] std::optional<size_t> decode_base64url(std::string_view encoded,
                                                     std::span<std::uint8_t> out) noexcept;

/// Returns true when every byte of `text` is in the base64url alphabet.
[[nodiscard]] bool is_base64url_alphabet(std::string_view text) noexcept;

/// Encodes `bytes` as unpadded base64url. Allocates; for tools, tests and key loading.
[[nodiscard]] std::string encode_base64url(std::span<const std::uint8_t> bytes);

/// Decodes into a new string, or nullopt on the same conditions as `decode_base64url`.
[[nodiscard]] std::optional<std::string> decode_base64url_to_string(std::string_view encoded);

} // namespace jwtbatch::jws
