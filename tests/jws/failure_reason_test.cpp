#include "jws/failure_reason.hpp"

#include <array>
#include <cstdint>
#include <set>
#include <string>

#include <catch2/catch.hpp>

#include "jws/base64url.hpp"
#include "jws/claims.hpp"
#include "jws/compact.hpp"
#include "jws/header.hpp"

namespace jws = jwtbatch::jws;

namespace {

jws::failure_reason reason_at(int index) {
    return static_cast<jws::failure_reason>(index);
}

std::string encode(std::string_view text) {
    return jws::encode_base64url(
        {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()});
}

std::string make_token(std::string_view header, std::string_view payload) {
    return encode(header) + "." + encode(payload) + "." + std::string(86, 'A');
}

// Runs the checks of this folder in pipeline order, without the signature: split, decode,
// header, payload, claims.
jws::failure_reason check_token(std::string_view token, const jws::claim_policy& policy) {
    jws::compact_parts parts;
    if (const auto reason = jws::split_compact(token, parts); reason != jws::failure_reason::ok) {
        return reason;
    }
    const auto header_json = jws::decode_base64url_to_string(parts.header);
    const auto payload_json = jws::decode_base64url_to_string(parts.payload);
    if (!header_json || !payload_json || !jws::decode_base64url_to_string(parts.signature)) {
        return jws::failure_reason::bad_base64;
    }
    jws::header_parser header_parser;
    jws::jose_header header;
    if (const auto reason = header_parser.parse(*header_json, header);
        reason != jws::failure_reason::ok) {
        return reason;
    }
    jws::payload_parser payload_parser;
    if (const auto parsed = payload_parser.parse(*payload_json);
        parsed.reason != jws::failure_reason::ok) {
        return parsed.reason;
    }
    return payload_parser.check(policy, 1700000000).reason;
}

} // namespace

TEST_CASE("token checks report each reason", "[jws]") {
    // Every reason that split, base64url, header and claims produce. The key and signature
    // reasons, too_long, no_token and bad_record come from other units and have their own tests.
    const std::string es256 = R"({"alg":"ES256","kid":"k1"})";
    const std::string claims =
        R"({"iss":"i","aud":"a","cid":"c","exp":1700000100,"nbf":1699999900,"iat":1699999900})";
    const auto [token, expected] = GENERATE_COPY(table<std::string, jws::failure_reason>({
        {make_token(es256, claims), jws::failure_reason::ok},
        {"only.two", jws::failure_reason::malformed},
        {make_token(es256, claims) + "=", jws::failure_reason::bad_base64},
        {make_token(R"({"alg":"ES256","alg":"ES256"})", claims), jws::failure_reason::bad_header},
        {make_token(R"({"alg":"ES256","crit":["exp"]})", claims),
         jws::failure_reason::unsupported_header},
        {make_token(R"({"alg":"none"})", claims), jws::failure_reason::alg_not_allowed},
        {make_token(es256, "[]"), jws::failure_reason::bad_payload},
        {make_token(es256, R"({"iss":"i","aud":"a","cid":"c","exp":"soon"})"),
         jws::failure_reason::bad_claim},
        {make_token(es256, R"({"iss":"i","aud":"a"})"), jws::failure_reason::missing_claim},
        {make_token(es256, R"({"iss":"i","aud":"a","cid":"c","exp":1700000000})"),
         jws::failure_reason::expired},
        {make_token(es256, R"({"iss":"i","aud":"a","cid":"c","nbf":1700000001})"),
         jws::failure_reason::not_yet_valid},
        {make_token(es256, R"({"iss":"i","aud":"a","cid":"c","iat":1700000001})"),
         jws::failure_reason::issued_in_future},
        {make_token(es256, R"({"iss":"j","aud":"a","cid":"c"})"), jws::failure_reason::bad_issuer},
        {make_token(es256, R"({"iss":"i","aud":["b"],"cid":"c"})"),
         jws::failure_reason::bad_audience},
    }));
    CAPTURE(jws::to_string(expected));
    jws::claim_policy policy;
    policy.issuer = "i";
    policy.audience = "a";
    policy.required = {"cid"};
    const auto reason = check_token(token, policy);
    CHECK(reason == expected);
    CHECK(jws::to_string(reason) == jws::to_string(expected));
}

TEST_CASE("failure reason names are stable", "[jws]") {
    // The names printed in results, in check order; changing one breaks users' scripts.
    const auto [reason, name] = GENERATE(table<jws::failure_reason, std::string>({
        {jws::failure_reason::ok, "ok"},
        {jws::failure_reason::malformed, "malformed"},
        {jws::failure_reason::bad_base64, "bad_base64"},
        {jws::failure_reason::bad_header, "bad_header"},
        {jws::failure_reason::unsupported_header, "unsupported_header"},
        {jws::failure_reason::alg_not_allowed, "alg_not_allowed"},
        {jws::failure_reason::missing_kid, "missing_kid"},
        {jws::failure_reason::unknown_kid, "unknown_kid"},
        {jws::failure_reason::bad_signature, "bad_signature"},
        {jws::failure_reason::bad_payload, "bad_payload"},
        {jws::failure_reason::bad_claim, "bad_claim"},
        {jws::failure_reason::missing_claim, "missing_claim"},
        {jws::failure_reason::expired, "expired"},
        {jws::failure_reason::not_yet_valid, "not_yet_valid"},
        {jws::failure_reason::issued_in_future, "issued_in_future"},
        {jws::failure_reason::bad_issuer, "bad_issuer"},
        {jws::failure_reason::bad_audience, "bad_audience"},
        {jws::failure_reason::too_long, "too_long"},
        {jws::failure_reason::no_token, "no_token"},
        {jws::failure_reason::bad_record, "bad_record"},
    }));
    CAPTURE(name);
    CHECK(jws::to_string(reason) == name);
    CHECK_FALSE(jws::describe(reason).empty());
}

TEST_CASE("failure reason names round trip", "[jws]") {
    // Every name maps back to exactly one reason, so a name in a result identifies its reason.
    std::set<std::string> names;
    for (int index = 0; index < jws::failure_reason_count; ++index) {
        const std::string name(jws::to_string(reason_at(index)));
        CAPTURE(index, name);
        CHECK(names.insert(name).second);
        int matches = 0;
        for (int other = 0; other < jws::failure_reason_count; ++other) {
            if (jws::to_string(reason_at(other)) == name) {
                CHECK(other == index);
                ++matches;
            }
        }
        CHECK(matches == 1);
        CHECK(name.find_first_not_of("abcdefghijklmnopqrstuvwxyz_0123456789") == std::string::npos);
        CHECK(name != "unknown");
    }
}

TEST_CASE("failure reason outside range is unknown", "[jws]") {
    CHECK(jws::to_string(reason_at(jws::failure_reason_count)) == "unknown");
    CHECK(jws::describe(reason_at(jws::failure_reason_count)).empty());
    CHECK(jws::to_string(reason_at(255)) == "unknown");
}
