// Fuzzes the JWKS parser on arbitrary bytes, as a hostile or broken key server could send them.
//
// A bad JWKS is a run error, so `common::run_error` is the expected failure. Any other
// exception, a crash, a leak or a sanitizer report is a finding. A parsed set must be usable:
// not empty, every listed kid finds a key with that kid, and `only_key` exists exactly when the
// set holds one key.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/logger.hpp"
#include "common/run_error.hpp"
#include "jwks/key_set.hpp"
#include "fuzz_support.hpp"

namespace {

using jwtbatch::fuzz::fail;

void check_key_set(const jwtbatch::jwks::key_set& keys) {
    if (keys.empty()) {
        fail("parse_jwks returned an empty key set");
    }
    for (const auto& kid : keys.kids()) {
        const auto* key = keys.find(kid);
        if (key == nullptr || key->kid() != kid) {
            fail("a listed kid does not find its key");
        }
    }
    if ((keys.only_key() != nullptr) != (keys.size() == 1)) {
        fail("only_key does not match the key count");
    }
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
    // Skipped members are logged as warnings, which are expected here and would flood the log.
    jwtbatch::common::set_log_level(jwtbatch::common::log_level::error);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
    const std::string_view json(reinterpret_cast<const char*>(data), size);
    try {
        check_key_set(jwtbatch::jwks::parse_jwks(json, "fuzz.json"));
    } catch (const jwtbatch::common::run_error&) {
        // A JWKS that cannot be used ends the run with this error, as it should.
    }
    return 0;
}
