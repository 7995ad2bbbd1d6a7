// Fuzzes the CSV record splitter (RFC 4180 fields) that `--input-format csv` uses on each line.
//
// Input: a delimiter byte, then one record. Checks: a record that splits gives at least one
// field, and writing its fields back as CSV (every field quoted, quotes doubled) and splitting
// that again gives the same fields. A rejected record keeps only the fields before the fault.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.hpp"
#include "io/csv_record.hpp"

namespace {

using jwtbatch::fuzz::fail;

std::string quote_fields(const std::vector<std::string>& fields, char delimiter) {
    std::string record;
    for (size_t i = 0; i < fields.size(); ++i) {
        if (i > 0) {
            record += delimiter;
        }
        record += '"';
        for (char c : fields[i]) {
            record += c;
            if (c == '"') {
                record += '"';
            }
        }
        record += '"';
    }
    return record;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
    if (size < 1) {
        return 0;
    }
    const char delimiter = static_cast<char>(data[0]);
    if (delimiter == '"') {
        return 0; // the command line rejects a quote as delimiter
    }
    const std::string_view record(reinterpret_cast<const char*>(data + 1), size - 1);
    std::vector<std::string_view> views;
    std::string unescaped;
    const auto status = jwtbatch::io::split_csv_record(record, delimiter, views, unescaped);
    if (status != jwtbatch::io::csv_status::ok) {
        return 0;
    }
    if (views.empty()) {
        fail("a split record has no field");
    }
    const std::vector<std::string> fields(views.begin(), views.end());
    const std::string quoted = quote_fields(fields, delimiter);
    std::vector<std::string_view> again;
    std::string unescaped_again;
    if (jwtbatch::io::split_csv_record(quoted, delimiter, again, unescaped_again)
        != jwtbatch::io::csv_status::ok) {
        fail("the fields written back as quoted CSV do not split");
    }
    if (again.size() != fields.size()) {
        fail("the fields written back as quoted CSV split into a different count");
    }
    for (size_t i = 0; i < fields.size(); ++i) {
        if (again[i] != fields[i]) {
            fail("the fields written back as quoted CSV split into different text");
        }
    }
    return 0;
}
