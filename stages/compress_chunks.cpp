#include "stages/compress_chunks.hpp"

#include <chrono>

namespace idabus::stages {

net::awaitable<void> run_compress_chunks(pipeline::channel<raw_batch>& in,
                                         pipeline::reorder_buffer<compressed_chunk>& out, pipeline::cpu_pool& pool,
                                         pipeline::buffer_pool& buffers, int level,
                                         pipeline::stage_counters& counters) {
  io::files::chunk_encoder encoder(level);
  while (auto batch = co_await pipeline::counted_receive(in, counters)) {
    auto compress = [&encoder, &batch] { return encoder.encode(batch->lines); };
    auto file = co_await pool.run(compress);
    pipeline::sequenced<compressed_chunk> item;
    item.seq = batch->seq;
    item.value.documents = batch->documents;
    item.value.raw_bytes = batch->lines.size();
    item.value.min_ts = batch->min_ts;
    item.value.max_ts = batch->max_ts;
    item.value.file = std::move(file);
    item.value.memory = std::move(batch->memory);
    buffers.give(std::move(batch->lines));  // the raw bytes are not needed while waiting for the writer
    batch.reset();
    const auto bytes = item.value.file.bytes.size();
    const auto start = std::chrono::steady_clock::now();
    co_await out.put(std::move(item));
    counters.add_blocked_send(std::chrono::steady_clock::now() - start);
    counters.add_items(1, bytes);
  }
  out.finish();
}

}  // namespace idabus::stages
