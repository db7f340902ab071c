#include "pipeline/ru_budget.hpp"

#include <string>
#include <utility>

namespace idabus::pipeline {

namespace {

keyed_ru_budget_options single_key(ru_budget_options options) {
  keyed_ru_budget_options keyed;
  keyed.per_key = options;
  return keyed;
}

}  // namespace

ru_budget::ru_budget(ru_budget_options options, clock_function clock)
    : options_(options), keyed_(single_key(options), std::move(clock)) {
  keyed_.set_rate(std::string(), options.ru_per_second);  // the bucket fills from now, not from first use
}

net::awaitable<ru_budget::reservation> ru_budget::reserve(double estimate) {
  std::string key;
  auto granted = co_await keyed_.reserve(std::move(key), estimate);
  reservation r{granted.estimate};
  co_return r;
}

void ru_budget::settle(reservation granted, double actual_charge) {
  keyed_ru_budget::reservation keyed{std::string(), granted.estimate};
  keyed_.settle(std::move(keyed), actual_charge);
}

void ru_budget::on_throttled(std::chrono::milliseconds retry_after) { keyed_.on_throttled(std::string(), retry_after); }

ru_counters ru_budget::counters() const { return keyed_.counters(""); }

}  // namespace idabus::pipeline
