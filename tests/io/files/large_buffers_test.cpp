#include "io/files/large_buffers.hpp"

#include <gtest/gtest.h>

#include <malloc.h>

#include <cstdlib>
#include <cstring>
#include <string>

namespace idabus::io::files {
namespace {

#if defined(__SANITIZE_ADDRESS__)
constexpr bool large_buffers_test_under_asan = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool large_buffers_test_under_asan = true;
#else
constexpr bool large_buffers_test_under_asan = false;
#endif
#else
constexpr bool large_buffers_test_under_asan = false;
#endif

/// malloc that the compiler cannot pair away with its free: the block is written and escapes.
void* touched_block(std::size_t bytes) {
  void* p = std::malloc(bytes);
  std::memset(p, 1, bytes);
  asm volatile("" : : "g"(p) : "memory");
  return p;
}

/// 0 if, once return_large_buffers_to_os() ran, a 3 MiB and a 1 MiB block are each their own
/// mapping although a 4 MiB block was freed before (glibc alone would raise its threshold to
/// 4 MiB on that free and serve both from the heap, where they stay when freed); else 1.
int large_buffers_exit_code_of_a_fresh_process() {
  if (!return_large_buffers_to_os()) return 1;
  std::free(touched_block(4u << 20));
  const auto mapped_before = mallinfo2().hblks;
  void* three_mib = touched_block(3u << 20);
  const bool three_mapped = mallinfo2().hblks == mapped_before + 1;
  void* one_mib = touched_block(static_cast<std::size_t>(large_buffer_bytes));
  const bool one_mapped = mallinfo2().hblks == mapped_before + 2;
  std::free(one_mib);
  std::free(three_mib);
  const bool both_returned = mallinfo2().hblks == mapped_before;
  return three_mapped && one_mapped && both_returned ? 0 : 1;
}

// In a freshly started copy of this test binary (death test style "threadsafe" re-executes it),
// as in a program's main(): blocks the earlier tests of this binary freed into the heap would
// otherwise serve the allocations, whatever the threshold.
TEST(LargeBuffers, BlocksOfOneMibAndMoreAreMmappedAfterALargerBlockWasFreed) {
  if (large_buffers_test_under_asan) GTEST_SKIP() << "the sanitizer's allocator replaces glibc malloc";
  const std::string style = GTEST_FLAG_GET(death_test_style);
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(std::exit(large_buffers_exit_code_of_a_fresh_process()), testing::ExitedWithCode(0), "");
  GTEST_FLAG_SET(death_test_style, style);
}

}  // namespace
}  // namespace idabus::io::files
