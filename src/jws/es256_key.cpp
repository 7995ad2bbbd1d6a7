#include "jws/es256_key.hpp"

#include <algorithm>
#include <atomic>
#include <stdexcept>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>

namespace jwtbatch::jws {
namespace {

struct pkey_context_deleter {
    void operator()(EVP_PKEY_CTX* context) const noexcept { EVP_PKEY_CTX_free(context); }
};

using pkey_context_ptr = std::unique_ptr<EVP_PKEY_CTX, pkey_context_deleter>;

std::uint64_t next_instance_id() noexcept {
    static std::atomic<std::uint64_t> last_id{0};
    return last_id.fetch_add(1, std::memory_order_relaxed) + 1;
}

[[noreturn]] void throw_invalid(const char* reason) {
    ERR_clear_error();
    throw std::invalid_argument(reason);
}

// Builds the OpenSSL key from the uncompressed SEC 1 encoding 0x04 || x || y. OpenSSL 3.0
// decodes the point while importing it and rejects coordinates that are not below p or a point
// that is not on the curve, so a failed import means an invalid point.
EVP_PKEY* import_public_key(std::span<const std::uint8_t, 32> x,
                            std::span<const std::uint8_t, 32> y) {
    std::array<unsigned char, 65> encoded{};
    encoded[0] = 0x04;
    std::copy(x.begin(), x.end(), encoded.begin() + 1);
    std::copy(y.begin(), y.end(), encoded.begin() + 33);
    char group_name[] = "prime256v1";
    const OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group_name, 0),
        OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, encoded.data(), encoded.size()),
        OSSL_PARAM_construct_end(),
    };
    pkey_context_ptr context(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
    if (context == nullptr || EVP_PKEY_fromdata_init(context.get()) != 1) {
        throw_invalid("cannot create an EC key context");
    }
    EVP_PKEY* key = nullptr;
    if (EVP_PKEY_fromdata(context.get(), &key, EVP_PKEY_PUBLIC_KEY, const_cast<OSSL_PARAM*>(params))
        != 1) {
        throw_invalid("point is not on P-256");
    }
    return key;
}

// Runs OpenSSL's public key check on an imported key, so that a key accepted here is one that
// the provider itself considers valid and not only one that decoded.
bool passes_public_check(EVP_PKEY* key) {
    pkey_context_ptr context(EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr));
    return context != nullptr && EVP_PKEY_public_check(context.get()) == 1;
}

} // namespace

std::shared_ptr<const es256_key> es256_key::from_affine(std::string kid,
                                                        std::span<const std::uint8_t, 32> x,
                                                        std::span<const std::uint8_t, 32> y) {
    const auto is_zero = [](std::uint8_t byte) {
        return byte == 0;
    };
    // SEC 1 has no affine form for the point at infinity; (0, 0) is the usual stand-in for it.
    if (std::all_of(x.begin(), x.end(), is_zero) && std::all_of(y.begin(), y.end(), is_zero)) {
        throw std::invalid_argument("point is the point at infinity");
    }
    std::shared_ptr<es256_key> key(new es256_key());
    key->evp_key_ = import_public_key(x, y);
    if (!passes_public_check(key->evp_key_)) {
        throw_invalid("point is not on P-256");
    }
    key->kid_ = std::move(kid);
    std::copy(x.begin(), x.end(), key->x_.begin());
    std::copy(y.begin(), y.end(), key->y_.begin());
    key->instance_id_ = next_instance_id();
    return key;
}

es256_key::~es256_key() {
    EVP_PKEY_free(evp_key_);
}

} // namespace jwtbatch::jws
