#include "stages/ru_budget_gate.hpp"

#include "support/run_coro.hpp"

#include <boost/asio/io_context.hpp>

#include <gtest/gtest.h>

#include <chrono>

namespace net = boost::asio;
using idabus::pipeline::ru_budget;
using idabus::pipeline::ru_budget_options;
using idabus::stages::ru_budget_gate;

namespace {
const idabus::io::cosmos::gate_key key{"dbs/d/colls/c", "0"};
}

TEST(RuBudgetGate, SettlesTheServersChargeAgainstTheSharedBudget) {
  ru_budget_options options;  // unlimited: nothing waits
  ru_budget budget(options);
  ru_budget_gate gate(budget);
  idabus::test::run_coro([&gate](net::io_context&) -> net::awaitable<void> {
    co_await gate.acquire(key, 5);
    gate.settle(key, 5, 7.5);
    co_await gate.acquire(key, 5);
    gate.settle(key, 5, 2.5);
  });
  const auto counters = budget.counters();
  EXPECT_EQ(counters.reservations, 2u);
  EXPECT_DOUBLE_EQ(counters.consumed_ru, 10.0);
  EXPECT_DOUBLE_EQ(counters.granted_ru, 10.0);
}

TEST(RuBudgetGate, PacesAcquiresAtTheBudgetRate) {
  ru_budget_options options;
  options.ru_per_second = 100;
  ru_budget budget(options);
  ru_budget_gate gate(budget);
  const auto start = std::chrono::steady_clock::now();
  idabus::test::run_coro([&gate](net::io_context&) -> net::awaitable<void> {
    // 300 RU at 100 RU/s with at most one second of burst: at least ~2 s minus the burst.
    for (int i = 0; i < 6; ++i) {
      co_await gate.acquire(key, 50);
      gate.settle(key, 50, 50);
    }
  });
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(1500));
}

TEST(RuBudgetGate, ReportsThrottlesToTheBudget) {
  ru_budget_options options;
  options.ru_per_second = 1000;
  ru_budget budget(options);
  ru_budget_gate gate(budget);
  gate.throttled(key, std::chrono::milliseconds(200));
  EXPECT_EQ(budget.counters().throttles, 1u);
  const auto start = std::chrono::steady_clock::now();
  idabus::test::run_coro([&gate](net::io_context&) -> net::awaitable<void> { co_await gate.acquire(key, 1); });
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(150));  // waited out the 429
}
