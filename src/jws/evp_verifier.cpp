#include "jws/evp_verifier.hpp"

#include <algorithm>
#include <array>
#include <cstddef>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "jws/es256_key.hpp"

namespace jwtbatch::jws {
namespace {

// The order n of the P-256 base point, big-endian (SEC 2, section 2.4.2).
constexpr std::array<std::uint8_t, 32> p256_order{
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
};

// SEQUENCE header (2) plus two INTEGERs of at most 33 content bytes each (tag, length, 0x00 pad).
constexpr size_t max_der_signature_bytes = 2 + 2 * (2 + 33);

// Appends one DER INTEGER holding the unsigned big-endian `value`, which must not be zero.
size_t append_der_integer(std::span<const std::uint8_t, 32> value, std::uint8_t* out) noexcept {
    size_t first = 0;
    while (first < value.size() - 1 && value[first] == 0) {
        ++first;
    }
    const bool needs_pad = (value[first] & 0x80) != 0;
    const size_t length = value.size() - first + (needs_pad ? 1 : 0);
    size_t written = 0;
    out[written++] = 0x02;
    out[written++] = static_cast<std::uint8_t>(length);
    if (needs_pad) {
        out[written++] = 0x00;
    }
    std::copy(value.begin() + static_cast<std::ptrdiff_t>(first), value.end(), out + written);
    return written + value.size() - first;
}

// Encodes r || s as the DER ECDSA-Sig-Value that OpenSSL 3.0's EVP ECDSA verify expects (it
// takes no raw r || s). Written into a stack buffer: no ECDSA_SIG and no heap.
size_t encode_der_signature(const std::array<std::uint8_t, 64>& signature,
                            std::array<std::uint8_t, max_der_signature_bytes>& out) noexcept {
    const std::span<const std::uint8_t, 64> both(signature);
    size_t length = 2;
    length += append_der_integer(both.first<32>(), out.data() + length);
    length += append_der_integer(both.last<32>(), out.data() + length);
    out[0] = 0x30;
    out[1] = static_cast<std::uint8_t>(length - 2);
    return length;
}

// A small per-thread map from OpenSSL key to a verify context initialised for it, replaced
// round-robin. Each cached context holds a reference to its EVP_PKEY, so a cached pointer can
// never be reused by another key while it is in the map.
class context_cache {
public:
    context_cache() = default;
    context_cache(const context_cache&) = delete;
    context_cache& operator=(const context_cache&) = delete;

    ~context_cache() {
        for (const slot& entry : slots_) {
            EVP_PKEY_CTX_free(entry.context);
        }
    }

    // Returns the verify context for `key`, or nullptr when OpenSSL cannot create one.
    EVP_PKEY_CTX* context_for(EVP_PKEY* key) noexcept {
        for (const slot& entry : slots_) {
            if (entry.key == key) {
                return entry.context;
            }
        }
        EVP_PKEY_CTX* context = EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr);
        if (context == nullptr || EVP_PKEY_verify_init(context) != 1) {
            EVP_PKEY_CTX_free(context);
            ERR_clear_error();
            return nullptr;
        }
        slot& victim = slots_[next_victim_];
        next_victim_ = (next_victim_ + 1) % slots_.size();
        EVP_PKEY_CTX_free(victim.context);
        victim = slot{key, context};
        return context;
    }

private:
    struct slot {
        const EVP_PKEY* key = nullptr;
        EVP_PKEY_CTX* context = nullptr;
    };

    std::array<slot, 16> slots_{};
    size_t next_victim_ = 0;
};

bool verify_one(const signature_job& job) noexcept {
    const std::span<const std::uint8_t, 64> signature(job.signature);
    if (job.key == nullptr || !is_p256_scalar_in_range(signature.first<32>())
        || !is_p256_scalar_in_range(signature.last<32>())) {
        return false;
    }
    thread_local context_cache contexts;
    EVP_PKEY_CTX* context = contexts.context_for(job.key->evp_key());
    if (context == nullptr) {
        return false;
    }
    std::array<std::uint8_t, max_der_signature_bytes> der{};
    const size_t der_length = encode_der_signature(job.signature, der);
    // The context is reused without a new EVP_PKEY_verify_init, because the parameters never
    // change. The tests verify hundreds of signatures on one cached context.
    const int result =
        EVP_PKEY_verify(context, der.data(), der_length, job.digest.data(), job.digest.size());
    if (result != 1) {
        ERR_clear_error();
    }
    return result == 1;
}

} // namespace

bool is_p256_scalar_in_range(std::span<const std::uint8_t, 32> scalar) noexcept {
    const bool is_zero =
        std::all_of(scalar.begin(), scalar.end(), [](std::uint8_t byte) { return byte == 0; });
    return !is_zero
           && std::lexicographical_compare(
               scalar.begin(), scalar.end(), p256_order.begin(), p256_order.end());
}

void evp_verifier::verify(std::span<signature_job> jobs) const noexcept {
    for (signature_job& job : jobs) {
        job.is_valid = verify_one(job);
    }
}

} // namespace jwtbatch::jws
