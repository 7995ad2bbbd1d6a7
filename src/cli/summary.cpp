#include "cli/summary.hpp"

#include <cstdio>
#include <map>
#include <string_view>
#include <utility>

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

void append_kid_counts(std::string& out, const std::map<std::string, std::uint64_t, std::less<>>& counts) {
    out.push_back('{');
    bool first = true;
    for (const auto& [kid, count] : counts) {
        if (!first) {
            out.push_back(',');
        }
        first = false;
        append_json_string(out, kid);
        out.push_back(':');
        out.append(std::to_string(count));
    }
    out.push_back('}');
}

/// Returns `kid` for a terminal line: control bytes become \xNN, so a kid from a token cannot
/// start a line or send a terminal escape, and kids past 64 bytes are cut and end in "...".
std::string printable_kid(std::string_view kid) {
    constexpr size_t max_bytes = 64;
    if (kid.empty()) {
        return "(no kid)";
    }
    std::string text;
    for (size_t i = 0; i < kid.size() && i < max_bytes; ++i) {
        const auto c = static_cast<unsigned char>(kid[i]);
        if (c < 0x20 || c == 0x7f) {
            char escape[8];
            std::snprintf(escape, sizeof escape, "\\x%02x", c);
            text.append(escape);
        } else {
            text.push_back(static_cast<char>(c));
        }
    }
    if (kid.size() > max_bytes) {
        text.append("...");
    }
    return text;
}

/// Formats "k1 5 valid 2 invalid, (no kid) 0 valid 3 invalid" for at most `max_kids` kids.
std::string format_kid_list(const pipeline::run_counters& counters) {
    constexpr size_t max_kids = 10;
    std::map<std::string_view, std::pair<std::uint64_t, std::uint64_t>> both;
    for (const auto& [kid, count] : counters.valid_by_kid) {
        both[kid].first = count;
    }
    for (const auto& [kid, count] : counters.invalid_by_kid) {
        both[kid].second = count;
    }
    std::string text;
    size_t listed = 0;
    for (const auto& [kid, count] : both) {
        if (listed == max_kids) {
            text += ", and " + std::to_string(both.size() - max_kids) + " more kids";
            break;
        }
        text += (text.empty() ? "" : ", ") + printable_kid(kid) + " " + std::to_string(count.first) + " valid " + std::to_string(count.second)
                + " invalid";
        ++listed;
    }
    return text;
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

/// Returns "1 record" or "2 records": the count and the noun, plural unless the count is one.
std::string count_of(std::uint64_t count, std::string_view singular, std::string_view plural) {
    return std::to_string(count) + " " + std::string(count == 1 ? singular : plural);
}

} // namespace

std::string format_summary(const pipeline::run_counters& counters) {
    std::string text = "jwtbatch: summary: " + count_of(counters.records, "record", "records")
                       + ", " + std::to_string(counters.valid()) + " valid, "
                       + std::to_string(counters.invalid()) + " invalid, "
                       + count_of(counters.blank_lines, "blank line", "blank lines") + ", "
                       + format_seconds(counters.seconds) + " s, "
                       + format_rate(static_cast<double>(counters.records), counters.seconds)
                       + " tokens/s";
    if (counters.dedup_hits > 0) {
        text += ", "
                + count_of(counters.dedup_hits, "repeated-token cache hit", "repeated-token cache hits");
    }
    if (counters.key_refreshes > 0) {
        text += ", " + count_of(counters.key_refreshes, "key refresh", "key refreshes");
    }
    text.push_back('\n');
    if (counters.invalid() > 0) {
        text += "jwtbatch: summary: invalid by reason: " + format_reason_list(counters.by_reason)
                + "\n";
    }
    if (counters.records > 0) {
        text += "jwtbatch: summary: by kid: " + format_kid_list(counters) + "\n";
    }
    if (counters.sources.size() > 1) {
        for (const auto& source : counters.sources) {
            text += "jwtbatch: summary: " + source.name + ": "
                    + count_of(source.records, "record", "records");
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
    out.append(",\"valid_by_kid\":");
    append_kid_counts(out, counters.valid_by_kid);
    out.append(",\"invalid_by_kid\":");
    append_kid_counts(out, counters.invalid_by_kid);
    out.append(",\"sources\":[");
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
