#pragma once
// workflow_runner: the background runner of the minimal write surface (DESIGN §5). enqueue()
// writes a Queued WorkflowExecutions document; run() advances queued executions one step at a
// time (each step updates the document), round robin, pausing `step_time` between steps.
// In maintenance mode no new step starts; steps in flight are counted in `steps` so that the
// backup can wait for them. The queue is bounded (`max_queued`); enqueue() answers false when full.
// Runs on one executor. Cancellation: run() ends by throwing operation_aborted; a step cut short
// leaves its document at the last step written.

#include "tools/idabus-engine/activity.hpp"
#include "tools/idabus-engine/modes.hpp"
#include "tools/idabus-engine/store.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <deque>
#include <optional>
#include <string>

namespace idabus::engine {

struct workflow_options {
  std::chrono::milliseconds step_time{200};
  int steps_per_execution = 3;
  std::size_t max_queued = 1000;
};

class workflow_runner {
 public:
  workflow_runner(store& documents, modes_registry& modes, activity_counter& steps, workflow_options options);

  /// Writes the Queued document and queues the execution; its id, or std::nullopt when the queue is full.
  net::awaitable<std::optional<std::string>> enqueue(std::string workflow, std::string input_json);
  net::awaitable<void> run();
  std::size_t queued() const noexcept { return queue_.size(); }

 private:
  struct execution {
    std::string id, workflow, input;
    int step = 0;
  };

  store& store_;
  modes_registry& modes_;
  activity_counter& steps_;
  workflow_options options_;
  std::deque<execution> queue_;  ///< bounded by options_.max_queued
};

}  // namespace idabus::engine
