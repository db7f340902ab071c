#pragma once
// run_write_chunks: the file stage of the backup pipeline, one per collection and pass.
//
// - Consumes: compressed chunks from `in` in sequence order (the reorder buffer restores the
//   order the compression workers lost).
// - Produces: files "<set_dir>/<collection>/<number:06>.jsonl.zst", numbered from
//   options.first_number on (the delta pass continues after the basis chunks), each written
//   with write_file_atomically (temp name, fsync, rename, fsync dir; file_cache::skip: large
//   chunks bypass the page cache) on `file_thread`; and for
//   each, in order, a manifest chunk entry appended to `written` (file relative to the set
//   folder, options.phase, documents, rawBytes, bytes, sha256, minTs, maxTs). The collection
//   folder is created before the first chunk. counters: items = files, bytes = file bytes.
//   Once a chunk's file is renamed, its memory lease goes back to the job's budget.
// - Ends: when `in` ends. No manifest: the caller writes it once every pass is done.
// - Executor: the caller's; the blocking file work hops to `file_thread` (a one-thread cpu_pool:
//   one file thread for the whole job).
// - Cancellation: a wait in `in` throws operation_aborted. A running file hop is not cancellable:
//   a chunk being written is completed (or not written at all), never left partial.
// - Throws io::files::file_error (disk full, permissions) naming the file, or
//   std::filesystem::filesystem_error when the collection folder cannot be created.

#include "io/files/manifest.hpp"
#include "pipeline/cpu_pool.hpp"
#include "pipeline/reorder_buffer.hpp"
#include "pipeline/stage_stats.hpp"
#include "stages/compress_chunks.hpp"

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace idabus::stages {

namespace net = boost::asio;

struct write_chunks_options {
  std::filesystem::path set_dir;
  std::string collection;  ///< also the folder name inside the set
  io::files::chunk_phase phase = io::files::chunk_phase::basis;
  std::uint32_t first_number = 1;
};

net::awaitable<void> run_write_chunks(pipeline::reorder_buffer<compressed_chunk>& in, pipeline::cpu_pool& file_thread,
                                      write_chunks_options options, std::vector<io::files::chunk_entry>& written,
                                      pipeline::stage_counters& counters);

}  // namespace idabus::stages
