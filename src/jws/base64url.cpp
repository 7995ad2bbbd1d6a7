#include "jws/base64url.hpp"

#include <array>

namespace jwtbatch::jws {
namespace {

constexpr std::string_view alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// Four lookup tables hold each sextet already shifted to its place in a 24-bit group, so a
// group decodes with four loads and three ORs. A byte outside the alphabet maps to bits 24-31,
// which no valid group sets, so one test after the loop finds any invalid byte.
constexpr std::uint32_t invalid_entry = 0xff000000;

constexpr std::array<std::uint32_t, 256> make_decode_table(int shift) {
    std::array<std::uint32_t, 256> table{};
    table.fill(invalid_entry);
    for (size_t i = 0; i < alphabet.size(); ++i) {
        table[static_cast<std::uint8_t>(alphabet[i])] = static_cast<std::uint32_t>(i) << shift;
    }
    return table;
}

constexpr std::array<std::uint32_t, 256> sextet_at_18 = make_decode_table(18);
constexpr std::array<std::uint32_t, 256> sextet_at_12 = make_decode_table(12);
constexpr std::array<std::uint32_t, 256> sextet_at_6 = make_decode_table(6);
constexpr std::array<std::uint32_t, 256> sextet_at_0 = make_decode_table(0);

std::uint32_t sextet(char c) noexcept {
    return sextet_at_0[static_cast<std::uint8_t>(c)];
}

std::uint32_t group_bits(const char* in) noexcept {
    return sextet_at_18[static_cast<std::uint8_t>(in[0])]
           | sextet_at_12[static_cast<std::uint8_t>(in[1])]
           | sextet_at_6[static_cast<std::uint8_t>(in[2])]
           | sextet_at_0[static_cast<std::uint8_t>(in[3])];
}

} // namespace

std::optional<size_t> base64url_decoded_size(size_t encoded_length) noexcept {
    const size_t remainder = encoded_length % 4;
    if (remainder == 1) {
        return std::nullopt;
    }
    // A full group of 4 characters is 3 bytes; 2 and 3 leftover characters are 1 and 2 bytes.
    return encoded_length / 4 * 3 + (remainder == 0 ? 0 : remainder - 1);
}

std::optional<size_t> decode_base64url(std::string_view encoded,
                                       std::span<std::uint8_t> out) noexcept {
    const auto size = base64url_decoded_size(encoded.size());
    if (!size || *size > out.size()) {
        return std::nullopt;
    }
    const char* in = encoded.data();
    std::uint8_t* dst = out.data();
    std::uint32_t invalid = 0;
    std::uint32_t stray_bits = 0;
    const size_t full_groups = encoded.size() / 4;
    for (size_t group = 0; group < full_groups; ++group, in += 4, dst += 3) {
        const std::uint32_t bits = group_bits(in);
        invalid |= bits;
        dst[0] = static_cast<std::uint8_t>(bits >> 16);
        dst[1] = static_cast<std::uint8_t>(bits >> 8);
        dst[2] = static_cast<std::uint8_t>(bits);
    }
    // The last 2 or 3 characters carry 12 or 18 bits for 8 or 16 bits of data. RFC 4648 section
    // 3.5 lets a decoder reject non-zero unused bits, and rejecting them keeps one encoding per
    // byte string, so a token cannot be altered without changing its signing input.
    const size_t tail = encoded.size() % 4;
    if (tail == 2) {
        const std::uint32_t a = sextet(in[0]);
        const std::uint32_t b = sextet(in[1]);
        invalid |= a | b;
        stray_bits = b & 0x0f;
        dst[0] = static_cast<std::uint8_t>(a << 2 | b >> 4);
    } else if (tail == 3) {
        const std::uint32_t a = sextet(in[0]);
        const std::uint32_t b = sextet(in[1]);
        const std::uint32_t c = sextet(in[2]);
        invalid |= a | b | c;
        stray_bits = c & 0x03;
        const std::uint32_t bits = a << 10 | b << 4 | c >> 2;
        dst[0] = static_cast<std::uint8_t>(bits >> 8);
        dst[1] = static_cast<std::uint8_t>(bits);
    }
    if ((invalid & invalid_entry) != 0 || stray_bits != 0) {
        return std::nullopt;
    }
    return *size;
}

bool is_base64url_alphabet(std::string_view text) noexcept {
    std::uint32_t invalid = 0;
    for (char c : text) {
        invalid |= sextet(c);
    }
    return (invalid & invalid_entry) == 0;
}

std::string encode_base64url(std::span<const std::uint8_t> bytes) {
    std::string encoded;
    encoded.reserve((bytes.size() * 4 + 2) / 3);
    size_t i = 0;
    for (; i + 3 <= bytes.size(); i += 3) {
        const std::uint32_t bits = std::uint32_t{bytes[i]} << 16 | std::uint32_t{bytes[i + 1]} << 8
                                   | bytes[i + 2];
        encoded += alphabet[bits >> 18 & 0x3f];
        encoded += alphabet[bits >> 12 & 0x3f];
        encoded += alphabet[bits >> 6 & 0x3f];
        encoded += alphabet[bits & 0x3f];
    }
    const size_t left = bytes.size() - i;
    if (left == 1) {
        const std::uint32_t bits = std::uint32_t{bytes[i]} << 16;
        encoded += alphabet[bits >> 18 & 0x3f];
        encoded += alphabet[bits >> 12 & 0x3f];
    } else if (left == 2) {
        const std::uint32_t bits = std::uint32_t{bytes[i]} << 16 | std::uint32_t{bytes[i + 1]} << 8;
        encoded += alphabet[bits >> 18 & 0x3f];
        encoded += alphabet[bits >> 12 & 0x3f];
        encoded += alphabet[bits >> 6 & 0x3f];
    }
    return encoded;
}

std::optional<std::string> decode_base64url_to_string(std::string_view encoded) {
    const auto size = base64url_decoded_size(encoded.size());
    if (!size) {
        return std::nullopt;
    }
    std::string decoded(*size, '\0');
    const auto written = decode_base64url(
        encoded,
        std::span<std::uint8_t>(reinterpret_cast<std::uint8_t*>(decoded.data()), decoded.size()));
    if (!written) {
        return std::nullopt;
    }
    return decoded;
}

} // namespace jwtbatch::jws
