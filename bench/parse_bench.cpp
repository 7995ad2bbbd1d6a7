// Micro-benchmarks of the byte scans outside the crypto: splitting a compact token at its dots
// with the byte-class check, and writing CSV cells.
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <benchmark/benchmark.h>

#include "cli/sample_tokens.hpp"
#include "io/row_format.hpp"
#include "jws/compact.hpp"
#include "jws/es256_signer.hpp"

namespace io = jwtbatch::io;
namespace jws = jwtbatch::jws;

namespace {

/// Distinct tokens that the split benchmark cycles through, so that the branch predictor does not
/// learn one token's dot positions.
constexpr size_t token_count = 256;

const std::vector<std::string>& sample_tokens() {
    static const std::vector<std::string> tokens = [] {
        const jws::es256_signer signer;
        const std::string text = jwtbatch::cli::make_sample_tokens(signer, "bench", token_count, 0);
        std::vector<std::string> lines;
        for (size_t start = 0; start < text.size();) {
            const size_t end = text.find('\n', start);
            lines.push_back(text.substr(start, end - start));
            start = end + 1;
        }
        return lines;
    }();
    return tokens;
}

void split_compact_token(benchmark::State& state) {
    const std::vector<std::string>& tokens = sample_tokens();
    jws::compact_parts parts;
    size_t index = 0;
    size_t bytes = 0;
    for (auto _ : state) {
        const std::string& token = tokens[index];
        if (jws::split_compact(token, parts) != jws::failure_reason::ok) {
            state.SkipWithError("a sample token does not split");
            break;
        }
        benchmark::DoNotOptimize(parts);
        bytes += token.size();
        index = (index + 1) % tokens.size();
    }
    state.SetItemsProcessed(state.iterations());
    state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
}

BENCHMARK(split_compact_token);

/// Appends rows to a buffer that is cleared, not freed, every `rows_per_buffer` rows, as the
/// pipeline's writer reuses one buffer per batch.
constexpr size_t rows_per_buffer = 1024;

void append_rows(benchmark::State& state,
                 const io::row_formatter& formatter,
                 const io::output_row& row) {
    std::string out;
    out.reserve(rows_per_buffer * 512);
    size_t rows = 0;
    size_t bytes = 0;
    for (auto _ : state) {
        if (rows % rows_per_buffer == 0) {
            bytes += out.size();
            out.clear();
        }
        formatter.append_row(row, out);
        benchmark::DoNotOptimize(out.data());
        ++rows;
    }
    bytes += out.size();
    state.SetItemsProcessed(state.iterations());
    state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
}

/// Appends rows whose only non-empty cell is the string claim `text`, so the time is mostly
/// the cell scan and copy.
void append_single_cell_rows(benchmark::State& state, std::string_view text) {
    const auto formatter = io::make_formatter(io::output_format::csv, {"cid"});
    const io::field_value field{io::field_value::kind::string, text};
    io::output_row row;
    row.is_valid = true;
    row.fields = {&field, 1};
    append_rows(state, *formatter, row);
}

// A cell of state.range(0) digits, written as it is.
void csv_append_cell_plain(benchmark::State& state) {
    append_single_cell_rows(state, std::string(static_cast<size_t>(state.range(0)), '7'));
}

BENCHMARK(csv_append_cell_plain)->Arg(8)->Arg(19)->Arg(64)->Arg(256);

// The same cell with a comma in the middle, so it is quoted.
void csv_append_cell_quoted(benchmark::State& state) {
    std::string text(static_cast<size_t>(state.range(0)), '7');
    text[text.size() / 2] = ',';
    append_single_cell_rows(state, text);
}

BENCHMARK(csv_append_cell_quoted)->Arg(19)->Arg(64);

// A row shaped like those of the sample tokens with the default fields cid, crid, rclid, iat and
// exp: nine cells in all.
void csv_append_row_valid(benchmark::State& state) {
    const auto formatter =
        io::make_formatter(io::output_format::csv, {"cid", "crid", "rclid", "iat", "exp"});
    using kind = io::field_value::kind;
    const io::field_value fields[] = {
        {kind::string, "0000000000000001234"},
        {kind::string, "0000000000000005678"},
        {kind::string, "00000000075bcd15000000003ade68b1000000000000007b00000000000001c8"},
        {kind::json, "1700000000"},
        {kind::json, "1700003600"},
    };
    io::output_row row;
    row.source = "tokens-100k.txt";
    row.line_number = 73'512;
    row.is_valid = true;
    row.kid = "bench";
    row.fields = fields;
    append_rows(state, *formatter, row);
}

BENCHMARK(csv_append_row_valid);

} // namespace
