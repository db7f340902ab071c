#include "stages/write_chunks.hpp"

#include "io/files/atomic_file.hpp"

#include <chrono>

namespace idabus::stages {

net::awaitable<void> run_write_chunks(pipeline::reorder_buffer<compressed_chunk>& in, pipeline::cpu_pool& file_thread,
                                      write_chunks_options options, std::vector<io::files::chunk_entry>& written,
                                      pipeline::stage_counters& counters) {
  auto number = options.first_number;
  bool folder_ready = false;
  for (;;) {
    const auto start = std::chrono::steady_clock::now();
    auto chunk = co_await in.next();
    counters.add_blocked_receive(std::chrono::steady_clock::now() - start);
    if (!chunk) break;
    const auto relative = options.collection + "/" + io::files::chunk_file_name(number++);
    const auto path = options.set_dir / relative;
    auto write = [&chunk, &path, &options, folder_ready] {
      if (!folder_ready) {
        std::filesystem::create_directories(path.parent_path());
        io::files::fsync_directory(options.set_dir);
      }
      // Chunks are read back at restore time, not now: no copy into the page cache.
      io::files::write_file_atomically(path, chunk->file.bytes, io::files::file_cache::skip);
    };
    co_await file_thread.run(write);
    chunk->memory.release();  // on disk: its bytes go back to the job's budget
    folder_ready = true;
    io::files::chunk_entry entry;
    entry.file = relative;
    entry.phase = options.phase;
    entry.documents = chunk->documents;
    entry.raw_bytes = chunk->raw_bytes;
    entry.bytes = chunk->file.bytes.size();
    entry.sha256 = std::move(chunk->file.sha256);
    entry.min_ts = chunk->min_ts;
    entry.max_ts = chunk->max_ts;
    counters.add_items(1, entry.bytes);
    written.push_back(std::move(entry));
  }
}

}  // namespace idabus::stages
