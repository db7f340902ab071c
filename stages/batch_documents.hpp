#pragma once
// run_batch_documents: cuts the stream of documents into chunk-sized JSON Lines batches.
//
// - Consumes: pages of raw documents from `in` (in arrival order).
// - Produces: raw_batch messages on `out`, numbered seq = 0, 1, 2, ... Each holds whole
//   documents, each document's raw bytes followed by '\n'. A batch is sent when the next
//   document would take it past `chunk_bytes` (Backup.ChunkBytes, uncompressed), so a batch is
//   at most chunk_bytes unless one document alone is larger (then it is a batch of its own).
//   Cosmos sends compact JSON; should a document hold a raw CR or LF (only possible as
//   whitespace between tokens), that byte becomes a space so the line stays one line.
//   counters: items = batches, bytes = raw bytes.
// - Memory: before it starts a batch (at the batch's first document) it acquires the batch's
//   capacity (chunk_bytes, or the one larger document) from `memory`, the budget shared by every
//   collection of the job, and the lease travels with the batch (raw_batch::memory) until the
//   writer has the chunk on disk. It holds no lease while it waits for one (the lease of the batch
//   it sent belongs to the stages downstream), so a full budget cannot stall it forever: the
//   chunks in flight drain without its help. Time waiting there counts as blocked on send.
//   The batch's text is written into a buffer taken from `buffers` (the compressor gives it
//   back), so the chunks of a pass reuse memory that is already paged in.
// - Ends: after `in` ends, sends the last partial batch (none for an empty stream), then
//   out.finish().
// - Executor: the caller's. Copying document bytes is cheap next to compression; it stays here.
// - Cancellation: a receive or send blocked in a channel, or a wait for `memory`, throws
//   operation_aborted (a cancelled wait holds nothing); `out` is not finished.
// - Throws std::invalid_argument for chunk_bytes == 0.

#include "io/cosmos/client.hpp"
#include "pipeline/buffer_pool.hpp"
#include "pipeline/byte_budget.hpp"
#include "pipeline/channel.hpp"
#include "pipeline/stage_stats.hpp"

#include <boost/asio/awaitable.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace idabus::stages {

namespace net = boost::asio;

struct raw_batch {
  std::uint64_t seq = 0;
  std::string lines;  ///< JSON Lines: raw documents, each followed by '\n'
  std::uint64_t documents = 0;
  std::optional<std::int64_t> min_ts;  ///< over the documents that have a numeric _ts
  std::optional<std::int64_t> max_ts;
  pipeline::byte_lease memory;  ///< the batch's capacity, held until its chunk is on disk
};

net::awaitable<void> run_batch_documents(pipeline::channel<io::cosmos::query_page>& in,
                                         pipeline::channel<raw_batch>& out, std::size_t chunk_bytes,
                                         pipeline::byte_budget& memory, pipeline::buffer_pool& buffers,
                                         pipeline::stage_counters& counters);

}  // namespace idabus::stages
