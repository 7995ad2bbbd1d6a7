#include "jws/failure_reason.hpp"

#include <set>
#include <string>

#include <catch2/catch.hpp>

namespace jws = jwtbatch::jws;

namespace {

jws::failure_reason reason_at(int index) {
    return static_cast<jws::failure_reason>(index);
}

} // namespace

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
