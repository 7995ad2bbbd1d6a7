// A value or an error code, for per-record functions that must not throw.
#pragma once

#include <cassert>
#include <utility>

namespace jwtbatch::common {

/// Holds either a `T` or an error `E`, after simdjson's value-and-code pair (std::expected needs
/// C++23). `E{}` means success, so `E` must be an enum whose zero value means "no error".
template <typename T, typename E>
class [[nodiscard]] result {
public:
    result(T value) : value_(std::move(value)) {}

    result(E error) : error_(error) { assert(error != E{} && "a result error must not be zero"); }

    [[nodiscard]] bool has_value() const noexcept { return error_ == E{}; }

    [[nodiscard]] E error() const noexcept { return error_; }

    [[nodiscard]] const T& value() const& {
        assert(has_value() && "value() called on an error result");
        return value_;
    }

    [[nodiscard]] T&& value() && {
        assert(has_value() && "value() called on an error result");
        return std::move(value_);
    }

private:
    T value_{};
    E error_{};
};

} // namespace jwtbatch::common
