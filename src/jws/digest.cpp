#include "jws/digest.hpp"

#include <memory>

#include <openssl/err.h>
#include <openssl/evp.h>

namespace jwtbatch::jws {
namespace {

// Fetched once: EVP_sha256() would look the implementation up in the provider on every init.
// The digest is never freed, so it stays valid for threads that outlive static destruction.
const EVP_MD* fetched_sha256() noexcept {
    static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    return md;
}

struct md_context_deleter {
    void operator()(EVP_MD_CTX* context) const noexcept { EVP_MD_CTX_free(context); }
};

EVP_MD_CTX* thread_context() noexcept {
    thread_local std::unique_ptr<EVP_MD_CTX, md_context_deleter> context(EVP_MD_CTX_new());
    return context.get();
}

} // namespace

bool sha256(std::string_view data, std::span<std::uint8_t, 32> out) noexcept {
    const EVP_MD* md = fetched_sha256();
    EVP_MD_CTX* context = thread_context();
    unsigned int length = 0;
    const bool is_done = md != nullptr && context != nullptr
                         && EVP_DigestInit_ex2(context, md, nullptr) == 1
                         && EVP_DigestUpdate(context, data.data(), data.size()) == 1
                         && EVP_DigestFinal_ex(context, out.data(), &length) == 1 && length == 32;
    if (!is_done) {
        ERR_clear_error();
    }
    return is_done;
}

} // namespace jwtbatch::jws
