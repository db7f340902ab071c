#pragma once
// run_restore_merge: the merge of one collection's restore chain into restore files (DESIGN §8,
// issue 9 item 2, issue 10 item 2), wired in one place and shared by importTool and the tests.
//
// Input: the chain (sets[0] the full backup, then the incrementals in order), each with its set
// folder and its manifest entry for the collection. Three passes over the chunks, each
//
//   run_feed_jobs  -> channel<chunk_job> (options.job_capacity)
//     -> options.decoders × run_decode_chunks (file read on `file_thread`, zstd + simdjson on `cpu`)
//     -> reorder_buffer<decoded_chunk> (options.reorder_window) -> one consumer, in chunk order:
//
//   1. index:  the tombstones of every incremental (read on `file_thread`), the full set's delta
//              chunks and every chunk of the incrementals, keys only -> merge_index (rules there);
//   2. full:   the full set's basis chunks, documents stripped; a document whose key is not in the
//              index is written, the others are superseded;
//   3. winners: the chunks of pass 1 again; each key's winning version is written.
// Output order is therefore fixed by the input: full-set survivors in chunk/line order, then the
// winners in chain/chunk/line order. Documents go to `writer` (restore_file_writer, on
// `file_thread`); the caller calls writer.finish() and writes restore-plan.json.
// Memory: the index holds only the keys of pass 1 (never the full backup's basis); chunks in
// flight are bounded by (decoders + reorder_window + 1) × one decoded chunk (its text + keys).
// The texts of passes 2 and 3 are buffers of `texts` (text_buffers_for(options) of them at most
// in use): the writer gives each back after writing its chunk, so they are reused, not freed.
// Stages are registered in `stats` as "<collection>/<pass>/<stage>".
// Cancellation: cancelling the awaitable cancels every stage; files already written by the writer
// stay (the caller discards them). Throws pipeline::stage_error naming the stage, with
// chunk_error / decode_error / tombstone_error / file_error nested.

#include "io/files/manifest.hpp"
#include "io/files/restore_file.hpp"
#include "pipeline/buffer_pool.hpp"
#include "pipeline/cpu_pool.hpp"
#include "pipeline/stage_stats.hpp"

#include <boost/asio/awaitable.hpp>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace idabus::stages {

namespace net = boost::asio;

struct merge_set {
  std::filesystem::path set_dir;
  std::string name;                           ///< the set's folder name (labels errors)
  io::files::collection_manifest collection;  ///< the manifest's entry for the collection
};

struct merge_options {
  std::size_t decoders = 2;        ///< decoding workers
  std::size_t job_capacity = 2;    ///< chunk jobs queued for the workers
  std::size_t reorder_window = 2;  ///< decoded chunks held for in-order consumption
};

struct merge_result {
  std::uint64_t documents = 0;        ///< written to restore files
  std::uint64_t deletes_applied = 0;  ///< documents a tombstone removed
  std::uint64_t indexed_keys = 0;     ///< keys held by the index (memory bound)
  std::uint64_t raw_bytes = 0;        ///< decompressed chunk bytes, all passes
};

/// Throws std::invalid_argument naming a zero worker count or capacity.
void validate(const merge_options& options);

/// Decoded chunk texts that can be in use at once: decoders + reorder_window + 1 (the writer's);
/// the max_free a pipeline::buffer_pool for run_restore_merge needs to reuse every one of them.
std::size_t text_buffers_for(const merge_options& options) noexcept;

/// See the file comment. `writer`, `cpu`, `file_thread`, `texts`, `stats` are borrowed and must
/// outlive the call.
net::awaitable<merge_result> run_restore_merge(std::vector<merge_set> chain, std::string partition_key_path,
                                               io::files::restore_file_writer& writer, pipeline::cpu_pool& cpu,
                                               pipeline::cpu_pool& file_thread, pipeline::buffer_pool& texts,
                                               merge_options options, pipeline::stage_stats& stats);

}  // namespace idabus::stages
