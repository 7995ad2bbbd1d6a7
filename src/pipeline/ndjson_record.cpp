#include "pipeline/ndjson_record.hpp"

#include <vector>

#include "jws/strict_json.hpp"
#include "pipeline/json_text.hpp"

namespace jwtbatch::pipeline {
namespace {

using jws::failure_reason;

/// Nesting limit of a record, the same as for token payloads.
constexpr size_t max_record_depth = 64;

/// Where a field's value lies before its views are made: in the parsed document for strings,
/// or at an offset of the JSON text buffer for other values.
struct pending_field {
    io::field_value::kind type = io::field_value::kind::absent;
    std::string_view text;
    size_t json_offset = 0;
    size_t json_length = 0;
};

} // namespace

bool is_valid_ndjson_field(std::string_view name) noexcept {
    if (name.empty()) {
        return false;
    }
    if (name.front() != '/') {
        return true;
    }
    for (size_t i = 0; i < name.size(); ++i) {
        if (name[i] == '~' && (i + 1 == name.size() || (name[i + 1] != '0' && name[i + 1] != '1'))) {
            return false;
        }
    }
    return true;
}

struct ndjson_record_parser::impl {
    jws::strict_json_parser json{max_record_depth};
    std::string values; ///< JSON text of non-string fields of the current record
    std::vector<pending_field> keep;

    pending_field find(simdjson::dom::object root, std::string_view name) {
        simdjson::dom::element value;
        const auto error = name.starts_with('/') ? root.at_pointer(name).get(value)
                                                 : root.at_key(name).get(value);
        if (error != simdjson::SUCCESS) {
            return {};
        }
        if (value.is_string()) {
            return {io::field_value::kind::string, value.get_string().value_unsafe()};
        }
        pending_field field;
        field.type = io::field_value::kind::json;
        field.json_offset = values.size();
        append_json_value(value, values);
        field.json_length = values.size() - field.json_offset;
        return field;
    }

    io::field_value view(const pending_field& field) const noexcept {
        if (field.type == io::field_value::kind::json) {
            return {field.type, std::string_view(values).substr(field.json_offset, field.json_length)};
        }
        return {field.type, field.text};
    }
};

ndjson_record_parser::ndjson_record_parser() : impl_(std::make_unique<impl>()) {}

ndjson_record_parser::~ndjson_record_parser() = default;

jws::check_result ndjson_record_parser::extract(std::string_view record,
                                                const field_selection& selection,
                                                record_fields& out) noexcept {
    out.token = {};
    out.time = {};
    out.keep.assign(selection.keep.size(), io::field_value{});
    simdjson::dom::object root;
    switch (impl_->json.parse(record, root)) {
    case jws::json_status::ok:
        break;
    case jws::json_status::invalid_json:
        return {failure_reason::bad_record, "record is not valid json"};
    case jws::json_status::invalid_utf8:
        return {failure_reason::bad_record, "record is not valid utf-8"};
    case jws::json_status::too_deep:
        return {failure_reason::bad_record, "record nests deeper than 64 levels"};
    case jws::json_status::not_object:
        return {failure_reason::bad_record, "record is not a json object"};
    case jws::json_status::duplicate_member:
        return {failure_reason::bad_record, "record has a duplicate member name"};
    }
    // NOTE: growing these buffers can throw std::bad_alloc in this noexcept path; they keep
    // their capacity, so only a record larger than any before it allocates.
    impl_->values.clear();
    impl_->keep.resize(selection.keep.size());
    for (size_t i = 0; i < selection.keep.size(); ++i) {
        impl_->keep[i] = impl_->find(root, selection.keep[i]);
    }
    const pending_field token = impl_->find(root, selection.token);
    pending_field time;
    if (selection.time) {
        time = impl_->find(root, *selection.time);
    }
    // Views into `values` are made last, once the buffer has stopped growing.
    for (size_t i = 0; i < selection.keep.size(); ++i) {
        out.keep[i] = impl_->view(impl_->keep[i]);
    }
    out.token = impl_->view(token);
    out.time = impl_->view(time);
    return {};
}

} // namespace jwtbatch::pipeline
