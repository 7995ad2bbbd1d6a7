#include "jws/claims.hpp"

#include "jws/strict_json.hpp"

namespace jwtbatch::jws {
namespace {

namespace dom = simdjson::dom;

// A top-level member found while parsing, kept for the checks.
struct member_slot {
    dom::element value;
    bool present = false;
};

bool is_number(dom::element value) noexcept {
    return value.is_number();
}

bool is_string_array(dom::element value) noexcept {
    dom::array items;
    if (value.get_array().get(items) != simdjson::SUCCESS) {
        return false;
    }
    for (dom::element item : items) {
        if (!item.is_string()) {
            return false;
        }
    }
    return true;
}

check_result fail(failure_reason reason, std::string_view detail) noexcept {
    return {reason, detail};
}

// Positions in minified JSON, which has no whitespace outside strings.
size_t skip_string(std::string_view text, size_t quote) noexcept {
    size_t i = quote + 1;
    while (text[i] != '"') {
        i += text[i] == '\\' ? 2 : 1;
    }
    return i + 1;
}

size_t skip_value(std::string_view text, size_t start) noexcept {
    const char first = text[start];
    if (first == '"') {
        return skip_string(text, start);
    }
    if (first != '{' && first != '[') {
        size_t i = start;
        while (text[i] != ',' && text[i] != '}' && text[i] != ']') {
            ++i;
        }
        return i;
    }
    size_t depth = 0;
    size_t i = start;
    while (true) {
        const char c = text[i];
        if (c == '"') {
            i = skip_string(text, i);
            continue;
        }
        if (c == '{' || c == '[') {
            ++depth;
        } else if ((c == '}' || c == ']') && --depth == 0) {
            return i + 1;
        }
        ++i;
    }
}

// Returns the value text of top-level member number `index` of a minified JSON object.
std::string_view member_value_text(std::string_view object, size_t index) noexcept {
    size_t position = 1;
    for (size_t member = 0;; ++member) {
        position = skip_string(object, position) + 1;
        const size_t end = skip_value(object, position);
        if (member == index) {
            return object.substr(position, end - position);
        }
        position = end + 1;
    }
}

} // namespace

struct payload_parser::impl {
    strict_json_parser json{max_depth};
    dom::object root;
    member_slot exp;
    member_slot nbf;
    member_slot iat;
    member_slot iss;
    member_slot aud;
    // Filled on the first `minified()` or `find()` after a parse, then reused.
    std::string minified;
    size_t minified_length = 0;
    bool has_minified = false;
    bool parsed = false;

    void record_registered_claims() noexcept;
    [[nodiscard]] check_result check_types(const claim_policy& policy) const noexcept;
    [[nodiscard]] claim_times times() const noexcept;
    [[nodiscard]] check_result check_audience(const std::string& audience) const noexcept;
    [[nodiscard]] std::string_view minify() noexcept;
};

void payload_parser::impl::record_registered_claims() noexcept {
    exp = nbf = iat = iss = aud = member_slot{};
    for (const auto member : root) {
        member_slot* slot = nullptr;
        if (member.key == "exp") {
            slot = &exp;
        } else if (member.key == "nbf") {
            slot = &nbf;
        } else if (member.key == "iat") {
            slot = &iat;
        } else if (member.key == "iss") {
            slot = &iss;
        } else if (member.key == "aud") {
            slot = &aud;
        }
        if (slot != nullptr) {
            *slot = member_slot{member.value, true};
        }
    }
}

check_result payload_parser::impl::check_types(const claim_policy& policy) const noexcept {
    // NumericDate (RFC 7519 section 2) is a JSON number, integer or fractional.
    if (exp.present && !is_number(exp.value)) {
        return fail(failure_reason::bad_claim, "exp is not a number");
    }
    if (nbf.present && !is_number(nbf.value)) {
        return fail(failure_reason::bad_claim, "nbf is not a number");
    }
    if (iat.present && !is_number(iat.value)) {
        return fail(failure_reason::bad_claim, "iat is not a number");
    }
    // `iss` and `aud` are only checked when a policy compares them, so tokens that use them
    // for other purposes still verify without --issuer or --audience.
    if (policy.issuer && iss.present && !iss.value.is_string()) {
        return fail(failure_reason::bad_claim, "iss is not a string");
    }
    if (policy.audience && aud.present && !aud.value.is_string()) {
        if (!is_string_array(aud.value)) {
            return fail(failure_reason::bad_claim, "aud is not a string or an array of strings");
        }
    }
    return {};
}

check_result payload_parser::impl::check_audience(const std::string& audience) const noexcept {
    if (!aud.present) {
        return fail(failure_reason::bad_audience, "aud is missing");
    }
    std::string_view single;
    if (aud.value.get_string().get(single) == simdjson::SUCCESS) {
        if (single == audience) {
            return {};
        }
        return fail(failure_reason::bad_audience, "aud does not match the expected audience");
    }
    // check_types has accepted `aud` as a string or an array of strings.
    dom::array items = aud.value.get_array().value_unsafe();
    for (dom::element item : items) {
        if (item.get_string().value_unsafe() == audience) {
            return {};
        }
    }
    return fail(failure_reason::bad_audience, "aud does not contain the expected audience");
}

std::string_view payload_parser::impl::minify() noexcept {
    if (!has_minified) {
        const std::string_view text = json.text();
        // NOTE: growth can throw std::bad_alloc in this noexcept path; the buffer keeps its
        // capacity, so only a payload larger than any before it allocates.
        // simdjson documents `len` output bytes as enough, and the padding is a safety margin.
        minified.resize(text.size() + simdjson::SIMDJSON_PADDING);
        minified_length = 0;
        // The input passed simdjson validation, so whitespace removal is not expected to fail.
        // If it does, minified() is empty and find() reports non-string claims as absent.
        if (simdjson::minify(text.data(), text.size(), minified.data(), minified_length)
            != simdjson::SUCCESS) {
            minified_length = 0;
        }
        has_minified = true;
    }
    return {minified.data(), minified_length};
}

payload_parser::payload_parser() : impl_(std::make_unique<impl>()) {}

payload_parser::~payload_parser() = default;

check_result payload_parser::parse(std::string_view json) noexcept {
    impl_->parsed = false;
    impl_->has_minified = false;
    switch (impl_->json.parse(json, impl_->root)) {
    case json_status::ok:
        break;
    case json_status::invalid_json:
        return fail(failure_reason::bad_payload, "payload is not valid json");
    case json_status::invalid_utf8:
        return fail(failure_reason::bad_payload, "payload is not valid utf-8");
    case json_status::too_deep:
        return fail(failure_reason::bad_payload, "payload nests deeper than 64 levels");
    case json_status::not_object:
        return fail(failure_reason::bad_payload, "payload is not a json object");
    case json_status::duplicate_member:
        return fail(failure_reason::bad_payload, "payload has a duplicate member name");
    }
    impl_->record_registered_claims();
    impl_->parsed = true;
    return {};
}

claim_times payload_parser::impl::times() const noexcept {
    // check_types has accepted each present time claim as a number.
    claim_times out;
    if (exp.present) {
        out.exp = exp.value.get_double().value_unsafe();
    }
    if (nbf.present) {
        out.nbf = nbf.value.get_double().value_unsafe();
    }
    if (iat.present) {
        out.iat = iat.value.get_double().value_unsafe();
    }
    return out;
}

check_result claim_times::check(const claim_policy& policy, double now_seconds) const noexcept {
    const double leeway = policy.leeway_seconds;
    if (policy.verify_exp && exp && now_seconds >= *exp + leeway) {
        return fail(failure_reason::expired, "evaluation time is at or after exp");
    }
    if (nbf && now_seconds + leeway < *nbf) {
        return fail(failure_reason::not_yet_valid, "nbf is after the evaluation time");
    }
    if (iat && *iat > now_seconds + leeway) {
        return fail(failure_reason::issued_in_future, "iat is after the evaluation time");
    }
    return {};
}

check_result claim_outcome::at(const claim_policy& policy, double now_seconds) const noexcept {
    if (before_times.reason != failure_reason::ok) {
        return before_times;
    }
    if (const auto checked = times.check(policy, now_seconds); checked.reason != failure_reason::ok) {
        return checked;
    }
    return after_times;
}

claim_outcome payload_parser::outcome(const claim_policy& policy) const noexcept {
    claim_outcome out;
    if (!impl_->parsed) {
        out.before_times = fail(failure_reason::bad_payload, "payload was not parsed");
        return out;
    }
    out.before_times = impl_->check_types(policy);
    if (out.before_times.reason != failure_reason::ok) {
        return out;
    }
    for (const std::string& name : policy.required) {
        if (impl_->root.at_key(name).error() != simdjson::SUCCESS) {
            out.before_times = fail(failure_reason::missing_claim, "a required claim is missing");
            return out;
        }
    }
    out.times = impl_->times();
    if (policy.issuer) {
        if (!impl_->iss.present) {
            out.after_times = fail(failure_reason::bad_issuer, "iss is missing");
            return out;
        }
        if (impl_->iss.value.get_string().value_unsafe() != *policy.issuer) {
            out.after_times = fail(failure_reason::bad_issuer, "iss does not match the expected issuer");
            return out;
        }
    }
    if (policy.audience) {
        out.after_times = impl_->check_audience(*policy.audience);
    }
    return out;
}

check_result payload_parser::check(const claim_policy& policy, double now_seconds) const noexcept {
    return outcome(policy).at(policy, now_seconds);
}

claim_value payload_parser::find(std::string_view name) const noexcept {
    if (!impl_->parsed) {
        return {};
    }
    size_t index = 0;
    for (const auto member : impl_->root) {
        if (member.key == name) {
            std::string_view text;
            if (member.value.get_string().get(text) == simdjson::SUCCESS) {
                return {claim_value::kind::string, text};
            }
            const std::string_view minified = impl_->minify();
            if (minified.empty()) {
                return {};
            }
            return {claim_value::kind::json, member_value_text(minified, index)};
        }
        ++index;
    }
    return {};
}

std::string_view payload_parser::minified() const noexcept {
    if (!impl_->parsed) {
        return {};
    }
    return impl_->minify();
}

} // namespace jwtbatch::jws
