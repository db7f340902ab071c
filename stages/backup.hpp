#pragma once
// run_backup: the backup pipeline of one pass (DESIGN §6 Basis, or the delta pass), wired in one
// place and shared by the engine and the tests. For each collection, concurrently:
//
//   run_read_pages        every partition key range in parallel (query_all_ranges; one paged
//                         query per range with its own continuation), SELECT * FROM c, or
//                         ... WHERE c._ts >= @since when pass.since_ts is set
//     -> channel<query_page>        (options.page_capacity pages)
//   run_batch_documents   raw documents (never re-serialized) into JSON Lines batches of at most
//                         options.chunk_bytes; each batch first takes its room from the pass's
//                         chunk budget (shared by all collections, see Memory below)
//     -> channel<raw_batch>         (options.batch_capacity batches)
//   options.compressors × run_compress_chunks   one zstd frame + SHA-256 per batch on `cpu`,
//                         one encoder (ZSTD_CCtx) per worker
//     -> reorder_buffer<compressed_chunk>  (options.reorder_window chunks)
//   run_write_chunks      chunk files in order on `file_thread` (temp, fsync, rename); the
//                         chunk's room goes back to the budget once its file is renamed
//
// Result: per collection the ordered manifest chunk entries (phase = pass.phase) and totals.
// The manifest is NOT written here: the caller writes it once after the basis and delta passes.
// RU: the client's request_gate (set by the caller in client_options) paces every request; each
// range is counted first (backup_count_query) and the gate told the RU each range still needs
// (request_gate::work_left), so that a job cap is divided by work; the per-collection charge is
// summed from the pages and the counts.
// Memory is bounded by the options, not by the collections:
//   chunks, for the whole pass: one pipeline::byte_budget of options.chunks_in_flight ×
//           chunk_bytes shared by every collection. A batcher acquires a chunk's capacity before
//           its first document; the lease travels with the batch and then its compressed chunk
//           and is given back once the file is renamed. So the raw chunks being filled, waiting,
//           being compressed, and the compressed ones waiting for the file thread, of all
//           collections together, never hold more than chunks_in_flight chunks (a document
//           larger than chunk_bytes is a chunk of its own and waits until it can be alone).
//           Per collection the channels still bound the order: at most 1 + batch_capacity +
//           compressors raw chunks and compressors + reorder_window + 1 compressed ones.
//   pages, per collection: (range_concurrency + page_capacity + 1) × one page (≤ ~4 MB).
// Liveness under the shared budget: a batcher holds no lease while it waits for one, and every
// lease it took is given back by its own collection's compressors and writer without its help,
// so a collection waiting for room never waits on itself; a collection holding a half-filled
// chunk finishes it from its own pages, which need no room. chunks_in_flight = 1 still completes
// (one chunk of the job at a time).
// Stages are registered in `stats` as "<collection>/<stage>". Cancellation: cancelling
// run_backup cancels every stage, a batcher waiting for room in the budget included (files
// already renamed stay; no manifest is written; leases of dropped chunks go back with them).
// Throws pipeline::stage_error naming the first stage that failed (cosmos_error,
// transport_error, file_error nested), std::invalid_argument for bad options.

#include "io/cosmos/client.hpp"
#include "io/files/manifest.hpp"
#include "pipeline/cpu_pool.hpp"
#include "pipeline/stage_stats.hpp"
#include "stages/read_pages.hpp"

#include <boost/asio/awaitable.hpp>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace idabus::stages {

namespace net = boost::asio;

struct backup_options {
  /// Backup.ChunkBytes (uncompressed). 8 MiB: at 10^6 documents 64 MiB chunks took ~1.5x the
  /// CPU-seconds (README, "Chunk size") and 4x the chunk memory.
  std::size_t chunk_bytes = 8u << 20;
  int compression_level = 3;            ///< Backup.CompressionLevel
  int page_size = 1000;                 ///< Backup.PageSize (x-ms-max-item-count)
  std::size_t range_concurrency = 8;    ///< ranges read at once per collection
  /// Pages buffered between the readers and the batcher. 2: the batcher copies a page in
  /// milliseconds, so a deeper queue only held bodies; at 10^6 documents 8 took 199-207 MB peak
  /// RSS against 142-144 MB (bench_backup --page-capacity, README "Pages in flight").
  std::size_t page_capacity = 2;
  std::size_t batch_capacity = 1;       ///< raw batches waiting for a compressor
  std::size_t compressors = 2;          ///< compression workers per collection
  std::size_t reorder_window = 2;       ///< compressed chunks held for in-order writing
  /// Backup.ChunksInFlight: chunks (of chunk_bytes) the whole pass holds at once, all
  /// collections together, from the first document of a chunk until its file is on disk.
  std::size_t chunks_in_flight = 4;
};

struct backup_collection {
  std::string name;
  std::string partition_key_path;  ///< "/objecttype"
  std::uint32_t first_chunk_number = 1;  ///< the delta pass continues after the basis chunks
  /// Documents left out of the backup by id (the engine's own coordination documents, which
  /// describe the running backup, not the tenant): `AND c.id != @x0 ...` in the query.
  std::vector<std::string> excluded_ids;
};

/// Called for every page as it is read (collection index in pass.collections, documents, RU
/// charge), before it enters the pipeline: live progress while a pass runs. It runs on the
/// client's executor and must be quick; it must not throw.
using page_observer = std::function<void(std::size_t collection, std::uint64_t documents, double request_charge)>;

struct backup_pass {
  std::string database;
  std::vector<backup_collection> collections;
  std::optional<std::int64_t> since_ts;  ///< `_ts >= since` (incremental / delta); none = full
  io::files::chunk_phase phase = io::files::chunk_phase::basis;
  page_observer on_page;  ///< optional
};

struct collection_result {
  std::string name;
  std::vector<io::files::chunk_entry> chunks;  ///< in file order
  std::uint64_t documents = 0;
  std::uint64_t raw_bytes = 0;
  std::uint64_t bytes = 0;  ///< compressed file bytes
  double request_charge = 0;
  std::uint64_t pages = 0;
  std::uint64_t ranges = 0;
  std::uint64_t range_refreshes = 0;
};

struct backup_result {
  std::vector<collection_result> collections;  ///< in pass.collections order
  /// The most chunk bytes the pass held at once (the shared budget's peak): at most
  /// chunks_in_flight × chunk_bytes unless one document is larger than the whole budget.
  std::uint64_t peak_chunk_bytes_in_flight = 0;
};

/// One collection of a pass with its pages as a source: run_backup reads them from Cosmos;
/// run_backup_pipelines takes any (tests feed their own).
struct collection_source {
  std::string name;
  std::uint32_t first_chunk_number = 1;
  page_source pages;
};

/// The query of one pass: "SELECT * FROM c" or "SELECT * FROM c WHERE c._ts >= @since", with
/// "c.id != @x<i>" conditions for the excluded ids.
io::cosmos::query_spec backup_query(std::optional<std::int64_t> since_ts,
                                    const std::vector<std::string>& excluded_ids = {});
/// The same filter as backup_query, counting: "SELECT VALUE COUNT(1) FROM c ...". Each range is
/// counted with it first, so the client's gate learns the RU each range needs and can divide a
/// job cap by it (request_gate::work_left, DESIGN §9).
io::cosmos::query_spec backup_count_query(std::optional<std::int64_t> since_ts,
                                          const std::vector<std::string>& excluded_ids = {});

/// Checks the options (capacities and workers >= 1 where needed, chunk_bytes >= 1, level and
/// page size in range). Throws std::invalid_argument naming the field.
void validate(const backup_options& options);

/// Everything of run_backup after the reading: for each source its read, batch, compress and
/// write stages under the one chunk budget of the pass; `set_dir` must exist. Results in
/// `sources` order (request charge, pages and ranges as the sources report them).
net::awaitable<backup_result> run_backup_pipelines(std::vector<collection_source> sources, pipeline::cpu_pool& cpu,
                                                   pipeline::cpu_pool& file_thread, std::filesystem::path set_dir,
                                                   io::files::chunk_phase phase, backup_options options,
                                                   pipeline::stage_stats& stats);

/// Runs one pass; see the file comment. `client`, `cpu`, `file_thread` and `stats` are borrowed
/// and must outlive the call; `set_dir` is created when missing.
net::awaitable<backup_result> run_backup(io::cosmos::client& client, pipeline::cpu_pool& cpu,
                                         pipeline::cpu_pool& file_thread, std::filesystem::path set_dir,
                                         backup_pass pass, backup_options options, pipeline::stage_stats& stats);

}  // namespace idabus::stages
