// The per-thread memory of repeated tokens: exact matching, pinning within a batch, clearing
// when the run or the key set changes, and refusal of results that do not fit.
#include <memory>
#include <string>

#include <catch2/catch.hpp>

#include "jwks/key_set.hpp"
#include "pipeline/token_memo.hpp"

using jwtbatch::jwks::key_set;
using jwtbatch::pipeline::memo_result;
using jwtbatch::pipeline::token_memo;

namespace {

memo_result result_with_kid(std::string_view kid) {
    memo_result result;
    result.has_kid = true;
    result.kid = kid;
    return result;
}

} // namespace

TEST_CASE("token memo finds only the exact token", "[pipeline]") {
    token_memo memo(16);
    const auto keys = std::make_shared<const key_set>();
    memo.begin_batch(1, keys);
    std::string kid = "k1";
    std::string formatted = ",v";
    memo_result result = result_with_kid(kid);
    result.formatted_claims = formatted;
    memo.insert("aaa.bbb.ccc", result);
    kid = "zz"; // the memo keeps its own copies
    formatted = ",w";

    const auto slot = memo.find("aaa.bbb.ccc");
    REQUIRE(slot != token_memo::no_slot);
    CHECK(memo.result(slot).kid == "k1");
    CHECK(memo.result(slot).formatted_claims == ",v");
    CHECK(memo.find("aaa.bbb.ccd") == token_memo::no_slot);
    CHECK(memo.find("aaa.bbb.cc") == token_memo::no_slot);
    CHECK(memo.find("") == token_memo::no_slot);
}

TEST_CASE("token memo clears on new run or keys", "[pipeline]") {
    token_memo memo(16);
    const auto keys = std::make_shared<const key_set>();
    memo.begin_batch(1, keys);
    memo.insert("t", result_with_kid("k"));
    memo.begin_batch(1, keys);
    CHECK(memo.find("t") != token_memo::no_slot);

    memo.begin_batch(2, keys);
    CHECK(memo.find("t") == token_memo::no_slot);

    memo.insert("t", result_with_kid("k"));
    memo.begin_batch(2, std::make_shared<const key_set>());
    CHECK(memo.find("t") == token_memo::no_slot);
}

TEST_CASE("token memo keeps slots found this batch", "[pipeline]") {
    // One set of four slots, so every token competes for the same slots.
    token_memo memo(4);
    REQUIRE(memo.entry_count() == 4);
    const auto keys = std::make_shared<const key_set>();
    memo.begin_batch(1, keys);
    for (int i = 0; i < 4; ++i) {
        memo.insert("token-" + std::to_string(i), result_with_kid(std::to_string(i)));
    }
    memo.begin_batch(1, keys);
    const auto slot = memo.find("token-2");
    REQUIRE(slot != token_memo::no_slot);
    for (int i = 4; i < 12; ++i) {
        memo.insert("token-" + std::to_string(i), result_with_kid(std::to_string(i)));
    }
    CHECK(memo.result(slot).kid == "2");
    CHECK(memo.find("token-2") == slot);

    // In a later batch the least recently used slots go first.
    memo.begin_batch(1, keys);
    CHECK(memo.find("token-2") == slot);
    memo.insert("token-new", result_with_kid("n"));
    CHECK(memo.find("token-2") == slot);
    CHECK(memo.find("token-new") != token_memo::no_slot);
}

TEST_CASE("token memo skips oversized results", "[pipeline]") {
    token_memo memo(16);
    const auto keys = std::make_shared<const key_set>();
    memo.begin_batch(1, keys);
    const std::string huge(token_memo::entry_bytes + 1, 'a');
    memo.insert(huge, result_with_kid("k"));
    CHECK(memo.find(huge) == token_memo::no_slot);

    const std::string token(token_memo::entry_bytes / 2, 'b');
    memo_result result = result_with_kid("k");
    const std::string claims(token_memo::entry_bytes / 2, 'c');
    result.claims_text = claims;
    memo.insert(token, result);
    CHECK(memo.find(token) == token_memo::no_slot);
}
