// Fuzzes the strict base64url codec that decodes every token part.
//
// Checks when decoding succeeds: encoding the bytes gives back the input, because the codec
// accepts only the one canonical text of each byte string. The decoded size is the one that
// `base64url_decoded_size` predicts, the span and string decoders agree, and a buffer one byte
// short is rejected rather than overrun. Checks for any bytes: their encoding is base64url text
// that decodes back to the same bytes.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "jws/base64url.hpp"
#include "fuzz_support.hpp"

namespace {

using jwtbatch::fuzz::fail;

void check_decode(std::string_view text) {
    using namespace jwtbatch::jws;
    const auto decoded = decode_base64url_to_string(text);
    const auto predicted_size = base64url_decoded_size(text.size());
    if (!decoded) {
        return;
    }
    const auto* bytes = reinterpret_cast<const std::uint8_t*>(decoded->data());
    if (encode_base64url({bytes, decoded->size()}) != text) {
        fail("decode then encode does not give back the input");
    }
    if (!predicted_size || *predicted_size != decoded->size()) {
        fail("the decoded size differs from base64url_decoded_size");
    }
    if (!is_base64url_alphabet(text)) {
        fail("text outside the base64url alphabet decoded");
    }

    // The exact size on the heap, so that AddressSanitizer reports any write past it.
    std::vector<std::uint8_t> exact(decoded->size());
    const auto exact_size = decode_base64url(text, exact);
    if (!exact_size || *exact_size != decoded->size()
        || std::string_view(reinterpret_cast<const char*>(exact.data()), exact.size()) != *decoded) {
        fail("decode_base64url and decode_base64url_to_string disagree");
    }
    if (!decoded->empty()) {
        std::vector<std::uint8_t> short_buffer(decoded->size() - 1);
        if (decode_base64url(text, short_buffer)) {
            fail("decode_base64url accepted a buffer one byte too short");
        }
    }
}

void check_encode(std::span<const std::uint8_t> bytes) {
    using namespace jwtbatch::jws;
    const std::string encoded = encode_base64url(bytes);
    if (!is_base64url_alphabet(encoded)) {
        fail("encode wrote a character outside the base64url alphabet");
    }
    const auto decoded = decode_base64url_to_string(encoded);
    if (!decoded
        || std::string_view(*decoded)
               != std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size())) {
        fail("encode then decode does not give back the bytes");
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
    check_decode(std::string_view(reinterpret_cast<const char*>(data), size));
    check_encode({data, size});
    return 0;
}
