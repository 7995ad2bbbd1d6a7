// Proves that the fast verifier returns the same verdict as the plain EVP verifier: on every
// Wycheproof P1363 case, on the RFC 7515 A.3 example, and on random signatures with mutations.
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/obj_mac.h>
#include <simdjson.h>

#include "es256_test_support.hpp"
#include "jws/base64url.hpp"
#include "jws/compact.hpp"
#include "jws/digest.hpp"
#include "jws/es256_key.hpp"
#include "jws/es256_signer.hpp"
#include "jws/evp_verifier.hpp"
#include "jws/fast_verifier.hpp"
#include "support/vectors.hpp"

namespace jws = jwtbatch::jws;
using jwtbatch::test::decode_hex;

namespace {

using bytes32 = std::array<std::uint8_t, 32>;

/// A job with a name for failure messages.
struct named_job {
    std::string name;
    jws::signature_job job;
};

struct verdict_pair {
    bool evp = false;
    bool fast = false;
};

// Verifies `jobs` through both verifiers in consecutive batches whose sizes come from
// `next_batch_size`, and returns both verdicts of each job.
template <typename BatchSize>
std::vector<verdict_pair> verify_with_both(const std::vector<jws::signature_job>& jobs,
                                           const jws::signature_verifier& evp,
                                           const jws::signature_verifier& fast,
                                           BatchSize next_batch_size) {
    std::vector<jws::signature_job> evp_jobs = jobs;
    std::vector<jws::signature_job> fast_jobs = jobs;
    for (size_t start = 0; start < jobs.size();) {
        const size_t size = std::min(next_batch_size(), jobs.size() - start);
        for (size_t i = start; i < start + size; ++i) {
            evp_jobs[i].is_valid = false;
            fast_jobs[i].is_valid = true;
        }
        evp.verify(std::span(evp_jobs).subspan(start, size));
        fast.verify(std::span(fast_jobs).subspan(start, size));
        start += size;
    }
    std::vector<verdict_pair> verdicts(jobs.size());
    for (size_t i = 0; i < jobs.size(); ++i) {
        verdicts[i] = {evp_jobs[i].is_valid, fast_jobs[i].is_valid};
    }
    return verdicts;
}

std::string_view string_field(simdjson::dom::element object, const char* name) {
    std::string_view value;
    REQUIRE(object[name].get(value) == simdjson::SUCCESS);
    return value;
}

std::shared_ptr<const jws::es256_key> key_from_uncompressed_hex(std::string_view hex) {
    const auto point = decode_hex(hex);
    REQUIRE(point);
    REQUIRE(point->size() == 65);
    REQUIRE(point->front() == 0x04);
    bytes32 x{};
    bytes32 y{};
    std::copy_n(point->begin() + 1, 32, x.begin());
    std::copy_n(point->begin() + 33, 32, y.begin());
    return jws::es256_key::from_affine("wycheproof", x, y);
}

bytes32 decode_coordinate(std::string_view base64url) {
    bytes32 coordinate{};
    const auto size = jws::decode_base64url(base64url, coordinate);
    REQUIRE(size);
    REQUIRE(*size == 32);
    return coordinate;
}

// Returns SHA-256 of `data`. Throws instead of asserting, because worker threads call it.
bytes32 digest_of(std::string_view data) {
    bytes32 digest{};
    if (!jws::sha256(data, digest)) {
        throw std::runtime_error("SHA-256 failed");
    }
    return digest;
}

// The big-endian 32-byte values that the mutations write into r or s.
struct scalar_values {
    std::vector<std::pair<std::string, bytes32>> values;

    scalar_values() {
        std::unique_ptr<EC_GROUP, decltype(&EC_GROUP_free)> group(
            EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1), EC_GROUP_free);
        std::unique_ptr<BIGNUM, decltype(&BN_free)> number(BN_new(), BN_free);
        REQUIRE(group);
        REQUIRE(number);
        const BIGNUM* order = EC_GROUP_get0_order(group.get());
        const auto add = [&](std::string name, const BIGNUM* value) {
            bytes32 bytes{};
            REQUIRE(BN_bn2binpad(value, bytes.data(), 32) == 32);
            values.emplace_back(std::move(name), bytes);
        };
        REQUIRE(BN_set_word(number.get(), 0) == 1);
        add("0", number.get());
        REQUIRE(BN_set_word(number.get(), 1) == 1);
        add("1", number.get());
        REQUIRE(BN_sub(number.get(), order, BN_value_one()) == 1);
        add("n-1", number.get());
        add("n", order);
        REQUIRE(BN_add(number.get(), order, BN_value_one()) == 1);
        add("n+1", number.get());
        add("p", EC_GROUP_get0_field(group.get()));
        bytes32 all_ones{};
        all_ones.fill(0xff);
        values.emplace_back("2^256-1", all_ones);
    }
};

// Keys and the work of one thread of the random equivalence test.
struct random_run {
    const std::vector<jws::es256_signer>* signers = nullptr;
    const std::vector<std::shared_ptr<const jws::es256_key>>* keys = nullptr;
    const scalar_values* scalars = nullptr;
    const jws::signature_verifier* evp = nullptr;
    const jws::signature_verifier* fast = nullptr;
    std::uint64_t seed = 0;
    size_t signature_count = 0;

    // Results, read by the test thread after join, because Catch2 assertions are not
    // thread-safe.
    size_t job_count = 0;
    size_t evp_valid_count = 0;
    size_t fast_valid_count = 0;
    std::vector<std::string> mismatches;
    std::exception_ptr error;

    void run() noexcept {
        try {
            std::mt19937_64 random(seed);
            constexpr size_t signatures_per_round = 400;
            for (size_t done = 0; done < signature_count; done += signatures_per_round) {
                const size_t count = std::min(signatures_per_round, signature_count - done);
                run_round(count, random);
            }
        } catch (...) {
            error = std::current_exception();
        }
    }

    void run_round(size_t count, std::mt19937_64& random) {
        std::vector<named_job> jobs;
        for (size_t i = 0; i < count; ++i) {
            add_signature_and_mutations(jobs, random);
        }
        std::shuffle(jobs.begin(), jobs.end(), random);
        std::vector<jws::signature_job> plain_jobs;
        plain_jobs.reserve(jobs.size());
        for (const auto& named : jobs) {
            plain_jobs.push_back(named.job);
        }
        std::uniform_int_distribution<size_t> batch_size(1, 300);
        const auto verdicts =
            verify_with_both(plain_jobs, *evp, *fast, [&] { return batch_size(random); });
        for (size_t i = 0; i < jobs.size(); ++i) {
            ++job_count;
            evp_valid_count += verdicts[i].evp ? 1 : 0;
            fast_valid_count += verdicts[i].fast ? 1 : 0;
            if (verdicts[i].evp != verdicts[i].fast && mismatches.size() < 20) {
                mismatches.push_back(jobs[i].name + ": evp " + std::to_string(verdicts[i].evp)
                                     + ", fast " + std::to_string(verdicts[i].fast));
            }
        }
    }

    // Adds one valid signature over a random message and every mutation of it.
    void add_signature_and_mutations(std::vector<named_job>& jobs, std::mt19937_64& random) {
        std::uniform_int_distribution<int> byte(0, 255);
        std::uniform_int_distribution<size_t> length(1, 256);
        std::string message(length(random), '\0');
        for (char& c : message) {
            c = static_cast<char>(byte(random));
        }
        const size_t key_index = random() % keys->size();
        const auto digest = digest_of(message);
        named_job original{"valid", {}};
        original.job.key = (*keys)[key_index].get();
        original.job.digest = digest;
        original.job.signature = (*signers)[key_index].sign_digest(digest);
        jobs.push_back(original);

        std::uniform_int_distribution<size_t> bit(0, 255);
        auto flipped_r = original;
        const size_t r_bit = bit(random);
        flipped_r.name = "r bit " + std::to_string(r_bit);
        flipped_r.job.signature[r_bit / 8] ^= static_cast<std::uint8_t>(1U << (r_bit % 8));
        jobs.push_back(flipped_r);

        auto flipped_s = original;
        const size_t s_bit = bit(random);
        flipped_s.name = "s bit " + std::to_string(s_bit);
        flipped_s.job.signature[32 + s_bit / 8] ^= static_cast<std::uint8_t>(1U << (s_bit % 8));
        jobs.push_back(flipped_s);

        auto flipped_message = original;
        const size_t message_bit = random() % (message.size() * 8);
        message[message_bit / 8] ^= static_cast<char>(1U << (message_bit % 8));
        flipped_message.name = "message bit " + std::to_string(message_bit);
        flipped_message.job.digest = digest_of(message);
        jobs.push_back(flipped_message);

        auto other_key = original;
        other_key.name = "other key";
        other_key.job.key =
            (*keys)[(key_index + 1 + random() % (keys->size() - 1)) % keys->size()].get();
        jobs.push_back(other_key);

        for (const auto& [value_name, value] : scalars->values) {
            for (size_t offset : {0, 32}) {
                auto replaced = original;
                replaced.name = (offset == 0 ? "r = " : "s = ") + value_name;
                std::copy(value.begin(), value.end(), replaced.job.signature.begin() + offset);
                jobs.push_back(replaced);
            }
        }
    }
};

// Returns JWTBATCH_EQUIVALENCE_COUNT, else 100,000 signatures (about 55 s on two idle cores in
// a Release build), or 5,000 under AddressSanitizer, which runs about ten times slower.
size_t equivalence_count() {
    const char* text = std::getenv("JWTBATCH_EQUIVALENCE_COUNT");
    if (text != nullptr && *text != '\0') {
        return static_cast<size_t>(std::strtoull(text, nullptr, 10));
    }
#if defined(__SANITIZE_ADDRESS__)
    return 5000;
#else
    return 100000;
#endif
}

} // namespace

TEST_CASE("equivalence on wycheproof p1363 cases", "[jws]") {
    const auto text = jwtbatch::test::read_vector_file("ecdsa_secp256r1_sha256_p1363_test.json");
    if (!text) {
        return;
    }
    simdjson::dom::parser parser;
    simdjson::dom::element document;
    REQUIRE(parser.parse(*text).get(document) == simdjson::SUCCESS);
    simdjson::dom::array groups;
    REQUIRE(document["testGroups"].get(groups) == simdjson::SUCCESS);

    std::vector<std::shared_ptr<const jws::es256_key>> keys;
    std::vector<named_job> cases;
    std::vector<bool> expected;
    size_t wrong_length_count = 0;
    for (simdjson::dom::element group : groups) {
        simdjson::dom::element public_key;
        REQUIRE(group["publicKey"].get(public_key) == simdjson::SUCCESS);
        keys.push_back(key_from_uncompressed_hex(string_field(public_key, "uncompressed")));
        simdjson::dom::array tests;
        REQUIRE(group["tests"].get(tests) == simdjson::SUCCESS);
        for (simdjson::dom::element test : tests) {
            std::int64_t id = 0;
            REQUIRE(test["tcId"].get(id) == simdjson::SUCCESS);
            const auto message = decode_hex(string_field(test, "msg"));
            const auto signature = decode_hex(string_field(test, "sig"));
            REQUIRE(message);
            REQUIRE(signature);
            const std::string_view result = string_field(test, "result");
            REQUIRE((result == "valid" || result == "invalid"));
            // A signature that is not 64 bytes cannot form a job: the pipeline rejects it
            // before verification, and Wycheproof expects every such case to be invalid.
            if (signature->size() != 64) {
                CHECK(result == "invalid");
                ++wrong_length_count;
                continue;
            }
            named_job job{"tcId " + std::to_string(id), {}};
            job.job.key = keys.back().get();
            job.job.digest = jwtbatch::test::sha256_of(
                std::string_view(reinterpret_cast<const char*>(message->data()), message->size()));
            std::copy(signature->begin(), signature->end(), job.job.signature.begin());
            cases.push_back(job);
            expected.push_back(result == "valid");
        }
    }
    CHECK(cases.size() + wrong_length_count == 262);

    std::vector<jws::signature_job> jobs;
    for (const auto& named : cases) {
        jobs.push_back(named.job);
    }
    const jws::evp_verifier evp;
    const auto fast = jws::make_fast_verifier();
    // Once one job at a time, once all cases in one batch, so that both paths of the batch
    // inversion see every case.
    for (size_t batch_size : {size_t{1}, jobs.size()}) {
        const auto verdicts = verify_with_both(jobs, evp, *fast, [=] { return batch_size; });
        for (size_t i = 0; i < cases.size(); ++i) {
            CAPTURE(cases[i].name, batch_size);
            CHECK(verdicts[i].evp == expected[i]);
            CHECK(verdicts[i].fast == expected[i]);
        }
    }
}

TEST_CASE("equivalence on rfc 7515 a.3 example", "[jws]") {
    const auto jwks = jwtbatch::test::read_vector_file("rfc7515-a3/jwks.json");
    const auto token_text = jwtbatch::test::read_vector_file("rfc7515-a3/token.txt");
    if (!jwks || !token_text) {
        return;
    }
    simdjson::dom::parser parser;
    simdjson::dom::element document;
    REQUIRE(parser.parse(*jwks).get(document) == simdjson::SUCCESS);
    simdjson::dom::element jwk;
    REQUIRE(document["keys"].at(0).get(jwk) == simdjson::SUCCESS);
    const auto key = jws::es256_key::from_affine(
        "", decode_coordinate(string_field(jwk, "x")), decode_coordinate(string_field(jwk, "y")));

    const std::string_view token = std::string_view(*token_text).substr(0, token_text->find('\n'));
    jws::compact_parts parts;
    REQUIRE(jws::split_compact(token, parts) == jws::failure_reason::ok);
    std::array<std::uint8_t, 64> signature{};
    REQUIRE(jws::decode_base64url(parts.signature, signature) == 64);

    // The example's signature, then the same with each of its 512 bits flipped in turn.
    std::vector<jws::signature_job> jobs;
    jobs.push_back(jwtbatch::test::make_job(key.get(), parts.signing_input, signature));
    for (size_t bit = 0; bit < 512; ++bit) {
        auto flipped = jobs.front();
        flipped.signature[bit / 8] ^= static_cast<std::uint8_t>(1U << (bit % 8));
        jobs.push_back(flipped);
    }
    const jws::evp_verifier evp;
    const auto fast = jws::make_fast_verifier();
    const auto verdicts = verify_with_both(jobs, evp, *fast, [] { return size_t{64}; });
    CHECK(verdicts[0].evp);
    CHECK(verdicts[0].fast);
    for (size_t i = 1; i < jobs.size(); ++i) {
        CAPTURE(i - 1);
        CHECK_FALSE(verdicts[i].evp);
        CHECK_FALSE(verdicts[i].fast);
    }
}

TEST_CASE("equivalence on random mutated signatures", "[jws]") {
    // Every signature comes with 18 mutations: a flipped bit in r, in s and in the message, the
    // wrong key, and r or s replaced by 0, 1, n-1, n, n+1, p and 2^256-1. Two threads share the
    // verifiers, as pipeline workers do.
    const size_t signature_count = equivalence_count();
    const std::uint64_t seed = 0x6a77746261746368ULL;
    INFO("JWTBATCH_EQUIVALENCE_COUNT=" << signature_count << ", seed " << seed);
    const std::vector<jws::es256_signer> signers(3);
    std::vector<std::shared_ptr<const jws::es256_key>> keys;
    for (size_t i = 0; i < signers.size(); ++i) {
        keys.push_back(signers[i].public_key("k" + std::to_string(i)));
    }
    const scalar_values scalars;
    const jws::evp_verifier evp;
    const auto fast = jws::make_fast_verifier();

    constexpr size_t thread_count = 2;
    std::array<random_run, thread_count> runs;
    std::vector<std::thread> threads;
    const auto start = std::chrono::steady_clock::now();
    for (size_t i = 0; i < thread_count; ++i) {
        random_run& run = runs[i];
        run.signers = &signers;
        run.keys = &keys;
        run.scalars = &scalars;
        run.evp = &evp;
        run.fast = fast.get();
        run.seed = seed + i;
        run.signature_count =
            signature_count / thread_count + (i < signature_count % thread_count ? 1 : 0);
        threads.emplace_back([&run = runs[i]] { run.run(); });
    }
    for (auto& thread : threads) {
        thread.join();
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    WARN("verified " << signature_count << " signatures and their mutations with both verifiers in "
                     << seconds << " s");

    size_t job_count = 0;
    size_t evp_valid_count = 0;
    size_t fast_valid_count = 0;
    for (const auto& run : runs) {
        if (run.error) {
            std::rethrow_exception(run.error);
        }
        for (const auto& mismatch : run.mismatches) {
            FAIL_CHECK(mismatch);
        }
        job_count += run.job_count;
        evp_valid_count += run.evp_valid_count;
        fast_valid_count += run.fast_valid_count;
    }
    CHECK(job_count == signature_count * 19);
    // Only the unmutated signatures are valid; a mutation that verifies would be a forgery.
    CHECK(evp_valid_count == signature_count);
    CHECK(fast_valid_count == signature_count);
}
