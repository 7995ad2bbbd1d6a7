// Fuzzes the NDJSON record parser that `--input-format ndjson` runs on each line, with the token
// decoration rules and the event-time readers applied to what it extracts.
//
// Input: one record. The strict parser must accept only what a plain simdjson parse also reads as
// an object. Every extracted JSON value must be valid JSON and every extracted string valid
// UTF-8, and a second extraction must give the same token. The stripped token must be a part of
// the extracted text with no white space at either end, and event times must be finite.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <simdjson.h>

#include "fuzz_support.hpp"
#include "pipeline/ndjson_record.hpp"
#include "pipeline/record_fields.hpp"

namespace {

using jwtbatch::fuzz::fail;
using jwtbatch::io::field_value;
namespace pipeline = jwtbatch::pipeline;

const pipeline::field_selection& selection() {
    static const pipeline::field_selection fields{
        "/token", std::string("/ts"), {"/a/0", "b", "/c~1d", "/e~0f/1/g"}};
    return fields;
}

void check_value(const field_value& value, simdjson::dom::parser& plain) {
    if (value.type == field_value::kind::json) {
        simdjson::dom::element element;
        if (plain.parse(std::string(value.text)).get(element) != simdjson::SUCCESS) {
            fail("an extracted JSON value is not valid JSON");
        }
    } else if (value.type == field_value::kind::string) {
        if (!simdjson::validate_utf8(value.text.data(), value.text.size())) {
            fail("an extracted string is not valid UTF-8");
        }
    }
}

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

void check_token(const field_value& token) {
    if (token.type != field_value::kind::string) {
        return;
    }
    const std::string_view stripped = pipeline::strip_token_decoration(token.text);
    if (stripped.empty()) {
        return;
    }
    if (stripped.data() < token.text.data()
        || stripped.data() + stripped.size() > token.text.data() + token.text.size()) {
        fail("the stripped token is not a part of the extracted text");
    }
    if (is_space(stripped.front()) || is_space(stripped.back())) {
        fail("the stripped token has white space at an end");
    }
}

void check_time(const field_value& time) {
    for (auto format : {pipeline::time_format::unix_seconds,
                        pipeline::time_format::unix_milliseconds,
                        pipeline::time_format::rfc3339}) {
        if (auto seconds = pipeline::parse_event_time(time, format);
            seconds && !std::isfinite(*seconds)) {
            fail("an event time is not finite");
        }
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
    static pipeline::ndjson_record_parser parser;
    static simdjson::dom::parser plain;
    const std::string_view record(reinterpret_cast<const char*>(data), size);

    pipeline::record_fields fields;
    const auto status = parser.extract(record, selection(), fields);
    if (status.reason != jwtbatch::jws::failure_reason::ok) {
        return 0;
    }
    simdjson::dom::element root;
    if (plain.parse(std::string(record)).get(root) != simdjson::SUCCESS || !root.is_object()) {
        fail("the strict parser accepted a record that is not a JSON object");
    }

    check_value(fields.token, plain);
    check_value(fields.time, plain);
    for (const field_value& kept : fields.keep) {
        check_value(kept, plain);
    }
    check_token(fields.token);
    check_time(fields.time);

    const std::string token_text(fields.token.text);
    const auto token_type = fields.token.type;
    pipeline::record_fields again;
    if (parser.extract(record, selection(), again).reason != status.reason
        || again.token.type != token_type || again.token.text != token_text) {
        fail("a second extraction of the same record differs");
    }
    return 0;
}
