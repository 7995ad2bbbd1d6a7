#include "jws/fast_verifier.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/obj_mac.h>

#include "es256_test_support.hpp"
#include "jws/es256_key.hpp"
#include "jws/es256_signer.hpp"
#include "jws/evp_verifier.hpp"
#include "jws/fast_key_group.hpp"
#include "jws/fast_key_tables.hpp"

namespace jws = jwtbatch::jws;
using jwtbatch::test::make_job;
using jwtbatch::test::verify_single;

namespace {

template <typename T, void (*Free)(T*)>
struct openssl_deleter {
    void operator()(T* pointer) const noexcept { Free(pointer); }
};

using bignum_ptr = std::unique_ptr<BIGNUM, openssl_deleter<BIGNUM, BN_free>>;
using context_ptr = std::unique_ptr<BN_CTX, openssl_deleter<BN_CTX, BN_CTX_free>>;
using group_ptr = std::unique_ptr<EC_GROUP, openssl_deleter<EC_GROUP, EC_GROUP_free>>;
using point_ptr = std::unique_ptr<EC_POINT, openssl_deleter<EC_POINT, EC_POINT_free>>;

using bytes32 = std::array<std::uint8_t, 32>;

bignum_ptr new_bignum() {
    bignum_ptr number(BN_new());
    REQUIRE(number);
    return number;
}

bignum_ptr bignum_from(const bytes32& bytes) {
    bignum_ptr number(BN_bin2bn(bytes.data(), 32, nullptr));
    REQUIRE(number);
    return number;
}

bytes32 bytes_of(const BIGNUM* number) {
    bytes32 bytes{};
    REQUIRE(BN_bn2binpad(number, bytes.data(), 32) == 32);
    return bytes;
}

// The named P-256 group and helpers to build keys and signatures for edge cases that a signer
// cannot produce, by choosing the public key to fit a chosen signature.
struct curve {
    group_ptr group{EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1)};
    context_ptr context{BN_CTX_new()};

    curve() {
        REQUIRE(group);
        REQUIRE(context);
    }

    const BIGNUM* order() const { return EC_GROUP_get0_order(group.get()); }

    const BIGNUM* field() const { return EC_GROUP_get0_field(group.get()); }

    point_ptr new_point() const {
        point_ptr point(EC_POINT_new(group.get()));
        REQUIRE(point);
        return point;
    }

    // Builds an es256_key from a point of the group.
    std::shared_ptr<const jws::es256_key> key_of(const EC_POINT* point) const {
        auto x = new_bignum();
        auto y = new_bignum();
        REQUIRE(EC_POINT_get_affine_coordinates(group.get(), point, x.get(), y.get(), context.get())
                == 1);
        return jws::es256_key::from_affine("edge", bytes_of(x.get()), bytes_of(y.get()));
    }

    // Returns the key Q for which (r, s) is a valid signature of digest e whose point
    // u1·G + u2·Q is `target`: Q = u2⁻¹·(target − u1·G) with u1 = e/s and u2 = r/s.
    std::shared_ptr<const jws::es256_key>
    key_for(const EC_POINT* target, const BIGNUM* r, const BIGNUM* s, const BIGNUM* e) const {
        auto w = new_bignum();
        auto u1 = new_bignum();
        auto u2 = new_bignum();
        REQUIRE(BN_mod_inverse(w.get(), s, order(), context.get()));
        REQUIRE(BN_mod_mul(u1.get(), e, w.get(), order(), context.get()) == 1);
        REQUIRE(BN_mod_mul(u2.get(), r, w.get(), order(), context.get()) == 1);
        REQUIRE(BN_mod_inverse(u2.get(), u2.get(), order(), context.get()));
        auto difference = new_point();
        REQUIRE(
            EC_POINT_mul(group.get(), difference.get(), u1.get(), nullptr, nullptr, context.get())
            == 1);
        REQUIRE(EC_POINT_invert(group.get(), difference.get(), context.get()) == 1);
        REQUIRE(EC_POINT_add(group.get(), difference.get(), difference.get(), target, context.get())
                == 1);
        auto key_point = new_point();
        REQUIRE(
            EC_POINT_mul(
                group.get(), key_point.get(), nullptr, difference.get(), u2.get(), context.get())
            == 1);
        return key_of(key_point.get());
    }
};

std::array<std::uint8_t, 64> signature_of(const BIGNUM* r, const BIGNUM* s) {
    std::array<std::uint8_t, 64> signature{};
    REQUIRE(BN_bn2binpad(r, signature.data(), 32) == 32);
    REQUIRE(BN_bn2binpad(s, signature.data() + 32, 32) == 32);
    return signature;
}

// Runs the signature (r, s) of `digest` through both verifiers and checks that both return
// `expected`.
void check_both_verifiers(const jws::es256_key& key,
                          const bytes32& digest,
                          const BIGNUM* r,
                          const BIGNUM* s,
                          bool expected) {
    jws::signature_job job;
    job.key = &key;
    job.digest = digest;
    job.signature = signature_of(r, s);
    const auto fast = jws::make_fast_verifier();
    const jws::evp_verifier evp;
    CHECK(verify_single(*fast, job) == expected);
    CHECK(verify_single(evp, job) == expected);
}

// Returns the best time of `rounds` rounds of `count` multiplications by the group's key.
std::chrono::nanoseconds
time_multiplications(const jws::fast::key_group& group, const curve& p256, int count, int rounds) {
    auto k = new_bignum();
    REQUIRE(BN_rand_range(k.get(), p256.order()) == 1);
    auto out = p256.new_point();
    auto best = std::chrono::nanoseconds::max();
    for (int round = 0; round < rounds; ++round) {
        const auto start = std::chrono::steady_clock::now();
        for (int i = 0; i < count; ++i) {
            REQUIRE(group.multiply(k.get(), out.get(), p256.context.get()));
        }
        best = std::min(best,
                        std::chrono::duration_cast<std::chrono::nanoseconds>(
                            std::chrono::steady_clock::now() - start));
    }
    return best;
}

struct signed_batch {
    std::vector<jws::es256_signer> signers;
    std::vector<std::shared_ptr<const jws::es256_key>> keys;
    std::vector<jws::signature_job> jobs;
};

// Signs `count` messages, cycling through `key_count` fresh keys.
signed_batch make_signed_batch(size_t count, size_t key_count) {
    signed_batch batch;
    for (size_t i = 0; i < key_count; ++i) {
        batch.signers.emplace_back();
        batch.keys.push_back(batch.signers.back().public_key(std::to_string(i)));
    }
    for (size_t i = 0; i < count; ++i) {
        const std::string message = "message " + std::to_string(i);
        const size_t key_index = i % key_count;
        const auto digest = jwtbatch::test::sha256_of(message);
        batch.jobs.push_back(make_job(
            batch.keys[key_index].get(), message, batch.signers[key_index].sign_digest(digest)));
    }
    return batch;
}

std::vector<bool> verdicts_of(const jws::signature_verifier& verifier,
                              std::vector<jws::signature_job> jobs) {
    for (auto& job : jobs) {
        job.is_valid = !job.is_valid;
    }
    verifier.verify(jobs);
    std::vector<bool> verdicts;
    for (const auto& job : jobs) {
        verdicts.push_back(job.is_valid);
    }
    return verdicts;
}

} // namespace

TEST_CASE("fast verifier accepts valid signatures", "[jws]") {
    const auto verifier = jws::make_fast_verifier();
    CHECK(verifier->name() == "fast");
    const auto batch = make_signed_batch(20, 2);
    for (const auto& job : batch.jobs) {
        CHECK(verify_single(*verifier, job));
    }
    CHECK(verdicts_of(*verifier, batch.jobs) == std::vector<bool>(batch.jobs.size(), true));
}

TEST_CASE("fast verifier key table is in use", "[jws]") {
    // The nistz256 code silently falls back to a generic multiplication when the table does not
    // match the generator, and EC_GROUP_have_precompute_mult cannot tell. Timing can: with the
    // table k·Q costs about as much as k·G, without it about five times more.
    const curve p256;
    const jws::es256_signer signer;
    const auto x = signer.x();
    const auto y = signer.y();
    jws::fast::key_table_registry registry(p256.group.get(), 4);
    const auto key = signer.public_key("k");
    const jws::fast::key_group* with_table = registry.find_or_build(*key);
    REQUIRE(with_table != nullptr);
    CHECK(with_table->has_table());
    CHECK(registry.table_count() == 1);
    CHECK(registry.find_or_build(*key) == with_table);
    const auto without_table =
        jws::fast::key_group::build(p256.group.get(), x, y, false, p256.context.get());
    REQUIRE(without_table != nullptr);
    CHECK_FALSE(without_table->has_table());

    constexpr int multiplications = 300;
    constexpr int rounds = 5;
    const auto fast_time = time_multiplications(*with_table, p256, multiplications, rounds);
    const auto slow_time = time_multiplications(*without_table, p256, multiplications, rounds);
    const double ratio =
        static_cast<double>(slow_time.count()) / static_cast<double>(fast_time.count());
    CAPTURE(fast_time.count(), slow_time.count(), ratio);
    CHECK(ratio > 2.5);
}

TEST_CASE("fast verifier key group rejects a point off the curve", "[jws]") {
    const curve p256;
    const jws::es256_signer signer;
    auto y = signer.y();
    y[31] ^= 1;
    CHECK(jws::fast::key_group::build(p256.group.get(), signer.x(), y, true, p256.context.get())
          == nullptr);
}

TEST_CASE("fast verifier batch isolates each verdict", "[jws]") {
    const auto verifier = jws::make_fast_verifier();
    constexpr size_t batch_size = 8;
    const auto batch = make_signed_batch(batch_size, 3);
    const auto all_valid = verdicts_of(*verifier, batch.jobs);
    CHECK(all_valid == std::vector<bool>(batch_size, true));

    // Each way of breaking one job, applied at each position in turn.
    const std::vector<std::pair<std::string, void (*)(jws::signature_job&)>> breakers = {
        {"flip r",
         [](jws::signature_job& job) {
             job.signature[5] ^= 0x10;
         }},
        {"flip s",
         [](jws::signature_job& job) {
             job.signature[40] ^= 0x01;
         }},
        {"flip digest",
         [](jws::signature_job& job) {
             job.digest[0] ^= 0x80;
         }},
        {"zero r",
         [](jws::signature_job& job) {
             std::fill_n(job.signature.begin(), 32, 0);
         }},
        {"max s",
         [](jws::signature_job& job) {
             std::fill_n(job.signature.begin() + 32, 32, 0xff);
         }},
        {"no key",
         [](jws::signature_job& job) {
             job.key = nullptr;
         }},
    };
    for (const auto& [name, breaker] : breakers) {
        for (size_t position = 0; position < batch_size; ++position) {
            CAPTURE(name, position);
            auto jobs = batch.jobs;
            breaker(jobs[position]);
            std::vector<bool> expected(batch_size, true);
            expected[position] = false;
            CHECK(verdicts_of(*verifier, jobs) == expected);
        }
    }

    auto all_broken = batch.jobs;
    for (auto& job : all_broken) {
        job.signature[63] ^= 0x01;
    }
    CHECK(verdicts_of(*verifier, all_broken) == std::vector<bool>(batch_size, false));

    auto wrong_keys = batch.jobs;
    for (auto& job : wrong_keys) {
        job.key = job.key == batch.keys[0].get() ? batch.keys[1].get() : batch.keys[0].get();
    }
    CHECK(verdicts_of(*verifier, wrong_keys) == std::vector<bool>(batch_size, false));
}

TEST_CASE("fast verifier handles batches longer than a chunk", "[jws]") {
    const auto verifier = jws::make_fast_verifier();
    auto batch = make_signed_batch(600, 2);
    std::vector<bool> expected(batch.jobs.size(), true);
    for (size_t position : {0, 255, 256, 257, 511, 599}) {
        batch.jobs[position].digest[7] ^= 0x04;
        expected[position] = false;
    }
    CHECK(verdicts_of(*verifier, batch.jobs) == expected);
}

TEST_CASE("fast verifier rejects r and s out of range", "[jws]") {
    const auto verifier = jws::make_fast_verifier();
    const curve p256;
    const auto batch = make_signed_batch(1, 1);
    const auto& job = batch.jobs[0];
    REQUIRE(verify_single(*verifier, job));

    auto order_plus_one = new_bignum();
    REQUIRE(BN_add(order_plus_one.get(), p256.order(), BN_value_one()) == 1);
    bytes32 all_ones{};
    all_ones.fill(0xff);
    const std::vector<std::pair<std::string, bytes32>> values = {
        {"0", bytes32{}},
        {"n", bytes_of(p256.order())},
        {"n + 1", bytes_of(order_plus_one.get())},
        {"p", bytes_of(p256.field())},
        {"2^256 - 1", all_ones},
    };
    for (const auto& [name, value] : values) {
        for (size_t offset : {0, 32}) {
            CAPTURE(name, offset);
            auto changed = job;
            std::copy(value.begin(), value.end(), changed.signature.begin() + offset);
            CHECK_FALSE(verify_single(*verifier, changed));
        }
    }
}

TEST_CASE("fast verifier accepts x of the point above n", "[jws]") {
    // x(X) mod n = r also holds for x(X) = r + n when r + n < p. No signer finds such a
    // signature (chance about 2^-128), so the key is chosen to fit one.
    const curve p256;
    auto x = new_bignum();
    REQUIRE(BN_copy(x.get(), p256.order()));
    auto target = p256.new_point();
    while (EC_POINT_set_compressed_coordinates(
               p256.group.get(), target.get(), x.get(), 0, p256.context.get())
           != 1) {
        REQUIRE(BN_add_word(x.get(), 1) == 1);
    }
    auto r = new_bignum();
    REQUIRE(BN_sub(r.get(), x.get(), p256.order()) == 1);
    REQUIRE_FALSE(BN_is_zero(r.get()));
    auto s = new_bignum();
    REQUIRE(BN_rand_range(s.get(), p256.order()) == 1);
    const auto digest = jwtbatch::test::sha256_of("x above n");
    const auto key = p256.key_for(target.get(), r.get(), s.get(), bignum_from(digest).get());
    check_both_verifiers(*key, digest, r.get(), s.get(), true);
    // r = x(X) itself is at least n, so it is out of range.
    check_both_verifiers(*key, digest, x.get(), s.get(), false);
}

TEST_CASE("fast verifier rejects the point at infinity", "[jws]") {
    // With Q = -(e/r)·G, u1·G + u2·Q = (e/s)·G - (r/s)·(e/r)·G is the point at infinity.
    const curve p256;
    auto r = new_bignum();
    auto s = new_bignum();
    REQUIRE(BN_rand_range(r.get(), p256.order()) == 1);
    REQUIRE(BN_rand_range(s.get(), p256.order()) == 1);
    const auto digest = jwtbatch::test::sha256_of("infinity");
    auto infinity = p256.new_point();
    REQUIRE(EC_POINT_set_to_infinity(p256.group.get(), infinity.get()) == 1);
    const auto key = p256.key_for(infinity.get(), r.get(), s.get(), bignum_from(digest).get());
    check_both_verifiers(*key, digest, r.get(), s.get(), false);
}

// The next two cases sign with a key whose private scalar d is known, and choose the digest
// e so that u1·G and u2·Q are equal or opposite. That needs e = ±r·d mod n, because
// u1·G = (e/s)·G and u2·Q = (r/s)·d·G.
struct known_key {
    const curve& p256;
    jws::es256_signer signer;
    std::shared_ptr<const jws::es256_key> key = signer.public_key("known");
    bignum_ptr d = bignum_from(signer.d());

    explicit known_key(const curve& group) : p256(group) {}

    // Returns the digest e = r·d mod n, or -r·d mod n when `is_negated` is true.
    bytes32 digest_for(const BIGNUM* r, bool is_negated) const {
        auto e = new_bignum();
        REQUIRE(BN_mod_mul(e.get(), r, d.get(), p256.order(), p256.context.get()) == 1);
        if (is_negated) {
            REQUIRE(BN_mod_sub(e.get(), p256.order(), e.get(), p256.order(), p256.context.get())
                    == 1);
        }
        return bytes_of(e.get());
    }
};

TEST_CASE("fast verifier sums equal points", "[jws]") {
    // With e = r·d, u1·G = u2·Q = (r·d/s)·G, so the sum is a doubling. Picking s = 2·r·d/k
    // makes the sum k·G, and r = x(k·G) mod n then makes the signature valid.
    const curve p256;
    const known_key signer(p256);
    auto k = new_bignum();
    auto x = new_bignum();
    auto r = new_bignum();
    do {
        REQUIRE(BN_rand_range(k.get(), p256.order()) == 1);
        auto point = p256.new_point();
        REQUIRE(EC_POINT_mul(
                    p256.group.get(), point.get(), k.get(), nullptr, nullptr, p256.context.get())
                == 1);
        REQUIRE(EC_POINT_get_affine_coordinates(
                    p256.group.get(), point.get(), x.get(), nullptr, p256.context.get())
                == 1);
        REQUIRE(BN_nnmod(r.get(), x.get(), p256.order(), p256.context.get()) == 1);
    } while (BN_is_zero(k.get()) || BN_is_zero(r.get()));

    const bytes32 digest = signer.digest_for(r.get(), false);
    auto s = new_bignum();
    auto k_inverse = new_bignum();
    REQUIRE(BN_mod_lshift1(s.get(), bignum_from(digest).get(), p256.order(), p256.context.get())
            == 1);
    REQUIRE(BN_mod_inverse(k_inverse.get(), k.get(), p256.order(), p256.context.get()));
    REQUIRE(BN_mod_mul(s.get(), s.get(), k_inverse.get(), p256.order(), p256.context.get()) == 1);
    REQUIRE_FALSE(BN_is_zero(s.get()));
    check_both_verifiers(*signer.key, digest, r.get(), s.get(), true);

    // Every s keeps u1·G = u2·Q, but s + 1 doubles another point.
    REQUIRE(BN_add_word(s.get(), 1) == 1);
    REQUIRE(BN_nnmod(s.get(), s.get(), p256.order(), p256.context.get()) == 1);
    REQUIRE_FALSE(BN_is_zero(s.get()));
    check_both_verifiers(*signer.key, digest, r.get(), s.get(), false);
}

TEST_CASE("fast verifier sums opposite points", "[jws]") {
    // With e = -r·d, u1·G = -u2·Q, so the sum is the point at infinity for every r and s.
    const curve p256;
    const known_key signer(p256);
    auto r = new_bignum();
    auto s = new_bignum();
    for (int round = 0; round < 4; ++round) {
        REQUIRE(BN_rand_range(r.get(), p256.order()) == 1);
        REQUIRE(BN_rand_range(s.get(), p256.order()) == 1);
        if (BN_is_zero(r.get()) || BN_is_zero(s.get())) {
            continue;
        }
        check_both_verifiers(
            *signer.key, signer.digest_for(r.get(), true), r.get(), s.get(), false);
    }
}

TEST_CASE("fast verifier leaves the error queue empty", "[jws]") {
    // The verifier clears the OpenSSL error queue only after an invalid verdict, so a call that
    // succeeds must not leave an error behind. The jobs cover a valid signature, a changed s,
    // r out of range, a zero digest and a sum at infinity.
    const curve p256;
    const known_key signer(p256);
    const auto digest = jwtbatch::test::sha256_of("error queue");
    auto r = new_bignum();
    auto s = new_bignum();
    do {
        REQUIRE(BN_rand_range(r.get(), p256.order()) == 1);
        REQUIRE(BN_rand_range(s.get(), p256.order()) == 1);
    } while (BN_is_zero(r.get()) || BN_is_zero(s.get()));

    std::vector<jws::signature_job> jobs(5);
    for (auto& job : jobs) {
        job.key = signer.key.get();
        job.digest = digest;
        job.signature = signer.signer.sign_digest(digest);
    }
    jobs[1].signature[40] ^= 1;
    std::fill(jobs[2].signature.begin(), jobs[2].signature.begin() + 32, std::uint8_t{0xff});
    jobs[3].digest = bytes32{};
    jobs[3].signature = signer.signer.sign_digest(jobs[3].digest);
    jobs[4].digest = signer.digest_for(r.get(), true);
    jobs[4].signature = signature_of(r.get(), s.get());

    ERR_clear_error();
    const auto verifier = jws::make_fast_verifier();
    CHECK(verdicts_of(*verifier, jobs) == std::vector<bool>{true, false, false, true, false});
    CHECK(ERR_peek_error() == 0);
}

TEST_CASE("fast verifier accepts digests of zero and n", "[jws]") {
    // e ≡ 0 mod n makes u1 zero, so u1·G is the point at infinity.
    const curve p256;
    const jws::es256_signer signer;
    const auto key = signer.public_key("k");
    const auto fast = jws::make_fast_verifier();
    const jws::evp_verifier evp;
    for (const bytes32& digest : {bytes32{}, bytes_of(p256.order())}) {
        jws::signature_job job;
        job.key = key.get();
        job.digest = digest;
        job.signature = signer.sign_digest(digest);
        CHECK(verify_single(*fast, job));
        CHECK(verify_single(evp, job));
        job.digest[31] ^= 1;
        CHECK_FALSE(verify_single(*fast, job));
    }
}

TEST_CASE("fast verifier keys beyond the table limit", "[jws]") {
    const auto verifier = jws::make_fast_verifier(1);
    const auto batch = make_signed_batch(12, 4);
    CHECK(verdicts_of(*verifier, batch.jobs) == std::vector<bool>(batch.jobs.size(), true));
    auto broken = batch.jobs;
    for (auto& job : broken) {
        job.signature[50] ^= 0x20;
    }
    CHECK(verdicts_of(*verifier, broken) == std::vector<bool>(batch.jobs.size(), false));

    const curve p256;
    jws::fast::key_table_registry registry(p256.group.get(), 1);
    for (const auto& key : batch.keys) {
        CHECK(registry.find_or_build(*key) != nullptr);
    }
    CHECK(registry.table_count() == 1);
}

TEST_CASE("fast verifier shares tables between threads", "[jws]") {
    const auto verifier = jws::make_fast_verifier();
    const auto batch = make_signed_batch(64, 4);
    std::vector<std::vector<bool>> results(4);
    std::vector<std::thread> threads;
    for (auto& result : results) {
        threads.emplace_back([&] {
            for (int round = 0; round < 4; ++round) {
                result = verdicts_of(*verifier, batch.jobs);
            }
        });
    }
    for (auto& thread : threads) {
        thread.join();
    }
    for (const auto& result : results) {
        CHECK(result == std::vector<bool>(batch.jobs.size(), true));
    }
}
