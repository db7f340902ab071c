#include "tools/idabus-engine/pipeline_pass.hpp"

#include "pipeline/stage_stats.hpp"
#include "tools/idabus-engine/deletes.hpp"
#include "tools/idabus-engine/lease.hpp"
#include "tools/idabus-engine/modes.hpp"

#include <map>
#include <optional>

#ifndef IDABUS_VERSION
#define IDABUS_VERSION "unknown"
#endif

namespace idabus::engine {

namespace {

pipeline::keyed_ru_budget_options budget_options(const backup_settings& settings) {
  pipeline::keyed_ru_budget_options options;
  options.cap_ru_per_second = settings.ru_budget;
  return options;
}

io::cosmos::client_options client_options_with(stages::ru_budget_gate& gate) {
  io::cosmos::client_options options;
  options.gate = &gate;
  return options;
}

io::files::utc_time utc_ms(std::int64_t ms) { return io::files::utc_time(std::chrono::milliseconds(ms)); }

}  // namespace

std::vector<std::string> engine_documents_not_backed_up() {
  return {std::string(modes_document_id), std::string(lease_document_id)};
}

stages::backup_options pipeline_options(const backup_settings& settings) {
  stages::backup_options options;
  options.chunk_bytes = settings.chunk_bytes;
  options.chunks_in_flight = settings.chunks_in_flight;
  options.compression_level = settings.compression_level;
  options.page_size = settings.page_size;
  return options;
}

io::files::manifest manifest_of(const backup_event& event, const std::vector<collection_job>& jobs,
                                const std::array<collection_record, 3>& records, std::string endpoint_host,
                                std::string database) {
  io::files::manifest m;
  m.backup_id = event.id;
  m.comment = event.comment;
  m.basis_started = utc_ms(event.timings.basis_started.value_or(event.created_ms));
  m.completed_time = utc_ms(event.timings.readonly_ended.value_or(event.timings.finished.value_or(0)));
  m.tool_version = IDABUS_VERSION;
  m.source.endpoint_host = std::move(endpoint_host);
  m.source.database = std::move(database);
  for (const auto& job : jobs) {
    m.source.collections.push_back({job.container, job.partition_key_path});
    const auto& outcome = event[job.kind];
    const auto& record = records[static_cast<int>(job.kind)];
    const auto& result = record.result;
    io::files::collection_manifest c;
    c.name = job.container;
    c.type = outcome.incremental ? io::files::backup_type::incremental : io::files::backup_type::full;
    if (outcome.incremental && outcome.since_ms) c.since = utc_ms(*outcome.since_ms);
    c.documents = result.documents;
    c.raw_bytes = result.raw_bytes;
    c.bytes = result.bytes;
    c.request_charge = result.request_charge;
    c.chunks = result.chunks;
    if (record.delta_since_ts) c.delta_since = io::files::utc_time(std::chrono::seconds(*record.delta_since_ts));
    c.tombstones = record.tombstones;
    m.collections.push_back(std::move(c));
  }
  return m;
}

pipeline_pass::pipeline_pass(net::any_io_executor executor, const io::cosmos::connection_string& connection,
                             cosmos_settings cosmos, backup_settings settings)
    : cosmos_(std::move(cosmos)),
      settings_(std::move(settings)),
      endpoint_host_(io::cosmos::endpoint_of(connection).host),
      http_(executor, io::cosmos::endpoint_of(connection), io::cosmos::http_options_for(connection)),
      budget_(budget_options(settings_)),
      gate_(budget_),
      client_(http_, connection, client_options_with(gate_)),
      cpu_(pipeline::cpu_pool_options{2, "backup-cpu"}),
      file_thread_(pipeline::cpu_pool_options{1, "backup-files"}) {
  stages::validate(pipeline_options(settings_));
}

net::awaitable<pass_result> pipeline_pass::run(pass_request request, pass_progress* progress) {
  if (request.kind == pass_kind::basis || request.backup_id != backup_id_) {
    backup_id_ = request.backup_id;
    jobs_ = request.collections;
    records_ = {};
  }
  // One run_backup per lower bound: the collections of one bound are read concurrently.
  std::map<std::optional<std::int64_t>, std::vector<collection_job>> groups;
  for (const auto& job : request.collections) groups[job.min_ts].push_back(job);
  pass_result totals{};
  for (auto& [min_ts, jobs] : groups) {
    stages::backup_pass pass;
    pass.database = cosmos_.database;
    pass.since_ts = min_ts;
    pass.phase = request.kind == pass_kind::basis ? io::files::chunk_phase::basis : io::files::chunk_phase::delta;
    if (progress) {
      pass.on_page = [progress](std::size_t, std::uint64_t documents, double request_charge) {
        progress->documents += documents;
        progress->request_charge_milli += static_cast<std::uint64_t>(request_charge * 1000);
      };
    }
    std::vector<std::uint64_t> throttled_before;
    for (const auto& job : jobs) {
      const auto provisioned = co_await client_.read_throughput(cosmos_.database, job.container);
      const auto path = "dbs/" + cosmos_.database + "/colls/" + job.container;
      if (provisioned) gate_.set_provisioned(path, *provisioned);
      throttled_before.push_back(gate_.throttled_count(path));
      stages::backup_collection c;
      c.name = job.container;
      c.partition_key_path = job.partition_key_path;
      c.first_chunk_number = static_cast<std::uint32_t>(records_[static_cast<int>(job.kind)].result.chunks.size() + 1);
      if (job.kind == collection_kind::events) c.excluded_ids = engine_documents_not_backed_up();
      pass.collections.push_back(std::move(c));
    }
    pipeline::stage_stats stats;
    auto result = co_await stages::run_backup(client_, cpu_, file_thread_, request.set_folder, std::move(pass),
                                              pipeline_options(settings_), stats);
    for (std::size_t i = 0; i < jobs.size(); ++i) {
      const auto& got = result.collections.at(i);
      const auto k = static_cast<int>(jobs[i].kind);
      auto& t = totals[k];
      t.documents += got.documents;
      t.raw_bytes += got.raw_bytes;
      t.compressed_bytes += got.bytes;
      t.chunks += got.chunks.size();
      t.request_charge += got.request_charge;
      t.throttled += gate_.throttled_count("dbs/" + cosmos_.database + "/colls/" + jobs[i].container) - throttled_before[i];
      if (request.kind == pass_kind::delta) records_[k].delta_since_ts = jobs[i].min_ts;
      auto& kept = records_[k].result;
      kept.name = got.name;
      kept.documents += got.documents;
      kept.raw_bytes += got.raw_bytes;
      kept.bytes += got.bytes;
      kept.request_charge += got.request_charge;
      kept.chunks.insert(kept.chunks.end(), got.chunks.begin(), got.chunks.end());
    }
  }
  // Writes are blocked now (the orchestrator runs the delta pass read-only): the deletes read
  // here are every delete up to the consistency point.
  for (const auto& job : request.collections) {
    if (request.kind != pass_kind::delta || !job.deletes_since) continue;
    const auto charge = co_await record_deletes(job, request.set_folder);
    const auto k = static_cast<int>(job.kind);
    totals[k].request_charge += charge;
    records_[k].result.request_charge += charge;
    if (progress) progress->request_charge_milli += static_cast<std::uint64_t>(charge * 1000);
  }
  co_return totals;
}

net::awaitable<double> pipeline_pass::record_deletes(collection_job job, std::filesystem::path set_folder) {
  deletes_read deletes;
  if (job.kind == collection_kind::resources) {
    deletes = co_await read_deletes(client_, cosmos_.database, cosmos_.events, *job.deletes_since);
  }
  const int level = settings_.compression_level;
  auto write = [&deletes, &set_folder, &job, level] {
    io::files::chunk_encoder encoder(level);
    return io::files::write_tombstones(set_folder, job.container, deletes.tombstones, encoder);
  };
  records_[static_cast<int>(job.kind)].tombstones = co_await file_thread_.run(write);
  co_return deletes.request_charge;
}

net::awaitable<void> pipeline_pass::finalize(backup_event event) {
  if (event.id != backup_id_) throw std::logic_error("finalize: no passes ran for backup " + event.id);
  io::files::write_manifest(event.folder, manifest_of(event, jobs_, records_, endpoint_host_, cosmos_.database));
  co_return;
}

backup_pass pipeline_pass::as_pass() {
  return [this](pass_request request, pass_progress* progress) { return run(std::move(request), progress); };
}

backup_finalizer pipeline_pass::as_finalizer() {
  return [this](backup_event event) { return finalize(std::move(event)); };
}

}  // namespace idabus::engine
