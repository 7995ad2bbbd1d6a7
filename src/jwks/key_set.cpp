#include "jwks/key_set.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <utility>

#include <simdjson.h>

#include "common/logger.hpp"
#include "common/run_error.hpp"
#include "jws/base64url.hpp"

namespace jwtbatch::jwks {
namespace {

std::string in_quotes(std::string_view text) {
    std::string out;
    out.reserve(text.size() + 2);
    out.push_back('"');
    out.append(text);
    out.push_back('"');
    return out;
}

/// A JWK member that cannot be used, with the reason for the warning.
struct skipped_member {
    std::string reason;
};

using coordinate = std::array<std::uint8_t, 32>;

std::optional<std::string_view> string_member(simdjson::dom::object member, const char* name,
                                              bool& present, bool& is_string) {
    simdjson::dom::element value;
    present = member.at_key(name).get(value) == simdjson::SUCCESS;
    if (!present) {
        is_string = false;
        return std::nullopt;
    }
    std::string_view text;
    is_string = value.get_string().get(text) == simdjson::SUCCESS;
    if (!is_string) {
        return std::nullopt;
    }
    return text;
}

/// Decodes one affine coordinate, which RFC 7518 section 6.2.1.2 fixes at 32 bytes for P-256.
std::optional<skipped_member> decode_coordinate(simdjson::dom::object member,
                                                const char* name,
                                                coordinate& out) {
    bool present = false;
    bool is_string = false;
    auto text = string_member(member, name, present, is_string);
    if (!present) {
        return skipped_member{std::string("missing \"") + name + "\""};
    }
    if (!is_string) {
        return skipped_member{std::string("\"") + name + "\" is not a string"};
    }
    auto length = jws::decode_base64url(*text, out);
    if (!length) {
        return skipped_member{std::string("\"") + name
                              + "\" is not 32 bytes of strict base64url"};
    }
    if (*length != out.size()) {
        return skipped_member{std::string("\"") + name + "\" decodes to " + std::to_string(*length)
                              + " bytes, expected 32"};
    }
    return std::nullopt;
}

bool has_verify_operation(simdjson::dom::array operations) {
    for (simdjson::dom::element operation : operations) {
        std::string_view text;
        if (operation.get_string().get(text) == simdjson::SUCCESS && text == "verify") {
            return true;
        }
    }
    return false;
}

/// Checks the members that decide whether a JWK is an ES256 verification key.
std::optional<skipped_member> check_key_type(simdjson::dom::object member) {
    bool present = false;
    bool is_string = false;
    auto kty = string_member(member, "kty", present, is_string);
    if (!kty) {
        return skipped_member{present ? "\"kty\" is not a string" : "missing \"kty\""};
    }
    if (*kty != "EC") {
        return skipped_member{"kty " + in_quotes(*kty) + " is not supported, only EC P-256"};
    }
    auto crv = string_member(member, "crv", present, is_string);
    if (!crv) {
        return skipped_member{present ? "\"crv\" is not a string" : "missing \"crv\""};
    }
    if (*crv != "P-256") {
        return skipped_member{"crv " + in_quotes(*crv) + " is not supported, only P-256"};
    }
    auto use = string_member(member, "use", present, is_string);
    if (present && (!use || *use != "sig")) {
        return skipped_member{use ? "use " + in_quotes(*use) + " is not \"sig\""
                                  : std::string("\"use\" is not a string")};
    }
    auto alg = string_member(member, "alg", present, is_string);
    if (present && (!alg || *alg != "ES256")) {
        return skipped_member{alg ? "alg " + in_quotes(*alg) + " is not \"ES256\""
                                  : std::string("\"alg\" is not a string")};
    }
    simdjson::dom::element operations;
    if (member.at_key("key_ops").get(operations) == simdjson::SUCCESS) {
        simdjson::dom::array list;
        if (operations.get_array().get(list) != simdjson::SUCCESS || !has_verify_operation(list)) {
            return skipped_member{"\"key_ops\" does not allow \"verify\""};
        }
    }
    return std::nullopt;
}

/// Builds the key of one JWK member, or returns why it is skipped.
std::optional<skipped_member> build_key(simdjson::dom::object member,
                                        std::string_view kid,
                                        std::shared_ptr<const jws::es256_key>& key) {
    if (auto skipped = check_key_type(member)) {
        return skipped;
    }
    coordinate x{};
    coordinate y{};
    if (auto skipped = decode_coordinate(member, "x", x)) {
        return skipped;
    }
    if (auto skipped = decode_coordinate(member, "y", y)) {
        return skipped;
    }
    try {
        key = jws::es256_key::from_affine(std::string(kid), x, y);
    } catch (const std::invalid_argument& error) {
        return skipped_member{std::string("invalid P-256 point: ") + error.what()};
    }
    return std::nullopt;
}

std::string member_label(std::optional<std::string_view> kid, size_t index) {
    if (kid) {
        return "kid " + in_quotes(*kid);
    }
    return "key #" + std::to_string(index);
}

/// Returns the key of one JWK Set member, or nullptr after a warning when it is skipped.
std::shared_ptr<const jws::es256_key> parse_member(simdjson::dom::element value,
                                                   size_t index,
                                                   std::string_view source) {
    std::optional<skipped_member> skipped;
    std::optional<std::string_view> kid;
    simdjson::dom::object member;
    std::shared_ptr<const jws::es256_key> key;
    if (value.get_object().get(member) != simdjson::SUCCESS) {
        skipped = skipped_member{"not a JSON object"};
    } else {
        bool present = false;
        bool is_string = false;
        kid = string_member(member, "kid", present, is_string);
        if (present && !is_string) {
            skipped = skipped_member{"\"kid\" is not a string"};
        } else {
            skipped = build_key(member, kid.value_or(std::string_view{}), key);
        }
    }

    std::string label = member_label(kid, index);
    if (skipped) {
        common::warn_limited("skipped JWK in " + std::string(source) + ": " + skipped->reason,
                             "skipped JWK " + label + " in " + std::string(source) + ": "
                                 + skipped->reason);
        return nullptr;
    }
    if (member.at_key("d").error() == simdjson::SUCCESS) {
        common::warn_limited("private JWK in " + std::string(source),
                             "JWK " + label + " in " + std::string(source)
                                 + " contains the private key \"d\": the publisher should "
                                   "revoke it; only the public key is used");
    }
    return key;
}

[[noreturn]] void throw_invalid_jwks(std::string_view source, std::string_view what) {
    throw common::run_error("invalid JWKS in " + std::string(source) + ": " + std::string(what)
                            + ": check that the file is a JWK Set (RFC 7517)");
}

} // namespace

void key_set::add(std::shared_ptr<const jws::es256_key> key, std::string_view source) {
    std::vector<std::shared_ptr<const jws::es256_key>> keys;
    keys.push_back(std::move(key));
    add_all(std::move(keys), source);
}

void key_set::add_all(std::vector<std::shared_ptr<const jws::es256_key>> keys,
                      std::string_view source) {
    std::vector<entry> added;
    added.reserve(keys.size());
    for (auto& key : keys) {
        std::string_view kid = key->kid();
        added.push_back(entry{kid, std::move(key), 0});
    }
    add_sorted(std::move(added), source);
}

void key_set::merge(const key_set& other, std::string_view source) {
    std::vector<entry> added = other.entries_;
    std::sort(added.begin(), added.end(), [](const entry& left, const entry& right) {
        return left.order < right.order;
    });
    add_sorted(std::move(added), source);
}

/// Appends `added` (in insertion order) after the existing entries, then restores the kid
/// order. A stable sort keeps the earlier key of two with the same kid in front, so the
/// duplicate that is dropped is always the later one.
void key_set::add_sorted(std::vector<entry> added, std::string_view source) {
    auto next_order = static_cast<std::uint32_t>(entries_.size());
    std::vector<entry> merged = entries_;
    merged.reserve(entries_.size() + added.size());
    for (auto& item : added) {
        item.order = next_order++;
        merged.push_back(std::move(item));
    }
    std::stable_sort(merged.begin(), merged.end(), [](const entry& left, const entry& right) {
        return left.kid < right.kid;
    });
    std::vector<entry> unique;
    unique.reserve(merged.size());
    for (auto& item : merged) {
        if (!unique.empty() && unique.back().kid == item.kid) {
            if (!unique.back().key->same_point(*item.key)) {
                throw common::run_error("conflicting keys in " + std::string(source) + ": kid "
                                        + in_quotes(item.kid)
                                        + " names two different keys: remove the stale key "
                                          "from one of the --jwks sources");
            }
            continue;
        }
        unique.push_back(std::move(item));
    }
    // Orders stay dense so that `kids()` lists insertion order after duplicates were dropped.
    std::vector<entry*> by_order;
    by_order.reserve(unique.size());
    for (auto& item : unique) {
        by_order.push_back(&item);
    }
    std::sort(by_order.begin(), by_order.end(), [](const entry* left, const entry* right) {
        return left->order < right->order;
    });
    for (size_t i = 0; i < by_order.size(); ++i) {
        by_order[i]->order = static_cast<std::uint32_t>(i);
    }
    entries_ = std::move(unique);
}

const jws::es256_key* key_set::find(std::string_view kid) const noexcept {
    auto it = std::lower_bound(entries_.begin(),
                               entries_.end(),
                               kid,
                               [](const entry& item, std::string_view value) {
                                   return item.kid < value;
                               });
    if (it == entries_.end() || it->kid != kid) {
        return nullptr;
    }
    return it->key.get();
}

const jws::es256_key* key_set::only_key() const noexcept {
    return entries_.size() == 1 ? entries_.front().key.get() : nullptr;
}

std::vector<const jws::es256_key*> key_set::keys() const {
    std::vector<const jws::es256_key*> out(entries_.size());
    for (const auto& item : entries_) {
        out[item.order] = item.key.get();
    }
    return out;
}

std::vector<std::string> key_set::kids() const {
    std::vector<std::string> out(entries_.size());
    for (const auto& item : entries_) {
        out[item.order] = std::string(item.kid);
    }
    return out;
}

std::string key_set::describe_kids(size_t max_listed) const {
    auto all = kids();
    std::string out;
    size_t listed = std::min(max_listed, all.size());
    for (size_t i = 0; i < listed; ++i) {
        if (i > 0) {
            out.append(", ");
        }
        out.append(in_quotes(all[i]));
    }
    if (all.size() > listed) {
        out.append(" and ").append(std::to_string(all.size() - listed)).append(" more");
    }
    return out;
}

key_set parse_jwks(std::string_view json, std::string_view source) {
    simdjson::dom::parser parser;
    simdjson::padded_string padded(json);
    simdjson::dom::element root;
    if (auto error = parser.parse(padded).get(root); error != simdjson::SUCCESS) {
        throw_invalid_jwks(source, std::string("malformed JSON: ") + simdjson::error_message(error));
    }
    simdjson::dom::array members;
    if (root.at_key("keys").get_array().get(members) != simdjson::SUCCESS) {
        throw_invalid_jwks(source, "no \"keys\" array");
    }
    std::vector<std::shared_ptr<const jws::es256_key>> keys;
    keys.reserve(members.size());
    size_t index = 0;
    size_t skipped_count = 0;
    for (simdjson::dom::element value : members) {
        auto key = parse_member(value, ++index, source);
        if (key) {
            keys.push_back(std::move(key));
        } else {
            ++skipped_count;
        }
    }
    if (keys.empty()) {
        throw_invalid_jwks(source,
                           "no usable key (" + std::to_string(skipped_count)
                               + " skipped, see the warnings above; only EC P-256 keys for "
                                 "ES256 signatures are used)");
    }
    key_set set;
    set.add_all(std::move(keys), source);
    return set;
}

key_set load_jwks_file(const std::string& path) {
    simdjson::padded_string text;
    // simdjson's own message ("Error reading the file.") hides the cause, so errno names it.
    errno = 0;
    if (auto error = simdjson::padded_string::load(path).get(text); error != simdjson::SUCCESS) {
        const std::string cause = errno != 0 ? std::strerror(errno) : "read failed";
        throw common::run_error("cannot read JWKS file " + path + ": " + cause
                                + ": check the --jwks path");
    }
    return parse_jwks(std::string_view(text.data(), text.size()), path);
}

} // namespace jwtbatch::jwks
