#include "stages/restore_import.hpp"

#include "io/cosmos/epk.hpp"
#include "io/cosmos/pk_ranges.hpp"
#include "io/files/restore_file.hpp"
#include "pipeline/byte_budget.hpp"
#include "pipeline/channel.hpp"
#include "pipeline/run_stages.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>

#include <algorithm>
#include <memory>
#include <optional>
#include <stdexcept>
#include <utility>
#include <variant>

namespace idabus::stages {

namespace {

namespace files = io::files;
using document_channel = pipeline::channel<write_document>;

std::string display_path(std::string_view path) {
  return path.starts_with('/') ? std::string(path) : "/" + std::string(path);
}

// One document as a file hop read it, registered with the tracker in ticket order afterwards.
struct read_item {
  enum class kind { skip, refuse, send } what = kind::send;
  std::uint64_t ticket = 0;
  std::string epk;
  write_document document;
  files::import_reject reject;
};

// The memory a parsed item holds until its reader takes it: the item and what its strings own.
std::size_t held_bytes(const read_item& item) {
  return sizeof(read_item) + item.epk.capacity() + item.document.id.capacity() + item.document.body.capacity() +
         item.reject.id.capacity() + item.reject.reason.capacity();
}

// Tickets [begin, end) of one restore file, parsed once, its documents split by range reader
// (items[reader], in ticket order; each reader moves its own out). Shared by the range readers
// until the last one is done with it; counted in restore_read_counters::pieces_held meanwhile.
// leases[reader] holds the bytes of items[reader] from the import's read-ahead budget until that
// reader has taken them.
struct read_piece {
  std::uint64_t begin = 0;
  std::uint64_t end = 0;
  bool unread = false;  // below the resume floor: not opened
  std::vector<std::vector<read_item>> items;
  std::vector<std::size_t> bytes;  // held_bytes of items[reader]
  std::vector<pipeline::byte_lease> leases;
  pipeline::byte_budget* memory = nullptr;  // where the leases come from (set with counters)
  restore_read_counters* counters = nullptr;

  read_piece() = default;
  read_piece(const read_piece&) = delete;
  read_piece& operator=(const read_piece&) = delete;
  ~read_piece() {
    if (counters) --counters->pieces_held;
    for (std::size_t r = 0; r < leases.size(); ++r) take(r);
  }

  // Reader r has taken its items: their bytes go back to the budget.
  void take(std::size_t r) {
    leases[r].release();
    if (counters) counters->bytes_held = memory->in_use();
  }
};
using piece_channel = pipeline::channel<std::shared_ptr<read_piece>>;

// Hands `piece` to every range reader: suspends until its bytes fit in `memory` (the bytes of the
// pieces the readers have not taken yet) and while the slowest reader's queue is full, which
// bounds how far the fastest range runs ahead (and the pieces and bytes held).
net::awaitable<void> hand_out(std::shared_ptr<read_piece> piece, std::vector<piece_channel*> outs,
                              pipeline::byte_budget& memory, restore_read_counters& counters) {
  std::size_t total = 0;
  for (std::size_t b : piece->bytes) total += b;
  auto lease = co_await memory.acquire(total);
  for (std::size_t b : piece->bytes) piece->leases.push_back(lease.split(b));
  piece->memory = &memory;
  piece->counters = &counters;
  ++counters.pieces_held;
  counters.most_pieces_held = std::max(counters.most_pieces_held, counters.pieces_held);
  counters.bytes_held = memory.in_use();
  counters.most_bytes_held = memory.peak();
  counters.most_piece_bytes = std::max(counters.most_piece_bytes, total);
  for (auto* out : outs) co_await out->send(piece);
}

// Parses each restore file once, in order, on `file_thread` (restore_file_reader, then the id and
// partition key value of each document), pieces of `batch` documents or the first to reach
// `piece_bytes` held, each piece split by range reader (range % readers; documents without a key
// to reader 0). Documents an earlier run finished are marked skipped; files entirely below the
// tracker's resume_floor are not opened.
net::awaitable<void> run_parse_restore_files(std::vector<std::filesystem::path> paths, std::string key_path,
                                             std::size_t batch, std::size_t piece_bytes,
                                             pipeline::cpu_pool& file_thread, import_tracker& tracker,
                                             std::vector<piece_channel*> outs, pipeline::byte_budget& memory,
                                             restore_read_counters& counters) {
  const std::size_t readers = outs.size();
  io::json::document_reader fields(key_path);
  for (std::size_t f = 0; f < paths.size(); ++f) {
    const std::uint64_t first = tracker.file_starts()[f];
    const std::uint64_t expected = tracker.files()[f].documents;
    if (first + expected <= tracker.resume_floor()) {  // done before in every range: not even opened
      auto piece = std::make_shared<read_piece>();
      piece->begin = first;
      piece->end = first + expected;
      piece->unread = true;
      co_await hand_out(std::move(piece), outs, memory, counters);
      continue;
    }
    std::unique_ptr<files::restore_file_reader> file;
    auto open = [&] { file = std::make_unique<files::restore_file_reader>(paths[f]); };
    co_await file_thread.run(open);
    ++counters.files_parsed;
    std::uint64_t index = 0;  // documents of this file read so far
    for (;;) {
      bool end = false;
      auto read = [&]() -> std::shared_ptr<read_piece> {
        auto piece = std::make_shared<read_piece>();
        piece->begin = first + index;
        piece->items.resize(readers);
        piece->bytes.resize(readers);
        std::size_t held = 0;
        for (std::size_t scanned = 0; scanned < batch && held < piece_bytes; ++scanned) {
          auto raw = file->next();
          if (!raw) {
            end = true;
            break;
          }
          if (index == expected) {  // one more than surveyed: reported below
            ++index;
            break;
          }
          read_item item;
          item.ticket = first + index++;
          document_key key = key_of(fields, *raw, key_path);
          std::size_t reader = 0;
          if (!key.problem.empty()) {
            item.what = tracker.done_before(item.ticket, "") ? read_item::kind::skip : read_item::kind::refuse;
            item.reject.id = std::move(key.id);
            item.reject.reason = std::move(key.problem);
          } else {
            item.epk = io::cosmos::effective_partition_key_v2(key.partition_key);
            reader = tracker.range_index(item.epk) % readers;
            if (tracker.done_before(item.ticket, item.epk)) {
              item.what = read_item::kind::skip;
            } else {
              item.document.id = std::move(key.id);
              item.document.partition_key = std::move(key.partition_key);
              item.document.body = std::string(*raw);
              item.document.ticket = item.ticket;
            }
          }
          const std::size_t bytes = held_bytes(item);
          piece->bytes[reader] += bytes;
          held += bytes;
          piece->items[reader].push_back(std::move(item));
        }
        piece->end = first + std::min(index, expected);
        return piece;
      };
      auto piece = co_await file_thread.run(read);
      if (index > expected || (end && index != expected)) {
        throw std::runtime_error(paths[f].filename().string() + " holds " + (end ? "" : "more than ") +
                                 std::to_string(end ? index : expected) + " documents, not " +
                                 std::to_string(expected) + " as when the import started (it changed)");
      }
      counters.documents_parsed += piece->end - piece->begin;
      if (piece->end > piece->begin || end) co_await hand_out(std::move(piece), outs, memory, counters);
      if (end) break;
    }
    auto close = [&] { file.reset(); };
    co_await file_thread.run(close);
  }
  for (auto* out : outs) out->finish();
}

// Range reader `reader` of `readers`: reports the documents of the tracker's ranges r with
// r % readers == reader (reader 0 also those without a key) in input order and sends them on.
net::awaitable<void> run_range_reader(std::size_t reader, std::size_t readers, import_tracker& tracker,
                                      piece_channel& in, document_channel& out) {
  while (auto received = co_await in.receive()) {
    std::shared_ptr<read_piece> piece = std::move(*received);
    if (piece->unread && reader == 0) tracker.skipped_unread(piece->begin, piece->end);
    if (!piece->unread) {
      for (auto& item : piece->items[reader]) {
        switch (item.what) {
          case read_item::kind::skip:
            tracker.skipped(item.ticket, item.epk);
            break;
          case read_item::kind::refuse:
            tracker.refused(item.ticket, std::move(item.reject));
            break;
          case read_item::kind::send:
            tracker.sent(item.ticket, item.epk, item.document.body.size());
            co_await out.send(std::move(item.document));
            break;
        }
      }
      piece->items[reader] = {};  // its memory goes now, not when the slowest reader is done
      piece->take(reader);
    }
    for (std::size_t r = reader; r < tracker.range_count(); r += readers) tracker.passed(r, piece->end);
  }
  out.finish();
}

// Shared by the writer and the monitor of one import (one executor).
struct import_state {
  bool writing_done = false;
  std::unique_ptr<net::steady_timer> tick;
};

net::awaitable<void> run_writes(io::cosmos::client& client, write_lanes_options options,
                                std::vector<document_channel*> inputs, write_lanes_counters& counters,
                                import_state& state) {
  co_await run_write_lanes(client, std::move(options), std::move(inputs), counters);
  state.writing_done = true;
  state.tick->cancel();
}

// Every tick until the writes are done: progress on the executor, then the checkpoint on the file thread.
net::awaitable<void> run_monitor(restore_import_options options, import_tracker& tracker,
                                 pipeline::cpu_pool& file_thread, import_state& state) {
  while (!state.writing_done) {
    state.tick->expires_after(options.tick);
    auto r = co_await state.tick->async_wait(net::as_tuple(net::use_awaitable));
    if (state.writing_done) break;
    if (std::get<0>(r) == net::error::operation_aborted) {
      throw boost::system::system_error(net::error::operation_aborted);
    }
    if (options.progress) options.progress();
    if (options.persist) {
      auto snapshot = take_import_snapshot(tracker);
      auto persist = [&] { options.persist(std::move(snapshot)); };
      co_await file_thread.run(persist);
    }
  }
}

}  // namespace

document_key key_of(io::json::document_reader& reader, std::string_view raw, std::string_view partition_key_path) {
  document_key key;
  auto fields = reader.read(raw);
  if (fields.id) key.id = std::move(*fields.id);
  if (!fields.id || key.id.empty()) {
    key.problem = "the document has no string \"id\"";
  } else if (!fields.partition_key) {
    key.problem = "the document has no value at the partition key path " + display_path(partition_key_path);
  } else if (std::holds_alternative<std::monostate>(*fields.partition_key)) {
    key.problem = "the value at the partition key path " + display_path(partition_key_path) +
                  " is an object or an array";
  } else {
    key.partition_key.push_back(std::move(*fields.partition_key));
  }
  return key;
}

std::vector<files::import_input_file> survey_restore_files(std::span<const std::filesystem::path> paths) {
  std::vector<files::import_input_file> out;
  for (const auto& path : paths) {
    files::restore_file_reader reader(path);
    while (reader.next()) {
    }
    out.push_back(files::import_input_file{path.filename().string(), reader.documents_read(), reader.file_bytes()});
  }
  return out;
}

import_estimate estimate_restore_import(std::span<const std::filesystem::path> paths, std::string_view partition_key_path,
                                        const std::vector<io::cosmos::pk_range>& ranges, double range_share, double cap,
                                        const io::cosmos::cost_model& costs, std::string_view collection_link,
                                        io::cosmos::operation_kind kind) {
  import_estimate e;
  e.range_ru.assign(std::max<std::size_t>(ranges.size(), 1), 0.0);
  io::json::document_reader fields(partition_key_path);
  for (const auto& path : paths) {
    files::restore_file_reader reader(path);
    while (auto raw = reader.next()) {
      ++e.documents;
      e.bytes += raw->size();
      const document_key key = key_of(fields, *raw, partition_key_path);
      if (!key.problem.empty()) {
        ++e.rejected;
        continue;
      }
      std::size_t range = 0;
      if (!ranges.empty()) {
        const auto epk = io::cosmos::effective_partition_key_v2(key.partition_key);
        const auto* holder = io::cosmos::range_for_epk(ranges, epk);
        if (holder) range = static_cast<std::size_t>(holder - ranges.data());
      }
      e.range_ru[range] += costs.estimate(collection_link, kind, raw->size());
    }
  }
  std::vector<pipeline::key_load> loads;
  for (double ru : e.range_ru) loads.push_back(pipeline::key_load{ru, range_share});
  e.bound = pipeline::physical_bound(loads, cap);
  return e;
}

write_lanes_options import_lanes(std::string database, std::string collection, std::size_t lanes_per_range,
                                 double range_share) {
  constexpr std::size_t queued_per_range = 2048;
  write_lanes_options o;
  o.database = std::move(database);
  o.collection = std::move(collection);
  o.lanes_per_range = lanes_per_range;
  o.lane_capacity = std::max<std::size_t>(16, queued_per_range / std::max<std::size_t>(1, lanes_per_range));
  o.range_ru_per_second = range_share;
  return o;
}

import_snapshot take_import_snapshot(import_tracker& tracker) {
  import_snapshot s;
  s.position = tracker.position();
  s.ranges = tracker.progress();
  s.rejects = tracker.take_settled_rejections();
  return s;
}

net::awaitable<void> run_restore_import(io::cosmos::client& client, pipeline::cpu_pool& file_thread,
                                        restore_import_options options, import_tracker& tracker,
                                        write_lanes_counters& counters) {
  if (options.read_batch == 0) throw std::invalid_argument("restore_import: read_batch must be at least 1");
  if (options.channel_capacity == 0) throw std::invalid_argument("restore_import: channel_capacity must be at least 1");
  if (options.max_readers == 0) throw std::invalid_argument("restore_import: max_readers must be at least 1");
  if (options.read_ahead == 0) throw std::invalid_argument("restore_import: read_ahead must be at least 1");
  if (options.read_ahead_bytes == 0) throw std::invalid_argument("restore_import: read_ahead_bytes must be at least 1");
  if (options.read_piece_bytes == 0) throw std::invalid_argument("restore_import: read_piece_bytes must be at least 1");
  if (options.files.size() != tracker.files().size() || tracker.position() != 0) {
    throw std::invalid_argument("restore_import: the tracker does not describe this input");
  }
  // A reader per range (up to max_readers), each with its own channel and router
  // (run_write_lanes with several inputs): a range whose lanes are full holds back only its reader.
  const std::size_t readers = std::min(tracker.range_count(), options.max_readers);
  std::vector<std::unique_ptr<document_channel>> documents;
  std::vector<document_channel*> inputs;
  for (std::size_t r = 0; r < readers; ++r) {
    documents.push_back(std::make_unique<document_channel>(options.channel_capacity));
    inputs.push_back(documents.back().get());
  }
  import_state state;
  state.tick = std::make_unique<net::steady_timer>(co_await net::this_coro::executor);
  write_lanes_options lanes = options.lanes;
  lanes.on_result = [&tracker](std::uint64_t ticket, const write_rejection* rejection) {
    if (!rejection) {
      tracker.written(ticket);
      return;
    }
    files::import_reject r;
    r.id = rejection->id;
    r.partition_key = rejection->partition_key;
    r.status = rejection->status;
    r.substatus = rejection->substatus;
    r.reason = rejection->message;
    tracker.rejected(ticket, std::move(r));
  };
  restore_read_counters own_counters;
  restore_read_counters& reading = options.read_counters ? *options.read_counters : own_counters;
  pipeline::byte_budget memory(options.read_ahead_bytes);  // before the pieces: their leases come back to it
  std::vector<std::unique_ptr<piece_channel>> pieces;
  std::vector<piece_channel*> piece_outs;
  for (std::size_t r = 0; r < readers; ++r) {
    pieces.push_back(std::make_unique<piece_channel>(options.read_ahead));
    piece_outs.push_back(pieces.back().get());
  }
  std::vector<pipeline::named_stage> stages;
  stages.push_back({"read restore files", run_parse_restore_files(options.files, options.partition_key_path,
                                                                  options.read_batch, options.read_piece_bytes,
                                                                  file_thread, tracker, piece_outs, memory, reading)});
  for (std::size_t r = 0; r < readers; ++r) {
    stages.push_back({"read range documents", run_range_reader(r, readers, tracker, *piece_outs[r], *inputs[r])});
  }
  stages.push_back({"write", run_writes(client, std::move(lanes), std::move(inputs), counters, state)});
  stages.push_back({"monitor", run_monitor(std::move(options), tracker, file_thread, state)});
  co_await pipeline::run_stages(std::move(stages));
}

}  // namespace idabus::stages
