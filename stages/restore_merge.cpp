#include "stages/restore_merge.hpp"

#include "io/files/tombstones.hpp"
#include "pipeline/channel.hpp"
#include "pipeline/reorder_buffer.hpp"
#include "pipeline/run_stages.hpp"
#include "stages/decode_chunks.hpp"
#include "stages/merge_index.hpp"

#include <chrono>
#include <memory>
#include <stdexcept>

namespace idabus::stages {

namespace {

using std::chrono::floor;
using std::chrono::seconds;

// The channels of one pass; they outlive its stages.
struct pass_channels {
  explicit pass_channels(const merge_options& options)
      : jobs(options.job_capacity), decoded(options.reorder_window, options.decoders) {}
  pipeline::channel<chunk_job> jobs;
  pipeline::reorder_buffer<decoded_chunk> decoded;
};

net::awaitable<void> run_feed_jobs(pipeline::channel<chunk_job>& out, std::vector<chunk_job> jobs) {
  for (auto& job : jobs) co_await out.send(std::move(job));
  out.finish();
}

net::awaitable<void> run_index_chunks(pipeline::reorder_buffer<decoded_chunk>& in, merge_index& index,
                                      std::uint64_t& raw_bytes) {
  while (auto chunk = co_await in.next()) {
    raw_bytes += chunk->raw_bytes;
    auto where = chunk->job.where;
    for (std::uint32_t line = 0; line < chunk->documents.size(); ++line) {
      auto& d = chunk->documents[line];
      where.line = line;
      index.observe_version(std::move(d.key), where, chunk->job.delta, d.ts);
    }
  }
}

enum class write_pass { full_basis, winners };

net::awaitable<void> run_write_kept(pipeline::reorder_buffer<decoded_chunk>& in, merge_index& index, write_pass pass,
                                    io::files::restore_file_writer& writer, pipeline::cpu_pool& file_thread,
                                    pipeline::buffer_pool& texts, merge_result& result,
                                    pipeline::stage_counters& counters) {
  std::vector<std::string_view> kept;
  while (auto chunk = co_await in.next()) {
    result.raw_bytes += chunk->raw_bytes;
    kept.clear();
    auto where = chunk->job.where;
    for (std::uint32_t line = 0; line < chunk->documents.size(); ++line) {
      const auto& d = chunk->documents[line];
      where.line = line;
      const auto outcome = pass == write_pass::full_basis ? index.decide_full_basis(d.key, d.ts) : index.decide(d.key, where);
      if (outcome == merge_outcome::kept) kept.push_back(chunk->document(d));
    }
    std::uint64_t bytes = 0;
    auto write = [&writer, &kept, &bytes] {
      for (auto document : kept) {
        writer.append_stripped(document);
        bytes += document.size();
      }
    };
    co_await file_thread.run(write);
    result.documents += kept.size();
    counters.add_items(kept.size(), bytes);
    texts.give(std::move(chunk->text));  // `kept` views it: reused only from the next chunk on
  }
}

chunk_job job_for(const merge_set& set, std::uint32_t set_index, std::uint32_t chunk_index, std::uint64_t seq) {
  const auto& entry = set.collection.chunks[chunk_index];
  chunk_job job;
  job.seq = seq;
  job.file = set.set_dir / entry.file;
  job.label = set.name + "/" + entry.file;
  job.where = version_location{set_index, chunk_index, 0};
  job.delta = entry.phase == io::files::chunk_phase::delta;
  return job;
}

// The stages of one pass: feeder, decoders, and the consumer the caller adds.
std::vector<pipeline::named_stage> decode_stages(pass_channels& p, std::vector<chunk_job> jobs,
                                                 const std::string& prefix, decode_options decode,
                                                 pipeline::cpu_pool& cpu, pipeline::cpu_pool& file_thread,
                                                 pipeline::buffer_pool& texts, const merge_options& options,
                                                 pipeline::stage_stats& stats) {
  std::vector<pipeline::named_stage> stages;
  stages.push_back({prefix + "/feed", run_feed_jobs(p.jobs, std::move(jobs))});
  auto& counters = stats.add(prefix + "/decode");
  for (std::size_t i = 0; i < options.decoders; ++i) {
    stages.push_back({prefix + "/decode", run_decode_chunks(p.jobs, p.decoded, cpu, file_thread, texts, decode, counters)});
  }
  return stages;
}

std::optional<std::int64_t> seconds_of(const std::optional<io::files::utc_time>& time) {
  if (!time) return std::nullopt;
  return floor<seconds>(*time).time_since_epoch().count();
}

}  // namespace

void validate(const merge_options& options) {
  if (options.decoders == 0) throw std::invalid_argument("merge options: decoders must be at least 1");
  if (options.job_capacity == 0) throw std::invalid_argument("merge options: job_capacity must be at least 1");
  if (options.reorder_window == 0) throw std::invalid_argument("merge options: reorder_window must be at least 1");
}

std::size_t text_buffers_for(const merge_options& options) noexcept {
  return options.decoders + options.reorder_window + 1;
}

net::awaitable<merge_result> run_restore_merge(std::vector<merge_set> chain, std::string partition_key_path,
                                               io::files::restore_file_writer& writer, pipeline::cpu_pool& cpu,
                                               pipeline::cpu_pool& file_thread, pipeline::buffer_pool& texts,
                                               merge_options options, pipeline::stage_stats& stats) {
  validate(options);
  if (chain.empty()) throw std::invalid_argument("run_restore_merge: the chain is empty");
  const std::string name = chain.front().collection.name;
  std::vector<std::optional<std::int64_t>> delta_since;
  for (const auto& set : chain) delta_since.push_back(seconds_of(set.collection.delta_since));
  merge_index index(std::move(delta_since));
  merge_result result;

  // Tombstones of every set (a full set's: deletes made while its basis ran).
  for (std::uint32_t s = 0; s < chain.size(); ++s) {
    const auto& set = chain[s];
    if (!set.collection.tombstones) continue;
    auto read = [&set] {
      io::files::chunk_decoder decoder;
      return io::files::read_tombstones(set.set_dir, *set.collection.tombstones, decoder);
    };
    const auto tombstones = co_await file_thread.run(read);
    for (const auto& t : tombstones) {
      const std::optional<io::json::scalar> pk = t.partition_key;
      index.observe_tombstone(merge_key(pk, t.id), s, t.deleted_time.time_since_epoch().count());
    }
  }

  // The chunks that the index covers (pass 1 and 3), and the full set's basis (pass 2).
  std::vector<chunk_job> indexed, full_basis;
  for (std::uint32_t s = 0; s < chain.size(); ++s) {
    const auto& chunks = chain[s].collection.chunks;
    for (std::uint32_t c = 0; c < chunks.size(); ++c) {
      const bool streamed = s == 0 && chunks[c].phase == io::files::chunk_phase::basis;
      auto& list = streamed ? full_basis : indexed;
      list.push_back(job_for(chain[s], s, c, list.size()));
    }
  }

  {
    pass_channels p(options);
    auto stages = decode_stages(p, indexed, name + "/index", {partition_key_path, decode_mode::keys}, cpu,
                                file_thread, texts, options, stats);
    stages.push_back({name + "/index/consume", run_index_chunks(p.decoded, index, result.raw_bytes)});
    co_await pipeline::run_stages(std::move(stages));
  }
  index.resolve();
  result.indexed_keys = index.size();

  {
    pass_channels p(options);
    auto stages = decode_stages(p, std::move(full_basis), name + "/full", {partition_key_path, decode_mode::stripped},
                                cpu, file_thread, texts, options, stats);
    stages.push_back({name + "/full/write", run_write_kept(p.decoded, index, write_pass::full_basis, writer, file_thread,
                                                           texts, result, stats.add(name + "/full/write"))});
    co_await pipeline::run_stages(std::move(stages));
  }
  {
    pass_channels p(options);
    auto stages = decode_stages(p, std::move(indexed), name + "/winners", {partition_key_path, decode_mode::stripped},
                                cpu, file_thread, texts, options, stats);
    stages.push_back({name + "/winners/write", run_write_kept(p.decoded, index, write_pass::winners, writer,
                                                              file_thread, texts, result,
                                                              stats.add(name + "/winners/write"))});
    co_await pipeline::run_stages(std::move(stages));
  }
  result.deletes_applied = index.deletes_applied();
  co_return result;
}

}  // namespace idabus::stages
