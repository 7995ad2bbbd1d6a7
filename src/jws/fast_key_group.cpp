// OpenSSL 3.0 deprecates EC_GROUP_precompute_mult and EC_POINT_get_Jprojective_coordinates_GFp
// with the rest of the low-level EC API, but still ships them, and no provider interface offers
// a fixed-base table for a key other than G. This file is the only user of them, so the
// deprecation warnings are silenced here alone; the rest of the project stays warned.
#define OPENSSL_SUPPRESS_DEPRECATED

#include "jws/fast_key_group.hpp"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>

namespace jwtbatch::jws::fast {
namespace {

struct bignum_deleter {
    void operator()(BIGNUM* number) const noexcept { BN_free(number); }
};

struct point_deleter {
    void operator()(EC_POINT* point) const noexcept { EC_POINT_free(point); }
};

using bignum_ptr = std::unique_ptr<BIGNUM, bignum_deleter>;
using point_ptr = std::unique_ptr<EC_POINT, point_deleter>;

// Any scalar other than 0 and 1 serves: the check compares two ways of computing k·Q.
constexpr unsigned long self_check_scalar = 0x5eed5eedUL;

// Returns true when k·Q through `group` (generator Q) equals k·Q through `p256`, which proves
// that the generator was set to Q before the table was built from it.
bool passes_self_check(const EC_GROUP* p256,
                       const EC_GROUP* group,
                       const EC_POINT* public_point,
                       BN_CTX* context) {
    bignum_ptr k(BN_new());
    point_ptr through_group(EC_POINT_new(p256));
    point_ptr through_p256(EC_POINT_new(p256));
    if (k == nullptr || through_group == nullptr || through_p256 == nullptr
        || BN_set_word(k.get(), self_check_scalar) != 1) {
        return false;
    }
    return EC_POINT_mul(group, through_group.get(), k.get(), nullptr, nullptr, context) == 1
           && EC_POINT_mul(p256, through_p256.get(), nullptr, public_point, k.get(), context) == 1
           && EC_POINT_cmp(p256, through_group.get(), through_p256.get(), context) == 0;
}

} // namespace

std::unique_ptr<key_group> key_group::build(const EC_GROUP* p256,
                                            std::span<const std::uint8_t, 32> x,
                                            std::span<const std::uint8_t, 32> y,
                                            bool with_table,
                                            BN_CTX* context) noexcept {
    std::unique_ptr<key_group> result(new (std::nothrow) key_group());
    bignum_ptr x_number(BN_bin2bn(x.data(), static_cast<int>(x.size()), nullptr));
    bignum_ptr y_number(BN_bin2bn(y.data(), static_cast<int>(y.size()), nullptr));
    if (result == nullptr || x_number == nullptr || y_number == nullptr) {
        ERR_clear_error();
        return nullptr;
    }
    result->public_point_ = EC_POINT_new(p256);
    // set_affine_coordinates rejects a point that is not on the curve.
    if (result->public_point_ == nullptr
        || EC_POINT_set_affine_coordinates(
               p256, result->public_point_, x_number.get(), y_number.get(), context)
               != 1) {
        ERR_clear_error();
        return nullptr;
    }
    // The duplicate keeps the nistz256 method of the named group. Setting the generator must come
    // before building the table, because nistz256 ignores a table whose first entry is not the
    // group's current generator.
    result->group_ = EC_GROUP_dup(p256);
    if (result->group_ == nullptr
        || EC_GROUP_set_generator(result->group_,
                                  result->public_point_,
                                  EC_GROUP_get0_order(p256),
                                  EC_GROUP_get0_cofactor(p256))
               != 1
        || (with_table && EC_GROUP_precompute_mult(result->group_, context) != 1)
        || !passes_self_check(p256, result->group_, result->public_point_, context)) {
        ERR_clear_error();
        return nullptr;
    }
    result->has_table_ = with_table;
    return result;
}

key_group::~key_group() {
    EC_GROUP_free(group_);
    EC_POINT_free(public_point_);
}

bool key_group::multiply(const BIGNUM* k, EC_POINT* out, BN_CTX* context) const noexcept {
    // Passing k as the generator scalar is what selects the fixed-base table.
    return EC_POINT_mul(group_, out, k, nullptr, nullptr, context) == 1;
}

bool get_jacobian_x_z(
    const EC_GROUP* p256, const EC_POINT* point, BIGNUM* x, BIGNUM* z, BN_CTX* context) noexcept {
    return EC_POINT_get_Jprojective_coordinates_GFp(p256, point, x, nullptr, z, context) == 1;
}

} // namespace jwtbatch::jws::fast
