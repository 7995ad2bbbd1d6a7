#include "io/csv_record.hpp"

#include <algorithm>
#include <charconv>

namespace jwtbatch::io {

std::string_view describe(csv_status status) noexcept {
    switch (status) {
    case csv_status::ok:
        return "ok";
    case csv_status::unterminated_quote:
        return "csv record has an unterminated quoted field";
    case csv_status::text_after_quote:
        return "csv record has text after a closing quote";
    case csv_status::bare_quote:
        return "csv record has a quote inside an unquoted field";
    }
    return "csv record is invalid";
}

csv_status split_csv_record(std::string_view record,
                            char delimiter,
                            std::vector<std::string_view>& fields,
                            std::string& unescaped) {
    fields.clear();
    unescaped.clear();
    unescaped.reserve(record.size());
    size_t position = 0;
    for (;;) {
        if (position < record.size() && record[position] == '"') {
            // Quoted field: copy only when it holds a doubled quote.
            const size_t begin = position + 1;
            size_t close = record.find('"', begin);
            if (close == std::string_view::npos) {
                return csv_status::unterminated_quote;
            }
            std::string_view field = record.substr(begin, close - begin);
            if (close + 1 < record.size() && record[close + 1] == '"') {
                const size_t copy_begin = unescaped.size();
                size_t scan = begin;
                for (;;) {
                    close = record.find('"', scan);
                    if (close == std::string_view::npos) {
                        return csv_status::unterminated_quote;
                    }
                    unescaped.append(record.substr(scan, close - scan));
                    if (close + 1 < record.size() && record[close + 1] == '"') {
                        unescaped.push_back('"');
                        scan = close + 2;
                        continue;
                    }
                    break;
                }
                field = std::string_view(unescaped).substr(copy_begin);
            }
            fields.push_back(field);
            position = close + 1;
            if (position == record.size()) {
                return csv_status::ok;
            }
            if (record[position] != delimiter) {
                return csv_status::text_after_quote;
            }
            ++position;
            continue;
        }
        const size_t end = std::min(record.find(delimiter, position), record.size());
        std::string_view field = record.substr(position, end - position);
        if (field.find('"') != std::string_view::npos) {
            return csv_status::bare_quote;
        }
        fields.push_back(field);
        if (end == record.size()) {
            return csv_status::ok;
        }
        position = end + 1;
    }
}

std::optional<size_t> find_csv_column(const std::vector<std::string_view>& header,
                                      std::string_view column) {
    auto named = std::find(header.begin(), header.end(), column);
    if (named != header.end()) {
        return static_cast<size_t>(named - header.begin());
    }
    size_t index = 0;
    auto [end, error] = std::from_chars(column.data(), column.data() + column.size(), index);
    if (column.empty() || error != std::errc{} || end != column.data() + column.size()
        || index == 0 || index > header.size()) {
        return std::nullopt;
    }
    return index - 1;
}

} // namespace jwtbatch::io
