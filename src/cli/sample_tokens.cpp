#include "cli/sample_tokens.hpp"

#include <cstdint>
#include <cstdio>
#include <random>

namespace jwtbatch::cli {

std::string make_sample_tokens(const jws::es256_signer& signer,
                               std::string_view kid,
                               size_t count,
                               double now_seconds) {
    const std::string header = "{\"alg\":\"ES256\",\"kid\":\"" + std::string(kid)
                               + "\",\"typ\":\"JWT\"}";
    const auto iat = static_cast<long long>(now_seconds) - 60;
    std::mt19937_64 random(count);
    std::string tokens;
    for (size_t i = 0; i < count; ++i) {
        char payload[256];
        const unsigned long long words[4] = {random(), random(), random(), random()};
        std::snprintf(payload,
                      sizeof payload,
                      "{\"cid\":\"%019llu\",\"crid\":\"%019llu\",\"rclid\":\"%016llx%016llx%016llx%016llx\","
                      "\"iat\":%lld,\"exp\":%lld}",
                      1000000000000000000ULL + random() % 8000000000000000000ULL,
                      1000000000000000000ULL + i,
                      words[0],
                      words[1],
                      words[2],
                      words[3],
                      iat,
                      iat + 3600);
        tokens += signer.sign_compact(header, payload);
        tokens.push_back('\n');
    }
    return tokens;
}

} // namespace jwtbatch::cli
