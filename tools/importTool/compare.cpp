// importTool --compare <restoreFileOrFolder> <connectionString> <databaseName> <collectionName> <partitionKey>
//
// Proves a restore complete: the collection holds exactly the newest version of every document of
// the restore files (document_comparison.hpp defines key and content equality), nothing more.
// 1. The restore files (one file, or a folder's `<collectionName>.<seq>.json` files in ascending
//    sequence) are read one document at a time into key/content digests (32 bytes per document).
// 2. The collection is read with one paged `SELECT * FROM c` per partition key range, ranges in
//    parallel (--parallelism workers, default 16), under the RU budget: per range the collection's
//    provisioned RU/s (its offer) ÷ its ranges, job-wide capped by --ru-budget (a
//    stages::cosmos_session told the offer by stages::plan_collection_writes). Content digests are
//    computed on a CPU pool.
// 3. Prints the counts (equal, missing, extra, different) with up to five examples of each and
//    returns exit_success only when the collection equals the restore files, exit_failed otherwise.
//    SIGINT/SIGTERM: the reads are cancelled, exit_interrupted (a second signal stops at once).

#include "io/cosmos/connection_string.hpp"
#include "io/files/restore_plan.hpp"
#include "pipeline/signal_run.hpp"
#include "stages/collection_writes.hpp"
#include "stages/cosmos_session.hpp"
#include "stages/read_pages.hpp"
#include "tools/importTool/cli.hpp"
#include "tools/importTool/commands.hpp"
#include "tools/importTool/compare_reader.hpp"

#include <boost/asio/this_coro.hpp>

#include <chrono>
#include <filesystem>
#include <iostream>
#include <optional>
#include <sstream>

namespace idabus::import_tool {

namespace {

namespace fs = std::filesystem;

constexpr std::size_t default_compare_parallelism = 16;
constexpr std::size_t max_examples = 5;
constexpr int compare_page_size = 1000;

struct target_spec {
  io::cosmos::connection_string connection;
  std::string database, collection, partition_key_path;
  std::optional<double> ru_budget;
  std::size_t parallelism = default_compare_parallelism;
};

struct target_summary {
  io::cosmos::parallel_query_stats stats;
  std::optional<int> provisioned;  ///< the collection's RU/s, when it has an offer
  double seconds = 0;
};

std::vector<fs::path> restore_files_of(const fs::path& path, const std::string& collection) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    io::files::planned_restore_files listed;
    try {
      listed = io::files::list_planned_restore_files(path, collection);
    } catch (const io::files::restore_plan_error& e) {
      throw command_error(e.what());
    }
    auto& files = listed.files;
    // A collection the restore plan lists without files had no documents: the target must be empty.
    if (files.empty() && !listed.planned) {
      throw command_error("no restore files of collection " + collection + " (" + collection +
                          ".<sequence>.json) in " + path.string());
    }
    return files;
  }
  if (!fs::exists(path, ec)) throw command_error("restore file or folder " + path.string() + " does not exist");
  return {path};
}

// The top coroutine: owns the Cosmos session (HTTP client, RU budget, gate, client) in its frame,
// destroyed last when a second signal stops the io_context with coroutines suspended.
net::awaitable<void> read_target(target_spec spec, pipeline::cpu_pool* cpu, comparison* into, target_summary* summary) {
  stages::cosmos_session_options session_options;
  session_options.ru_cap = spec.ru_budget.value_or(0);
  session_options.max_connections = spec.parallelism + 2;
  stages::cosmos_session session(co_await net::this_coro::executor, spec.connection, session_options);
  const auto started = std::chrono::steady_clock::now();
  // By default the budget is what the collection can take: its offer split over its ranges.
  auto plan = co_await stages::plan_collection_writes(session.client(), &session.gate(), spec.database, spec.collection);
  summary->provisioned = plan.provisioned;
  io::cosmos::page_request request;
  request.database = spec.database;
  request.collection = spec.collection;
  request.query.text = "SELECT * FROM c";
  request.partition_key_path = spec.partition_key_path;
  request.max_item_count = compare_page_size;
  io::cosmos::parallel_query_options query_options;
  query_options.max_concurrency = spec.parallelism;
  auto source = stages::all_ranges_source(session.client(), std::move(request), query_options);
  summary->stats = co_await run_compare_pages(std::move(source), *cpu, *into);
  summary->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
}

std::string fixed(double value, int decimals) {
  std::ostringstream out;
  out.setf(std::ios::fixed);
  out.precision(decimals);
  out << value;
  return out.str();
}

void print_examples(std::ostream& out, std::string_view kind, const std::vector<std::string>& examples) {
  for (const auto& e : examples) out << "  " << kind << ": " << e << "\n";
}

}  // namespace

int run_compare(const command_line& cl) {
  if (cl.args.size() != 5) throw usage_error(command::compare, "--compare takes 5 arguments");
  const fs::path restore_path = cl.args[0];
  target_spec spec;
  try {
    spec.connection = io::cosmos::parse_connection_string(cl.args[1]);
  } catch (const std::invalid_argument& e) {
    throw usage_error(command::compare, std::string("<connectionString>: ") + e.what());
  }
  spec.database = cl.args[2];
  spec.collection = cl.args[3];
  spec.partition_key_path = cl.args[4];
  try {
    (void)io::json::parse_partition_key_path(spec.partition_key_path);
  } catch (const std::invalid_argument& e) {
    throw usage_error(command::compare, std::string("<partitionKey>: ") + e.what());
  }
  spec.ru_budget = cl.opts.ru_budget;
  if (cl.opts.parallelism > 0) spec.parallelism = cl.opts.parallelism;

  const auto files = restore_files_of(restore_path, spec.collection);
  const auto expected = load_expected(files, spec.partition_key_path);
  comparison result(expected, max_examples);

  pipeline::cpu_pool cpu;
  target_summary summary;
  const auto run = pipeline::run_with_signals([&] { return read_target(spec, &cpu, &result, &summary); });
  if (run.signals > 0) {
    std::cerr << "importTool: --compare interrupted\n";
    return exit_interrupted;
  }
  if (run.failure) std::rethrow_exception(run.failure);

  const auto counts = result.counts();
  auto& out = std::cout;
  out << "compare " << spec.database << "/" << spec.collection << " with " << files.size() << " restore file(s): "
      << expected.versions() << " documents, " << counts.expected << " distinct keys\n";
  const double ru_per_second = summary.seconds > 0 ? summary.stats.request_charge / summary.seconds : 0;
  out << "read " << counts.observed << " documents from " << summary.stats.ranges << " partition key range(s) in "
      << fixed(summary.seconds, 2) << " s: " << fixed(summary.stats.request_charge, 1) << " RU, "
      << fixed(ru_per_second, 0) << " RU/s (budget: "
      << (summary.provisioned && *summary.provisioned > 0 ? std::to_string(*summary.provisioned) + " RU/s provisioned"
                                                          : std::string("no provisioned throughput"))
      << (spec.ru_budget ? ", capped at " + fixed(*spec.ru_budget, 0) + " RU/s" : std::string()) << ")\n";
  out << "equal " << counts.equal << ", missing " << counts.missing << ", extra " << counts.extra << ", different "
      << counts.different;
  if (counts.repeated) out << ", read twice " << counts.repeated;
  out << "\n";
  if (counts.missing) print_examples(out, "missing", name_missing(files, spec.partition_key_path, result.missing_sample()));
  print_examples(out, "extra", result.extra_examples());
  print_examples(out, "different", result.different_examples());
  print_examples(out, "read twice", result.repeated_examples());
  out << (counts.same() ? "result: equal" : "result: DIFFERENT") << std::endl;
  return counts.same() ? exit_success : exit_failed;
}

}  // namespace idabus::import_tool
