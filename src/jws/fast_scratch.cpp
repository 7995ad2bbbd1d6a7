#include "jws/fast_scratch.hpp"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>

namespace jwtbatch::jws::fast {
namespace {

template <size_t Size>
bool allocate_numbers(std::array<BIGNUM*, Size>& numbers) noexcept {
    for (BIGNUM*& number : numbers) {
        number = BN_new();
        if (number == nullptr) {
            return false;
        }
    }
    return true;
}

template <size_t Size>
void free_numbers(std::array<BIGNUM*, Size>& numbers) noexcept {
    for (BIGNUM*& number : numbers) {
        BN_free(number);
        number = nullptr;
    }
}

} // namespace

thread_scratch::~thread_scratch() {
    release();
}

thread_scratch* thread_scratch::for_this_thread(const EC_GROUP* p256) noexcept {
    thread_local thread_scratch scratch;
    if (!scratch.is_ready) {
        scratch.is_ready = scratch.allocate(p256);
        if (!scratch.is_ready) {
            ERR_clear_error();
            return nullptr;
        }
    }
    return &scratch;
}

void thread_scratch::release() noexcept {
    free_numbers(r);
    free_numbers(s);
    free_numbers(digest);
    free_numbers(prefix);
    for (BIGNUM** number :
         {&inverse, &w, &u1, &u2, &x, &z, &z_squared, &candidate, &affine_x, &affine_y}) {
        BN_free(*number);
        *number = nullptr;
    }
    for (EC_POINT** point : {&generator_part, &key_part, &sum, &public_point}) {
        EC_POINT_free(*point);
        *point = nullptr;
    }
    BN_CTX_free(context);
    context = nullptr;
}

bool thread_scratch::allocate(const EC_GROUP* p256) noexcept {
    // A previous attempt may have failed halfway.
    release();
    context = BN_CTX_new();
    for (BIGNUM** number :
         {&inverse, &w, &u1, &u2, &x, &z, &z_squared, &candidate, &affine_x, &affine_y}) {
        *number = BN_new();
        if (*number == nullptr) {
            return false;
        }
    }
    for (EC_POINT** point : {&generator_part, &key_part, &sum, &public_point}) {
        *point = EC_POINT_new(p256);
        if (*point == nullptr) {
            return false;
        }
    }
    return context != nullptr && allocate_numbers(r) && allocate_numbers(s)
           && allocate_numbers(digest) && allocate_numbers(prefix);
}

} // namespace jwtbatch::jws::fast
