#include "cli/run.hpp"

#include <atomic>
#include <csignal>
#include <cstdio>
#include <exception>
#include <string>
#include <string_view>
#include <sys/resource.h>
#include <unistd.h>

#include "cli/bench_command.hpp"
#include "cli/options.hpp"
#include "cli/progress.hpp"
#include "cli/summary.hpp"
#include "common/logger.hpp"
#include "common/run_error.hpp"
#include "io/output_sink.hpp"
#include "jwks/key_store.hpp"
#include "pipeline/run_pipeline.hpp"

namespace jwtbatch::cli {
namespace {

std::atomic<bool> stop_requested{false};
static_assert(std::atomic<bool>::is_always_lock_free, "the signal handler needs a lock-free flag");

extern "C" void on_stop_signal(int) { stop_requested.store(true); }

/// Ignores SIGPIPE, so a closed stdout shows up as EPIPE, and SIGXFSZ, so a file-size limit
/// shows up as EFBIG with a message. The first SIGINT or SIGTERM becomes a request to stop, and a
/// second one ends the process the default way.
void install_signal_handlers() {
    std::signal(SIGPIPE, SIG_IGN);
    std::signal(SIGXFSZ, SIG_IGN);
    struct sigaction action {};
    action.sa_handler = on_stop_signal;
    action.sa_flags = SA_RESETHAND;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);
}

void print_stderr(const std::string& text) {
    std::fwrite(text.data(), 1, text.size(), stderr);
    std::fflush(stderr);
}

void log_key_sources(const command& cmd, const jwks::key_store& keys) {
    if (!common::is_log_enabled(common::log_level::info)) {
        return;
    }
    auto snapshot = keys.snapshot();
    std::string kids;
    for (const std::string& kid : snapshot->kids()) {
        kids += (kids.empty() ? "" : ", ") + (kid.empty() ? std::string("(no kid)") : kid);
    }
    common::log_info("loaded " + std::to_string(snapshot->size()) + " keys from "
                     + std::to_string(cmd.key_sources.size()) + " sources: " + kids);
    common::log_info("verifying " + std::to_string(cmd.run.inputs.size()) + " inputs with the "
                     + std::string(cmd.run.verifier == jws::verifier_kind::fast ? "fast" : "evp")
                     + " verifier");
}

int exit_status_for(const pipeline::run_counters& counters) {
    if (counters.interrupted || counters.has_failed_source()) {
        return run_failed;
    }
    return counters.invalid() > 0 ? some_invalid : all_valid;
}

int run_verification(const command& cmd) {
    if (cmd.run.inputs.size() == 1 && cmd.run.inputs[0] == "-" && ::isatty(STDIN_FILENO)) {
        common::log_warn("reading tokens from the terminal; pass FILE arguments or pipe input");
    }
    jwks::key_store keys(cmd.key_sources, cmd.fetch);
    log_key_sources(cmd, keys);

    const std::string output_path = cmd.output_path.value_or("");
    auto sink = io::open_output(output_path);
    // Opened before the run, so a bad summary path fails in a second, not after the whole run.
    std::unique_ptr<io::output_sink> summary_sink;
    if (cmd.summary_json_path) {
        summary_sink = io::open_output(*cmd.summary_json_path);
    }
    // Progress goes to stderr only when a person watches it, never into the rows on stdout.
    progress_line progress(STDERR_FILENO);
    pipeline::progress_callback on_progress;
    if (!cmd.quiet && ::isatty(STDERR_FILENO)) {
        on_progress = [&progress](const pipeline::progress_snapshot& snapshot) {
            progress.update(snapshot);
        };
    }
    pipeline::run_counters counters =
        pipeline::run_pipeline(cmd.run, keys, *sink, stop_requested, on_progress);
    progress.clear();
    if (counters.interrupted) {
        common::log_error(output_path.empty()
                              ? std::string("interrupted by a signal; the output is incomplete")
                              : "interrupted by a signal; " + output_path + " was not written");
    } else if (!counters.output_closed) {
        sink->commit();
    }

    rusage usage{};
    if (getrusage(RUSAGE_SELF, &usage) == 0) {
        counters.peak_rss_bytes = static_cast<std::uint64_t>(usage.ru_maxrss) * 1024;
    }
    const int status = exit_status_for(counters);
    common::flush_suppressed_warnings();
    if (!cmd.quiet) {
        print_stderr(format_summary(counters));
    }
    if (summary_sink) {
        summary_sink->write(format_summary_json(counters, status));
        summary_sink->commit();
    }
    return status;
}

} // namespace

int run(int argc, char** argv) noexcept {
    try {
        if (argc >= 2 && std::string_view(argv[1]) == "bench") {
            install_signal_handlers();
            return run_bench(argc - 1, argv + 1);
        }
        command cmd = parse_command_line(argc, argv);
        switch (cmd.what) {
        case command::action::help:
            std::fwrite(cmd.help_text.data(), 1, cmd.help_text.size(), stdout);
            return all_valid;
        case command::action::version:
            std::printf("jwtbatch %s\n", JWTBATCH_VERSION);
            return all_valid;
        case command::action::run:
            break;
        }
        common::set_log_level(cmd.quiet     ? common::log_level::error
                              : cmd.verbose ? common::log_level::info
                                            : common::log_level::warn);
        install_signal_handlers();
        return run_verification(cmd);
    } catch (const usage_error& error) {
        print_stderr(std::string("jwtbatch: ") + error.what()
                     + "\nTry 'jwtbatch --help' for more information.\n");
    } catch (const common::run_error& error) {
        print_stderr(std::string("jwtbatch: ") + error.what() + "\n");
    } catch (const std::exception& error) {
        print_stderr(std::string("jwtbatch: internal error: ") + error.what() + "\n");
    }
    return run_failed;
}

} // namespace jwtbatch::cli
