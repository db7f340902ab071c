// importTool --generateRestoreFiles <backupFilesFolder> <outputFolderForFiles> <collectionTypes> <maximumBackupFinalTimeUtc>
// (DESIGN §8): per collection the chain at T (io/files/backup_chain), its sets re-hashed before
// anything is written, the merge (stages/restore_merge) into restore files, then restore-plan.json
// last. Any failure or Ctrl-C removes what this run wrote: the output folder never holds a half
// restore (restore-plan.json exists only when every file is complete).

#include "io/files/atomic_file.hpp"
#include "io/files/restore_file.hpp"
#include "io/files/restore_plan.hpp"
#include "pipeline/buffer_pool.hpp"
#include "pipeline/cpu_pool.hpp"
#include "pipeline/stage_stats.hpp"
#include "stages/restore_merge.hpp"
#include "tools/importTool/backup_folder.hpp"
#include "tools/importTool/commands.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <csignal>
#include <iostream>
#include <memory>
#include <set>
#include <thread>

namespace idabus::import_tool {

namespace {

namespace fs = std::filesystem;
namespace net = boost::asio;
namespace files = io::files;

struct collection_job {
  std::string name;
  std::string partition_key_path;
  std::vector<stages::merge_set> chain;
  std::vector<files::plan_source_backup> sources;
  std::unique_ptr<files::restore_file_writer> writer;
  stages::merge_result result;
};

std::string partition_key_path_of(const files::backup_set_info& set, const std::string& collection) {
  for (const auto& c : set.manifest->source.collections) {
    if (c.name == collection && !c.partition_key_path.empty()) return c.partition_key_path;
  }
  return default_partition_key_path(collection);
}

collection_job job_for(const std::vector<files::backup_set_info>& sets, const files::restore_chain& chain) {
  collection_job job;
  job.name = chain.collection;
  job.partition_key_path = partition_key_path_of(sets[chain.sets.back()], chain.collection);
  for (auto i : chain.sets) {
    const auto& set = sets[i];
    const auto& c = *set.collection(chain.collection);
    job.chain.push_back(stages::merge_set{set.dir, set.name, c});
    job.sources.push_back({set.manifest->backup_id, set.name, c.type, set.manifest->completed_time});
  }
  return job;
}

// Refuses an output folder that already holds a restore: files of two runs must never mix.
void check_output_folder(const fs::path& out, const std::vector<std::string>& collections) {
  std::error_code ec;
  if (!fs::exists(out, ec)) return;
  if (!fs::is_directory(out, ec)) throw command_error("output folder " + out.string() + " is not a directory");
  if (fs::exists(out / files::restore_plan_file_name, ec)) {
    throw command_error("output folder " + out.string() + " already holds a restore (" +
                        std::string(files::restore_plan_file_name) + "); use an empty folder");
  }
  for (const auto& c : collections) {
    const auto existing = files::list_restore_files(out, c);
    if (!existing.empty()) {
      throw command_error("output folder " + out.string() + " already holds restore files of " + c + " (" +
                          existing.front().filename().string() + "); use an empty folder");
    }
  }
}

net::awaitable<void> run_collections(std::vector<collection_job>& jobs, pipeline::cpu_pool& cpu,
                                     pipeline::cpu_pool& file_thread, stages::merge_options options,
                                     pipeline::stage_stats& stats) {
  // One pool of chunk texts for every collection: the same few buffers carry every chunk.
  pipeline::buffer_pool texts(stages::text_buffers_for(options));
  for (auto& job : jobs) {
    job.result = co_await stages::run_restore_merge(job.chain, job.partition_key_path, *job.writer, cpu, file_thread,
                                                    texts, options, stats);
  }
}

// The innermost message of a nested exception chain (stage_error wraps the root cause).
std::string root_message(const std::exception& e) {
  try {
    std::rethrow_if_nested(e);
  } catch (const std::exception& inner) {
    return root_message(inner);
  }
  return e.what();
}

}  // namespace

int run_generate_restore_files(const command_line& line) {
  const fs::path backups = line.args[0];
  const fs::path out = line.args[1];
  const auto collections = parse_collection_types(line.args[2], line.cmd);
  const auto until = *line.time;

  auto sets = scan_or_fail(backups);
  if (sets.empty()) throw command_error("no backup sets in " + backups.string());
  for (const auto& set : sets) {
    if (!set.manifest) std::cerr << "importTool: skipping backup set " << skipped_line(set) << '\n';
  }
  // Chains from the manifests, then every set they use re-hashed, then the chains again: a set
  // with a bad file of a collection is refused by select_chain.
  std::set<std::size_t> used;
  try {
    for (const auto& c : collections) {
      for (auto i : files::select_chain(sets, c, until).sets) used.insert(i);
    }
  } catch (const files::chain_error& e) {
    throw command_error(e.what());
  }
  for (auto i : used) files::verify_set(sets[i]);
  std::vector<collection_job> jobs;
  try {
    for (const auto& c : collections) jobs.push_back(job_for(sets, files::select_chain(sets, c, until)));
  } catch (const files::chain_error& e) {
    throw command_error(e.what());
  }

  // Ctrl-C from here on is ours (a signal before run() waits in the set): nothing may be left behind.
  net::io_context ctx;
  net::signal_set signals(ctx, SIGINT, SIGTERM);
  check_output_folder(out, collections);
  std::error_code ec;
  const bool created = !fs::exists(out, ec);
  fs::create_directories(out, ec);
  if (ec) throw command_error("output folder " + out.string() + ": " + ec.message());
  for (auto& job : jobs) job.writer = std::make_unique<files::restore_file_writer>(out, job.name);
  const auto discard = [&] {
    for (auto& job : jobs) job.writer->discard();
    std::error_code ignored;
    if (created) fs::remove(out, ignored);  // only when empty again
  };

  const std::size_t workers = line.opts.parallelism != 0 ? line.opts.parallelism
                                                          : std::max(1u, std::thread::hardware_concurrency());
  pipeline::cpu_pool cpu(pipeline::cpu_pool_options{workers, "restore-cpu"});
  pipeline::cpu_pool file_thread(pipeline::cpu_pool_options{1, "restore-files"});
  pipeline::stage_stats stats;
  stages::merge_options options;
  options.decoders = workers;
  options.job_capacity = workers;
  options.reorder_window = workers + 1;

  net::cancellation_signal cancel;
  bool interrupted = false;
  std::exception_ptr failure;
  signals.async_wait([&](boost::system::error_code error, int) {
    if (error) return;
    interrupted = true;
    cancel.emit(net::cancellation_type::all);
  });
  net::co_spawn(ctx, run_collections(jobs, cpu, file_thread, options, stats),
                net::bind_cancellation_slot(cancel.slot(), [&](std::exception_ptr e) {
                  failure = e;
                  signals.cancel();
                }));
  ctx.run();
  if (interrupted) {
    discard();
    return exit_interrupted;
  }
  try {
    if (failure) std::rethrow_exception(failure);
    files::restore_plan plan;
    plan.until = until;
    plan.tool_version = IDABUS_VERSION;
    for (auto& job : jobs) {
      files::plan_collection c;
      c.name = job.name;
      c.partition_key_path = job.partition_key_path;
      c.source_backups = job.sources;
      c.files = job.writer->finish();
      for (const auto& f : c.files) {
        c.documents += f.documents;
        c.bytes += f.bytes;
      }
      c.deletes_applied = job.result.deletes_applied;
      plan.collections.push_back(std::move(c));
    }
    files::write_restore_plan(out, plan);
    for (const auto& c : plan.collections) {
      std::cout << c.name << ": " << c.documents << " documents in " << c.files.size() << " restore files ("
                << c.bytes << " bytes), " << c.deletes_applied << " deletes applied; from";
      for (const auto& s : c.source_backups) std::cout << ' ' << s.folder << " (" << to_string(s.type) << ')';
      std::cout << '\n';
    }
    std::cout << "restore plan: " << (out / files::restore_plan_file_name).string() << '\n';
  } catch (const std::exception& e) {
    discard();
    throw command_error(root_message(e));
  }
  return exit_success;
}

}  // namespace idabus::import_tool
