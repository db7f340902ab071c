#include "io/files/large_buffers.hpp"

#include <malloc.h>

namespace idabus::io::files {

bool return_large_buffers_to_os() {
  // Setting M_MMAP_THRESHOLD explicitly also turns glibc's dynamic adjustment off.
  return mallopt(M_MMAP_THRESHOLD, large_buffer_bytes) == 1;
}

}  // namespace idabus::io::files
