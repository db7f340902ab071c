#pragma once
// gtest's ASSERT_* return void, which a coroutine cannot: these record the failure and stop the
// coroutine with co_return instead.

#include <gtest/gtest.h>

#define CO_ASSERT_TRUE(c)                       \
  do {                                          \
    if (!(c)) {                                 \
      ADD_FAILURE() << "assertion failed: " #c; \
      co_return;                                \
    }                                           \
  } while (0)

#define CO_ASSERT_EQ(a, b)          \
  do {                              \
    EXPECT_EQ(a, b);                \
    if (!((a) == (b))) co_return;   \
  } while (0)
