#include "pipeline/buffer_pool.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace idabus::pipeline {
namespace {

TEST(BufferPool, TakeGivesAnEmptyBufferWithAtLeastTheCapacityAsked) {
  buffer_pool pool(2);
  const auto buffer = pool.take(1 << 20);
  EXPECT_TRUE(buffer.empty());
  EXPECT_GE(buffer.capacity(), std::size_t{1} << 20);
}

TEST(BufferPool, AGivenBackBufferIsReusedEmptiedWithItsStorage) {
  buffer_pool pool(2);
  auto buffer = pool.take(1 << 20);
  buffer.assign(1000, 'x');
  const char* storage = buffer.data();
  pool.give(std::move(buffer));
  EXPECT_EQ(pool.free_buffers(), 1u);
  const auto again = pool.take(1 << 10);
  EXPECT_EQ(again.data(), storage) << "the same memory, not a fresh allocation";
  EXPECT_TRUE(again.empty());
  EXPECT_GE(again.capacity(), std::size_t{1} << 20);
  EXPECT_EQ(pool.free_buffers(), 0u);
}

TEST(BufferPool, AReusedBufferTooSmallGrowsToTheCapacityAsked) {
  buffer_pool pool(1);
  pool.give(pool.take(100));
  EXPECT_GE(pool.take(1 << 20).capacity(), std::size_t{1} << 20);
}

TEST(BufferPool, KeepsAtMostMaxFreeBuffers) {
  buffer_pool pool(2);
  std::vector<std::string> taken;
  for (int i = 0; i < 5; ++i) taken.push_back(pool.take(4096));
  for (auto& b : taken) pool.give(std::move(b));
  EXPECT_EQ(pool.free_buffers(), 2u) << "the three beyond max_free are freed";
  (void)pool.take(1);
  (void)pool.take(1);
  EXPECT_EQ(pool.free_buffers(), 0u);
}

TEST(BufferPool, ZeroMaxFreeIsRejected) { EXPECT_THROW(buffer_pool(0), std::invalid_argument); }

TEST(BufferPool, TakeAndGiveFromManyThreadsKeepTheBound) {
  buffer_pool pool(3);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&pool, t] {
      for (int i = 0; i < 500; ++i) {
        auto b = pool.take(256);
        b.assign(256, static_cast<char>('a' + t));
        ASSERT_EQ(b, std::string(256, static_cast<char>('a' + t)));
        pool.give(std::move(b));
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_LE(pool.free_buffers(), 3u);
}

}  // namespace
}  // namespace idabus::pipeline
