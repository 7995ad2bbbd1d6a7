#include "jws/header.hpp"

#include "jws/strict_json.hpp"

namespace jwtbatch::jws {
namespace {

// A header is a flat object in practice; the limit only bounds the duplicate-member walk.
constexpr size_t header_max_depth = 64;

} // namespace

struct header_parser::impl {
    strict_json_parser json{header_max_depth};
};

header_parser::header_parser() : impl_(std::make_unique<impl>()) {}

header_parser::~header_parser() = default;

failure_reason header_parser::parse(std::string_view json, jose_header& out) noexcept {
    out = jose_header{};
    simdjson::dom::object root;
    if (impl_->json.parse(json, root) != json_status::ok) {
        return failure_reason::bad_header;
    }
    simdjson::dom::element alg;
    simdjson::dom::element kid;
    simdjson::dom::element typ;
    bool has_alg = false;
    bool has_extension = false;
    for (const auto member : root) {
        if (member.key == "alg") {
            alg = member.value;
            has_alg = true;
        } else if (member.key == "kid") {
            kid = member.value;
            out.has_kid = true;
        } else if (member.key == "typ") {
            typ = member.value;
            out.has_typ = true;
        } else if (member.key == "crit" || member.key == "b64") {
            // RFC 7515 section 4.1.11: a recipient that does not understand a `crit` extension
            // must reject the token, and this tool implements none (RFC 7797 `b64` included).
            has_extension = true;
        }
    }
    if (!has_alg || alg.get_string().get(out.alg) != simdjson::SUCCESS) {
        return failure_reason::bad_header;
    }
    if (out.has_kid && kid.get_string().get(out.kid) != simdjson::SUCCESS) {
        return failure_reason::bad_header;
    }
    if (out.has_typ && typ.get_string().get(out.typ) != simdjson::SUCCESS) {
        return failure_reason::bad_header;
    }
    if (has_extension) {
        return failure_reason::unsupported_header;
    }
    // Exact and case-sensitive (RFC 7515 section 4.1.1), so "none", "None", "es256" and every
    // HMAC or RSA name fail here.
    if (out.alg != "ES256") {
        return failure_reason::alg_not_allowed;
    }
    return failure_reason::ok;
}

} // namespace jwtbatch::jws
