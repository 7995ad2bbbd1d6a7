#include "pipeline/run_pipeline.hpp"

#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/parallel_for_each.h>
#include <oneapi/tbb/parallel_pipeline.h>
#include <oneapi/tbb/task_arena.h>

#include "common/logger.hpp"
#include "common/run_error.hpp"
#include "io/csv_record.hpp"
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

/// Picks the format of a source from its first non-blank line (see `input_format::detect`).
input_format detect_format(std::string_view first_line, char delimiter) noexcept {
    while (!first_line.empty() && (first_line.front() == ' ' || first_line.front() == '\t')) {
        first_line.remove_prefix(1);
    }
    if (first_line.starts_with('{')) {
        return input_format::ndjson;
    }
    if (first_line.find(delimiter) != std::string_view::npos
        || first_line.find('"') != std::string_view::npos) {
        return input_format::csv;
    }
    return input_format::lines;
}

/// Returns "a, b, c" for a message that lists the header's columns.
std::string join_names(const std::vector<std::string_view>& names) {
    std::string text;
    for (std::string_view name : names) {
        text.append(text.empty() ? "" : ", ").append(name);
    }
    return text;
}

/// The serial input stage: walks the inputs in order and fills batches with their records.
/// It reads each CSV source's header row itself and stores the source's layout in `layouts`.
class batch_reader {
public:
    batch_reader(const run_config& config,
                 run_counters& counters,
                 std::vector<source_layout>& layouts)
        : config_(config)
        , counters_(counters)
        , layouts_(layouts) {}

    /// Fills `work` with the next records; returns false when every input is exhausted.
    bool fill(batch& work) {
        while (source_index_ < config_.inputs.size()) {
            if (!reader_ && !open_next(work)) {
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

    /// Returns the input bytes consumed so far over every source.
    [[nodiscard]] std::uint64_t bytes_read() const noexcept {
        return counters_.bytes_read + (source_ ? source_->bytes_consumed() : 0);
    }

private:
    void note_blank_lines(batch& work, std::uint64_t blank_before) {
        if (work.lines.blank_lines > blank_before) {
            work.blank_lines_by_source.emplace_back(static_cast<std::uint32_t>(source_index_),
                                                    work.lines.blank_lines - blank_before);
        }
    }

    bool open_next(batch& work) {
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
        try {
            prepare_layout(work);
        } catch (const common::run_error& error) {
            mark_failed(error.what());
            close_current();
            return false;
        }
        return true;
    }

    /// Settles the source's format and, for CSV, reads its header row.
    void prepare_layout(batch& work) {
        source_layout& layout = layouts_[source_index_];
        layout.format = config_.input;
        if (layout.format == input_format::detect) {
            layout.format = detect_format(reader_->peek_first_line(), config_.csv_delimiter);
            if (layout.format == input_format::lines
                && (!config_.keep.empty() || config_.ndjson_fields.time)) {
                throw common::run_error(source_->name()
                                        + ": --keep and --time-field need NDJSON or CSV records, "
                                          "but the first line looks like a bare token: set "
                                          "--input-format");
            }
        }
        if (layout.format == input_format::csv) {
            reader_->set_csv_mode();
            read_csv_header(work, layout.columns);
        }
    }

    void read_csv_header(batch& work, io::csv_columns& columns) {
        header_.clear();
        while (header_.records.empty()
               && reader_->read_batch(header_, 1, config_.batch_text_bytes)) {
        }
        if (header_.blank_lines > 0) {
            work.lines.blank_lines += header_.blank_lines;
            work.blank_lines_by_source.emplace_back(static_cast<std::uint32_t>(source_index_),
                                                    header_.blank_lines);
        }
        if (header_.records.empty()) {
            return; // an empty source has no records that need columns
        }
        const std::string& name = source_->name();
        if (header_.records[0].is_too_long) {
            throw common::run_error(name + ": the CSV header row is longer than --max-token-bytes");
        }
        std::string_view text(header_.text.data() + header_.records[0].offset,
                              header_.records[0].length);
        auto status = io::split_csv_record(text, config_.csv_delimiter, header_names_, header_unescaped_);
        if (status != io::csv_status::ok) {
            throw common::run_error(name + ": the CSV header row is invalid: "
                                    + std::string(io::describe(status)));
        }
        columns.count = header_names_.size();
        columns.token = find_column(config_.csv_fields.token, "--token-column");
        columns.time.reset();
        if (config_.csv_fields.time) {
            columns.time = find_column(*config_.csv_fields.time, "--time-field");
        }
        columns.keep.clear();
        for (const std::string& keep : config_.csv_fields.keep) {
            columns.keep.push_back(find_column(keep, "--keep"));
        }
    }

    size_t find_column(const std::string& column, const char* option) const {
        if (auto index = io::find_csv_column(header_names_, column)) {
            return *index;
        }
        throw common::run_error(source_->name() + ": no column '" + column
                                + "' in the CSV header (columns: " + join_names(header_names_)
                                + "): set " + option + " to a column name or a 1-based index");
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
    std::vector<source_layout>& layouts_;
    io::line_batch header_;
    std::vector<std::string_view> header_names_;
    std::string header_unescaped_;
    size_t source_index_ = 0;
    std::unique_ptr<io::input_source> source_;
    std::unique_ptr<io::line_reader> reader_;
    std::uint64_t records_in_source_ = 0;
};

/// Counts a record under its kid without allocating for a kid seen before. Records whose header
/// was not read (no kid known) are counted under the empty kid.
/// Returns the counter of `kid` among valid or invalid records, adding it when new.
std::uint64_t& kid_counter(std::string_view kid, bool is_valid, run_counters& counters) {
    auto& by_kid = is_valid ? counters.valid_by_kid : counters.invalid_by_kid;
    auto found = by_kid.find(kid);
    if (found == by_kid.end()) {
        // Invalid tokens may carry any kid, so new kids beyond the limit share one entry.
        const std::string_view key =
            by_kid.size() < run_counters::max_counted_kids ? kid : run_counters::other_kids;
        found = by_kid.try_emplace(std::string(key), 0).first;
    }
    return found->second;
}

/// Returns the sum of the input sizes, or nullopt when an input is stdin or not a regular file.
std::optional<std::uint64_t> total_input_bytes(const std::vector<std::string>& inputs) {
    std::uint64_t total = 0;
    for (const std::string& input : inputs) {
        std::error_code error;
        if (input == "-" || !std::filesystem::is_regular_file(input, error)) {
            return std::nullopt;
        }
        total += std::filesystem::file_size(input, error);
    }
    return total;
}

/// Adds the verdicts of one batch to the run's counters. Runs in the serial output stage.
void count_batch(const batch& work, run_counters& counters) {
    counters.dedup_hits += work.dedup_hits;
    std::uint64_t* last_count = nullptr;
    std::string_view last_kid;
    bool was_last_valid = false;
    for (size_t i = 0; i < work.states.size(); ++i) {
        const io::line_record& line = work.lines.records[i];
        const record_state& state = work.states[i];
        const auto reason = static_cast<size_t>(state.reason);
        source_counters& source = counters.sources[line.source_index];
        ++source.records;
        ++source.by_reason[reason];
        ++counters.records;
        ++counters.by_reason[reason];
        // Neighbouring records mostly share a kid, so the last counter is tried first; map
        // nodes do not move, so the pointer stays valid.
        const std::string_view kid = work.arena_view(state.kid);
        const bool is_valid = state.reason == jws::failure_reason::ok;
        if (last_count == nullptr || kid != last_kid || is_valid != was_last_valid) {
            last_count = &kid_counter(kid, is_valid, counters);
            last_kid = kid;
            was_last_valid = is_valid;
        }
        ++*last_count;
    }
    for (const auto& [source_index, blank_lines] : work.blank_lines_by_source) {
        counters.sources[source_index].blank_lines += blank_lines;
        counters.blank_lines += blank_lines;
    }
}

/// Key sets up to this size get their per-key verifier state before the first batch. In a larger
/// set most keys may never be used, so each key is prepared when a token first needs it.
constexpr size_t max_keys_prepared_ahead = 16;

void prepare_keys(const jws::signature_verifier& verifier, const jwks::key_set& keys) {
    if (keys.size() > max_keys_prepared_ahead) {
        return;
    }
    const std::vector<const jws::es256_key*> all = keys.keys();
    tbb::parallel_for_each(all.begin(), all.end(), [&](const jws::es256_key* key) {
        verifier.prepare(*key);
    });
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
                          const std::atomic<bool>& stop,
                          const progress_callback& progress) {
    run_counters counters;
    std::vector<std::string> source_names;
    for (const std::string& input : config.inputs) {
        source_counters source;
        source.name = input;
        counters.sources.push_back(std::move(source));
        source_names.push_back(input);
    }

    const size_t threads = thread_count(config);
    // The limit caps the workers of every arena, and this arena requests exactly `threads`,
    // which may be more than the cores. The default arena would stop at the core count.
    tbb::global_control parallelism(tbb::global_control::max_allowed_parallelism, threads);
    tbb::task_arena arena(static_cast<int>(threads));
    auto verifier = jws::make_verifier(config.verifier);
    arena.execute([&] { prepare_keys(*verifier, *keys.snapshot()); });
    jws::verdict_cache cache(config.dedup_capacity);
    io::format_options format;
    format.guard_formulas = config.guard_csv_formulas;
    format.keep_names = config.keep;
    format.unverified_claims_column = config.emit_unverified_claims;
    auto formatter = io::make_formatter(config.format, config.fields, format);
    // Sized once, so that the reader stage writes elements that verify stages read, never the
    // vector itself.
    std::vector<source_layout> layouts(config.inputs.size());
    batch_verifier checker(config, keys, *verifier, cache, *formatter, source_names, &layouts);

    std::string header;
    formatter->append_header(header);
    if (!sink.write(header)) {
        counters.output_closed = true;
        return counters;
    }

    batch_pool pool;
    batch_reader reader(config, counters, layouts);
    const auto started = std::chrono::steady_clock::now();
    progress_snapshot snapshot;
    if (progress) {
        snapshot.total_bytes = total_input_bytes(config.inputs);
    }

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
        work->input_bytes_read = reader.bytes_read();
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
        if (progress) {
            snapshot.bytes_read = work->input_bytes_read;
            snapshot.records = counters.records;
            snapshot.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now()
                                                             - started)
                                   .count();
            progress(snapshot);
        }
        pool.release(work);
    };

    // NOTE: an exception from a stage (only the sink throws) cancels the pipeline and is
    // rethrown here, which is the intended end of the run.
    arena.execute([&] {
        tbb::parallel_pipeline(
            threads * live_batches_per_thread,
            tbb::make_filter<void, batch*>(tbb::filter_mode::serial_in_order, read_stage)
                & tbb::make_filter<batch*, batch*>(tbb::filter_mode::parallel, verify_stage)
                & tbb::make_filter<batch*, void>(tbb::filter_mode::serial_in_order, write_stage));
    });

    counters.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    counters.key_refreshes = keys.refresh_count();
    counters.interrupted = stop.load();
    return counters;
}

} // namespace jwtbatch::pipeline
