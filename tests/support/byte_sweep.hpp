// Exhaustive comparison of a fast byte scan with a reference: every byte value at every
// position of short inputs. Lengths up to 64 cover each lane of a 16-byte vector, blocks that
// straddle a 16-byte boundary, and the short inputs that a byte loop handles.
#pragma once

#include <cstddef>
#include <string>

namespace jwtbatch::test {

/// Mismatches found by `sweep_every_byte` and a description of the first one.
struct sweep_result {
    size_t mismatches = 0;
    std::string first_mismatch; ///< "length L, position P, byte B", or empty
};

/// Calls `is_same(input)` for each input that `make_base(length)` returns, with 1 <= length <=
/// `max_length`, after setting one position to one byte value, for every position and every
/// byte value. `is_same` returns false when the code under test and the reference disagree.
template <typename MakeBase, typename IsSame>
sweep_result sweep_every_byte(size_t max_length, MakeBase make_base, IsSame is_same) {
    sweep_result result;
    for (size_t length = 1; length <= max_length; ++length) {
        const std::string base = make_base(length);
        for (size_t position = 0; position < length; ++position) {
            for (int byte = 0; byte < 256; ++byte) {
                std::string input = base;
                input[position] = static_cast<char>(byte);
                if (!is_same(input) && result.mismatches++ == 0) {
                    result.first_mismatch = "length " + std::to_string(length) + ", position "
                                            + std::to_string(position) + ", byte "
                                            + std::to_string(byte);
                }
            }
        }
    }
    return result;
}

} // namespace jwtbatch::test
