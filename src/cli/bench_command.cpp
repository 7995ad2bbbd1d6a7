#include "cli/bench_command.hpp"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <boost/program_options.hpp>

#include "cli/options.hpp"
#include "cli/run.hpp"
#include "cli/sample_tokens.hpp"
#include "common/run_error.hpp"
#include "io/discard_sink.hpp"
#include "jws/es256_signer.hpp"
#include "pipeline/run_pipeline.hpp"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace jwtbatch::cli {
namespace {

/// A folder under the system temporary folder, removed with everything in it.
class scratch_folder {
public:
    scratch_folder() {
        std::string pattern = (fs::temp_directory_path() / "jwtbatch-bench-XXXXXX").string();
        if (mkdtemp(pattern.data()) == nullptr) {
            throw common::run_error("cannot create a temporary folder in "
                                    + fs::temp_directory_path().string()
                                    + ": set TMPDIR to a writable folder");
        }
        path_ = pattern;
    }

    ~scratch_folder() {
        std::error_code ignored;
        fs::remove_all(path_, ignored);
    }

    scratch_folder(const scratch_folder&) = delete;
    scratch_folder& operator=(const scratch_folder&) = delete;

    [[nodiscard]] const fs::path& path() const noexcept { return path_; }

private:
    fs::path path_;
};

void write_text(const fs::path& path, const std::string& text) {
    std::ofstream file(path, std::ios::binary);
    file << text;
    if (!file.flush()) {
        throw common::run_error("cannot write " + path.string() + ": check free space in TMPDIR");
    }
}

std::vector<std::string> split_list(const std::string& text) {
    std::vector<std::string> items;
    std::istringstream stream(text);
    std::string item;
    while (std::getline(stream, item, ',')) {
        if (!item.empty()) {
            items.push_back(item);
        }
    }
    return items;
}

struct bench_options {
    size_t tokens = 20000;
    std::vector<size_t> threads;
    std::vector<jws::verifier_kind> verifiers;
};

bench_options parse_bench_options(int argc, const char* const* argv) {
    long long tokens = 20000;
    std::string threads;
    std::string verifiers = "fast,evp";
    po::options_description options("bench options");
    options.add_options()
        ("tokens", po::value(&tokens)->value_name("N"), "tokens to generate (default 20000)")
        ("threads", po::value(&threads)->value_name("N,..."),
         "thread counts to measure (default 1 and all cores)")
        ("verifier", po::value(&verifiers)->value_name("NAME,..."),
         "verifiers to measure (default fast,evp)")
        ("help,h", "print this help and exit");
    po::variables_map vm;
    try {
        po::store(po::command_line_parser(argc, argv).options(options).run(), vm);
        po::notify(vm);
    } catch (const po::error& error) {
        throw usage_error(std::string("bench: ") + error.what());
    }
    if (vm.count("help")) {
        std::ostringstream help;
        help << "Usage: jwtbatch bench [OPTIONS]\n"
             << "Measure verification throughput on generated tokens.\n\n"
             << options;
        std::fputs(help.str().c_str(), stdout);
        std::exit(0);
    }

    bench_options out;
    if (tokens < 1) {
        throw usage_error("invalid value for --tokens: must be at least 1");
    }
    out.tokens = static_cast<size_t>(tokens);
    for (const std::string& item : split_list(threads)) {
        long long count = 0;
        try {
            count = std::stoll(item);
        } catch (const std::exception&) {
            count = 0;
        }
        if (count < 1) {
            throw usage_error("invalid value for --threads: '" + item + "': use counts such as 1,2");
        }
        out.threads.push_back(static_cast<size_t>(count));
    }
    if (out.threads.empty()) {
        out.threads.push_back(1);
        const size_t cores = std::max(1u, std::thread::hardware_concurrency());
        if (cores > 1) {
            out.threads.push_back(cores);
        }
    }
    for (const std::string& item : split_list(verifiers)) {
        auto kind = jws::parse_verifier_kind(item);
        if (!kind) {
            throw usage_error("invalid value for --verifier: '" + item + "': use fast or evp");
        }
        out.verifiers.push_back(*kind);
    }
    return out;
}

} // namespace

int run_bench(int argc, const char* const* argv) {
    const bench_options options = parse_bench_options(argc, argv);
    scratch_folder folder;
    const double now =
        std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();

    std::printf("jwtbatch bench: signing %zu tokens with a key generated for this run\n",
                options.tokens);
    std::fflush(stdout);
    jws::es256_signer signer;
    const fs::path jwks_path = folder.path() / "jwks.json";
    const fs::path tokens_path = folder.path() / "tokens.txt";
    write_text(jwks_path, signer.to_jwks_json("bench"));
    write_text(tokens_path, make_sample_tokens(signer, "bench", options.tokens, now));
    jwks::key_store keys({jwks_path.string()}, jwks::fetch_options{});

    std::printf("%-8s %7s %12s %12s\n", "verifier", "threads", "tokens/s", "vs 1 thread");
    for (jws::verifier_kind verifier : options.verifiers) {
        double single_thread_rate = 0;
        for (size_t threads : options.threads) {
            pipeline::run_config config;
            config.inputs = {tokens_path.string()};
            config.threads = threads;
            config.now_seconds = now;
            config.verifier = verifier;
            config.dedup_capacity = 0;
            io::discard_sink sink;
            const std::atomic<bool> never_stop{false};
            auto counters = pipeline::run_pipeline(config, keys, sink, never_stop);
            if (counters.valid() != options.tokens) {
                throw common::run_error("bench: only " + std::to_string(counters.valid()) + " of "
                                        + std::to_string(options.tokens)
                                        + " generated tokens verified; please report this");
            }
            const double rate = static_cast<double>(counters.records) / counters.seconds;
            if (threads == 1) {
                single_thread_rate = rate;
            }
            std::printf("%-8s %7zu %12.0f", verifier == jws::verifier_kind::fast ? "fast" : "evp",
                        threads, rate);
            if (single_thread_rate > 0) {
                std::printf(" %11.2fx", rate / single_thread_rate);
            }
            std::printf("\n");
            std::fflush(stdout);
        }
    }
    return all_valid;
}

} // namespace jwtbatch::cli
