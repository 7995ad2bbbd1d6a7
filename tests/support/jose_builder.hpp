// Builds hostile JWS tokens for tests: raw base64url parts, ECDSA signatures on any curve, RSA
// and HMAC signatures made with OpenSSL directly, and a temporary folder for the files of a run.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include "jws/base64url.hpp"

namespace jwtbatch::test {

/// A folder under /tmp removed with its contents at the end of the scope.
struct temp_folder {
    std::filesystem::path path;

    explicit temp_folder(const std::string& prefix = "jwtbatch-test") {
        std::string pattern = "/tmp/" + prefix + "-XXXXXX";
        if (mkdtemp(pattern.data()) == nullptr) {
            throw std::runtime_error("mkdtemp failed");
        }
        path = pattern;
    }

    ~temp_folder() {
        std::error_code ignored;
        std::filesystem::remove_all(path, ignored);
    }

    temp_folder(const temp_folder&) = delete;
    temp_folder& operator=(const temp_folder&) = delete;

    /// Writes `contents` to `name` in the folder and returns its path.
    [[nodiscard]] std::string write(const std::string& name, std::string_view contents) const {
        const auto file = path / name;
        std::ofstream(file, std::ios::binary | std::ios::trunc)
            .write(contents.data(), static_cast<std::streamsize>(contents.size()));
        return file.string();
    }
};

/// Reads a whole file, or returns an empty string when it cannot be opened.
inline std::string read_whole_file(const std::filesystem::path& path) {
    std::ifstream file(path, std::ios::binary);
    std::ostringstream contents;
    contents << file.rdbuf();
    return contents.str();
}

/// Encodes bytes as unpadded base64url.
inline std::string b64url(std::string_view bytes) {
    return jws::encode_base64url(std::span<const std::uint8_t>(
        reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
}

/// Returns base64url(header) '.' base64url(payload): the signing input.
inline std::string signing_input(std::string_view header_json, std::string_view payload_json) {
    return b64url(header_json) + "." + b64url(payload_json);
}

struct evp_pkey_free {
    void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using owned_pkey = std::unique_ptr<EVP_PKEY, evp_pkey_free>;

inline void throw_openssl(const char* what) {
    ERR_clear_error();
    throw std::runtime_error(std::string("openssl: ") + what);
}

/// Generates an EC key on the named curve ("P-256", "P-384", "secp256k1").
inline owned_pkey generate_ec_key(const char* curve) {
    EVP_PKEY* key = EVP_EC_gen(curve);
    if (key == nullptr) {
        throw_openssl("EVP_EC_gen");
    }
    return owned_pkey(key);
}

/// Generates a 2048-bit RSA key.
inline owned_pkey generate_rsa_key() {
    EVP_PKEY* key = EVP_RSA_gen(2048);
    if (key == nullptr) {
        throw_openssl("EVP_RSA_gen");
    }
    return owned_pkey(key);
}

/// Signs `data` with `key` and `digest` through EVP_DigestSign and returns the raw signature
/// (DER for ECDSA, the RSA block for RSA).
inline std::string evp_sign(EVP_PKEY* key, const EVP_MD* digest, std::string_view data) {
    EVP_MD_CTX* context = EVP_MD_CTX_new();
    size_t length = 0;
    std::string signature;
    if (context == nullptr || EVP_DigestSignInit(context, nullptr, digest, nullptr, key) != 1
        || EVP_DigestSign(context, nullptr, &length,
                          reinterpret_cast<const unsigned char*>(data.data()), data.size())
               != 1) {
        EVP_MD_CTX_free(context);
        throw_openssl("EVP_DigestSign");
    }
    signature.resize(length);
    const int status = EVP_DigestSign(context, reinterpret_cast<unsigned char*>(signature.data()),
                                      &length, reinterpret_cast<const unsigned char*>(data.data()),
                                      data.size());
    EVP_MD_CTX_free(context);
    if (status != 1) {
        throw_openssl("EVP_DigestSign");
    }
    signature.resize(length);
    return signature;
}

/// Converts a DER ECDSA signature to r||s with `scalar_bytes` bytes each (RFC 7518 section 3.4).
inline std::string der_to_raw(std::string_view der, size_t scalar_bytes) {
    const auto* cursor = reinterpret_cast<const unsigned char*>(der.data());
    ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &cursor, static_cast<long>(der.size()));
    if (sig == nullptr) {
        throw_openssl("d2i_ECDSA_SIG");
    }
    std::string raw(2 * scalar_bytes, '\0');
    auto* out = reinterpret_cast<unsigned char*>(raw.data());
    const bool ok = BN_bn2binpad(ECDSA_SIG_get0_r(sig), out, static_cast<int>(scalar_bytes)) > 0
                    && BN_bn2binpad(ECDSA_SIG_get0_s(sig), out + scalar_bytes,
                                    static_cast<int>(scalar_bytes))
                           > 0;
    ECDSA_SIG_free(sig);
    if (!ok) {
        throw_openssl("BN_bn2binpad");
    }
    return raw;
}

/// Returns HMAC-SHA-256 of `data` with `secret`.
inline std::string hmac_sha256(std::string_view secret, std::string_view data) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
    unsigned int length = 0;
    if (HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
             reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(), &length)
        == nullptr) {
        throw_openssl("HMAC");
    }
    return std::string(reinterpret_cast<const char*>(out.data()), length);
}

/// Returns the PEM SubjectPublicKeyInfo of `key`.
inline std::string public_key_pem(EVP_PKEY* key) {
    BIO* bio = BIO_new(BIO_s_mem());
    if (bio == nullptr || PEM_write_bio_PUBKEY(bio, key) != 1) {
        BIO_free(bio);
        throw_openssl("PEM_write_bio_PUBKEY");
    }
    char* data = nullptr;
    const long length = BIO_get_mem_data(bio, &data);
    std::string pem(data, static_cast<size_t>(length));
    BIO_free(bio);
    return pem;
}

/// Returns the affine coordinates of an EC key, each padded to `coordinate_bytes`.
inline std::pair<std::string, std::string> ec_coordinates(EVP_PKEY* key, size_t coordinate_bytes) {
    BIGNUM* x = nullptr;
    BIGNUM* y = nullptr;
    if (EVP_PKEY_get_bn_param(key, "qx", &x) != 1 || EVP_PKEY_get_bn_param(key, "qy", &y) != 1) {
        BN_free(x);
        throw_openssl("EVP_PKEY_get_bn_param");
    }
    std::string x_bytes(coordinate_bytes, '\0');
    std::string y_bytes(coordinate_bytes, '\0');
    BN_bn2binpad(x, reinterpret_cast<unsigned char*>(x_bytes.data()), static_cast<int>(coordinate_bytes));
    BN_bn2binpad(y, reinterpret_cast<unsigned char*>(y_bytes.data()), static_cast<int>(coordinate_bytes));
    BN_free(x);
    BN_free(y);
    return {x_bytes, y_bytes};
}

} // namespace jwtbatch::test
