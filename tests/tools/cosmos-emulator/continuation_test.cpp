#include "tools/cosmos-emulator/continuation.hpp"

#include <gtest/gtest.h>

#include <string>

namespace idabus::emulator {
namespace {

const std::uint64_t scope = continuation_scope(42, "coll-rid", "*", "");

TEST(Continuation, RoundTripsEveryField) {
  for (const cursor c : {cursor{0, false, 0, 0}, cursor{3, true, 1700000000, 123456789},
                         cursor{7, false, -5, 0}, cursor{1, true, 0x7fffffffffffffff, ~0ull}}) {
    auto back = decode_continuation(encode_continuation(c, scope), scope);
    ASSERT_TRUE(back);
    EXPECT_EQ(*back, c);
  }
}

TEST(Continuation, AnyChangedCharacterIsRejected) {
  const std::string token = encode_continuation(cursor{2, true, 1700000000, 99}, scope);
  for (std::size_t i = 0; i < token.size(); ++i) {
    std::string bad = token;
    bad[i] = bad[i] == '1' ? '2' : '1';
    EXPECT_FALSE(decode_continuation(bad, scope)) << "changed position " << i << ": " << bad;
  }
}

TEST(Continuation, TruncatedOrForeignFormatsAreRejected) {
  const std::string token = encode_continuation(cursor{2, true, 1700000000, 99}, scope);
  EXPECT_FALSE(decode_continuation(token.substr(0, token.size() - 1), scope));
  EXPECT_FALSE(decode_continuation("", scope));
  EXPECT_FALSE(decode_continuation("c1.", scope));
  EXPECT_FALSE(decode_continuation("+RID:~abc#RT:1#TRC:10", scope));
  EXPECT_FALSE(decode_continuation(token + std::string(200, '0'), scope));
}

TEST(Continuation, TokenOfAnotherScopeIsRejected) {
  const std::string token = encode_continuation(cursor{1, true, 5, 6}, scope);
  EXPECT_FALSE(decode_continuation(token, continuation_scope(43, "coll-rid", "*", "")));
  EXPECT_FALSE(decode_continuation(token, continuation_scope(42, "other-rid", "*", "")));
  EXPECT_FALSE(decode_continuation(token, continuation_scope(42, "coll-rid", "1", "")));
  EXPECT_FALSE(decode_continuation(token, continuation_scope(42, "coll-rid", "*", "spk")));
}

}  // namespace
}  // namespace idabus::emulator
