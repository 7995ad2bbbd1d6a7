// A small RFC 4180 reader for checking the tool's CSV output in tests.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace jwtbatch::test {

using csv_row = std::vector<std::string>;

/// Parses CSV text into rows of cells. Quoted cells may hold commas, quotes ("") and line ends.
inline std::vector<csv_row> parse_csv(std::string_view text) {
    std::vector<csv_row> rows;
    csv_row row;
    std::string cell;
    bool in_quotes = false;
    bool row_started = false;
    for (size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        row_started = true;
        if (in_quotes) {
            if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
                cell.push_back('"');
                ++i;
            } else if (c == '"') {
                in_quotes = false;
            } else {
                cell.push_back(c);
            }
        } else if (c == '"') {
            in_quotes = true;
        } else if (c == ',') {
            row.push_back(std::move(cell));
            cell.clear();
        } else if (c == '\n') {
            row.push_back(std::move(cell));
            cell.clear();
            rows.push_back(std::move(row));
            row.clear();
            row_started = false;
        } else if (c != '\r') {
            cell.push_back(c);
        }
    }
    if (row_started) {
        row.push_back(std::move(cell));
        rows.push_back(std::move(row));
    }
    return rows;
}

} // namespace jwtbatch::test
