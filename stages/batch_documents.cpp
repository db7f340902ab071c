#include "stages/batch_documents.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <stdexcept>

namespace idabus::stages {

namespace {

// Two vectorised memchr scans. string_view::find_first_of("\r\n") calls memchr once per byte
// (libstdc++ 12): in bench_backup that scan cost more CPU than copying the bytes.
bool has_line_break(std::string_view raw) noexcept {
  if (raw.empty()) return false;  // memchr's pointer must not be null, even for 0 bytes
  return std::memchr(raw.data(), '\n', raw.size()) != nullptr || std::memchr(raw.data(), '\r', raw.size()) != nullptr;
}

// The room a batch starting with `doc` takes: a whole chunk, so the batch is never copied to grow;
// a document larger than a chunk is a batch of its own.
std::size_t batch_capacity(std::size_t chunk_bytes, const io::json::page_document& doc) {
  return std::max(chunk_bytes, doc.raw.size() + 1);
}

void append_document(raw_batch& batch, const io::json::page_document& doc) {
  const auto start = batch.lines.size();
  batch.lines.append(doc.raw);
  if (has_line_break(doc.raw)) {
    std::replace_if(batch.lines.begin() + static_cast<std::ptrdiff_t>(start), batch.lines.end(),
                    [](char c) { return c == '\n' || c == '\r'; }, ' ');
  }
  batch.lines.push_back('\n');
  ++batch.documents;
  if (const auto ts = doc.fields.ts) {
    batch.min_ts = batch.min_ts ? std::min(*batch.min_ts, *ts) : *ts;
    batch.max_ts = batch.max_ts ? std::max(*batch.max_ts, *ts) : *ts;
  }
}

// The lease of `bytes` for the next batch; the wait counts as blocked on send (the chunks
// downstream hold the budget).
net::awaitable<pipeline::byte_lease> lease_for(pipeline::byte_budget& memory, std::size_t bytes,
                                               pipeline::stage_counters& counters) {
  const auto start = std::chrono::steady_clock::now();
  auto lease = co_await memory.acquire(bytes);
  counters.add_blocked_send(std::chrono::steady_clock::now() - start);
  co_return lease;
}

// Hands the batch out (numbered) and leaves an empty one in its place.
raw_batch take_batch(raw_batch& batch, std::uint64_t& next_seq) {
  raw_batch full = std::move(batch);
  batch = raw_batch();
  full.seq = next_seq++;
  return full;
}

}  // namespace

net::awaitable<void> run_batch_documents(pipeline::channel<io::cosmos::query_page>& in,
                                         pipeline::channel<raw_batch>& out, std::size_t chunk_bytes,
                                         pipeline::byte_budget& memory, pipeline::buffer_pool& buffers,
                                         pipeline::stage_counters& counters) {
  if (chunk_bytes == 0) throw std::invalid_argument("run_batch_documents: chunk_bytes must be at least 1");
  raw_batch batch;
  std::uint64_t next_seq = 0;
  while (auto page = co_await pipeline::counted_receive(in, counters)) {
    for (const auto& doc : page->documents) {
      if (batch.documents > 0 && batch.lines.size() + doc.raw.size() + 1 > chunk_bytes) {
        auto full = take_batch(batch, next_seq);
        const auto bytes = full.lines.size();
        co_await pipeline::counted_send(out, std::move(full), counters, bytes);
      }
      if (batch.documents == 0) {
        const auto capacity = batch_capacity(chunk_bytes, doc);
        batch.memory = co_await lease_for(memory, capacity, counters);
        batch.lines = buffers.take(capacity);
      }
      append_document(batch, doc);
    }
  }
  if (batch.documents > 0) {
    auto full = take_batch(batch, next_seq);
    const auto bytes = full.lines.size();
    co_await pipeline::counted_send(out, std::move(full), counters, bytes);
  }
  out.finish();
}

}  // namespace idabus::stages
