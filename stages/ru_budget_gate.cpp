#include "stages/ru_budget_gate.hpp"

namespace idabus::stages {

boost::asio::awaitable<void> ru_budget_gate::acquire(double estimate) {
  co_await budget_.reserve(estimate);
}

void ru_budget_gate::settle(double estimate, double actual) {
  pipeline::ru_budget::reservation granted;
  granted.estimate = estimate;
  budget_.settle(granted, actual);
}

void ru_budget_gate::throttled(std::chrono::milliseconds retry_after) { budget_.on_throttled(retry_after); }

}  // namespace idabus::stages
