#include "jws/es256_signer.hpp"

#include <algorithm>
#include <stdexcept>
#include <utility>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "jws/base64url.hpp"
#include "jws/digest.hpp"
#include "jws/es256_key.hpp"

namespace jwtbatch::jws {
namespace {

template <typename T, void (*Free)(T*)>
struct openssl_deleter {
    void operator()(T* pointer) const noexcept { Free(pointer); }
};

using bignum_ptr = std::unique_ptr<BIGNUM, openssl_deleter<BIGNUM, BN_free>>;
using pkey_context_ptr =
    std::unique_ptr<EVP_PKEY_CTX, openssl_deleter<EVP_PKEY_CTX, EVP_PKEY_CTX_free>>;
using param_builder_ptr =
    std::unique_ptr<OSSL_PARAM_BLD, openssl_deleter<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free>>;
using params_ptr = std::unique_ptr<OSSL_PARAM, openssl_deleter<OSSL_PARAM, OSSL_PARAM_free>>;
using ecdsa_sig_ptr = std::unique_ptr<ECDSA_SIG, openssl_deleter<ECDSA_SIG, ECDSA_SIG_free>>;

template <typename Error = std::runtime_error>
[[noreturn]] void throw_openssl_failure(const char* what) {
    ERR_clear_error();
    throw Error(what);
}

std::array<std::uint8_t, 32> bignum_to_bytes(const BIGNUM* number) {
    std::array<std::uint8_t, 32> bytes{};
    if (number == nullptr || BN_bn2binpad(number, bytes.data(), 32) != 32) {
        throw_openssl_failure("cannot write a P-256 scalar as 32 bytes");
    }
    return bytes;
}

std::array<std::uint8_t, 32> read_bignum_param(const EVP_PKEY* pkey, const char* name) {
    BIGNUM* raw = nullptr;
    if (EVP_PKEY_get_bn_param(pkey, name, &raw) != 1) {
        throw_openssl_failure("cannot read a parameter of the EC key");
    }
    const bignum_ptr number(raw);
    return bignum_to_bytes(number.get());
}

EVP_PKEY* import_key_pair(std::span<const std::uint8_t, 32> x,
                          std::span<const std::uint8_t, 32> y,
                          std::span<const std::uint8_t, 32> d) {
    std::array<unsigned char, 65> encoded{};
    encoded[0] = 0x04;
    std::copy(x.begin(), x.end(), encoded.begin() + 1);
    std::copy(y.begin(), y.end(), encoded.begin() + 33);
    const bignum_ptr private_scalar(BN_bin2bn(d.data(), static_cast<int>(d.size()), nullptr));
    const param_builder_ptr builder(OSSL_PARAM_BLD_new());
    if (private_scalar == nullptr || builder == nullptr
        || OSSL_PARAM_BLD_push_utf8_string(
               builder.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0)
               != 1
        || OSSL_PARAM_BLD_push_octet_string(
               builder.get(), OSSL_PKEY_PARAM_PUB_KEY, encoded.data(), encoded.size())
               != 1
        || OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_PRIV_KEY, private_scalar.get())
               != 1) {
        throw_openssl_failure("cannot build the EC key parameters");
    }
    const params_ptr params(OSSL_PARAM_BLD_to_param(builder.get()));
    const pkey_context_ptr context(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
    EVP_PKEY* pkey = nullptr;
    if (params == nullptr || context == nullptr || EVP_PKEY_fromdata_init(context.get()) != 1
        || EVP_PKEY_fromdata(context.get(), &pkey, EVP_PKEY_KEYPAIR, params.get()) != 1) {
        throw_openssl_failure<std::invalid_argument>("invalid P-256 key pair");
    }
    const pkey_context_ptr check(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr));
    if (check == nullptr || EVP_PKEY_pairwise_check(check.get()) != 1) {
        EVP_PKEY_free(pkey);
        throw_openssl_failure<std::invalid_argument>("private key does not match the public key");
    }
    return pkey;
}

} // namespace

es256_signer::es256_signer() : pkey_(EVP_EC_gen("P-256")) {
    if (pkey_ == nullptr) {
        throw_openssl_failure("cannot generate a P-256 key pair");
    }
    x_ = read_bignum_param(pkey_, OSSL_PKEY_PARAM_EC_PUB_X);
    y_ = read_bignum_param(pkey_, OSSL_PKEY_PARAM_EC_PUB_Y);
}

es256_signer::es256_signer(std::span<const std::uint8_t, 32> x,
                           std::span<const std::uint8_t, 32> y,
                           std::span<const std::uint8_t, 32> d)
    : pkey_(import_key_pair(x, y, d)) {
    std::copy(x.begin(), x.end(), x_.begin());
    std::copy(y.begin(), y.end(), y_.begin());
}

es256_signer::~es256_signer() {
    EVP_PKEY_free(pkey_);
}

es256_signer::es256_signer(es256_signer&& other) noexcept
    : pkey_(std::exchange(other.pkey_, nullptr))
    , x_(other.x_)
    , y_(other.y_) {}

es256_signer& es256_signer::operator=(es256_signer&& other) noexcept {
    if (this != &other) {
        EVP_PKEY_free(pkey_);
        pkey_ = std::exchange(other.pkey_, nullptr);
        x_ = other.x_;
        y_ = other.y_;
    }
    return *this;
}

std::array<std::uint8_t, 32> es256_signer::d() const {
    return read_bignum_param(pkey_, OSSL_PKEY_PARAM_PRIV_KEY);
}

std::shared_ptr<const es256_key> es256_signer::public_key(std::string kid) const {
    return es256_key::from_affine(std::move(kid), x_, y_);
}

std::string es256_signer::to_jwks_json(std::string_view kid) const {
    std::string json = R"({"keys":[{"kty":"EC","crv":"P-256",)";
    if (!kid.empty()) {
        const auto needs_escape = [](char c) {
            return c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20;
        };
        if (std::any_of(kid.begin(), kid.end(), needs_escape)) {
            throw std::invalid_argument(
                "kid must not contain quotes, backslashes or control characters");
        }
        json.append(R"("kid":")").append(kid).append(R"(",)");
    }
    json.append(R"("x":")").append(encode_base64url(x_));
    json.append(R"(","y":")").append(encode_base64url(y_)).append(R"("}]})");
    return json;
}

std::array<std::uint8_t, 64>
es256_signer::sign_digest(std::span<const std::uint8_t, 32> digest) const {
    const pkey_context_ptr context(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey_, nullptr));
    std::array<unsigned char, 80> der{};
    size_t der_length = der.size();
    if (context == nullptr || EVP_PKEY_sign_init(context.get()) != 1
        || EVP_PKEY_sign(context.get(), der.data(), &der_length, digest.data(), digest.size())
               != 1) {
        throw_openssl_failure("ECDSA signing failed");
    }
    const unsigned char* cursor = der.data();
    const ecdsa_sig_ptr parsed(d2i_ECDSA_SIG(nullptr, &cursor, static_cast<long>(der_length)));
    if (parsed == nullptr) {
        throw_openssl_failure("cannot decode the DER signature OpenSSL produced");
    }
    const std::array<std::uint8_t, 32> r = bignum_to_bytes(ECDSA_SIG_get0_r(parsed.get()));
    const std::array<std::uint8_t, 32> s = bignum_to_bytes(ECDSA_SIG_get0_s(parsed.get()));
    std::array<std::uint8_t, 64> signature{};
    std::copy(r.begin(), r.end(), signature.begin());
    std::copy(s.begin(), s.end(), signature.begin() + 32);
    return signature;
}

std::string es256_signer::sign_compact(std::string_view header_json,
                                       std::string_view payload_json) const {
    const auto as_bytes = [](std::string_view text) {
        return std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(text.data()),
                                             text.size());
    };
    std::string token = encode_base64url(as_bytes(header_json));
    token.push_back('.');
    token.append(encode_base64url(as_bytes(payload_json)));
    std::array<std::uint8_t, 32> digest{};
    if (!sha256(token, digest)) {
        throw std::runtime_error("SHA-256 of the signing input failed");
    }
    const std::array<std::uint8_t, 64> signature = sign_digest(digest);
    token.push_back('.');
    token.append(encode_base64url(signature));
    return token;
}

} // namespace jwtbatch::jws
