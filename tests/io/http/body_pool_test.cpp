#include "io/http/body_pool.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <utility>

namespace idabus::io::http {
namespace {

TEST(BodyPool, TakeLeavesRoomForTheBytesAndTheSlack) {
  auto pool = body_pool::create(2);
  body_buffer b = pool->take(1000);
  EXPECT_TRUE(b.empty());
  EXPECT_GE(b.capacity(), 1000 + response_body_slack);
  EXPECT_GE(b.spare_size(), 1000u);
  EXPECT_EQ(pool->stats().taken, 1u);
  EXPECT_EQ(pool->stats().allocated, 1u);
}

TEST(BodyPool, ABufferReturnsWhenDestroyedAndIsTakenAgainWithoutAllocating) {
  auto pool = body_pool::create(2);
  const char* first = nullptr;
  {
    body_buffer b = pool->take(5000);
    first = b.data();
    EXPECT_EQ(pool->idle(), 0u);
  }
  EXPECT_EQ(pool->idle(), 1u);
  body_buffer again = pool->take(4000);
  EXPECT_EQ(again.data(), first) << "the returned storage, not a new one";
  EXPECT_TRUE(again.empty()) << "a recycled buffer starts empty";
  EXPECT_EQ(pool->stats().allocated, 1u);
  EXPECT_EQ(pool->stats().returned, 1u);
}

TEST(BodyPool, KeepsAtMostMaxIdleBuffersAndFreesTheRest) {
  auto pool = body_pool::create(2);
  {
    body_buffer a = pool->take(10), b = pool->take(10), c = pool->take(10);
  }
  EXPECT_EQ(pool->idle(), 2u);
  EXPECT_EQ(pool->stats().returned, 2u);
  EXPECT_EQ(pool->stats().dropped, 1u);
}

TEST(BodyPool, APoolOfNoIdleBuffersRecyclesNothing) {
  auto pool = body_pool::create(0);
  { body_buffer b = pool->take(10); }
  EXPECT_EQ(pool->idle(), 0u);
  EXPECT_EQ(pool->stats().dropped, 1u);
}

TEST(BodyPool, TakesTheSmallestIdleBufferThatIsLargeEnough) {
  auto pool = body_pool::create(4);
  const char* mid = nullptr;
  const char* large = nullptr;
  {
    body_buffer l = pool->take(20000), m = pool->take(10000), small = pool->take(100);
    mid = m.data();
    large = l.data();
  }  // returned in the order small, m, l: the largest most recently
  body_buffer got = pool->take(5000);
  EXPECT_EQ(got.data(), mid) << "the 10,000-byte one: the 100-byte one is too small, the 20,000-byte one larger";
  body_buffer next = pool->take(5000);
  EXPECT_EQ(next.data(), large);
  EXPECT_EQ(pool->stats().allocated, 3u);
}

TEST(BodyPool, LargeBuffersAreWholeAlignedHugePages) {
  constexpr std::size_t huge = 2u << 20;
  auto pool = body_pool::create(2);
  body_buffer page = pool->take(3'000'000);
  EXPECT_EQ(page.capacity(), 2 * huge);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(page.data()) % huge, 0u);
  body_buffer one = pool->take(huge / 2);
  EXPECT_EQ(one.capacity(), huge);
  body_buffer small = pool->take(1000);
  EXPECT_EQ(small.capacity(), 1000 + response_body_slack) << "small ones are not rounded up";
}

TEST(BodyPool, ATooSmallIdleBufferIsEnlargedInsteadOfAddingOne) {
  auto pool = body_pool::create(1);
  { body_buffer b = pool->take(100); }
  {
    body_buffer big = pool->take(100000);
    EXPECT_GE(big.capacity(), 100000 + response_body_slack);
    EXPECT_EQ(pool->idle(), 0u) << "the small one was taken and enlarged";
  }
  EXPECT_EQ(pool->stats().allocated, 2u);
  EXPECT_EQ(pool->idle(), 1u);
  body_buffer again = pool->take(100000);
  EXPECT_EQ(pool->stats().allocated, 2u) << "the enlarged one now fits";
}

TEST(BodyPool, ABufferDroppedOnAnotherThreadReturnsToThePool) {
  auto pool = body_pool::create(2);
  auto shared = std::make_shared<const body_buffer>(pool->take(64));
  std::thread([moved = std::move(shared)]() mutable { moved.reset(); }).join();
  EXPECT_EQ(pool->idle(), 1u);
}

TEST(BodyPool, ABufferKeepsItsPoolAliveAfterThePoolsOwnerLetsGo) {
  auto pool = body_pool::create(2);
  std::weak_ptr<body_pool> watch = pool;
  auto b = std::make_unique<body_buffer>(pool->take(64));
  pool.reset();
  EXPECT_FALSE(watch.expired());
  b.reset();  // returns its storage, then lets the pool go
  EXPECT_TRUE(watch.expired());
}

TEST(BodyBuffer, AppendGrowsKeepingTheContentAndTheSlack) {
  body_buffer b;
  EXPECT_EQ(b.capacity(), 0u);
  std::string expected;
  for (int i = 0; i < 1000; ++i) {
    const std::string piece = std::to_string(i) + ",";
    b.append(piece.data(), piece.size());
    expected += piece;
    ASSERT_GE(b.capacity(), b.size() + response_body_slack);
  }
  EXPECT_EQ(b.view(), expected);
}

TEST(BodyBuffer, BytesWrittenAtSpareCountOnceCommitted) {
  auto pool = body_pool::create(1);
  body_buffer b = pool->take(10);
  b.append("ab", 2);
  std::memcpy(b.spare(), "cdef", 4);
  EXPECT_EQ(b.view(), "ab");
  b.commit(4);
  EXPECT_EQ(b.view(), "abcdef");
  EXPECT_GE(b.capacity(), b.size() + response_body_slack);
}

TEST(BodyBuffer, CopyOfHoldsTheBytesWithSlackAndBelongsToNoPool) {
  body_buffer b = body_buffer::copy_of("hello");
  EXPECT_EQ(b.view(), "hello");
  EXPECT_GE(b.capacity(), b.size() + response_body_slack);
  body_buffer empty = body_buffer::copy_of("");
  EXPECT_TRUE(empty.empty());
}

TEST(BodyBuffer, ACopyHoldsTheBytesInStorageOfItsOwnOutsideThePool) {
  auto pool = body_pool::create(2);
  body_buffer pooled = pool->take(10);
  pooled.append("page", 4);
  body_buffer copy = pooled;
  EXPECT_EQ(copy.view(), "page");
  EXPECT_NE(copy.data(), pooled.data());
  EXPECT_GE(copy.capacity(), copy.size() + response_body_slack);
  body_buffer assigned;
  assigned = pooled;
  EXPECT_EQ(assigned.view(), "page");
  { body_buffer gone = std::move(copy); }
  EXPECT_EQ(pool->idle(), 0u) << "a copy never goes to the pool";
  EXPECT_EQ(pool->stats().taken, 1u);
}

TEST(BodyBuffer, MoveAssignmentReturnsTheOverwrittenStorage) {
  auto pool = body_pool::create(2);
  body_buffer a = pool->take(10);
  body_buffer b = pool->take(10);
  a = std::move(b);
  EXPECT_EQ(pool->idle(), 1u) << "a's old storage went back";
  EXPECT_EQ(b.capacity(), 0u);
  b.reserve(5);
  EXPECT_GE(b.capacity(), 5 + response_body_slack);
}

}  // namespace
}  // namespace idabus::io::http
