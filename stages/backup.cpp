#include "stages/backup.hpp"

#include "io/files/atomic_file.hpp"
#include "io/json/write.hpp"
#include "pipeline/byte_budget.hpp"
#include "pipeline/run_stages.hpp"
#include "stages/batch_documents.hpp"
#include "stages/compress_chunks.hpp"
#include "stages/write_chunks.hpp"

#include <limits>
#include <memory>
#include <stdexcept>

namespace idabus::stages {

namespace {

// The channels and results of one collection's pipeline; they outlive its stages.
struct collection_pipeline {
  collection_pipeline(const backup_options& options, std::string n)
      : name(std::move(n)),
        pages(options.page_capacity),
        batches(options.batch_capacity),
        chunks(options.reorder_window, options.compressors) {}

  std::string name;
  pipeline::channel<io::cosmos::query_page> pages;
  pipeline::channel<raw_batch> batches;
  pipeline::reorder_buffer<compressed_chunk> chunks;
  io::cosmos::parallel_query_stats query_stats;
  std::vector<io::files::chunk_entry> written;
};

/// `source` whose every page is first shown to `observer`.
page_source observed(page_source source, page_observer observer, std::size_t collection) {
  return [source = std::move(source), observer = std::move(observer), collection](io::cosmos::page_sink sink) {
    io::cosmos::page_sink counting = [sink = std::move(sink), observer, collection](io::cosmos::query_page page) {
      observer(collection, page.documents.size(), page.request_charge);
      return sink(std::move(page));
    };
    return source(std::move(counting));
  };
}

[[noreturn]] void bad_option(const std::string& field, const std::string& expected) {
  throw std::invalid_argument("backup options: " + field + " " + expected);
}

// SELECT <select> FROM c with the pass's filter.
io::cosmos::query_spec query_selecting(std::string_view select, std::optional<std::int64_t> since_ts,
                                       const std::vector<std::string>& excluded_ids) {
  io::cosmos::query_spec spec;
  spec.text = "SELECT " + std::string(select) + " FROM c";
  std::string_view joint = " WHERE ";
  if (since_ts) {
    spec.text += " WHERE c._ts >= @since";
    spec.parameters.push_back({"@since", std::to_string(*since_ts)});
    joint = " AND ";
  }
  for (std::size_t i = 0; i < excluded_ids.size(); ++i) {
    const std::string name = "@x" + std::to_string(i);
    spec.text += std::string(joint) + "c.id != " + name;
    std::string value;
    io::json::append_json_string(value, excluded_ids[i]);
    spec.parameters.push_back({name, std::move(value)});
    joint = " AND ";
  }
  return spec;
}

}  // namespace

io::cosmos::query_spec backup_query(std::optional<std::int64_t> since_ts, const std::vector<std::string>& excluded_ids) {
  return query_selecting("*", since_ts, excluded_ids);
}

io::cosmos::query_spec backup_count_query(std::optional<std::int64_t> since_ts,
                                          const std::vector<std::string>& excluded_ids) {
  return query_selecting("VALUE COUNT(1)", since_ts, excluded_ids);
}

void validate(const backup_options& options) {
  if (options.chunk_bytes == 0) bad_option("chunk_bytes", "must be at least 1");
  if (options.compression_level < 1 || options.compression_level > 22) {
    bad_option("compression_level", "must be 1..22");
  }
  if (options.page_size < 1) bad_option("page_size", "must be at least 1");
  if (options.range_concurrency == 0) bad_option("range_concurrency", "must be at least 1");
  if (options.compressors == 0) bad_option("compressors", "must be at least 1");
  if (options.reorder_window == 0) bad_option("reorder_window", "must be at least 1");
  if (options.chunks_in_flight == 0) bad_option("chunks_in_flight", "must be at least 1");
  if (options.chunk_bytes > std::numeric_limits<std::size_t>::max() / options.chunks_in_flight) {
    bad_option("chunks_in_flight", "times chunk_bytes must fit in size_t");
  }
}

net::awaitable<backup_result> run_backup_pipelines(std::vector<collection_source> sources, pipeline::cpu_pool& cpu,
                                                   pipeline::cpu_pool& file_thread, std::filesystem::path set_dir,
                                                   io::files::chunk_phase phase, backup_options options,
                                                   pipeline::stage_stats& stats) {
  validate(options);
  // One budget for every collection of the pass: memory follows the options, not how many of
  // the collections are large.
  pipeline::byte_budget chunk_memory(options.chunks_in_flight * options.chunk_bytes);
  // The raw chunks' buffers, reused: never more of them exist than chunks hold the budget.
  pipeline::buffer_pool chunk_buffers(options.chunks_in_flight);
  std::vector<std::unique_ptr<collection_pipeline>> pipelines;
  std::vector<pipeline::named_stage> stages;
  for (auto& source : sources) {
    auto& p = *pipelines.emplace_back(std::make_unique<collection_pipeline>(options, source.name));
    const auto& name = p.name;
    stages.push_back({name + "/read", run_read_pages(std::move(source.pages), p.pages, stats.add(name + "/read"),
                                                     p.query_stats)});
    stages.push_back({name + "/batch", run_batch_documents(p.pages, p.batches, options.chunk_bytes, chunk_memory,
                                                           chunk_buffers, stats.add(name + "/batch"))});
    auto& compress_counters = stats.add(name + "/compress");
    for (std::size_t i = 0; i < options.compressors; ++i) {
      stages.push_back({name + "/compress", run_compress_chunks(p.batches, p.chunks, cpu, chunk_buffers,
                                                                options.compression_level, compress_counters)});
    }
    write_chunks_options write_options;
    write_options.set_dir = set_dir;
    write_options.collection = name;
    write_options.phase = phase;
    write_options.first_number = source.first_chunk_number;
    stages.push_back({name + "/write", run_write_chunks(p.chunks, file_thread, std::move(write_options), p.written,
                                                        stats.add(name + "/write"))});
  }
  co_await pipeline::run_stages(std::move(stages));

  backup_result result;
  for (auto& p : pipelines) {
    collection_result r;
    r.name = p->name;
    r.chunks = std::move(p->written);
    for (const auto& c : r.chunks) {
      r.documents += c.documents;
      r.raw_bytes += c.raw_bytes;
      r.bytes += c.bytes;
    }
    r.request_charge = p->query_stats.request_charge;
    r.pages = p->query_stats.pages;
    r.ranges = p->query_stats.ranges;
    r.range_refreshes = p->query_stats.range_refreshes;
    result.collections.push_back(std::move(r));
  }
  result.peak_chunk_bytes_in_flight = chunk_memory.peak();
  co_return result;
}

net::awaitable<backup_result> run_backup(io::cosmos::client& client, pipeline::cpu_pool& cpu,
                                         pipeline::cpu_pool& file_thread, std::filesystem::path set_dir,
                                         backup_pass pass, backup_options options, pipeline::stage_stats& stats) {
  validate(options);
  auto make_folder = [&set_dir] {
    std::filesystem::create_directories(set_dir);
    io::files::fsync_directory(set_dir.parent_path().empty() ? std::filesystem::path(".") : set_dir.parent_path());
  };
  co_await file_thread.run(make_folder);

  std::vector<collection_source> sources;
  for (const auto& collection : pass.collections) {
    io::cosmos::page_request request;
    request.database = pass.database;
    request.collection = collection.name;
    request.query = backup_query(pass.since_ts, collection.excluded_ids);
    request.partition_key_path = collection.partition_key_path;
    request.max_item_count = options.page_size;
    io::cosmos::parallel_query_options query_options;
    query_options.max_concurrency = options.range_concurrency;
    query_options.count_query = backup_count_query(pass.since_ts, collection.excluded_ids);
    auto pages = all_ranges_source(client, std::move(request), query_options);
    if (pass.on_page) pages = observed(std::move(pages), pass.on_page, sources.size());
    sources.push_back({collection.name, collection.first_chunk_number, std::move(pages)});
  }
  co_return co_await run_backup_pipelines(std::move(sources), cpu, file_thread, std::move(set_dir), pass.phase,
                                          std::move(options), stats);
}

}  // namespace idabus::stages
