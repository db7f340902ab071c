#pragma once
// ru_budget_gate: lets the Cosmos client (io/cosmos, which knows nothing of pipeline/) spend the
// job's shared pipeline::ru_budget. One gate per client; several gates may share one budget.
// - acquire(estimate) awaits ru_budget::reserve(estimate) (cancellable like reserve: throws
//   operation_aborted and reserves nothing).
// - settle(estimate, actual) settles a reservation of that estimate with the server's charge.
// - throttled(retry_after) reports a 429 to the budget (every reserve then waits it out and the
//   rate drops, AIMD).
// Borrowed budget: it must outlive the gate.

#include "io/cosmos/request_gate.hpp"
#include "pipeline/ru_budget.hpp"

namespace idabus::stages {

class ru_budget_gate final : public io::cosmos::request_gate {
 public:
  explicit ru_budget_gate(pipeline::ru_budget& budget) : budget_(budget) {}

  boost::asio::awaitable<void> acquire(io::cosmos::gate_key key, double estimate) override;
  void settle(io::cosmos::gate_key key, double estimate, double actual) override;
  void throttled(io::cosmos::gate_key key, std::chrono::milliseconds retry_after) override;

 private:
  pipeline::ru_budget& budget_;
};

}  // namespace idabus::stages
