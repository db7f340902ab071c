#pragma once
// run_decode_chunks: one decoding worker of the restore merge (run several on one input).
//
// - Consumes: chunk_job messages from `in` (shared by all workers): a backup chunk file and where it
//   lies in the restore chain.
// - Produces: for each job one decoded_chunk put into `out` under the job's seq (the reorder buffer
//   puts the workers' results back in job order): per document, in line order, its merge key
//   (partition key value + id, merge_key), its `_ts`, and with decode_mode::stripped the document's
//   bytes with _rid/_self/_etag/_attachments removed (system_property_stripper; nothing else is
//   re-serialized), back to back in `text`, a buffer taken from `texts` (the consumer gives it
//   back when done with the chunk, so the same few buffers carry every chunk instead of a fresh
//   chunk-sized allocation each). With decode_mode::keys the text is dropped (each worker reuses
//   one buffer of its own).
//   counters: items = chunks, bytes = decompressed bytes.
// - Two hops per chunk: the file is read on `file_thread`, then decompressed (zstd checks the
//   frame's content checksum), split into lines and parsed (simdjson on-demand) in ONE hop to
//   `cpu`. The worker owns one chunk_decoder, one document_reader and one stripper for its life.
// - Ends: when `in` ends; then out.finish() (the reorder buffer counts one producer per worker).
// - Executor: the caller's; only the hops run on the pools.
// - Cancellation: a receive or put blocked in `in`/`out` throws operation_aborted; a running hop
//   completes first (it is not cancellable).
// - Throws io::files::chunk_error (missing, not one frame, corrupt) naming the file, and
//   decode_error naming the file and line for a line that is not a document with a string id.

#include "io/files/chunk.hpp"
#include "pipeline/buffer_pool.hpp"
#include "pipeline/channel.hpp"
#include "pipeline/cpu_pool.hpp"
#include "pipeline/reorder_buffer.hpp"
#include "pipeline/stage_stats.hpp"
#include "stages/merge_index.hpp"

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace idabus::stages {

namespace net = boost::asio;

class decode_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct chunk_job {
  std::uint64_t seq = 0;           ///< position in the reorder buffer
  std::filesystem::path file;      ///< the chunk file
  std::string label;               ///< names the chunk in errors: "<set folder>/Resources/000001.jsonl.zst"
  version_location where;          ///< set and chunk index; line is left 0
  bool delta = false;              ///< a delta chunk (phase delta)
};

struct decoded_document {
  std::string key;          ///< merge_key(partition key value, id)
  std::int64_t ts = 0;      ///< `_ts` (0 when missing)
  std::uint32_t offset = 0;  ///< into decoded_chunk::text (stripped mode)
  std::uint32_t length = 0;
};

struct decoded_chunk {
  chunk_job job;
  std::string text;  ///< stripped documents back to back (decode_mode::stripped), else empty
  std::vector<decoded_document> documents;  ///< in line order
  std::uint64_t raw_bytes = 0;  ///< decompressed bytes of the chunk

  std::string_view document(const decoded_document& d) const { return std::string_view(text).substr(d.offset, d.length); }
};

enum class decode_mode { keys, stripped };

struct decode_options {
  std::string partition_key_path;  ///< "/objecttype"
  decode_mode mode = decode_mode::keys;
};

/// The CPU part of one job (what the worker runs in its cpu hop), for tests and benchmarks.
class chunk_document_decoder {
 public:
  explicit chunk_document_decoder(decode_options options);
  ~chunk_document_decoder();
  chunk_document_decoder(chunk_document_decoder&&) noexcept;
  chunk_document_decoder& operator=(chunk_document_decoder&&) noexcept;
  /// Decompresses `file_bytes` and decodes its lines; in stripped mode into `text` (its capacity
  /// is reused, e.g. a buffer from a pool). Throws chunk_error, decode_error.
  decoded_chunk decode(chunk_job job, std::string_view file_bytes, std::string text = {});

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// `texts` is borrowed: the buffers of decode_mode::stripped come from it.
net::awaitable<void> run_decode_chunks(pipeline::channel<chunk_job>& in, pipeline::reorder_buffer<decoded_chunk>& out,
                                       pipeline::cpu_pool& cpu, pipeline::cpu_pool& file_thread,
                                       pipeline::buffer_pool& texts, decode_options options,
                                       pipeline::stage_counters& counters);

}  // namespace idabus::stages
