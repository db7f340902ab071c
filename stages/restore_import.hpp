#pragma once
// restore_import: the pipeline of importTool -exportRaw (DESIGN §8–§9): restore files into one
// collection, as fast as its ranges take it, keeping each document's versions in file order.
//
//   run_parse_restore_files      parses each file once, in order, on `file_thread`
//                                (restore_file_reader, then the id and partition key value of each
//                                document), pieces of options.read_batch documents or the first
//                                to reach options.read_piece_bytes, each piece split by range
//                                reader; ticket = position in the whole input;
//                                documents an earlier run finished (the tracker's done_before, per
//                                range) are marked skipped, files entirely below its resume_floor
//                                not even opened
//     -> one channel of pieces per range reader (options.read_ahead pieces), the same piece to each
//   run_range_reader             one per range (up to options.max_readers; beyond that reader i
//                                takes the ranges r with r % readers == i): reports its documents
//                                to the tracker in input order and sends them on, so a range whose
//                                lanes are full never holds back another range's documents (the
//                                files interleave the ranges in pages; one reader waiting on a full
//                                cold range starved the hot one). A document without an id or a
//                                partition key value is refused by reader 0 (tracker), never sent.
//                                The parser waits while the pieces not yet taken hold
//                                options.read_ahead_bytes (the documents, their keys and per-item
//                                bookkeeping; a reader gives its part of a piece back as it takes
//                                it) and while the slowest reader's queue is full (read_ahead
//                                pieces), so the fastest range runs at most that far ahead of the
//                                slowest, and what is parsed and not yet sent on is bounded in
//                                bytes whatever the collection's size: read_ahead_bytes plus one
//                                piece (restore_read_counters)
//     -> one channel<write_document> per reader (options.channel_capacity), in input order
//   run_write_lanes              a router per reader, lanes by EPK range, sub-lanes by hash of key
//                                and id (so the versions of a document, which all belong to one
//                                range and so to one reader, are written in input order), batches
//                                cut by predicted RU, paced per range by the client's gate; sent as
//                                bulk requests or point upserts (options.lanes.mode)
//     -> tracker                 written / rejected per document, as results arrive
//   monitor                      every options.tick: options.progress() on the executor, then
//                                options.persist(take_import_snapshot(tracker)) on `file_thread`
//
// Ends when every document has its final result; the last progress and persist are the caller's
// (it also calls persist after a failure or a cancellation, from the tracker). Runs on the
// client's executor (single-threaded). Cancellation: cancels every stage (requests in flight are
// aborted; documents already acknowledged stay written and counted in the tracker); a file hop
// under way finishes first. Throws pipeline::stage_error naming the stage: restore_file_error for
// a file that is not an array of objects (naming the file and offset), std::runtime_error when a
// file holds another number of documents than the tracker was told (it changed), what
// run_write_lanes throws.

#include "io/cosmos/client.hpp"
#include "io/json/document.hpp"
#include "pipeline/cpu_pool.hpp"
#include "pipeline/throughput_bound.hpp"
#include "stages/import_tracker.hpp"
#include "stages/write_lanes.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace idabus::stages {

namespace net = boost::asio;

/// The id and partition key value of one restore document, or why it cannot be imported.
struct document_key {
  std::string id;
  std::vector<io::cosmos::pk_component> partition_key;
  std::string problem;  ///< empty when id and key were found
};

/// Reads `raw` with `reader` (built for `partition_key_path`). Throws io::json::parse_error for a
/// document that is not a JSON object.
document_key key_of(io::json::document_reader& reader, std::string_view raw, std::string_view partition_key_path);

/// Documents and bytes of each restore file, reading every one to its end (blocking: call it on a
/// file thread or in a tool's main). Throws io::files::restore_file_error naming the file.
std::vector<io::files::import_input_file> survey_restore_files(std::span<const std::filesystem::path> files);

/// What an import of the files would cost (exportRaw --dry-run).
struct import_estimate {
  std::uint64_t documents = 0;
  std::uint64_t bytes = 0;       ///< raw bytes of the documents
  std::uint64_t rejected = 0;    ///< documents without an id or a partition key value
  std::vector<double> range_ru;  ///< estimated RU per range (in the order of `ranges`)
  pipeline::throughput_bound bound;
};

/// Reads every document (blocking: a file thread or a tool's main) and estimates its write with
/// `costs` (`kind` of its bytes on `collection_link`: bulk_write for bulk batches, point_write for
/// point upserts), charged to the range
/// holding its effective partition key; the bound is pipeline::physical_bound over the ranges at
/// `range_share` each (0 = unlimited) under `cap` (0 = none). With no ranges (a collection not yet
/// created) everything counts as one range. Throws io::files::restore_file_error naming the file.
import_estimate estimate_restore_import(std::span<const std::filesystem::path> files, std::string_view partition_key_path,
                                        const std::vector<io::cosmos::pk_range>& ranges, double range_share, double cap,
                                        const io::cosmos::cost_model& costs, std::string_view collection_link,
                                        io::cosmos::operation_kind kind = io::cosmos::operation_kind::bulk_write);

/// What a checkpoint taken now records (io/files/import_checkpoint.hpp).
struct import_snapshot {
  std::uint64_t position = 0;
  std::vector<io::files::import_range_progress> ranges;
  std::vector<io::files::import_reject> rejects;  ///< settled since the last snapshot
};

/// Hands the settled rejections over: take one snapshot per checkpoint written.
import_snapshot take_import_snapshot(import_tracker& tracker);

/// What the reading side of an import did (tests, bench_restore).
struct restore_read_counters {
  std::uint64_t files_parsed = 0;      ///< restore files opened and parsed (each once)
  std::uint64_t documents_parsed = 0;  ///< documents parsed (each once)
  std::size_t pieces_held = 0;       ///< parsed pieces a range reader still has to take
  std::size_t most_pieces_held = 0;  ///< the most at any time (at most read_ahead + 2)
  std::size_t bytes_held = 0;        ///< held bytes of the documents in those pieces no reader has taken yet
  std::size_t most_bytes_held = 0;   ///< the most at any time (read_ahead_bytes, or one piece alone when larger)
  std::size_t most_piece_bytes = 0;  ///< held bytes of the largest piece parsed
};

struct restore_import_options {
  std::vector<std::filesystem::path> files;  ///< in import order; the tracker knows their counts
  std::string partition_key_path;            ///< "objecttype", "/objecttype", "a/b"
  std::size_t read_batch = 256;              ///< documents per file hop (>= 1)
  /// A piece ends early once its documents hold this many bytes (>= 1): large documents make
  /// fewer per piece.
  std::size_t read_piece_bytes = std::size_t{1} << 20;
  std::size_t channel_capacity = 256;        ///< documents between each reader and the lanes (>= 1)
  /// Range readers at most (>= 1): one per range up to this many. Files are parsed once whatever this is.
  std::size_t max_readers = 16;
  /// Pieces queued per range reader (>= 1): how far the fastest range may run ahead of the
  /// slowest in pieces; read_ahead + 2 pieces are held at most.
  std::size_t read_ahead = 64;
  /// Bytes parsed and not yet taken by their range readers (>= 1): the memory bound of the
  /// read-ahead, and so also how far the fastest range may run ahead of the slowest in bytes.
  std::size_t read_ahead_bytes = std::size_t{32} << 20;
  restore_read_counters* read_counters = nullptr;  ///< optional, borrowed; on the executor
  write_lanes_options lanes;                 ///< its on_result is set here (to the tracker); see import_lanes
  /// Checkpoint (and progress callback) interval: a killed import re-sends about this much of
  /// its writes, plus what was queued or in flight.
  std::chrono::milliseconds tick{250};
  std::function<void()> progress;            ///< optional; on the executor
  /// Optional; on the file thread, with a snapshot taken on the executor just before.
  std::function<void(import_snapshot)> persist;
};

/// The lanes of an import: `lanes_per_range` sub-lanes (batches in flight) per range, sharing 2048
/// queued documents per range (each range has its own reader: the queue only smooths its reads),
/// bounded so that memory does not follow the collection. A checkpoint lags only by the spread between a range's sub-lanes (they drain their
/// queues in order at about the same pace), not by the queue. Batches of a slice of `range_share`
/// (0 = unknown).
write_lanes_options import_lanes(std::string database, std::string collection, std::size_t lanes_per_range,
                                 double range_share);

/// See the file comment. `tracker` must describe options.files (a fresh one: position 0);
/// `counters` receives the writer's counters (RU, 429s). Both are borrowed and readable from
/// progress().
net::awaitable<void> run_restore_import(io::cosmos::client& client, pipeline::cpu_pool& file_thread,
                                        restore_import_options options, import_tracker& tracker,
                                        write_lanes_counters& counters);

}  // namespace idabus::stages
