#include "cli/options.hpp"

#include <chrono>
#include <cmath>
#include <sstream>

#include <boost/program_options.hpp>

#include "jws/claims.hpp"
#include "jws/verdict_cache.hpp"

namespace po = boost::program_options;

namespace jwtbatch::cli {
namespace {

constexpr const char* usage_line =
    "Usage: jwtbatch [OPTIONS] [FILE ...]\n"
    "       jwtbatch bench [--tokens N] [--threads N,...] [--verifier NAME,...]\n"
    "Verify ES256 JSON Web Tokens, one per line, against a JWKS.\n"
    "FILE '-' or no FILE reads stdin. 'jwtbatch bench' measures this machine on generated tokens.\n";

constexpr const char* exit_status_text =
    "Exit status: 0 every record valid, 1 at least one invalid record, 2 usage, key, network or\n"
    "I/O error.\n";

/// Option values as strings and flags, before validation.
struct raw_options {
    std::vector<std::string> inputs;
    std::vector<std::string> jwks;
    std::string cacert;
    double jwks_timeout = 10;
    std::string jwks_cache_dir;
    long long jwks_ttl = 3600;
    long long jwks_max_stale = 7 * 24 * 3600;
    long long jwks_refresh_cooldown = 300;
    std::string now;
    double leeway = 0;
    std::string issuer;
    std::string audience;
    std::string require;
    std::string format = "csv";
    std::string fields = "cid,crid,rclid,iat,exp";
    std::string output;
    std::string summary_json;
    long long threads = 0;
    long long max_token_bytes = 64 * 1024;
    std::string verifier = "fast";
    long long dedup_cache = -1;
};

std::vector<std::string> split_list(const std::string& text) {
    std::vector<std::string> items;
    std::string item;
    std::istringstream stream(text);
    while (std::getline(stream, item, ',')) {
        if (!item.empty()) {
            items.push_back(item);
        }
    }
    return items;
}

po::options_description describe_options(raw_options& raw) {
    po::options_description keys("Keys");
    keys.add_options()
        ("jwks", po::value(&raw.jwks)->value_name("PATH|URL"),
         "JWKS file or https URL; repeatable, keys are merged (required)")
        ("cacert", po::value(&raw.cacert)->value_name("FILE"),
         "PEM CA certificates for URL sources instead of the system store")
        ("jwks-timeout", po::value(&raw.jwks_timeout)->value_name("SECONDS"),
         "connect, handshake and total timeout of a JWKS fetch (default 10)")
        ("jwks-cache-dir", po::value(&raw.jwks_cache_dir)->value_name("DIR"),
         "JWKS cache folder (default $XDG_CACHE_HOME/jwtbatch or ~/.cache/jwtbatch)")
        ("jwks-ttl", po::value(&raw.jwks_ttl)->value_name("SECONDS"),
         "use a cached JWKS without a request while younger than this (default 3600)")
        ("jwks-max-stale", po::value(&raw.jwks_max_stale)->value_name("SECONDS"),
         "use a stale cached JWKS when the server is unreachable, up to this age (default 604800)")
        ("jwks-refresh-cooldown", po::value(&raw.jwks_refresh_cooldown)->value_name("SECONDS"),
         "minimum time between refetches on an unknown kid (default 300)")
        ("offline", "use cached JWKS entries only; never connect")
        ("allow-http", "accept http:// JWKS URLs (tests and private networks only)");

    po::options_description verification("Verification");
    verification.add_options()
        ("now", po::value(&raw.now)->value_name("TIME"),
         "evaluation time: unix seconds or RFC 3339 (default: the clock at start)")
        ("leeway", po::value(&raw.leeway)->value_name("SECONDS"),
         "allowed clock skew for exp, nbf and iat (default 0)")
        ("no-verify-exp", "do not reject expired tokens")
        ("issuer", po::value(&raw.issuer)->value_name("ISS"), "require iss to equal ISS")
        ("audience", po::value(&raw.audience)->value_name("AUD"), "require aud to contain AUD")
        ("require", po::value(&raw.require)->value_name("CLAIM,..."),
         "require these claims to be present");

    po::options_description output("Output");
    output.add_options()
        ("format", po::value(&raw.format)->value_name("csv|ndjson"), "output format (default csv)")
        ("fields", po::value(&raw.fields)->value_name("NAME,..."),
         "claim columns in CSV (default cid,crid,rclid,iat,exp)")
        ("output", po::value(&raw.output)->value_name("FILE"),
         "write rows to FILE, replaced atomically when the run ends (default stdout)")
        ("summary-json", po::value(&raw.summary_json)->value_name("FILE"),
         "write the run summary as JSON to FILE")
        ("no-formula-guard",
         "write CSV cells starting with = + - @ as they are (default: prefixed with ')")
        ("quiet,q", "print no summary and no warnings, only errors")
        ("verbose,v", "log key loading and fetches");

    po::options_description performance("Performance");
    performance.add_options()
        ("threads", po::value(&raw.threads)->value_name("N"), "worker threads (default: all cores)")
        ("max-token-bytes", po::value(&raw.max_token_bytes)->value_name("N"),
         "records longer than N bytes are too_long (default 65536)")
        ("verifier", po::value(&raw.verifier)->value_name("fast|evp"),
         "signature verifier (default fast); evp uses OpenSSL's provider API, for FIPS setups")
        ("dedup-cache", po::value(&raw.dedup_cache)->value_name("N"),
         "remember N signature verdicts to skip repeated tokens (default about 64 MiB, 0 off)");

    po::options_description general("General");
    general.add_options()
        ("help,h", "print this help and exit")
        ("version,V", "print the version and exit");

    po::options_description all;
    all.add(keys).add(verification).add(output).add(performance).add(general);
    return all;
}

long long require_at_least(long long value, long long minimum, const char* option) {
    if (value < minimum) {
        throw usage_error(std::string("invalid value for --") + option + ": must be at least "
                          + std::to_string(minimum));
    }
    return value;
}

double current_unix_seconds() {
    using namespace std::chrono;
    return duration<double>(system_clock::now().time_since_epoch()).count();
}

void validate_into(const raw_options& raw, const po::variables_map& vm, command& out) {
    pipeline::run_config& run = out.run;
    run.inputs = raw.inputs.empty() ? std::vector<std::string>{"-"} : raw.inputs;

    if (raw.jwks.empty()) {
        throw usage_error("no key source: give --jwks PATH or --jwks https://HOST/PATH");
    }
    out.key_sources = raw.jwks;
    out.fetch.offline = vm.count("offline") > 0;
    out.fetch.allow_http = vm.count("allow-http") > 0;
    if (!raw.cacert.empty()) {
        out.fetch.cacert_path = raw.cacert;
    }
    if (!(raw.jwks_timeout > 0) || !std::isfinite(raw.jwks_timeout)) {
        throw usage_error("invalid value for --jwks-timeout: must be a positive number of seconds");
    }
    out.fetch.timeout = std::chrono::milliseconds(static_cast<long long>(raw.jwks_timeout * 1000));
    out.fetch.cache_dir = raw.jwks_cache_dir;
    out.fetch.ttl = std::chrono::seconds(require_at_least(raw.jwks_ttl, 0, "jwks-ttl"));
    out.fetch.max_stale =
        std::chrono::seconds(require_at_least(raw.jwks_max_stale, 0, "jwks-max-stale"));
    out.fetch.refresh_cooldown = std::chrono::seconds(
        require_at_least(raw.jwks_refresh_cooldown, 0, "jwks-refresh-cooldown"));

    if (vm.count("now")) {
        auto now = jws::parse_time(raw.now);
        if (!now) {
            throw usage_error("invalid value for --now: '" + raw.now
                              + "': use unix seconds or RFC 3339, e.g. 2024-05-01T12:00:00Z");
        }
        run.now_seconds = *now;
    } else {
        run.now_seconds = current_unix_seconds();
    }
    if (!(raw.leeway >= 0) || !std::isfinite(raw.leeway)) {
        throw usage_error("invalid value for --leeway: must be a non-negative number of seconds");
    }
    run.policy.leeway_seconds = raw.leeway;
    run.policy.verify_exp = vm.count("no-verify-exp") == 0;
    if (vm.count("issuer")) {
        run.policy.issuer = raw.issuer;
    }
    if (vm.count("audience")) {
        run.policy.audience = raw.audience;
    }
    run.policy.required = split_list(raw.require);

    if (raw.format == "csv") {
        run.format = io::output_format::csv;
    } else if (raw.format == "ndjson") {
        run.format = io::output_format::ndjson;
    } else {
        throw usage_error("invalid value for --format: '" + raw.format + "': use csv or ndjson");
    }
    run.fields = split_list(raw.fields);
    run.guard_csv_formulas = vm.count("no-formula-guard") == 0;
    if (!raw.output.empty() && raw.output != "-") {
        out.output_path = raw.output;
    }
    if (!raw.summary_json.empty()) {
        out.summary_json_path = raw.summary_json;
    }
    out.quiet = vm.count("quiet") > 0;
    out.verbose = vm.count("verbose") > 0;

    run.threads = static_cast<size_t>(require_at_least(raw.threads, 0, "threads"));
    run.max_token_bytes =
        static_cast<size_t>(require_at_least(raw.max_token_bytes, 16, "max-token-bytes"));
    auto verifier = jws::parse_verifier_kind(raw.verifier);
    if (!verifier) {
        throw usage_error("invalid value for --verifier: '" + raw.verifier + "': use fast or evp");
    }
    run.verifier = *verifier;
    run.dedup_capacity = raw.dedup_cache < 0 ? jws::verdict_cache::default_capacity()
                                             : static_cast<size_t>(raw.dedup_cache);
}

} // namespace

command parse_command_line(int argc, const char* const* argv) {
    raw_options raw;
    po::options_description visible = describe_options(raw);
    po::options_description hidden;
    hidden.add_options()("input", po::value(&raw.inputs));
    po::options_description all;
    all.add(visible).add(hidden);
    po::positional_options_description positional;
    positional.add("input", -1);

    command out;
    std::ostringstream help;
    help << usage_line << "\n" << visible << "\n" << exit_status_text;
    out.help_text = help.str();

    po::variables_map vm;
    try {
        po::store(po::command_line_parser(argc, argv).options(all).positional(positional).run(),
                  vm);
        po::notify(vm);
    } catch (const po::error& error) {
        throw usage_error(error.what());
    }
    if (vm.count("help")) {
        out.what = command::action::help;
        return out;
    }
    if (vm.count("version")) {
        out.what = command::action::version;
        return out;
    }
    validate_into(raw, vm, out);
    return out;
}

} // namespace jwtbatch::cli
