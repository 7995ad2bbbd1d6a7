#include "jws/strict_json.hpp"

#include <algorithm>
#include <cstring>
#include <new>

namespace jwtbatch::jws {
namespace {

// Headers and payloads are a few hundred bytes; this start size avoids regrowth for typical
// tokens, and larger inputs grow the buffers once.
constexpr size_t initial_capacity_bytes = 4096;

} // namespace

strict_json_parser::strict_json_parser(size_t max_depth) : max_depth_(max_depth) {
    // simdjson's limit only guards its own stack. It does not count an empty innermost
    // container, so it is set above `max_depth` and check_members enforces the exact limit.
    if (parser_.allocate(initial_capacity_bytes, max_depth + 2) != simdjson::SUCCESS) {
        throw std::bad_alloc();
    }
    buffer_.reserve(initial_capacity_bytes + simdjson::SIMDJSON_PADDING);
}

json_status strict_json_parser::parse(std::string_view json,
                                      simdjson::dom::object& root) noexcept {
    length_ = 0;
    // resize() never shrinks the capacity, so after warm-up this only writes the padding zeros.
    // NOTE: growing buffer_ or keys_ can throw std::bad_alloc inside this noexcept function,
    // which terminates the program; simdjson's own growth reports MEMALLOC instead.
    buffer_.resize(json.size() + simdjson::SIMDJSON_PADDING);
    if (!json.empty()) {
        std::memcpy(buffer_.data(), json.data(), json.size());
    }
    simdjson::dom::element element;
    const auto error = parser_.parse(buffer_.data(), json.size(), false).get(element);
    if (error == simdjson::DEPTH_ERROR) {
        return json_status::too_deep;
    }
    if (error == simdjson::UTF8_ERROR) {
        return json_status::invalid_utf8;
    }
    if (error != simdjson::SUCCESS) {
        return json_status::invalid_json;
    }
    if (element.get_object().get(root) != simdjson::SUCCESS) {
        return json_status::not_object;
    }
    if (const auto status = check_members(element, 1); status != json_status::ok) {
        return status;
    }
    length_ = json.size();
    return json_status::ok;
}

// Recursion stops at max_depth_ + 1 levels, and simdjson has already rejected deeper input.
json_status strict_json_parser::check_members(simdjson::dom::element value, size_t depth) {
    const bool is_container = value.is_array() || value.is_object();
    if (is_container && depth > max_depth_) {
        return json_status::too_deep;
    }
    simdjson::dom::array items;
    if (value.get_array().get(items) == simdjson::SUCCESS) {
        for (simdjson::dom::element item : items) {
            if (const auto status = check_members(item, depth + 1); status != json_status::ok) {
                return status;
            }
        }
        return json_status::ok;
    }
    simdjson::dom::object object;
    if (value.get_object().get(object) != simdjson::SUCCESS) {
        return json_status::ok;
    }
    // keys_ is shared by all levels: this object's names sit above `first` only until the
    // duplicate check is done, so its capacity is the largest member count seen.
    const size_t first = keys_.size();
    for (const auto member : object) {
        keys_.push_back(member.key);
    }
    const auto names = keys_.begin() + static_cast<std::ptrdiff_t>(first);
    std::sort(names, keys_.end());
    const bool duplicate = std::adjacent_find(names, keys_.end()) != keys_.end();
    keys_.resize(first);
    if (duplicate) {
        return json_status::duplicate_member;
    }
    for (const auto member : object) {
        if (const auto status = check_members(member.value, depth + 1);
            status != json_status::ok) {
            return status;
        }
    }
    return json_status::ok;
}

} // namespace jwtbatch::jws
