#include "tools/tenant-gen/tenant_gen.hpp"

#include "io/cosmos/errors.hpp"
#include "io/http/client.hpp"
#include "io/http/transport_error.hpp"
#include "pipeline/channel.hpp"
#include "pipeline/run_stages.hpp"
#include "stages/ru_budget_gate.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <cstdio>
#include <csignal>
#include <exception>
#include <functional>
#include <memory>
#include <ostream>
#include <vector>

namespace idabus::tenant_gen {

namespace {

namespace cosmos = io::cosmos;

struct write_batch {
  collection_kind collection = collection_kind::resources;
  std::vector<cosmos::bulk_operation> operations;
};

using batch_channel = pipeline::channel<write_batch>;

// Shared by the stages of one run; they all run on one single-threaded executor.
struct run_state {
  run_summary summary;
  std::size_t writers_left = 0;
  std::unique_ptr<net::steady_timer> progress_timer;
};

// Consumes nothing; produces every document of the plan in batches of `batch`, collection by
// collection, then finishes the channel. Ends when all batches are sent.
net::awaitable<void> run_generate(const tenant_generator& generator, std::size_t batch, batch_channel& out) {
  for (collection_kind kind : all_collections) {
    const std::uint64_t count = generator.plan().count(kind);
    for (std::uint64_t start = 0; start < count; start += batch) {
      write_batch b;
      b.collection = kind;
      const std::uint64_t end = std::min<std::uint64_t>(count, start + batch);
      b.operations.reserve(static_cast<std::size_t>(end - start));
      for (std::uint64_t i = start; i < end; ++i) {
        generated_document doc = generator.generate(kind, i);
        cosmos::bulk_operation op;
        op.type = cosmos::bulk_operation_type::upsert;
        op.partition_key.emplace_back(std::move(doc.partition_key));
        op.id = std::move(doc.id);
        op.body = std::move(doc.body);
        b.operations.push_back(std::move(op));
      }
      co_await out.send(std::move(b));
    }
  }
  out.finish();
}

// Consumes batches until end of stream and upserts each with one bulk call; counts written and
// failed documents. Throws what client.bulk throws.
net::awaitable<void> run_write(cosmos::client& client, std::string database, batch_channel& in, run_state& state) {
  for (;;) {
    auto next = co_await in.receive();
    if (!next) break;
    write_batch b = std::move(*next);
    std::vector<std::string> ids;
    ids.reserve(b.operations.size());
    for (const auto& op : b.operations) ids.push_back(op.id);
    const std::string collection(collection_name(b.collection));
    auto results = co_await client.bulk(database, collection, std::move(b.operations));
    for (std::size_t i = 0; i < results.size(); ++i) {
      const auto& r = results[i];
      state.summary.total_ru += r.request_charge;
      if (r.status >= 200 && r.status < 300) {
        ++state.summary.written[static_cast<std::size_t>(b.collection)];
        continue;
      }
      if (state.summary.failed++ == 0) {
        state.summary.first_failure = collection + " " + (i < ids.size() ? ids[i] : std::string("?")) + ": HTTP " +
                                      std::to_string(r.status) + "/" + std::to_string(r.substatus) + " " + r.message;
      }
    }
  }
  if (--state.writers_left == 0 && state.progress_timer) state.progress_timer->cancel();
}

std::string format_double(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

// Reports progress at most once a second until the last writer is done.
net::awaitable<void> run_progress(run_state& state, std::uint64_t total, pipeline::ru_budget& budget,
                                  progress_function progress) {
  const auto started = std::chrono::steady_clock::now();
  while (state.writers_left > 0) {
    state.progress_timer->expires_after(std::chrono::seconds(1));
    auto r = co_await state.progress_timer->async_wait(net::as_tuple(net::use_awaitable));
    (void)r;
    if (state.writers_left == 0) break;
    if (!progress) continue;
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    const auto c = budget.counters();
    progress("tenant-gen: " + std::to_string(state.summary.total_written()) + "/" + std::to_string(total) +
             " documents, " + format_double(secs > 0 ? state.summary.total_ru / secs : 0, 0) + " RU/s, " +
             std::to_string(c.throttles) + " throttled (429)" +
             (state.summary.failed ? ", " + std::to_string(state.summary.failed) + " failed" : std::string()));
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

net::awaitable<run_summary> run_tenant(tenant_options options, cosmos::client& client, pipeline::ru_budget& budget,
                                       progress_function progress) {
  const auto started = std::chrono::steady_clock::now();
  const auto throttles_before = budget.counters().throttles;
  co_await client.create_database_if_missing(options.database);
  for (collection_kind kind : all_collections) {
    co_await client.create_collection_if_missing(options.database, std::string(collection_name(kind)),
                                                 std::string(partition_key_path(kind)), options.throughput);
  }

  const tenant_generator generator(plan_tenant(options.documents, options.seed));
  batch_channel batches(options.channel_capacity);
  run_state state;
  state.writers_left = options.writers;
  auto executor = co_await net::this_coro::executor;
  state.progress_timer = std::make_unique<net::steady_timer>(executor);

  std::vector<pipeline::named_stage> stages;
  stages.push_back({"generate", run_generate(generator, options.batch, batches)});
  for (std::size_t i = 0; i < options.writers; ++i) {
    stages.push_back({"writer " + std::to_string(i + 1), run_write(client, options.database, batches, state)});
  }
  stages.push_back({"progress", run_progress(state, generator.plan().total(), budget, std::move(progress))});
  co_await pipeline::run_stages(std::move(stages));

  state.summary.throttles = budget.counters().throttles - throttles_before;
  state.summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  co_return state.summary;
}

std::string summary_line(const run_summary& s) {
  const double rate = s.seconds > 0 ? static_cast<double>(s.total_written()) / s.seconds : 0;
  std::string line = "tenant-gen: wrote";
  for (collection_kind kind : all_collections) {
    line += " " + std::string(collection_name(kind)) + "=" + std::to_string(s.written[static_cast<std::size_t>(kind)]);
  }
  line += " (" + std::to_string(s.total_written()) + " documents";
  if (s.failed) line += ", " + std::to_string(s.failed) + " failed";
  line += "), " + format_double(s.total_ru, 1) + " RU, " + std::to_string(s.throttles) + " throttled (429), " +
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
    net::io_context ctx(1);
    io::http::client_options http_base;
    http_base.max_connections = opts.writers + 2;
    io::http::client http(ctx.get_executor(), cosmos::endpoint_of(opts.connection),
                          cosmos::http_options_for(opts.connection, http_base));
    pipeline::ru_budget_options budget_options;
    budget_options.ru_per_second = opts.ru_budget;
    pipeline::ru_budget budget(budget_options);
    stages::ru_budget_gate gate(budget);
    cosmos::client_options client_options;
    client_options.gate = &gate;
    cosmos::client client(http, opts.connection, client_options);

    std::exception_ptr failure;
    run_summary summary;
    auto progress = [&err](std::string_view line) { err << line << std::endl; };
    // First SIGINT/SIGTERM cancels the run (requests in flight are aborted; documents already
    // acknowledged stay written); a second one stops the event loop at once.
    net::cancellation_signal cancel;
    net::signal_set signals(ctx, SIGINT, SIGTERM);
    int signals_seen = 0;
    std::function<void(boost::system::error_code, int)> on_signal = [&](boost::system::error_code ec, int) {
      if (ec) return;
      if (++signals_seen == 1) {
        cancel.emit(net::cancellation_type::terminal);
        signals.async_wait(on_signal);
      } else {
        ctx.stop();
      }
    };
    signals.async_wait(on_signal);
    net::co_spawn(ctx, run_tenant(opts, client, budget, progress),
                  net::bind_cancellation_slot(cancel.slot(), [&](std::exception_ptr e, run_summary s) {
                    failure = e;
                    summary = std::move(s);
                    signals.cancel();
                  }));
    ctx.run();
    if (signals_seen > 0) {
      err << "tenant-gen: interrupted\n";
      return static_cast<int>(exit_code::interrupted);
    }
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
