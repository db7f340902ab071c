#pragma once
// run_stages: runs the stages of one pipeline concurrently and reports the root cause of a
// failure by stage name.
//
// - Every stage body is spawned on the caller's executor; run_stages completes when all of them
//   have completed.
// - The first stage to fail (in completion order) cancels all others through their cancellation
//   slots (a stage blocked in a channel send/receive wakes with operation_aborted, so a failing
//   downstream never leaves an upstream blocked). That first failure is rethrown as stage_error
//   naming the stage, with the original exception nested (std::rethrow_if_nested).
// - Cancellation is never reported as a root cause: a stage that ends with operation_aborted
//   is skipped when looking for the first real failure. If only cancellations occurred (e.g.
//   run_stages itself was cancelled), boost::system::system_error(operation_aborted) is thrown.
// - Cancelling the run_stages awaitable cancels every stage.
// - A stage that returns normally is simply done: a consumer must read its input to end of
//   stream (or fail), otherwise its producer stays blocked and run_stages never completes.

#include <boost/asio/awaitable.hpp>

#include <exception>
#include <stdexcept>
#include <string>
#include <vector>

namespace idabus::pipeline {

namespace net = boost::asio;

struct named_stage {
  std::string name;
  net::awaitable<void> body;
};

/// Thrown by run_stages: "stage '<name>' failed: <what>", original exception nested.
class stage_error : public std::runtime_error, public std::nested_exception {
 public:
  /// Must be constructed while handling the original exception (it is captured as nested).
  stage_error(std::string stage, const std::string& what);
  const std::string& stage() const noexcept { return stage_; }

 private:
  std::string stage_;
};

/// True when `e` holds a cancellation (system_error with operation_aborted).
bool is_cancellation(const std::exception_ptr& e) noexcept;

/// Runs all stages to completion; see the contract above.
net::awaitable<void> run_stages(std::vector<named_stage> stages);

}  // namespace idabus::pipeline
