#include "jws/compact.hpp"

#include <array>
#include <cstdint>

namespace jwtbatch::jws {
namespace {

// Bytes a compact part may contain before base64url decoding: the URL alphabet, plus '=', '+'
// and '/' from padded or standard base64, which pass here so that decoding reports them as
// `bad_base64`, the more precise reason.
constexpr std::array<bool, 256> make_part_byte_table() {
    std::array<bool, 256> table{};
    constexpr std::string_view allowed =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=+/";
    for (char c : allowed) {
        table[static_cast<std::uint8_t>(c)] = true;
    }
    return table;
}

constexpr std::array<bool, 256> part_byte_table = make_part_byte_table();

} // namespace

failure_reason split_compact(std::string_view token, compact_parts& out) noexcept {
    size_t dots[2] = {0, 0};
    size_t dot_count = 0;
    bool all_allowed = true;
    for (size_t i = 0; i < token.size(); ++i) {
        const char c = token[i];
        if (c == '.') {
            if (dot_count == 2) {
                return failure_reason::malformed;
            }
            dots[dot_count++] = i;
            continue;
        }
        all_allowed &= part_byte_table[static_cast<std::uint8_t>(c)];
    }
    if (dot_count != 2 || !all_allowed) {
        return failure_reason::malformed;
    }
    const size_t header_length = dots[0];
    const size_t payload_length = dots[1] - dots[0] - 1;
    const size_t signature_length = token.size() - dots[1] - 1;
    if (header_length == 0 || payload_length == 0 || signature_length == 0) {
        return failure_reason::malformed;
    }
    out.header = token.substr(0, header_length);
    out.payload = token.substr(dots[0] + 1, payload_length);
    out.signature = token.substr(dots[1] + 1);
    out.signing_input = token.substr(0, dots[1]);
    return failure_reason::ok;
}

} // namespace jwtbatch::jws
