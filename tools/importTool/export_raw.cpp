// importTool -exportRaw <restoreFile> <connectionString> <databaseName> <collectionName> <partitionKey>
// (DESIGN §8–§9): imports restore files into one collection through stages::run_restore_import.
//
// Order of work, so that a bad input or target writes nothing:
//   1. arguments (a connection string or partition key path that cannot be parsed: usage, exit 2);
//   2. the input files, read once to the end (a file that is not a JSON array of objects: exit 1,
//      naming the file and offset) — this also gives the totals for progress and ETA;
//   3. --resume: the checkpoint must be for this target and these files;
//   4. the collection: offer and /pkranges (missing: created with --create-collection, otherwise
//      exit 1; a wrong key: 401, exit 1); the budget = the offer split over the ranges, capped by
//      --ru-budget; --scale-throughput raises the offer first (and prints both values);
//   5. the checkpoint and the reject file are (re)started, then the import runs; the checkpoint
//      is rewritten every second and at the end, whatever the outcome;
//   6. the offer is put back (also after a failure or the first Ctrl-C), then the summary.
// --mode point (or ImportTool.Mode "point") sends each document as its own upsert request through
// the same lanes, budgets, retries, checkpoint and reject file as bulk (stages::write_lanes).
// Exit codes: 0 every document written; 3 some rejected (reject file); 1 failed; 2 usage; 130
// interrupted (a second Ctrl-C stops at once, without putting the offer back: it says so).

#include "tools/importTool/commands.hpp"

#include "io/cosmos/connection_string.hpp"
#include "io/cosmos/errors.hpp"
#include "io/files/atomic_file.hpp"
#include "io/files/import_checkpoint.hpp"
#include "io/files/restore_file.hpp"
#include "io/http/transport_error.hpp"
#include "io/json/document.hpp"
#include "pipeline/cpu_pool.hpp"
#include "pipeline/run_stages.hpp"
#include "pipeline/signal_run.hpp"
#include "stages/collection_writes.hpp"
#include "stages/cosmos_session.hpp"
#include "stages/restore_import.hpp"
#include "tools/importTool/export_raw_input.hpp"
#include "tools/importTool/export_raw_report.hpp"

#include <boost/asio/this_coro.hpp>

#include <algorithm>
#include <chrono>
#include <exception>
#include <iostream>
#include <optional>
#include <string>
#include <utility>

namespace idabus::import_tool {

namespace {

namespace cosmos = io::cosmos;
namespace files = io::files;
namespace net = boost::asio;
using clock_type = std::chrono::steady_clock;

constexpr std::size_t default_lanes_per_range = 8;
constexpr std::chrono::seconds progress_interval{1};  // the checkpoint is written more often

// Everything one -exportRaw run knows; lives in run_export_raw's frame (outlives the io_context).
struct export_state {
  // arguments
  std::filesystem::path restore;
  cosmos::connection_string cs;
  std::string database, collection, key_path;
  options opts;
  bool verbose = true;
  // input
  export_raw_input input;
  files::import_checkpoint checkpoint;  ///< this run's; touched on the file thread while importing
  std::filesystem::path checkpoint_path, rejects_path;
  std::optional<files::import_checkpoint> resume;  ///< the earlier run's checkpoint (--resume)
  std::uint64_t rejected_before = 0;
  // results
  export_raw_budget budget;
  std::optional<stages::import_tracker> tracker;
  stages::write_lanes_counters counters;
  clock_type::time_point started{};
  double seconds = 0;
  std::optional<int> offer_to_restore;  ///< the offer before --scale-throughput raised it
  std::string restore_failure;          ///< why the offer could not be put back
  std::string dry_run;                  ///< the dry run's report
  // progress between ticks
  clock_type::time_point last_tick{};
  double last_ru = 0;
};

stages::write_mode lanes_mode(const export_state& st) {
  return st.opts.mode == write_mode::point ? stages::write_mode::point : stages::write_mode::bulk;
}

std::string target_of(const export_state& st) { return st.database + "/" + st.collection; }
std::string link_of(const export_state& st) { return "dbs/" + st.database + "/colls/" + st.collection; }

// One line naming the root cause of a failure.
std::string describe_failure(std::exception_ptr failure, const export_state& st) {
  try {
    std::rethrow_exception(failure);
  } catch (const pipeline::stage_error& e) {
    try {
      std::rethrow_if_nested(e);
    } catch (...) {
      return describe_failure(std::current_exception(), st);
    }
    return e.what();
  } catch (const cosmos::cosmos_error& e) {
    if (e.status() == 401) {
      return "authentication failed (HTTP 401): the AccountKey is not a key of the account at " + st.cs.endpoint;
    }
    if (e.status() == 403) return "access denied (HTTP 403) by " + st.cs.endpoint + ": " + e.details().server_message;
    return e.what();
  } catch (const io::http::transport_error& e) {
    if (e.kind() == io::http::transport_error_kind::connect_failed) {
      return "cannot connect to " + st.cs.endpoint + ": " + e.code().message();
    }
    return e.what();
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "unknown failure";
  }
}

bool is_command_error(std::exception_ptr failure, int& code, std::string& what) {
  try {
    std::rethrow_exception(failure);
  } catch (const command_error& e) {
    code = e.code();
    what = e.what();
    return true;
  } catch (...) {
    return false;
  }
}

void note(const export_state& st, const std::string& line) {
  if (st.verbose) std::cerr << "importTool: " << line << std::endl;
}

export_raw_figures figures_of(const export_state& st) {
  export_raw_figures f;
  f.rejected = st.rejected_before;
  if (st.tracker) {
    const auto& c = st.tracker->counts();
    f.total = st.tracker->total_documents();
    f.done = c.done();
    f.done_at_start = c.skipped;
    f.written = c.written;
    f.rejected += c.rejected;
    f.bytes = c.bytes_written;
  }
  f.ru = st.counters.total.ru;
  f.throttled = st.counters.total.throttled_operations;
  f.operations = st.counters.total.operations;
  f.requests = st.counters.total.requests;
  f.mode = lanes_mode(st);
  f.seconds = st.seconds;
  return f;
}

// At most once a second: the progress line (RU/s over the interval since the last one).
void print_progress(export_state& st) {
  const auto now = clock_type::now();
  if (now - st.last_tick < progress_interval) return;
  st.seconds = std::chrono::duration<double>(now - st.started).count();
  export_raw_figures f = figures_of(st);
  const double interval = std::chrono::duration<double>(now - st.last_tick).count();
  f.ru_per_second = interval > 0 ? (f.ru - st.last_ru) / interval : 0;
  st.last_tick = now;
  st.last_ru = f.ru;
  if (st.verbose) std::cerr << progress_line(f, st.budget) << std::endl;
}

// On the file thread: rejects first (fsync'd), then the checkpoint that covers them.
void persist(export_state& st, stages::import_snapshot snapshot) {
  if (!snapshot.rejects.empty()) {
    st.checkpoint.rejects_bytes = files::append_rejects(st.rejects_path, snapshot.rejects);
    st.checkpoint.rejected += snapshot.rejects.size();
  }
  if (snapshot.rejects.empty() && snapshot.position == st.checkpoint.position && snapshot.ranges == st.checkpoint.ranges) {
    return;
  }
  st.checkpoint.position = snapshot.position;
  st.checkpoint.ranges = std::move(snapshot.ranges);
  files::write_import_checkpoint(st.checkpoint_path, st.checkpoint);
}

// Offer and ranges of the target; creates it with --create-collection. Missing without it: error.
net::awaitable<stages::collection_write_plan> open_collection(stages::cosmos_session& session, export_state& st,
                                                              bool create) {
  try {
    co_return co_await stages::plan_collection_writes(session.client(), &session.gate(), st.database, st.collection);
  } catch (const cosmos::cosmos_error& e) {
    if (e.status() != 404) throw;
  }
  if (!create) {
    throw command_error("collection " + target_of(st) +
                        " does not exist (nor perhaps its database); create it or pass --create-collection");
  }
  std::string path = st.key_path.starts_with('/') ? st.key_path : "/" + st.key_path;
  co_await session.client().create_database_if_missing(st.database);
  co_await session.client().create_collection_if_missing(st.database, st.collection, path);
  note(st, "created collection " + target_of(st) + " with partition key " + path);
  co_return co_await stages::plan_collection_writes(session.client(), &session.gate(), st.database, st.collection);
}

stages::cosmos_session_options session_options(const export_state& st, std::size_t lanes_per_range) {
  stages::cosmos_session_options o;
  o.ru_cap = st.opts.ru_budget.value_or(0);
  // Every sub-lane of every range may have a request in flight (ranges are not known yet).
  o.max_connections = std::min<std::size_t>(lanes_per_range * 16 + 4, 1024);
  return o;
}

std::size_t lanes_per_range(const export_state& st) {
  return st.opts.parallelism ? st.opts.parallelism : default_lanes_per_range;
}

// The top coroutine of an import. The session and the file thread live in its frame (a second
// signal destroys the suspended stages first).
net::awaitable<void> run_import_program(export_state& st) {
  pipeline::cpu_pool file_thread(pipeline::cpu_pool_options{1, "file"});
  stages::cosmos_session session(co_await net::this_coro::executor, st.cs, session_options(st, lanes_per_range(st)));
  auto& client = session.client();
  std::exception_ptr failure;
  try {
    auto plan = co_await open_collection(session, st, st.opts.create_collection);
    if (st.opts.scale_throughput) {
      if (!plan.provisioned) {
        throw command_error("--scale-throughput: collection " + target_of(st) +
                            " has no throughput of its own (shared or serverless); nothing to scale");
      }
      const int target = static_cast<int>(*st.opts.scale_throughput);
      st.offer_to_restore = *plan.provisioned;
      co_await client.replace_throughput(st.database, st.collection, target);
      note(st, "throughput of " + target_of(st) + " raised from " + std::to_string(*plan.provisioned) + " to " +
                   std::to_string(target) + " RU/s for the import");
      plan = co_await stages::plan_collection_writes(client, &session.gate(), st.database, st.collection);
    }
    st.budget.provisioned = plan.provisioned;
    st.budget.ranges = plan.ranges.size();
    st.budget.cap = st.opts.ru_budget;
    note(st, st.budget.describe());

    // The checkpoint and the reject file start where this run starts (before any write).
    auto start_state = [&] {
      files::truncate_rejects(st.rejects_path, st.checkpoint.rejects_bytes);
      files::write_import_checkpoint(st.checkpoint_path, st.checkpoint);
    };
    co_await file_thread.run(start_state);

    std::vector<stages::epk_range> ranges;
    for (const auto& r : plan.ranges) ranges.push_back(stages::epk_range{r.min_inclusive, r.max_exclusive});
    st.tracker.emplace(st.checkpoint.files, std::move(ranges), st.resume ? &*st.resume : nullptr);
    stages::restore_import_options o;
    o.files = st.input.files;
    o.partition_key_path = st.key_path;
    o.lanes = stages::import_lanes(st.database, st.collection, lanes_per_range(st), plan.range_share);
    o.lanes.mode = lanes_mode(st);
    o.progress = [&st] { print_progress(st); };
    o.persist = [&st](stages::import_snapshot snapshot) { persist(st, std::move(snapshot)); };
    st.started = st.last_tick = clock_type::now();
    co_await stages::run_restore_import(client, file_thread, std::move(o), *st.tracker, st.counters);
  } catch (...) {
    failure = std::current_exception();
  }
  if (st.started != clock_type::time_point{}) st.seconds = std::chrono::duration<double>(clock_type::now() - st.started).count();
  // Clean-up runs also after the first Ctrl-C (its cancellation is over once we get here).
  co_await net::this_coro::reset_cancellation_state();
  if (st.offer_to_restore) {
    try {
      co_await client.replace_throughput(st.database, st.collection, *st.offer_to_restore);
      note(st, "throughput of " + target_of(st) + " put back to " + std::to_string(*st.offer_to_restore) + " RU/s");
      st.offer_to_restore.reset();
    } catch (...) {
      st.restore_failure = describe_failure(std::current_exception(), st);
    }
  }
  if (st.tracker) {
    try {
      auto snapshot = stages::take_import_snapshot(*st.tracker);
      auto last = [&] { persist(st, std::move(snapshot)); };
      co_await file_thread.run(last);
    } catch (...) {
      if (!failure) failure = std::current_exception();
    }
  }
  if (failure) std::rethrow_exception(failure);
}

// The top coroutine of --dry-run: reads the offer and ranges, estimates, writes nothing.
net::awaitable<void> run_dry_program(export_state& st) {
  pipeline::cpu_pool file_thread(pipeline::cpu_pool_options{1, "file"});
  stages::cosmos_session session(co_await net::this_coro::executor, st.cs, session_options(st, 1));
  stages::collection_write_plan plan;
  try {
    plan = co_await stages::plan_collection_writes(session.client(), nullptr, st.database, st.collection);
  } catch (const cosmos::cosmos_error& e) {
    if (e.status() != 404) throw;
    if (!st.opts.create_collection) {
      throw command_error("collection " + target_of(st) +
                          " does not exist (nor perhaps its database); create it or pass --create-collection");
    }
  }
  if (st.opts.scale_throughput && plan.provisioned) {
    plan.provisioned = static_cast<int>(*st.opts.scale_throughput);
    plan.range_share = plan.ranges.empty() ? 0 : *plan.provisioned / static_cast<double>(plan.ranges.size());
  }
  st.budget.provisioned = plan.provisioned;
  st.budget.ranges = plan.ranges.size();
  st.budget.cap = st.opts.ru_budget;
  std::vector<std::string> ids;
  for (const auto& r : plan.ranges) ids.push_back(r.id);
  const auto& costs = session.client().costs();
  auto estimate = [&] {
    return stages::estimate_restore_import(st.input.files, st.key_path, plan.ranges, plan.range_share,
                                           st.opts.ru_budget.value_or(0), costs, link_of(st),
                                           lanes_mode(st) == stages::write_mode::point ? cosmos::operation_kind::point_write
                                                                                       : cosmos::operation_kind::bulk_write);
  };
  const auto e = co_await file_thread.run(estimate);
  st.dry_run = dry_run_report(e, st.budget, ids, st.input.files.size(), lanes_mode(st));
}

void parse_arguments(const command_line& line, export_state& st) {
  st.restore = line.args.at(0);
  try {
    st.cs = cosmos::parse_connection_string(line.args.at(1));
  } catch (const std::invalid_argument& e) {
    throw usage_error(command::export_raw, "<connectionString>: " + std::string(e.what()));
  }
  st.database = line.args.at(2);
  st.collection = line.args.at(3);
  st.key_path = line.args.at(4);
  if (st.database.empty() || st.collection.empty()) {
    throw usage_error(command::export_raw, "<databaseName> and <collectionName> must not be empty");
  }
  try {
    io::json::parse_partition_key_path(st.key_path);
  } catch (const std::invalid_argument& e) {
    throw usage_error(command::export_raw, "<partitionKey> '" + st.key_path + "': " + e.what());
  }
  st.opts = line.opts;
  const auto& level = st.opts.log_level;
  st.verbose = level == "Trace" || level == "Debug" || level == "Information";
}

// Reads every input file once; sets up this run's checkpoint (and where a resumed one starts).
void prepare_input(export_state& st) {
  st.input = resolve_export_raw_input(st.restore, st.collection);
  if (!st.input.note.empty()) note(st, st.input.note);
  std::vector<files::import_input_file> surveyed;
  try {
    surveyed = stages::survey_restore_files(st.input.files);
  } catch (const files::restore_file_error& e) {
    throw command_error(e.what());
  }
  st.checkpoint.database = st.database;
  st.checkpoint.collection = st.collection;
  st.checkpoint.partition_key_path = st.key_path.starts_with('/') ? st.key_path : "/" + st.key_path;
  st.checkpoint.files = std::move(surveyed);
  st.checkpoint_path = files::import_checkpoint_path(st.input.state_folder, st.database, st.collection);
  st.rejects_path = files::import_rejects_path(st.input.state_folder, st.database, st.collection);
  if (!st.opts.resume || st.opts.dry_run) return;
  std::optional<files::import_checkpoint> saved;
  try {
    saved = files::read_import_checkpoint(st.checkpoint_path);
  } catch (const std::exception& e) {
    throw command_error("--resume: " + std::string(e.what()));
  }
  if (!saved) {
    note(st, "--resume: no checkpoint " + st.checkpoint_path.string() + "; starting from the first document");
    return;
  }
  check_resumable(*saved, st.checkpoint, st.checkpoint_path);
  st.rejected_before = saved->rejected;
  st.checkpoint.position = saved->position;
  st.checkpoint.ranges = saved->ranges;
  st.checkpoint.rejected = saved->rejected;
  st.checkpoint.rejects_bytes = saved->rejects_bytes;
  note(st, "--resume: continuing from " + st.checkpoint_path.string() + " (" + std::to_string(saved->position) +
               " documents read before; each partition key range skips what it finished)");
  st.resume = std::move(saved);
}

}  // namespace

int run_export_raw(const command_line& line) {
  export_state st;
  parse_arguments(line, st);
  prepare_input(st);

  if (st.opts.dry_run) {
    auto run = pipeline::run_with_signals([&] { return run_dry_program(st); });
    if (run.signals > 0) return exit_interrupted;
    if (run.failure) {
      int code = exit_failed;
      std::string what;
      if (is_command_error(run.failure, code, what)) throw command_error(what, code);
      throw command_error(describe_failure(run.failure, st));
    }
    std::cout << st.dry_run << std::flush;
    return exit_success;
  }

  auto run = pipeline::run_with_signals([&] { return run_import_program(st); }, [&] {
    note(st, std::string("interrupted: stopping and saving the checkpoint") +
                 (st.offer_to_restore ? ", then putting the throughput back" : "") + " (again to stop at once)");
  });
  if (!st.restore_failure.empty() || (run.signals > 1 && st.offer_to_restore)) {
    std::cerr << "importTool: the throughput of " << target_of(st) << " is still raised: put it back to "
              << *st.offer_to_restore << " RU/s by hand"
              << (st.restore_failure.empty() ? std::string() : " (" + st.restore_failure + ")") << std::endl;
  }
  const export_raw_figures f = figures_of(st);
  if (run.signals > 0) {
    std::cerr << "importTool: interrupted after " << f.done << " of " << f.total
              << " documents; rerun with --resume to continue" << std::endl;
    return exit_interrupted;
  }
  if (run.failure) {
    int code = exit_failed;
    std::string what;
    if (is_command_error(run.failure, code, what)) throw command_error(what, code);
    std::string message = describe_failure(run.failure, st);
    if (st.tracker && f.done > f.done_at_start) {
      message += " (" + std::to_string(f.done) + " of " + std::to_string(f.total) +
                 " documents done; rerun with --resume to continue)";
    }
    throw command_error(message);
  }
  std::cout << summary_line(f, st.budget, target_of(st)) << std::endl;
  if (!st.restore_failure.empty()) throw command_error("the throughput could not be put back: " + st.restore_failure);
  if (f.rejected > 0) {
    throw command_error(std::to_string(f.rejected) + " document(s) rejected, listed with the reason in " +
                            st.rejects_path.string(),
                        exit_partial);
  }
  return exit_success;
}

}  // namespace idabus::import_tool
