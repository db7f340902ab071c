#pragma once
// Process-wide malloc setting for programs that hold large buffers (backup chunks of tens of MB,
// Cosmos page bodies of a few MB, restore files).
//
// return_large_buffers_to_os(): fixes glibc's mmap threshold at 1 MiB (mallopt M_MMAP_THRESHOLD).
// Why: glibc starts with a 128 KiB threshold but raises it ("dynamic threshold", up to 32 MiB) to
// the size of each mmapped block that is freed. After the first freed chunk buffer, every later
// page body and chunk below that size comes from the heap, which fragments and keeps its peak:
// measured with bench_backup at 10^5 and 10^6 documents, 100-130 MB of the peak RSS (README
// "Backup set format and pipeline", "Memory by collection"). With the fixed threshold, every block
// of 1 MiB or more that free heap space cannot hold (from start-up on, none) is its own mapping
// and goes back to the OS when freed. The price is page faults
// on fresh memory for each such block (measured in the same README part).
// Call once at the start of main(), before threads exist. Returns false if malloc refused the
// setting (not glibc's malloc, e.g. under a sanitizer); the program then runs with the default.

namespace idabus::io::files {

/// Blocks of at least this many bytes are mmapped once return_large_buffers_to_os() ran.
inline constexpr int large_buffer_bytes = 1 << 20;

bool return_large_buffers_to_os();

}  // namespace idabus::io::files
