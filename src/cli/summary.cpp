#include "cli/summary.hpp"

#include <cstdio>

namespace jwtbatch::cli {
namespace {

using jws::failure_reason;

std::string format_rate(double records, double seconds) {
    char text[64];
    std::snprintf(text, sizeof text, "%.0f", seconds > 0 ? records / seconds : 0.0);
    return text;
}

std::string format_seconds(double seconds) {
    char text[64];
    std::snprintf(text, sizeof text, "%.3f", seconds);
    return text;
}

/// Appends `text` as a JSON string; names and messages here are ASCII or valid UTF-8 paths, and
/// control characters and quotes are escaped.
void append_json_string(std::string& out, const std::string& text) {
    out.push_back('"');
    for (unsigned char c : text) {
        if (c == '"' || c == '\\') {
            out.push_back('\\');
            out.push_back(static_cast<char>(c));
        } else if (c < 0x20 || c == 0x7f || c >= 0x80) {
            // Non-ASCII bytes are escaped one by one so that a path of invalid UTF-8 still
            // yields valid JSON.
            char escape[8];
            std::snprintf(escape, sizeof escape, "\\u%04x", c);
            out.append(escape);
        } else {
            out.push_back(static_cast<char>(c));
        }
    }
    out.push_back('"');
}

void append_reason_counts(std::string& out, const pipeline::reason_counts& counts) {
    out.push_back('{');
    bool first = true;
    for (int i = 1; i < jws::failure_reason_count; ++i) {
        if (counts[static_cast<size_t>(i)] == 0) {
            continue;
        }
        if (!first) {
            out.push_back(',');
        }
        first = false;
        append_json_string(out, std::string(jws::to_string(static_cast<failure_reason>(i))));
        out.push_back(':');
        out.append(std::to_string(counts[static_cast<size_t>(i)]));
    }
    out.push_back('}');
}

std::string format_reason_list(const pipeline::reason_counts& counts) {
    std::string text;
    for (int i = 1; i < jws::failure_reason_count; ++i) {
        auto count = counts[static_cast<size_t>(i)];
        if (count == 0) {
            continue;
        }
        if (!text.empty()) {
            text.append(", ");
        }
        text.append(jws::to_string(static_cast<failure_reason>(i)))
            .append(" ")
            .append(std::to_string(count));
    }
    return text;
}

} // namespace

std::string format_summary(const pipeline::run_counters& counters) {
    std::string text = "jwtbatch: summary: " + std::to_string(counters.records) + " records, "
                       + std::to_string(counters.valid()) + " valid, "
                       + std::to_string(counters.invalid()) + " invalid, "
                       + std::to_string(counters.blank_lines) + " blank lines, "
                       + format_seconds(counters.seconds) + " s, "
                       + format_rate(static_cast<double>(counters.records), counters.seconds)
                       + " tokens/s";
    if (counters.dedup_hits > 0) {
        text += ", " + std::to_string(counters.dedup_hits) + " repeated-token cache hits";
    }
    if (counters.key_refreshes > 0) {
        text += ", " + std::to_string(counters.key_refreshes) + " key refreshes";
    }
    text.push_back('\n');
    if (counters.invalid() > 0) {
        text += "jwtbatch: summary: invalid by reason: " + format_reason_list(counters.by_reason)
                + "\n";
    }
    if (counters.sources.size() > 1) {
        for (const auto& source : counters.sources) {
            text += "jwtbatch: summary: " + source.name + ": " + std::to_string(source.records)
                    + " records";
            std::string reasons = format_reason_list(source.by_reason);
            if (!reasons.empty()) {
                text += " (" + reasons + ")";
            }
            if (source.failed) {
                text += ", failed";
            }
            text.push_back('\n');
        }
    }
    return text;
}

std::string format_summary_json(const pipeline::run_counters& counters, int exit_status) {
    std::string out = "{\"records\":" + std::to_string(counters.records)
                      + ",\"valid\":" + std::to_string(counters.valid())
                      + ",\"invalid\":" + std::to_string(counters.invalid())
                      + ",\"blank_lines\":" + std::to_string(counters.blank_lines)
                      + ",\"seconds\":" + format_seconds(counters.seconds) + ",\"tokens_per_second\":"
                      + format_rate(static_cast<double>(counters.records), counters.seconds)
                      + ",\"dedup_hits\":" + std::to_string(counters.dedup_hits)
                      + ",\"key_refreshes\":" + std::to_string(counters.key_refreshes)
                      + ",\"peak_rss_bytes\":" + std::to_string(counters.peak_rss_bytes)
                      + ",\"exit_status\":" + std::to_string(exit_status)
                      + ",\"interrupted\":" + (counters.interrupted ? "true" : "false")
                      + ",\"invalid_by_reason\":";
    append_reason_counts(out, counters.by_reason);
    out.append(",\"valid_by_kid\":{");
    bool first = true;
    for (const auto& [kid, count] : counters.valid_by_kid) {
        if (!first) {
            out.push_back(',');
        }
        first = false;
        append_json_string(out, kid);
        out.push_back(':');
        out.append(std::to_string(count));
    }
    out.append("},\"sources\":[");
    for (size_t i = 0; i < counters.sources.size(); ++i) {
        const auto& source = counters.sources[i];
        if (i > 0) {
            out.push_back(',');
        }
        out.append("{\"name\":");
        append_json_string(out, source.name);
        out.append(",\"records\":" + std::to_string(source.records));
        out.append(",\"blank_lines\":" + std::to_string(source.blank_lines));
        out.append(",\"invalid_by_reason\":");
        append_reason_counts(out, source.by_reason);
        out.append(",\"failed\":");
        out.append(source.failed ? "true" : "false");
        if (source.failed) {
            out.append(",\"error\":");
            append_json_string(out, source.error);
        }
        out.push_back('}');
    }
    out.append("]}\n");
    return out;
}

} // namespace jwtbatch::cli
