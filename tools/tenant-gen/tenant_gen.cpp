#include "tools/tenant-gen/tenant_gen.hpp"

#include "io/cosmos/errors.hpp"
#include "io/http/transport_error.hpp"
#include "pipeline/channel.hpp"
#include "pipeline/run_stages.hpp"
#include "pipeline/signal_run.hpp"
#include "stages/collection_writes.hpp"
#include "stages/cosmos_session.hpp"
#include "stages/ru_budget_gate.hpp"
#include "stages/write_lanes.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <array>
#include <chrono>
#include <cstdio>
#include <exception>
#include <functional>
#include <memory>
#include <ostream>
#include <vector>

namespace idabus::tenant_gen {

namespace {

namespace cosmos = io::cosmos;

using document_channel = pipeline::channel<stages::write_document>;

// Shared by the stages of one run; they all run on one single-threaded executor.
struct run_state {
  std::array<stages::write_lanes_counters, 3> counters;  ///< per collection_kind
  std::size_t collections_left = 0;
  std::unique_ptr<net::steady_timer> progress_timer;

  stages::write_counters total() const {
    stages::write_counters t;
    for (const auto& c : counters) {
      t.written += c.total.written;
      t.rejected += c.total.rejected;
      t.throttled_operations += c.total.throttled_operations;
      t.operations += c.total.operations;
      t.ru += c.total.ru;
    }
    return t;
  }
};

// Consumes nothing; produces every document of one collection in order, then finishes `out`.
net::awaitable<void> run_generate(const tenant_generator& generator, collection_kind kind, document_channel& out) {
  const std::uint64_t count = generator.plan().count(kind);
  for (std::uint64_t i = 0; i < count; ++i) {
    generated_document doc = generator.generate(kind, i);
    stages::write_document d;
    d.type = cosmos::bulk_operation_type::upsert;
    d.partition_key.emplace_back(std::move(doc.partition_key));
    d.id = std::move(doc.id);
    d.body = std::move(doc.body);
    co_await out.send(std::move(d));
  }
  out.finish();
}

// run_write_lanes for one collection, then tells the progress stage when the last one is done.
net::awaitable<void> run_collection_writes(cosmos::client& client, stages::write_lanes_options options,
                                           document_channel& in, stages::write_lanes_counters& counters,
                                           run_state& state) {
  co_await stages::run_write_lanes(client, std::move(options), in, counters);
  if (--state.collections_left == 0 && state.progress_timer) state.progress_timer->cancel();
}

std::string format_double(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

// Reports progress at most once a second until the last collection is written.
net::awaitable<void> run_progress(run_state& state, std::uint64_t total, progress_function progress) {
  const auto started = std::chrono::steady_clock::now();
  while (state.collections_left > 0) {
    state.progress_timer->expires_after(std::chrono::seconds(1));
    auto r = co_await state.progress_timer->async_wait(net::as_tuple(net::use_awaitable));
    (void)r;
    if (state.collections_left == 0) break;
    if (!progress) continue;
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    const auto t = state.total();
    progress("tenant-gen: " + std::to_string(t.written) + "/" + std::to_string(total) + " documents, " +
             format_double(secs > 0 ? t.ru / secs : 0, 0) + " RU/s, " + std::to_string(t.throttled_operations) +
             " operations throttled (429)" + (t.rejected ? ", " + std::to_string(t.rejected) + " failed" : std::string()));
  }
}

std::string describe_exception(const std::exception& e) {
  std::string text = e.what();
  try {
    std::rethrow_if_nested(e);
  } catch (const pipeline::stage_error& inner) {
    return describe_exception(inner);
  } catch (const std::exception& inner) {
    const std::string nested = inner.what();
    if (text.find(nested) == std::string::npos) text += ": " + nested;
  } catch (...) {
  }
  return text;
}

}  // namespace

net::awaitable<run_summary> run_tenant(tenant_options options, cosmos::client& client, stages::ru_budget_gate* gate,
                                       progress_function progress) {
  const auto started = std::chrono::steady_clock::now();
  co_await client.create_database_if_missing(options.database);
  std::array<stages::write_lanes_options, 3> lane_options;
  for (collection_kind kind : all_collections) {
    const std::string name(collection_name(kind));
    co_await client.create_collection_if_missing(options.database, name, std::string(partition_key_path(kind)),
                                                 options.throughput);
    // Each range gets provisioned ÷ ranges (the gate's budgets and the size of a batch).
    const auto plan = co_await stages::plan_collection_writes(client, gate, options.database, name);
    stages::write_lanes_options& o = lane_options[static_cast<std::size_t>(kind)];
    o.database = options.database;
    o.collection = name;
    o.lanes_per_range = options.writers;
    o.lane_capacity = options.channel_capacity;
    o.max_batch_operations = options.batch;
    o.range_ru_per_second = plan.range_share;
  }

  const tenant_generator generator(plan_tenant(options.documents, options.seed));
  run_state state;
  state.collections_left = all_collections.size();
  auto executor = co_await net::this_coro::executor;
  state.progress_timer = std::make_unique<net::steady_timer>(executor);
  std::vector<std::unique_ptr<document_channel>> channels;
  std::vector<pipeline::named_stage> stages;
  for (collection_kind kind : all_collections) {
    const auto k = static_cast<std::size_t>(kind);
    channels.push_back(std::make_unique<document_channel>(options.channel_capacity));
    const std::string name(collection_name(kind));
    stages.push_back({"generate " + name, run_generate(generator, kind, *channels.back())});
    stages.push_back({"write " + name, run_collection_writes(client, lane_options[k], *channels.back(),
                                                             state.counters[k], state)});
  }
  stages.push_back({"progress", run_progress(state, generator.plan().total(), std::move(progress))});
  co_await pipeline::run_stages(std::move(stages));

  run_summary summary;
  for (collection_kind kind : all_collections) {
    const auto& c = state.counters[static_cast<std::size_t>(kind)];
    summary.written[static_cast<std::size_t>(kind)] = c.total.written;
    summary.failed += c.total.rejected;
    summary.total_ru += c.total.ru;
    summary.throttled_operations += c.total.throttled_operations;
    summary.operations += c.total.operations;
    if (summary.first_failure.empty() && !c.rejections.empty()) {
      const auto& f = c.rejections.front();
      summary.first_failure = std::string(collection_name(kind)) + " " + f.id + ": HTTP " + std::to_string(f.status) +
                              "/" + std::to_string(f.substatus) + " " + f.message;
    }
  }
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  co_return summary;
}

namespace {

// The top coroutine of the program. It owns the session (HTTP client, RU budget, gate, Cosmos
// client) in its frame: when a second signal stops the io_context with coroutines still
// suspended, the context destroys them, and this frame (awaiting all of them) goes last, so no
// suspended coroutine outlives what it references. The summary goes to `summary` (borrowed).
net::awaitable<void> run_program(tenant_options opts, progress_function progress, run_summary& summary) {
  stages::cosmos_session_options session_options;
  // Every sub-lane of every range of the three collections may have a request in flight.
  session_options.max_connections = std::min<std::size_t>(opts.writers * 3 * 8 + 2, 512);
  // One budget per range (the collection's offer ÷ its ranges, set by run_tenant) under the
  // job-wide cap --ru-budget.
  session_options.ru_cap = opts.ru_budget;
  stages::cosmos_session session(co_await net::this_coro::executor, opts.connection, std::move(session_options));
  summary = co_await run_tenant(std::move(opts), session.client(), &session.gate(), std::move(progress));
}

}  // namespace

std::string summary_line(const run_summary& s) {
  const double rate = s.seconds > 0 ? static_cast<double>(s.total_written()) / s.seconds : 0;
  std::string line = "tenant-gen: wrote";
  for (collection_kind kind : all_collections) {
    line += " " + std::string(collection_name(kind)) + "=" + std::to_string(s.written[static_cast<std::size_t>(kind)]);
  }
  line += " (" + std::to_string(s.total_written()) + " documents";
  if (s.failed) line += ", " + std::to_string(s.failed) + " failed";
  line += "), " + format_double(s.total_ru, 1) + " RU, " + std::to_string(s.throttled_operations) + " of " +
          std::to_string(s.operations) + " operations throttled (429), " +
          format_double(s.seconds, 2) + " s, " + format_double(rate, 0) + " docs/s";
  return line;
}

int tenant_gen_main(std::span<const std::string_view> args, std::ostream& out, std::ostream& err) {
  auto parsed = parse_options(args);
  if (parsed.help) {
    out << usage();
    return static_cast<int>(exit_code::ok);
  }
  if (!parsed.options) {
    err << "tenant-gen: " << parsed.error << "\n";
    return static_cast<int>(exit_code::bad_command_line);
  }
  const tenant_options& opts = *parsed.options;
  try {
    run_summary summary;
    auto progress = [&err](std::string_view line) { err << line << std::endl; };
    // First SIGINT/SIGTERM cancels the run (requests in flight are aborted; documents already
    // acknowledged stay written); a second one stops the event loop at once.
    auto run = pipeline::run_with_signals([&] { return run_program(opts, progress, summary); });
    if (run.signals > 0) {
      err << "tenant-gen: interrupted\n";
      return static_cast<int>(exit_code::interrupted);
    }
    std::exception_ptr failure = run.failure;
    if (failure) std::rethrow_exception(failure);
    out << summary_line(summary) << std::endl;
    if (summary.failed > 0) {
      err << "tenant-gen: " << summary.failed << " document(s) failed to write; first: " << summary.first_failure
          << "\n";
      return static_cast<int>(exit_code::documents_failed);
    }
    return static_cast<int>(exit_code::ok);
  } catch (const std::exception& e) {
    err << "tenant-gen: " << describe_exception(e) << "\n";
    return static_cast<int>(exit_code::cosmos_failure);
  }
}

}  // namespace idabus::tenant_gen
