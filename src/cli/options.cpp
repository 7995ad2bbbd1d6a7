#include "cli/options.hpp"

#include <chrono>
#include <cmath>
#include <sstream>

#include <boost/program_options.hpp>

#include "io/line_reader.hpp"
#include "jws/claims.hpp"
#include "jws/verdict_cache.hpp"
#include "pipeline/ndjson_record.hpp"

namespace po = boost::program_options;

namespace jwtbatch::cli {
namespace {

constexpr const char* usage_line =
    "Usage: jwtbatch [OPTIONS] [FILE ...]\n"
    "       jwtbatch bench [--tokens N] [--threads N,...] [--verifier NAME,...]\n"
    "Verify ES256 JSON Web Tokens, one per line or one per NDJSON or CSV record, against a JWKS.\n"
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
    std::string input_format = "lines";
    std::string token_field = "/token";
    std::string token_column = "token";
    std::string csv_delimiter = ",";
    std::string keep;
    std::string time_field;
    std::string time_format = "rfc3339";
    std::string timestamps = "unix";
    std::string only;
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

    po::options_description input("Input");
    input.add_options()
        ("input-format", po::value(&raw.input_format)->value_name("lines|ndjson|csv|auto"),
         "how records hold the token (default lines); auto picks per file from its first line")
        ("token-field", po::value(&raw.token_field)->value_name("POINTER"),
         "NDJSON: JSON Pointer (RFC 6901) or member name of the token (default /token)")
        ("token-column", po::value(&raw.token_column)->value_name("NAME|N"),
         "CSV: header name or 1-based index of the token column (default token)")
        ("csv-delimiter", po::value(&raw.csv_delimiter)->value_name("CHAR"),
         "CSV: field delimiter, one byte or 'tab' (default ,)")
        ("keep", po::value(&raw.keep)->value_name("NAME,..."),
         "copy these record fields (JSON Pointers or CSV columns) into every output row")
        ("time-field", po::value(&raw.time_field)->value_name("NAME"),
         "judge exp, nbf and iat at this record field's event time instead of --now")
        ("time-format", po::value(&raw.time_format)->value_name("unix|unix-ms|rfc3339"),
         "how --time-field is written (default rfc3339)");

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
        ("timestamps", po::value(&raw.timestamps)->value_name("unix|rfc3339"),
         "write iat, exp and nbf as unix seconds or RFC 3339 UTC date-times (default unix)")
        ("only", po::value(&raw.only)->value_name("valid|invalid"),
         "write only rows of this status; the summary still counts every record")
        ("emit-unverified-claims",
         "add the decoded payload of invalid tokens as unverified_claims (never trust it)")
        ("no-formula-guard",
         "write CSV cells starting with = + - @ as they are (default: prefixed with ')")
        ("quiet,q", "print no summary and no warnings, only errors")
        ("verbose,v", "log key loading and fetches");

    po::options_description performance("Performance");
    performance.add_options()
        ("threads", po::value(&raw.threads)->value_name("N"),
         "worker threads, 1 to 1024 (default and 0: all cores)")
        ("max-token-bytes", po::value(&raw.max_token_bytes)->value_name("N"),
         "records longer than N bytes are too_long; each input reserves N bytes (default 65536)")
        ("verifier", po::value(&raw.verifier)->value_name("fast|evp"),
         "signature verifier (default fast); evp uses OpenSSL's provider API, for FIPS setups")
        ("dedup-cache", po::value(&raw.dedup_cache)->value_name("N"),
         "remember N signature verdicts to skip repeated tokens (default about 64 MiB, 0 off)");

    po::options_description general("General");
    general.add_options()
        ("help,h", "print this help and exit")
        ("version,V", "print the version and exit");

    po::options_description all;
    all.add(keys).add(input).add(verification).add(output).add(performance).add(general);
    return all;
}

long long require_in_range(long long value,
                           long long minimum,
                           long long maximum,
                           const char* option) {
    if (value < minimum || value > maximum) {
        throw usage_error(std::string("invalid value for --") + option + ": "
                          + std::to_string(value) + ": use a whole number from "
                          + std::to_string(minimum) + " to " + std::to_string(maximum));
    }
    return value;
}

long long require_at_least(long long value, long long minimum, const char* option) {
    if (value < minimum) {
        throw usage_error(std::string("invalid value for --") + option + ": "
                          + std::to_string(value) + ": must be at least " + std::to_string(minimum));
    }
    return value;
}

double current_unix_seconds() {
    using namespace std::chrono;
    return duration<double>(system_clock::now().time_since_epoch()).count();
}

pipeline::input_format parse_input_format(const std::string& text) {
    if (text == "lines") {
        return pipeline::input_format::lines;
    }
    if (text == "ndjson") {
        return pipeline::input_format::ndjson;
    }
    if (text == "csv") {
        return pipeline::input_format::csv;
    }
    if (text == "auto") {
        return pipeline::input_format::detect;
    }
    throw usage_error("invalid value for --input-format: '" + text
                      + "': use lines, ndjson, csv or auto");
}

pipeline::time_format parse_time_format(const std::string& text) {
    if (text == "unix") {
        return pipeline::time_format::unix_seconds;
    }
    if (text == "unix-ms") {
        return pipeline::time_format::unix_milliseconds;
    }
    if (text == "rfc3339") {
        return pipeline::time_format::rfc3339;
    }
    throw usage_error("invalid value for --time-format: '" + text
                      + "': use unix, unix-ms or rfc3339");
}

char parse_delimiter(const std::string& text) {
    if (text == "tab" || text == "\\t") {
        return '\t';
    }
    if (text.size() != 1 || text[0] == '"' || text[0] == '\n' || text[0] == '\r') {
        throw usage_error("invalid value for --csv-delimiter: '" + text
                          + "': use one byte other than a quote or line end, or 'tab'");
    }
    return text[0];
}

void require_ndjson_field(const std::string& name, const char* option) {
    if (!pipeline::is_valid_ndjson_field(name)) {
        throw usage_error(std::string("invalid value for --") + option + ": '" + name
                          + "': use a JSON Pointer such as /token or /user/id (write ~ as ~0 "
                            "and / inside a name as ~1), or a plain member name");
    }
}

/// Validates the options that select the token, the event time and the kept fields of records.
void validate_input(const raw_options& raw, const po::variables_map& vm, pipeline::run_config& run) {
    run.input = parse_input_format(raw.input_format);
    run.keep = split_list(raw.keep);
    std::optional<std::string> time_field;
    if (vm.count("time-field")) {
        time_field = raw.time_field;
    }
    if (run.input == pipeline::input_format::lines && (!run.keep.empty() || time_field)) {
        throw usage_error("--keep and --time-field need structured records: add "
                          "--input-format ndjson, csv or auto");
    }
    if (run.input == pipeline::input_format::ndjson || run.input == pipeline::input_format::detect) {
        require_ndjson_field(raw.token_field, "token-field");
        for (const std::string& name : run.keep) {
            require_ndjson_field(name, "keep");
        }
        if (time_field) {
            require_ndjson_field(*time_field, "time-field");
        }
    }
    if (raw.token_column.empty()) {
        throw usage_error("invalid value for --token-column: give a header name or a 1-based index");
    }
    run.ndjson_fields = {raw.token_field, time_field, run.keep};
    run.csv_fields = {raw.token_column, time_field, run.keep};
    run.csv_delimiter = parse_delimiter(raw.csv_delimiter);
    run.event_time_format = parse_time_format(raw.time_format);
}

/// Validates the options that choose which rows are written and how.
void validate_rows(const raw_options& raw, const po::variables_map& vm, pipeline::run_config& run) {
    if (raw.timestamps == "rfc3339") {
        run.rfc3339_timestamps = true;
    } else if (raw.timestamps != "unix") {
        throw usage_error("invalid value for --timestamps: '" + raw.timestamps
                          + "': use unix or rfc3339");
    }
    if (raw.only == "valid") {
        run.only = pipeline::row_filter::valid;
    } else if (raw.only == "invalid") {
        run.only = pipeline::row_filter::invalid;
    } else if (vm.count("only")) {
        throw usage_error("invalid value for --only: '" + raw.only + "': use valid or invalid");
    }
    run.emit_unverified_claims = vm.count("emit-unverified-claims") > 0;
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
    validate_input(raw, vm, run);
    validate_rows(raw, vm, run);
    run.guard_csv_formulas = vm.count("no-formula-guard") == 0;
    if (!raw.output.empty() && raw.output != "-") {
        out.output_path = raw.output;
    }
    if (!raw.summary_json.empty()) {
        out.summary_json_path = raw.summary_json;
    }
    out.quiet = vm.count("quiet") > 0;
    out.verbose = vm.count("verbose") > 0;

    // Thread counts past a thousand only add contention; 0 means all cores, as the default.
    run.threads = static_cast<size_t>(require_in_range(raw.threads, 0, 1024, "threads"));
    // The reader reserves this much per input up front, so the limit also bounds memory.
    run.max_token_bytes = static_cast<size_t>(require_in_range(
        raw.max_token_bytes, 16, static_cast<long long>(io::max_line_bytes_limit), "max-token-bytes"));
    auto verifier = jws::parse_verifier_kind(raw.verifier);
    if (!verifier) {
        throw usage_error("invalid value for --verifier: '" + raw.verifier + "': use fast or evp");
    }
    run.verifier = *verifier;
    // 2^27 entries of about 120 bytes are 16 GiB, more than any run needs.
    run.dedup_capacity =
        vm.count("dedup-cache") == 0
            ? jws::verdict_cache::default_capacity()
            : static_cast<size_t>(require_in_range(raw.dedup_cache, 0, 1LL << 27, "dedup-cache"));
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
