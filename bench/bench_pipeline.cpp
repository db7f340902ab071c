// Micro benchmarks of the pipeline core: channel hop by capacity, cpu_pool round trip,
// ru_budget reserve/settle. Benchmarks are not tests; nothing here gates CI.

#include "pipeline/channel.hpp"
#include "pipeline/cpu_pool.hpp"
#include "pipeline/ru_budget.hpp"

#include <benchmark/benchmark.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cstdint>
#include <stdexcept>

namespace {

namespace net = boost::asio;
using namespace idabus::pipeline;

constexpr int items_per_iteration = 10'000;

net::awaitable<void> run_send(channel<std::int64_t>& out, int count) {
  for (int i = 0; i < count; ++i) co_await out.send(i);
  out.finish();
}

net::awaitable<void> run_sum(channel<std::int64_t>& in, std::int64_t& sum) {
  for (;;) {
    auto item = co_await in.receive();
    if (!item) break;
    sum += *item;
  }
}

// One producer and one consumer coroutine on a single-threaded io_context.
void channel_hop(benchmark::State& state) {
  const auto capacity = static_cast<std::size_t>(state.range(0));
  for (auto _ : state) {
    net::io_context ctx;
    channel<std::int64_t> ch(capacity);
    std::int64_t sum = 0;
    net::co_spawn(ctx, run_send(ch, items_per_iteration), net::detached);
    net::co_spawn(ctx, run_sum(ch, sum), net::detached);
    ctx.run();
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(state.iterations() * items_per_iteration);
}
BENCHMARK(channel_hop)->Arg(1)->Arg(16)->Arg(256)->UseRealTime();

net::awaitable<void> run_hops(cpu_pool& pool, int count, std::int64_t& sum) {
  for (int i = 0; i < count; ++i) {
    auto square = [i] { return static_cast<std::int64_t>(i) * i; };
    sum += co_await pool.run(square);
  }
}

// io_context thread -> pool thread -> io_context thread, one hop at a time.
void cpu_pool_round_trip(benchmark::State& state) {
  cpu_pool pool({.threads = 1, .name = "bench"});
  constexpr int hops = 1000;
  for (auto _ : state) {
    net::io_context ctx;
    std::int64_t sum = 0;
    net::co_spawn(ctx, run_hops(pool, hops, sum), net::detached);
    ctx.run();
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(state.iterations() * hops);
}
BENCHMARK(cpu_pool_round_trip)->UseRealTime();

net::awaitable<void> run_reserve_settle(ru_budget& budget, int count) {
  for (int i = 0; i < count; ++i) {
    auto r = co_await budget.reserve(5);
    budget.settle(r, 5.2);
  }
}

// A reserve that is granted at once (budget far above the demand, or unlimited) plus settle:
// the fixed cost the budget adds to every request.
void ru_budget_reserve_settle(benchmark::State& state) {
  ru_budget_options options;
  options.ru_per_second = state.range(0) == 0 ? 0 : 1e12;
  ru_budget budget(options);
  constexpr int cycles = 1000;
  for (auto _ : state) {
    net::io_context ctx;
    net::co_spawn(ctx, run_reserve_settle(budget, cycles), net::detached);
    ctx.run();
  }
  state.SetItemsProcessed(state.iterations() * cycles);
  state.SetLabel(state.range(0) == 0 ? "unlimited" : "limited");
}
BENCHMARK(ru_budget_reserve_settle)->Arg(0)->Arg(1)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
