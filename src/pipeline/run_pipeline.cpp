#include "pipeline/run_pipeline.hpp"

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/parallel_pipeline.h>

#include "common/logger.hpp"
#include "common/run_error.hpp"
#include "io/input_source.hpp"
#include "io/line_reader.hpp"
#include "jws/verdict_cache.hpp"
#include "pipeline/batch_verifier.hpp"

namespace jwtbatch::pipeline {
namespace {

/// Recycles batches so that their buffers keep their capacity. At most `live` batches exist.
class batch_pool {
public:
    batch* acquire() {
        std::lock_guard lock(mutex_);
        if (!free_.empty()) {
            batch* item = free_.back();
            free_.pop_back();
            return item;
        }
        owned_.push_back(std::make_unique<batch>());
        return owned_.back().get();
    }

    void release(batch* item) {
        item->clear();
        std::lock_guard lock(mutex_);
        free_.push_back(item);
    }

private:
    std::mutex mutex_;
    std::vector<std::unique_ptr<batch>> owned_;
    std::vector<batch*> free_;
};

/// The serial input stage: walks the inputs in order and fills batches with their lines.
class batch_reader {
public:
    batch_reader(const run_config& config, run_counters& counters)
        : config_(config)
        , counters_(counters) {}

    /// Fills `work` with the next lines; returns false when every input is exhausted.
    bool fill(batch& work) {
        while (source_index_ < config_.inputs.size()) {
            if (!reader_ && !open_next()) {
                continue;
            }
            const size_t before = work.lines.records.size();
            const std::uint64_t blank_before = work.lines.blank_lines;
            try {
                bool has_more = reader_->read_batch(work.lines,
                                                    config_.batch_records,
                                                    config_.batch_text_bytes);
                records_in_source_ += work.lines.records.size() - before;
                note_blank_lines(work, blank_before);
                if (has_more && !work.lines.records.empty()) {
                    return true;
                }
                if (!has_more) {
                    close_current();
                }
                if (!work.lines.records.empty()) {
                    return true;
                }
            } catch (const common::run_error& error) {
                records_in_source_ += work.lines.records.size() - before;
                note_blank_lines(work, blank_before);
                fail_current(error.what());
                if (!work.lines.records.empty()) {
                    return true;
                }
            }
        }
        return !work.lines.records.empty() || work.lines.blank_lines > 0;
    }

private:
    void note_blank_lines(batch& work, std::uint64_t blank_before) {
        if (work.lines.blank_lines > blank_before) {
            work.blank_lines_by_source.emplace_back(static_cast<std::uint32_t>(source_index_),
                                                    work.lines.blank_lines - blank_before);
        }
    }

    bool open_next() {
        const std::string& path = config_.inputs[source_index_];
        try {
            source_ = io::open_input(path);
        } catch (const common::run_error& error) {
            mark_failed(error.what());
            ++source_index_;
            return false;
        }
        reader_ = std::make_unique<io::line_reader>(*source_,
                                                    static_cast<std::uint32_t>(source_index_),
                                                    config_.max_token_bytes);
        records_in_source_ = 0;
        return true;
    }

    void close_current() {
        counters_.bytes_read += source_->bytes_consumed();
        reader_.reset();
        source_.reset();
        ++source_index_;
    }

    void fail_current(const std::string& message) {
        mark_failed(message + " after " + std::to_string(records_in_source_)
                    + " records; the rows before the fault are valid");
        close_current();
    }

    void mark_failed(const std::string& message) {
        source_counters& source = counters_.sources[source_index_];
        source.failed = true;
        source.error = message;
        common::log_error(message);
    }

    const run_config& config_;
    run_counters& counters_;
    size_t source_index_ = 0;
    std::unique_ptr<io::input_source> source_;
    std::unique_ptr<io::line_reader> reader_;
    std::uint64_t records_in_source_ = 0;
};

/// Adds the verdicts of one batch to the run's counters. Runs in the serial output stage.
void count_batch(const batch& work, run_counters& counters) {
    counters.dedup_hits += work.dedup_hits;
    for (size_t i = 0; i < work.states.size(); ++i) {
        const io::line_record& line = work.lines.records[i];
        const record_state& state = work.states[i];
        const auto reason = static_cast<size_t>(state.reason);
        source_counters& source = counters.sources[line.source_index];
        ++source.records;
        ++source.by_reason[reason];
        ++counters.records;
        ++counters.by_reason[reason];
        if (state.reason == jws::failure_reason::ok) {
            ++counters.valid_by_kid[std::string(work.arena_view(state.kid))];
        }
    }
    for (const auto& [source_index, blank_lines] : work.blank_lines_by_source) {
        counters.sources[source_index].blank_lines += blank_lines;
        counters.blank_lines += blank_lines;
    }
}

size_t thread_count(const run_config& config) {
    if (config.threads > 0) {
        return config.threads;
    }
    return std::max<size_t>(1, std::thread::hardware_concurrency());
}

} // namespace

run_counters run_pipeline(const run_config& config,
                          jwks::key_store& keys,
                          io::output_sink& sink,
                          const std::atomic<bool>& stop) {
    run_counters counters;
    std::vector<std::string> source_names;
    for (const std::string& input : config.inputs) {
        source_counters source;
        source.name = input;
        counters.sources.push_back(std::move(source));
        source_names.push_back(input);
    }

    const size_t threads = thread_count(config);
    tbb::global_control parallelism(tbb::global_control::max_allowed_parallelism, threads);
    auto verifier = jws::make_verifier(config.verifier);
    jws::verdict_cache cache(config.dedup_capacity);
    auto formatter = io::make_formatter(config.format,
                                       config.fields,
                                       io::format_options{.guard_formulas = config.guard_csv_formulas});
    batch_verifier checker(config, keys, *verifier, cache, *formatter, source_names);

    std::string header;
    formatter->append_header(header);
    if (!sink.write(header)) {
        counters.output_closed = true;
        return counters;
    }

    batch_pool pool;
    batch_reader reader(config, counters);
    const auto started = std::chrono::steady_clock::now();

    auto read_stage = [&](tbb::flow_control& control) -> batch* {
        if (stop.load(std::memory_order_relaxed) || counters.output_closed) {
            control.stop();
            return nullptr;
        }
        batch* work = pool.acquire();
        if (!reader.fill(*work)) {
            pool.release(work);
            control.stop();
            return nullptr;
        }
        return work;
    };
    auto verify_stage = [&](batch* work) -> batch* {
        checker.process(*work);
        return work;
    };
    auto write_stage = [&](batch* work) {
        count_batch(*work, counters);
        if (!counters.output_closed && !sink.write(work->output)) {
            counters.output_closed = true;
        }
        pool.release(work);
    };

    // NOTE: an exception from a stage (only the sink throws) cancels the pipeline and is
    // rethrown here, which is the intended end of the run.
    tbb::parallel_pipeline(
        threads * live_batches_per_thread,
        tbb::make_filter<void, batch*>(tbb::filter_mode::serial_in_order, read_stage)
            & tbb::make_filter<batch*, batch*>(tbb::filter_mode::parallel, verify_stage)
            & tbb::make_filter<batch*, void>(tbb::filter_mode::serial_in_order, write_stage));

    counters.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    counters.key_refreshes = keys.refresh_count();
    counters.interrupted = stop.load();
    return counters;
}

} // namespace jwtbatch::pipeline
