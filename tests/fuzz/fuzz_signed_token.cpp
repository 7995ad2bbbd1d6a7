// Fuzzes the checks that run after the signature: the harness signs fuzzed header and payload
// JSON with one of its keys, so header, payload and claim parsing see arbitrary JSON inside
// tokens whose signature verifies, which random tokens never reach.
//
// Input: a control byte, a position byte, then the header JSON, a 0xff byte (never part of
// UTF-8 JSON), and the payload JSON. Control bits 0-1 select the claim policy, bit 2 the
// signing key, bits 3-4 the tampering: none, one bit of the signature flipped, or one character
// of the signing input replaced. The position byte selects that bit or character.
//
// Checks, besides those of fuzz_token: an untouched token whose header selected the signing key
// is never `bad_signature`, `malformed` or `bad_base64`, and a tampered token is never valid.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "jws/base64url.hpp"
#include "token_harness.hpp"

namespace {

using jwtbatch::jws::failure_reason;

enum class tampering { none, signature_bit, signing_input_char };

/// Flips one bit of the signature's r||s and encodes the token again.
std::string flip_signature_bit(const std::string& token, size_t position) {
    const size_t last_dot = token.rfind('.');
    auto signature = jwtbatch::jws::decode_base64url_to_string(token.substr(last_dot + 1));
    if (!signature || signature->empty()) {
        jwtbatch::fuzz::fail("the signer wrote a signature that does not decode");
    }
    (*signature)[position / 8 % signature->size()] ^= static_cast<char>(1 << (position % 8));
    const auto* bytes = reinterpret_cast<const std::uint8_t*>(signature->data());
    return token.substr(0, last_dot + 1)
           + jwtbatch::jws::encode_base64url({bytes, signature->size()});
}

/// Replaces one character of header '.' payload with another base64url character, so the
/// signed bytes change (or the part stops being canonical base64url).
std::string replace_signing_input_char(std::string token, size_t position) {
    const size_t last_dot = token.rfind('.');
    size_t index = position % last_dot;
    if (token[index] == '.') {
        index = index == 0 ? 1 : index - 1;
    }
    token[index] = token[index] == 'A' ? 'B' : 'A';
    return token;
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
    (void)jwtbatch::fuzz::harness();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
    if (size < 2) {
        return 0;
    }
    const std::uint8_t control = data[0];
    const size_t position = data[1];
    const std::string_view rest(reinterpret_cast<const char*>(data + 2), size - 2);
    const size_t separator = rest.find('\xff');
    if (separator == std::string_view::npos) {
        return 0;
    }
    const std::string_view header_json = rest.substr(0, separator);
    const std::string_view payload_json = rest.substr(separator + 1);
    if (header_json.empty() || payload_json.empty()) {
        return 0; // an empty part is `malformed`, which fuzz_token covers
    }

    auto& harness = jwtbatch::fuzz::harness();
    const size_t policy = control & 3u;
    const size_t key_index = (control >> 2) & 1u;
    const auto mode = static_cast<tampering>(((control >> 3) & 3u) % 3);
    std::string token = harness.signer(key_index).sign_compact(header_json, payload_json);
    if (mode == tampering::signature_bit) {
        token = flip_signature_bit(token, position);
    } else if (mode == tampering::signing_input_char) {
        token = replace_signing_input_char(token, position);
    }

    const auto verdicts = harness.check_records(token, policy);
    if (verdicts.size() != 1) {
        jwtbatch::fuzz::fail("a signed token did not give exactly one record");
    }
    const auto& verdict = verdicts.front();
    if (mode != tampering::none) {
        if (verdict.reason == failure_reason::ok) {
            jwtbatch::fuzz::fail("a tampered token was judged valid");
        }
        return 0;
    }
    if (verdict.reason == failure_reason::too_long) {
        return 0;
    }
    if (verdict.reason == failure_reason::malformed || verdict.reason == failure_reason::bad_base64) {
        jwtbatch::fuzz::fail("a token made by the signer was judged malformed or bad_base64");
    }
    if (verdict.reason == failure_reason::bad_signature
        && verdict.key == harness.signer_key(key_index)) {
        jwtbatch::fuzz::fail("a genuine signature with the key it selected was bad_signature");
    }
    return 0;
}
