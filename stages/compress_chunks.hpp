#pragma once
// run_compress_chunks: one compression worker of the backup pipeline (run several on one input).
//
// - Consumes: raw_batch messages from `in` (shared by all workers).
// - Produces: for each batch, one compressed_chunk (one zstd frame, content checksum on, and the
//   SHA-256 of the frame bytes) put into `out` under the batch's seq; several workers finish out
//   of order and the reorder buffer puts the chunks back in order for the file thread. The
//   batch's memory lease moves into the chunk (the writer gives it back); the batch's text buffer
//   goes back to `buffers` as soon as it is compressed.
//   counters: items = chunks, bytes = compressed bytes.
// - The CPU work (compress + hash) is one hop to `pool`; the worker owns one chunk_encoder (one
//   ZSTD_CCtx) for its whole life, reused for every chunk (`level` = Backup.CompressionLevel).
// - Ends: when `in` ends; then out.finish() (the reorder buffer counts one producer per worker).
// - Executor: the caller's; only the hop runs on the pool.
// - Cancellation: a receive or put blocked in `in`/`out` throws operation_aborted; a running hop
//   is not cancellable (it is short) and the cancellation takes effect right after it.
// - Throws std::invalid_argument for a bad level (before reading anything) and what zstd throws.

#include "io/files/chunk.hpp"
#include "pipeline/buffer_pool.hpp"
#include "pipeline/byte_budget.hpp"
#include "pipeline/channel.hpp"
#include "pipeline/cpu_pool.hpp"
#include "pipeline/reorder_buffer.hpp"
#include "pipeline/stage_stats.hpp"
#include "stages/batch_documents.hpp"

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <optional>

namespace idabus::stages {

namespace net = boost::asio;

struct compressed_chunk {
  io::files::encoded_chunk file;  ///< the frame bytes and their SHA-256
  std::uint64_t documents = 0;
  std::uint64_t raw_bytes = 0;
  std::optional<std::int64_t> min_ts;
  std::optional<std::int64_t> max_ts;
  pipeline::byte_lease memory;  ///< the raw batch's lease, until the chunk is on disk
};

net::awaitable<void> run_compress_chunks(pipeline::channel<raw_batch>& in,
                                         pipeline::reorder_buffer<compressed_chunk>& out, pipeline::cpu_pool& pool,
                                         pipeline::buffer_pool& buffers, int level,
                                         pipeline::stage_counters& counters);

}  // namespace idabus::stages
