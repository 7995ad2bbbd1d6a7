#include "pipeline/batch_verifier.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <span>
#include <thread>

#include "jws/base64url.hpp"
#include "jws/claims.hpp"
#include "jws/compact.hpp"
#include "jws/digest.hpp"
#include "jws/header.hpp"
#include "jws/strict_json.hpp"
#include "pipeline/json_text.hpp"
#include "pipeline/ndjson_record.hpp"
#include "pipeline/token_memo.hpp"

namespace jwtbatch::pipeline {
namespace {

using jws::failure_reason;

/// Buffers and parsers of one worker thread, reused for every token it checks.
struct thread_scratch {
    std::vector<std::uint8_t> header_bytes;
    std::vector<std::uint8_t> payload_bytes;
    std::array<std::uint8_t, 96> signature_bytes{}; ///< room to detect signatures over 64 bytes
    jws::header_parser header;
    jws::payload_parser payload;
    std::vector<io::field_value> fields;
    std::vector<io::field_value> kept;
    ndjson_record_parser ndjson;
    record_fields record;
    std::vector<std::string_view> csv_fields;
    std::string csv_unescaped;
    std::vector<std::array<char, 40>> dates; ///< RFC 3339 text of CSV time claims
    jws::strict_json_parser claims_json{jws::payload_parser::max_depth};
    std::string claims_text;     ///< claims with RFC 3339 times
    std::string formatted_claims; ///< the claim part of a row, for the memo
    std::unique_ptr<token_memo> memo; ///< kept across runs, cleared when the run changes
    token_memo* active_memo = nullptr; ///< `memo` during a run that keeps repeats, else null
};

/// Runs get distinct numbers, so that a thread's memo never serves a token to another run.
std::atomic<std::uint64_t> next_run_id{1};

thread_scratch& local_scratch() {
    thread_local thread_scratch scratch;
    return scratch;
}

arena_span append_to_arena(std::string& arena, std::string_view bytes) {
    arena_span span{static_cast<std::uint32_t>(arena.size()),
                    static_cast<std::uint32_t>(bytes.size())};
    arena.append(bytes);
    return span;
}

/// Decodes one base64url part into `buffer`, growing it only when a larger part arrives.
std::optional<std::string_view> decode_part(std::string_view encoded,
                                            std::vector<std::uint8_t>& buffer) {
    auto size = jws::base64url_decoded_size(encoded.size());
    if (!size) {
        return std::nullopt;
    }
    if (buffer.size() < *size) {
        buffer.resize(*size);
    }
    auto decoded = jws::decode_base64url(encoded, buffer);
    if (!decoded) {
        return std::nullopt;
    }
    return std::string_view(reinterpret_cast<const char*>(buffer.data()), *decoded);
}

io::field_value to_field_value(const jws::claim_value& value) noexcept {
    switch (value.type) {
    case jws::claim_value::kind::string:
        return {io::field_value::kind::string, value.text};
    case jws::claim_value::kind::json:
        return {io::field_value::kind::json, value.text};
    case jws::claim_value::kind::absent:
        break;
    }
    return {};
}

void reject(record_state& state, failure_reason reason, std::string_view detail) noexcept {
    state.reason = reason;
    state.detail = detail;
}

std::string_view describe_time_error(const io::field_value& value, time_format format) noexcept {
    if (value.type == io::field_value::kind::absent) {
        return "event time field is missing";
    }
    switch (format) {
    case time_format::unix_seconds:
        return "event time is not unix seconds";
    case time_format::unix_milliseconds:
        return "event time is not unix milliseconds";
    case time_format::rfc3339:
        break;
    }
    return "event time is not an rfc 3339 date-time";
}

/// Writes the claims of a row, with RFC 3339 times when `dates` is set; returns the text to
/// write, which is `claims` itself or `buffer`.
std::string_view claims_for_output(std::string_view claims,
                                   bool dates,
                                   jws::strict_json_parser& parser,
                                   std::string& buffer) {
    if (!dates || claims.empty()) {
        return claims;
    }
    buffer.clear();
    if (!append_claims_with_dates(claims, parser, buffer)) {
        return claims;
    }
    return buffer;
}

/// Returns the values of the --fields columns from the parsed payload. With `--timestamps
/// rfc3339`, numeric iat, exp and nbf become date-time text.
std::span<const io::field_value> claim_field_values(const run_config& config,
                                                   thread_scratch& scratch) noexcept {
    scratch.fields.resize(config.fields.size());
    scratch.dates.resize(config.fields.size());
    for (size_t f = 0; f < config.fields.size(); ++f) {
        io::field_value value = to_field_value(scratch.payload.find(config.fields[f]));
        if (config.rfc3339_timestamps && value.type == io::field_value::kind::json
            && is_time_claim(config.fields[f])) {
            if (auto seconds = jws::parse_time(value.text)) {
                size_t length = format_rfc3339_utc(*seconds, scratch.dates[f]);
                if (length > 0) {
                    value = {io::field_value::kind::string,
                             std::string_view(scratch.dates[f].data(), length)};
                }
            }
        }
        scratch.fields[f] = value;
    }
    return scratch.fields;
}

} // namespace

batch_verifier::batch_verifier(const run_config& config,
                               jwks::key_store& keys,
                               const jws::signature_verifier& verifier,
                               jws::verdict_cache& cache,
                               const io::row_formatter& formatter,
                               const std::vector<std::string>& source_names,
                               const std::vector<source_layout>* layouts)
    : config_(config)
    , keys_(keys)
    , verifier_(verifier)
    , cache_(cache)
    , formatter_(formatter)
    , source_names_(source_names)
    , layouts_(layouts)
    , run_id_(next_run_id.fetch_add(1)) {
    const size_t threads =
        std::max<size_t>(1, config.threads > 0 ? config.threads : std::thread::hardware_concurrency());
    memo_entries_ = std::min({config.dedup_capacity,
                              max_memo_entries,
                              max_memo_bytes / threads / token_memo::bytes_per_entry()});
}

void batch_verifier::process(batch& work) const noexcept {
    const size_t count = work.lines.records.size();
    work.states.assign(count, record_state{});
    work.jobs.clear();
    work.job_slots.clear();
    work.kept.clear();
    work.arena.clear();
    work.output.clear();
    work.keys = keys_.snapshot();
    start_memo(work);

    for (size_t i = 0; i < count; ++i) {
        check_token(work, i);
    }
    retry_unknown_kids(work);
    verify_signatures(work);
    for (size_t i = 0; i < count; ++i) {
        finish_record(work, i);
    }
}

void batch_verifier::start_memo(const batch& work) const noexcept {
    thread_scratch& scratch = local_scratch();
    scratch.active_memo = nullptr;
    if (memo_entries_ == 0) {
        return;
    }
    if (scratch.memo == nullptr || scratch.memo->entry_count() > memo_entries_) {
        try {
            scratch.memo = std::make_unique<token_memo>(memo_entries_);
        } catch (const std::bad_alloc&) {
            scratch.memo.reset();
            return; // repeats are then checked in full, which is only slower
        }
    }
    scratch.active_memo = scratch.memo.get();
    scratch.active_memo->begin_batch(run_id_, work.keys);
}

std::string_view batch_verifier::token_text(const batch& work, const record_state& state) const noexcept {
    return state.is_token_in_arena ? work.arena_view(state.token)
                                   : std::string_view(work.lines.text).substr(state.token.offset,
                                                                              state.token.length);
}

void batch_verifier::remember_token(batch& work, record_state& state, std::string_view token) const {
    const std::string_view lines = work.lines.text;
    if (token.data() >= lines.data() && token.data() + token.size() <= lines.data() + lines.size()) {
        state.token = {static_cast<std::uint32_t>(token.data() - lines.data()),
                       static_cast<std::uint32_t>(token.size())};
        state.is_token_in_arena = false;
    } else {
        state.token = append_to_arena(work.arena, token);
        state.is_token_in_arena = true;
    }
}

bool batch_verifier::use_memo(batch& work, size_t index, std::string_view token) const {
    token_memo* memo = local_scratch().active_memo;
    if (memo == nullptr) {
        return false;
    }
    record_state& state = work.states[index];
    const std::uint32_t slot = memo->find(token);
    if (slot == token_memo::no_slot) {
        remember_token(work, state, token);
        return false;
    }
    const memo_result& found = memo->result(slot);
    state.memo_slot = slot;
    state.key = found.key;
    state.has_kid = found.has_kid;
    if (found.has_kid) {
        state.kid = append_to_arena(work.arena, found.kid);
    }
    if (found.was_verified) {
        state.is_cache_hit = true;
        ++work.dedup_hits;
    }
    return true;
}

void batch_verifier::check_token(batch& work, size_t index) const noexcept {
    const io::line_record& line = work.lines.records[index];
    record_state& state = work.states[index];
    if (line.is_too_long) {
        reject(state, failure_reason::too_long, "record is longer than --max-token-bytes");
        return;
    }
    std::string_view token = std::string_view(work.lines.text).substr(line.offset, line.length);
    if (layouts_ != nullptr && (*layouts_)[line.source_index].format != input_format::lines) {
        auto found = extract_token(work, index, (*layouts_)[line.source_index], token);
        if (!found) {
            return;
        }
        token = *found;
    }
    // NOTE: arena growth can throw std::bad_alloc in this noexcept path, as in extract_token.
    if (use_memo(work, index, token)) {
        return;
    }
    jws::compact_parts parts;
    if (jws::split_compact(token, parts) != failure_reason::ok) {
        reject(state, failure_reason::malformed, "not three dot-separated base64url parts");
        return;
    }

    thread_scratch& scratch = local_scratch();
    auto header_json = decode_part(parts.header, scratch.header_bytes);
    if (!header_json) {
        reject(state, failure_reason::bad_base64, "header is not valid base64url");
        return;
    }
    auto payload_json = decode_part(parts.payload, scratch.payload_bytes);
    if (!payload_json) {
        reject(state, failure_reason::bad_base64, "payload is not valid base64url");
        return;
    }
    std::optional<size_t> signature_size;
    if (auto size = jws::base64url_decoded_size(parts.signature.size());
        size && *size <= scratch.signature_bytes.size()) {
        signature_size = jws::decode_base64url(parts.signature, scratch.signature_bytes);
    } else if (jws::is_base64url_alphabet(parts.signature) && size) {
        signature_size = *size; // too long to be ES256; no need to decode it
    }
    if (!signature_size) {
        reject(state, failure_reason::bad_base64, "signature is not valid base64url");
        return;
    }

    jws::jose_header header;
    if (auto reason = scratch.header.parse(*header_json, header); reason != failure_reason::ok) {
        const char* detail = reason == failure_reason::alg_not_allowed
                                 ? "alg is not ES256"
                                 : (reason == failure_reason::unsupported_header
                                        ? "header has crit or b64"
                                        : "header is not a JSON object with a string alg");
        reject(state, reason, detail);
        return;
    }
    state.has_kid = header.has_kid;
    if (header.has_kid) {
        state.kid = append_to_arena(work.arena, header.kid);
    }
    state.payload = append_to_arena(work.arena, *payload_json);

    // The key is selected first, so that missing_kid and unknown_kid come before bad_signature,
    // in the documented order of failure reasons.
    select_key(work, index, header.kid);
    if (state.key == nullptr) {
        return;
    }
    if (*signature_size != 64) {
        reject(state, failure_reason::bad_signature, "signature is not 64 bytes of r||s");
        return;
    }

    jws::signature_job job;
    job.key = state.key;
    std::copy_n(scratch.signature_bytes.begin(), 64, job.signature.begin());
    if (!jws::sha256(parts.signing_input, job.digest)) {
        reject(state, failure_reason::bad_signature, "digest failed");
        return;
    }
    if (auto verdict = cache_.find(job.key, job.digest, job.signature)) {
        state.is_cache_hit = true;
        ++work.dedup_hits;
        if (!*verdict) {
            reject(state, failure_reason::bad_signature, "signature does not verify");
        }
        return;
    }
    add_job(work, state, job);
}

void batch_verifier::add_job(batch& work, record_state& state, const jws::signature_job& job) const {
    if (config_.dedup_capacity == 0) {
        state.job_index = static_cast<std::uint32_t>(work.jobs.size());
        work.jobs.push_back(job);
        return;
    }
    if (work.job_slots.empty()) {
        // Half full at most, so probes stay short.
        work.job_slots.assign(std::bit_ceil(2 * work.lines.records.size()), record_state::no_job);
    }
    const size_t mask = work.job_slots.size() - 1;
    std::uint64_t hash = 0;
    std::memcpy(&hash, job.digest.data(), sizeof hash); // SHA-256 output is already uniform
    for (size_t slot = hash & mask;; slot = (slot + 1) & mask) {
        const std::uint32_t index = work.job_slots[slot];
        if (index == record_state::no_job) {
            work.job_slots[slot] = static_cast<std::uint32_t>(work.jobs.size());
            state.job_index = static_cast<std::uint32_t>(work.jobs.size());
            work.jobs.push_back(job);
            return;
        }
        const jws::signature_job& earlier = work.jobs[index];
        if (earlier.key == job.key && earlier.digest == job.digest
            && earlier.signature == job.signature) {
            state.job_index = index;
            state.is_cache_hit = true;
            ++work.dedup_hits;
            return;
        }
    }
}

std::optional<std::string_view> batch_verifier::extract_token(batch& work,
                                                              size_t index,
                                                              const source_layout& layout,
                                                              std::string_view text) const noexcept {
    record_state& state = work.states[index];
    thread_scratch& scratch = local_scratch();
    record_fields& fields = scratch.record;
    const field_selection& selection =
        layout.format == input_format::ndjson ? config_.ndjson_fields : config_.csv_fields;
    // NOTE: buffer growth can throw std::bad_alloc in this noexcept path; buffers keep their
    // capacity, so only a record larger than any before it allocates.
    const jws::check_result extracted =
        layout.format == input_format::ndjson
            ? scratch.ndjson.extract(text, selection, fields)
            : extract_csv_fields(text,
                                 config_.csv_delimiter,
                                 layout.columns,
                                 scratch.csv_fields,
                                 scratch.csv_unescaped,
                                 fields);
    keep_fields(work, index, fields.keep);
    if (extracted.reason != failure_reason::ok) {
        reject(state, extracted.reason, extracted.detail);
        return std::nullopt;
    }
    if (selection.time) {
        auto event_time = parse_event_time(fields.time, config_.event_time_format);
        if (!event_time) {
            reject(state,
                   failure_reason::bad_record,
                   describe_time_error(fields.time, config_.event_time_format));
            return std::nullopt;
        }
        state.event_seconds = *event_time;
        state.has_event_time = true;
    }
    const io::field_value& token = fields.token;
    if (token.type == io::field_value::kind::absent
        || (token.type == io::field_value::kind::json && token.text == "null")) {
        reject(state, failure_reason::no_token, "record has no token field");
        return std::nullopt;
    }
    if (token.type != io::field_value::kind::string) {
        reject(state, failure_reason::bad_record, "token field is not a string");
        return std::nullopt;
    }
    std::string_view stripped = strip_token_decoration(token.text);
    if (stripped.empty()) {
        reject(state, failure_reason::no_token, "token field is empty");
        return std::nullopt;
    }
    return stripped;
}

void batch_verifier::keep_fields(batch& work,
                                 size_t index,
                                 std::span<const io::field_value> values) const {
    record_state& state = work.states[index];
    if (values.empty()) {
        return;
    }
    state.has_kept = true;
    state.kept_begin = static_cast<std::uint32_t>(work.kept.size());
    for (const io::field_value& value : values) {
        work.kept.push_back({value.type, append_to_arena(work.arena, value.text)});
    }
}

void batch_verifier::select_key(batch& work, size_t index, std::string_view kid) const noexcept {
    record_state& state = work.states[index];
    if (!state.has_kid) {
        state.key = work.keys->only_key();
        if (state.key == nullptr) {
            reject(state, failure_reason::missing_kid, "no kid and the key set has several keys");
        }
        return;
    }
    state.key = work.keys->find(kid);
    if (state.key == nullptr) {
        reject(state, failure_reason::unknown_kid, "no loaded key has this kid");
    }
}

void batch_verifier::retry_unknown_kids(batch& work) const noexcept {
    // The signature bytes were not kept for records with an unknown kid, so those records are
    // checked again from their text once the refreshed key set is in place.
    for (size_t i = 0; i < work.states.size(); ++i) {
        if (work.states[i].reason != failure_reason::unknown_kid) {
            continue;
        }
        std::shared_ptr<const jwks::key_set> refreshed;
        try {
            refreshed = keys_.refresh_for_unknown_kid(work.arena_view(work.states[i].kid));
        } catch (...) {
            refreshed = nullptr; // the key store logs its own failures
        }
        if (refreshed == nullptr) {
            return;
        }
        work.keys = std::move(refreshed);
        for (size_t j = i; j < work.states.size(); ++j) {
            if (work.states[j].reason == failure_reason::unknown_kid) {
                work.states[j] = record_state{};
                check_token(work, j);
            }
        }
        return;
    }
}

void batch_verifier::verify_signatures(batch& work) const noexcept {
    if (work.jobs.empty()) {
        return;
    }
    verifier_.verify(work.jobs);
    for (const jws::signature_job& job : work.jobs) {
        cache_.insert(job.key, job.digest, job.signature, job.is_valid);
    }
    for (record_state& state : work.states) {
        if (state.job_index != record_state::no_job && !work.jobs[state.job_index].is_valid) {
            reject(state, failure_reason::bad_signature, "signature does not verify");
        }
    }
}

void batch_verifier::finish_record(batch& work, size_t index) const noexcept {
    record_state& state = work.states[index];
    thread_scratch& scratch = local_scratch();
    if (state.memo_slot != token_memo::no_slot) {
        finish_from_memo(work, index, scratch.active_memo->result(state.memo_slot));
        return;
    }
    // Only a verdict that the token's bytes and the key set decide alone is kept for repeats.
    const bool is_kept_for_repeats =
        scratch.active_memo != nullptr && state.key != nullptr
        && (state.reason == failure_reason::ok || state.reason == failure_reason::bad_signature);
    memo_result repeat;
    repeat.key = state.key;
    repeat.has_kid = state.has_kid;
    repeat.kid = work.arena_view(state.kid);
    repeat.was_verified = state.job_index != record_state::no_job || state.is_cache_hit;
    repeat.reason = state.reason;
    repeat.detail = state.detail;

    row_pieces pieces;
    if (state.reason == failure_reason::ok) {
        auto parsed = scratch.payload.parse(work.arena_view(state.payload));
        if (parsed.reason != failure_reason::ok) {
            reject(state, parsed.reason, parsed.detail);
            repeat.reason = parsed.reason;
            repeat.detail = parsed.detail;
        } else {
            repeat.claims = scratch.payload.outcome(config_.policy);
            auto checked = repeat.claims.at(config_.policy, evaluation_time(state));
            if (checked.reason != failure_reason::ok) {
                reject(state, checked.reason, checked.detail);
            }
            pieces.fields = claim_field_values(config_, scratch);
            pieces.claims_text = claims_for_output(scratch.payload.minified(),
                                                   config_.rfc3339_timestamps,
                                                   scratch.claims_json,
                                                   scratch.claims_text);
            pieces.has_claims_text = true;
        }
    } else if (config_.emit_unverified_claims && state.payload.length > 0
               && scratch.payload.parse(work.arena_view(state.payload)).reason
                      == failure_reason::ok) {
        pieces.claims_text = claims_for_output(scratch.payload.minified(),
                                               config_.rfc3339_timestamps,
                                               scratch.claims_json,
                                               scratch.claims_text);
        pieces.has_claims_text = true;
    }
    append_row(work, index, pieces);

    if (is_kept_for_repeats) {
        if (repeat.reason == failure_reason::ok) {
            scratch.formatted_claims.clear();
            formatter_.append_claims(pieces.fields, pieces.claims_text, scratch.formatted_claims);
            repeat.formatted_claims = scratch.formatted_claims;
        }
        if (config_.emit_unverified_claims) {
            repeat.claims_text = pieces.claims_text;
            repeat.has_claims_text = pieces.has_claims_text;
        }
        scratch.active_memo->insert(token_text(work, state), repeat);
    }
}

void batch_verifier::finish_from_memo(batch& work,
                                      size_t index,
                                      const memo_result& found) const noexcept {
    record_state& state = work.states[index];
    if (found.reason != failure_reason::ok) {
        reject(state, found.reason, found.detail);
    } else if (auto checked = found.claims.at(config_.policy, evaluation_time(state));
               checked.reason != failure_reason::ok) {
        reject(state, checked.reason, checked.detail);
    }
    row_pieces pieces;
    pieces.claims_text = found.claims_text;
    pieces.has_claims_text = found.has_claims_text;
    pieces.formatted_claims = found.formatted_claims;
    pieces.has_formatted_claims = true;
    append_row(work, index, pieces);
}

double batch_verifier::evaluation_time(const record_state& state) const noexcept {
    return state.has_event_time ? state.event_seconds : config_.now_seconds;
}

void batch_verifier::append_row(batch& work, size_t index, const row_pieces& pieces) const noexcept {
    const io::line_record& line = work.lines.records[index];
    const record_state& state = work.states[index];
    const bool is_valid = state.reason == failure_reason::ok;
    if ((config_.only == row_filter::valid && !is_valid)
        || (config_.only == row_filter::invalid && is_valid)) {
        return;
    }
    thread_scratch& scratch = local_scratch();
    io::output_row row;
    row.source = source_names_[line.source_index];
    row.line_number = line.line_number;
    row.is_valid = is_valid;
    if (state.has_kid) {
        row.kid = work.arena_view(state.kid);
    }
    scratch.kept.clear();
    if (state.has_kept) {
        for (size_t k = 0; k < config_.keep.size(); ++k) {
            const kept_value& value = work.kept[state.kept_begin + k];
            scratch.kept.push_back({value.type, work.arena_view(value.text)});
        }
    }
    row.kept = scratch.kept;
    if (is_valid) {
        // Claim columns are empty for an invalid record.
        row.fields = pieces.fields;
        row.claims_json = pieces.claims_text;
        row.formatted_claims = pieces.formatted_claims;
        row.has_formatted_claims = pieces.has_formatted_claims;
    } else {
        row.reason = jws::to_string(state.reason);
        row.detail = state.detail;
        if (config_.emit_unverified_claims && pieces.has_claims_text) {
            row.unverified_claims = pieces.claims_text;
        }
    }
    formatter_.append_row(row, work.output);
}

} // namespace jwtbatch::pipeline
