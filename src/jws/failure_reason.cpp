#include "jws/failure_reason.hpp"

#include <array>

namespace jwtbatch::jws {
namespace {

struct reason_text {
    std::string_view name;
    std::string_view description;
};

constexpr std::array<reason_text, failure_reason_count> reason_texts{{
    {"ok", "the token verified and every claim check passed"},
    {"malformed", "not three non-empty dot-separated parts of base64 characters"},
    {"bad_base64", "a part is not strict unpadded base64url"},
    {"bad_header", "the header is not a JSON object with a string alg"},
    {"unsupported_header", "the header asks for processing the tool does not support (crit, b64)"},
    {"alg_not_allowed", "alg is not ES256"},
    {"missing_kid", "the header has no kid and the key set holds more than one key"},
    {"unknown_kid", "no loaded key has this kid"},
    {"bad_signature", "the signature is not 64 bytes or does not verify"},
    {"bad_payload", "the payload is not a JSON object"},
    {"bad_claim", "a registered claim has the wrong type"},
    {"missing_claim", "a required claim is absent"},
    {"expired", "the evaluation time is at or after exp plus leeway"},
    {"not_yet_valid", "the evaluation time plus leeway is before nbf"},
    {"issued_in_future", "iat is after the evaluation time plus leeway"},
    {"bad_issuer", "iss does not match --issuer"},
    {"bad_audience", "aud does not contain --audience"},
    {"too_long", "the record is longer than --max-token-bytes"},
    {"no_token", "the record has no token in the token field"},
    {"bad_record", "the record cannot be parsed or its event time is invalid"},
}};

} // namespace

std::string_view to_string(failure_reason reason) noexcept {
    auto index = static_cast<size_t>(reason);
    return index < reason_texts.size() ? reason_texts[index].name : "unknown";
}

std::string_view describe(failure_reason reason) noexcept {
    auto index = static_cast<size_t>(reason);
    return index < reason_texts.size() ? reason_texts[index].description : "";
}

} // namespace jwtbatch::jws
