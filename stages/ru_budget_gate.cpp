#include "stages/ru_budget_gate.hpp"

namespace idabus::stages {

boost::asio::awaitable<void> ru_budget_gate::acquire(io::cosmos::gate_key, double estimate) {
  co_await budget_.reserve(estimate);
}

void ru_budget_gate::settle(io::cosmos::gate_key, double estimate, double actual) {
  pipeline::ru_budget::reservation granted;
  granted.estimate = estimate;
  budget_.settle(granted, actual);
}

void ru_budget_gate::throttled(io::cosmos::gate_key, std::chrono::milliseconds retry_after) { budget_.on_throttled(retry_after); }

}  // namespace idabus::stages
