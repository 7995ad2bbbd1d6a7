#include "token_harness.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <simdjson.h>

#include "io/line_reader.hpp"
#include "io/row_format.hpp"
#include "jwks/key_store.hpp"
#include "jws/claims.hpp"
#include "jws/es256_key.hpp"
#include "jws/signature_verifier.hpp"
#include "jws/verdict_cache.hpp"
#include "pipeline/batch.hpp"
#include "pipeline/batch_verifier.hpp"
#include "pipeline/run_config.hpp"

namespace jwtbatch::fuzz {
namespace {

/// Records per batch: a few, so that one input also exercises batches after the first, the
/// verdict cache across batches and batch inversion with more than one signature.
constexpr size_t records_per_batch = 4;

/// Limit on records of the harness: small enough that libFuzzer's inputs reach `too_long`.
constexpr size_t harness_max_token_bytes = 1024;

/// Verdict cache entries of the fast run; the EVP run has no cache, so a wrong cached verdict
/// shows as a difference between the runs.
constexpr size_t fast_cache_entries = 64;

std::string read_text_file(const std::filesystem::path& path) {
    std::ifstream file(path, std::ios::binary);
    if (!file) {
        fail("cannot read " + path.string());
    }
    std::ostringstream contents;
    contents << file.rdbuf();
    return std::move(contents).str();
}

void write_text_file(const std::filesystem::path& path, std::string_view text) {
    std::ofstream file(path, std::ios::binary);
    file.write(text.data(), static_cast<std::streamsize>(text.size()));
    if (!file) {
        fail("cannot write " + path.string());
    }
}

/// Decodes base64url with OpenSSL's base64 decoder, not the project's, for the independent
/// check. Returns an empty string when the text is not base64url.
std::string decode_base64url_with_openssl(std::string_view encoded) {
    std::string standard(encoded);
    std::replace(standard.begin(), standard.end(), '-', '+');
    std::replace(standard.begin(), standard.end(), '_', '/');
    const size_t padding = (4 - standard.size() % 4) % 4;
    if (padding == 3) {
        return {};
    }
    standard.append(padding, '=');
    std::string decoded(standard.size() / 4 * 3, '\0');
    int length = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(decoded.data()),
                                 reinterpret_cast<const unsigned char*>(standard.data()),
                                 static_cast<int>(standard.size()));
    if (length < 0) {
        ERR_clear_error();
        return {};
    }
    // EVP_DecodeBlock counts the zero bytes that the padding stands for.
    decoded.resize(static_cast<size_t>(length) - padding);
    return decoded;
}

/// Builds an OpenSSL key from the affine point alone, without the project's key code.
EVP_PKEY* make_independent_key(const jws::es256_key& key) {
    std::array<unsigned char, 65> point{};
    point[0] = 0x04;
    std::copy(key.x().begin(), key.x().end(), point.begin() + 1);
    std::copy(key.y().begin(), key.y().end(), point.begin() + 33);

    OSSL_PARAM_BLD* builder = OSSL_PARAM_BLD_new();
    EVP_PKEY_CTX* context = EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr);
    OSSL_PARAM* params = nullptr;
    EVP_PKEY* pkey = nullptr;
    bool built = builder != nullptr && context != nullptr
                 && OSSL_PARAM_BLD_push_utf8_string(builder, OSSL_PKEY_PARAM_GROUP_NAME,
                                                    "prime256v1", 0) == 1
                 && OSSL_PARAM_BLD_push_octet_string(builder, OSSL_PKEY_PARAM_PUB_KEY,
                                                     point.data(), point.size()) == 1
                 && (params = OSSL_PARAM_BLD_to_param(builder)) != nullptr
                 && EVP_PKEY_fromdata_init(context) == 1
                 && EVP_PKEY_fromdata(context, &pkey, EVP_PKEY_PUBLIC_KEY, params) == 1;
    OSSL_PARAM_free(params);
    EVP_PKEY_CTX_free(context);
    OSSL_PARAM_BLD_free(builder);
    if (!built) {
        fail("OpenSSL cannot build the independent key of kid " + key.kid());
    }
    return pkey;
}

/// Verifies the token's r||s signature over its signing input with EVP_DigestVerify and a DER
/// signature, the way an application that never saw jwtbatch would.
bool verify_with_evp(std::string_view token, EVP_PKEY* pkey) {
    const size_t first_dot = token.find('.');
    const size_t last_dot = token.rfind('.');
    if (first_dot == std::string_view::npos || first_dot == last_dot) {
        return false;
    }
    const std::string signature = decode_base64url_with_openssl(token.substr(last_dot + 1));
    if (signature.size() != 64) {
        return false;
    }
    const auto* bytes = reinterpret_cast<const unsigned char*>(signature.data());
    ECDSA_SIG* ecdsa_signature = ECDSA_SIG_new();
    BIGNUM* r = BN_bin2bn(bytes, 32, nullptr);
    BIGNUM* s = BN_bin2bn(bytes + 32, 32, nullptr);
    if (ecdsa_signature == nullptr || r == nullptr || s == nullptr
        || ECDSA_SIG_set0(ecdsa_signature, r, s) != 1) {
        fail("OpenSSL cannot build an ECDSA_SIG");
    }
    unsigned char* der = nullptr;
    const int der_length = i2d_ECDSA_SIG(ecdsa_signature, &der);
    ECDSA_SIG_free(ecdsa_signature);
    if (der_length <= 0) {
        fail("OpenSSL cannot encode an ECDSA_SIG as DER");
    }

    const std::string_view signing_input = token.substr(0, last_dot);
    EVP_MD_CTX* context = EVP_MD_CTX_new();
    int status = -1;
    if (context != nullptr
        && EVP_DigestVerifyInit(context, nullptr, EVP_sha256(), nullptr, pkey) == 1) {
        status = EVP_DigestVerify(context, der, static_cast<size_t>(der_length),
                                  reinterpret_cast<const unsigned char*>(signing_input.data()),
                                  signing_input.size());
    }
    EVP_MD_CTX_free(context);
    OPENSSL_free(der);
    ERR_clear_error();
    return status == 1;
}

} // namespace

struct token_harness::impl {
    std::filesystem::path temp_dir;
    std::array<jws::es256_signer, 2> signers;
    std::unique_ptr<jwks::key_store> keys;
    std::shared_ptr<const jwks::key_set> key_snapshot;
    std::unique_ptr<jws::signature_verifier> evp_verifier;
    std::unique_ptr<jws::signature_verifier> fast_verifier;
    std::array<pipeline::run_config, policy_count> configs;
    std::array<std::unique_ptr<io::row_formatter>, policy_count> formatters;
    std::vector<std::string> source_names{"fuzz"};
    std::map<std::uint64_t, EVP_PKEY*> independent_keys;
    simdjson::dom::parser row_parser;
    pipeline::batch evp_batch;
    pipeline::batch fast_batch;
    pipeline::batch repeat_batch; ///< the fast batch checked again, with its tokens remembered

    impl();
    ~impl();

    EVP_PKEY* independent_key(const jws::es256_key& key);
    void check_valid_record(const pipeline::batch& work, size_t index);
    void check_rows(const pipeline::run_config& config, std::string_view output, size_t records);
};

token_harness::impl::impl() {
    char pattern[] = "/tmp/jwtbatch-fuzz-XXXXXX";
    if (mkdtemp(pattern) == nullptr) {
        fail("cannot create a temporary folder");
    }
    temp_dir = pattern;
    std::vector<std::string> sources{std::string(JWTBATCH_DATA_DIR) + "/jwks.json"};
    for (size_t i = 0; i < signers.size(); ++i) {
        const std::string kid = "fuzz-" + std::to_string(i + 1);
        const auto path = temp_dir / (kid + ".json");
        write_text_file(path, signers[i].to_jwks_json(kid));
        sources.push_back(path.string());
    }
    jwks::fetch_options options;
    options.offline = true;
    options.cache_dir = (temp_dir / "cache").string();
    keys = std::make_unique<jwks::key_store>(sources, options);
    key_snapshot = keys->snapshot();
    std::filesystem::remove_all(temp_dir);

    evp_verifier = jws::make_verifier(jws::verifier_kind::evp);
    fast_verifier = jws::make_verifier(jws::verifier_kind::fast);

    auto now = jws::parse_time(read_text_file(std::string(JWTBATCH_DATA_DIR) + "/sample-now.txt")
                                   .substr(0, 10));
    if (!now) {
        fail("data/sample-now.txt does not hold unix seconds");
    }
    for (auto& config : configs) {
        config.max_token_bytes = harness_max_token_bytes;
        config.now_seconds = *now;
    }
    // Policy 0 is the default run on CSV. Policy 1 adds every optional check on NDJSON, and
    // policy 2 ignores exp with a large leeway, a later clock and unguarded CSV.
    configs[1].format = io::output_format::ndjson;
    configs[1].policy.issuer = "https://ads.example";
    configs[1].policy.audience = "partner-1";
    configs[1].policy.required = {"cid", "rclid"};
    configs[1].policy.leeway_seconds = 30;
    configs[2].policy.verify_exp = false;
    configs[2].policy.leeway_seconds = 3600;
    configs[2].policy.required = {"iat"};
    configs[2].now_seconds = *now + 86400.5;
    configs[2].guard_csv_formulas = false;
    configs[2].fields = {"cid", "aud", "sub", "iat"};
    for (size_t i = 0; i < policy_count; ++i) {
        io::format_options format;
        format.guard_formulas = configs[i].guard_csv_formulas;
        formatters[i] = io::make_formatter(configs[i].format, configs[i].fields, format);
    }
}

token_harness::impl::~impl() {
    for (auto& [id, pkey] : independent_keys) {
        EVP_PKEY_free(pkey);
    }
}

EVP_PKEY* token_harness::impl::independent_key(const jws::es256_key& key) {
    auto [position, inserted] = independent_keys.try_emplace(key.instance_id(), nullptr);
    if (inserted) {
        position->second = make_independent_key(key);
    }
    return position->second;
}

void token_harness::impl::check_valid_record(const pipeline::batch& work, size_t index) {
    const pipeline::record_state& state = work.states[index];
    const io::line_record& line = work.lines.records[index];
    const std::string_view token = std::string_view(work.lines.text).substr(line.offset, line.length);
    if (state.key == nullptr) {
        fail("a valid record has no key");
    }
    // The key set contains four keys, so only a kid can select one.
    if (!state.has_kid) {
        fail("a valid record has no kid although the key set holds several keys");
    }
    const std::string_view kid = work.arena_view(state.kid);
    if (state.key->kid() != kid || key_snapshot->find(kid) != state.key) {
        fail("a valid record was verified with a key that its kid does not name");
    }
    if (!verify_with_evp(token, independent_key(*state.key))) {
        fail("a record judged valid does not verify with EVP_DigestVerify");
    }
}

void token_harness::impl::check_rows(const pipeline::run_config& config,
                                     std::string_view output,
                                     size_t records) {
    size_t rows = 0;
    while (!output.empty()) {
        const size_t end = output.find('\n');
        if (end == std::string_view::npos) {
            fail("an output row has no line end");
        }
        if (config.format == io::output_format::ndjson) {
            simdjson::padded_string row(output.substr(0, end));
            simdjson::dom::element element;
            if (row_parser.parse(row).get(element) != simdjson::SUCCESS
                || element.type() != simdjson::dom::element_type::OBJECT) {
                fail("an NDJSON row is not a JSON object");
            }
        }
        output.remove_prefix(end + 1);
        ++rows;
    }
    if (rows != records) {
        fail("the output has not one row per record");
    }
}

token_harness::token_harness() : impl_(std::make_unique<impl>()) {}

token_harness::~token_harness() = default;

const jws::es256_signer& token_harness::signer(size_t index) const noexcept {
    return impl_->signers[index % impl_->signers.size()];
}

const jws::es256_key* token_harness::signer_key(size_t index) const noexcept {
    return impl_->key_snapshot->find("fuzz-" + std::to_string(index % impl_->signers.size() + 1));
}

std::vector<record_verdict> token_harness::check_records(std::string_view text,
                                                         size_t policy_index) {
    impl& state = *impl_;
    const pipeline::run_config& config = state.configs[policy_index % policy_count];
    const io::row_formatter& formatter = *state.formatters[policy_index % policy_count];
    jws::verdict_cache no_cache(0);
    jws::verdict_cache fast_cache(fast_cache_entries);
    // The evp side checks every token in full. The fast side remembers tokens, so its second
    // pass over a batch takes the shortcut for repeats, and it must still give the same rows.
    pipeline::run_config remembering_config = config;
    remembering_config.dedup_capacity = fast_cache_entries;
    const pipeline::batch_verifier evp_checker(config, *state.keys, *state.evp_verifier, no_cache,
                                               formatter, state.source_names);
    const pipeline::batch_verifier fast_checker(remembering_config, *state.keys,
                                                *state.fast_verifier, fast_cache, formatter,
                                                state.source_names);

    memory_source source(text, 4096);
    io::line_reader reader(source, 0, config.max_token_bytes);
    std::vector<record_verdict> verdicts;
    for (;;) {
        state.evp_batch.clear();
        if (!reader.read_batch(state.evp_batch.lines, records_per_batch, 1 << 20)) {
            break;
        }
        state.fast_batch.clear();
        state.fast_batch.lines = state.evp_batch.lines;
        evp_checker.process(state.evp_batch);
        fast_checker.process(state.fast_batch);
        if (state.evp_batch.output != state.fast_batch.output) {
            fail("the evp and fast verifiers give different rows:\nevp:  "
                 + state.evp_batch.output + "fast: " + state.fast_batch.output);
        }
        state.repeat_batch.clear();
        state.repeat_batch.lines = state.evp_batch.lines;
        fast_checker.process(state.repeat_batch);
        if (state.repeat_batch.output != state.evp_batch.output) {
            fail("remembered tokens give different rows:\nfull:       "
                 + state.evp_batch.output + "remembered: " + state.repeat_batch.output);
        }
        const size_t records = state.evp_batch.lines.records.size();
        state.check_rows(config, state.evp_batch.output, records);
        for (size_t i = 0; i < records; ++i) {
            const pipeline::record_state& evp_state = state.evp_batch.states[i];
            if (evp_state.reason != state.fast_batch.states[i].reason) {
                fail("the evp and fast verifiers give different reasons");
            }
            if (evp_state.reason == jws::failure_reason::ok) {
                state.check_valid_record(state.evp_batch, i);
            }
            verdicts.push_back({evp_state.reason, evp_state.key});
        }
    }
    return verdicts;
}

token_harness& harness() {
    static token_harness instance;
    return instance;
}

} // namespace jwtbatch::fuzz
