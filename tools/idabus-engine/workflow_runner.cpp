#include "tools/idabus-engine/workflow_runner.hpp"

#include "tools/idabus-engine/documents.hpp"
#include "tools/idabus-engine/time_format.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace idabus::engine {

workflow_runner::workflow_runner(store& documents, modes_registry& modes, activity_counter& steps,
                                 workflow_options options)
    : store_(documents), modes_(modes), steps_(steps), options_(options) {}

net::awaitable<std::optional<std::string>> workflow_runner::enqueue(std::string workflow, std::string input_json) {
  if (queue_.size() >= options_.max_queued) co_return std::nullopt;
  execution e{new_id(), std::move(workflow), std::move(input_json), 0};
  auto doc = execution_document(e.id, e.workflow, execution_status::queued, 0, options_.steps_per_execution, e.input,
                                now_ms());
  co_await store_.upsert_execution(e.id, std::move(doc));
  queue_.push_back(e);
  co_return e.id;
}

net::awaitable<void> workflow_runner::run() {
  net::steady_timer timer(co_await net::this_coro::executor);
  for (;;) {
    timer.expires_after(options_.step_time);
    co_await timer.async_wait(net::use_awaitable);
    if (queue_.empty()) continue;
    const auto modes = co_await modes_.current();
    if (modes.maintenance || modes.readonly) continue;
    auto e = std::move(queue_.front());
    queue_.pop_front();
    auto step = steps_.enter();
    ++e.step;
    auto running = execution_document(e.id, e.workflow, execution_status::running, e.step,
                                      options_.steps_per_execution, e.input, now_ms());
    co_await store_.upsert_execution(e.id, std::move(running));
    // The step's work takes one step_time; the document says which step ran last.
    timer.expires_after(options_.step_time);
    co_await timer.async_wait(net::use_awaitable);
    if (e.step >= options_.steps_per_execution) {
      auto done = execution_document(e.id, e.workflow, execution_status::completed, e.step,
                                     options_.steps_per_execution, e.input, now_ms());
      co_await store_.upsert_execution(e.id, std::move(done));
    } else {
      queue_.push_back(std::move(e));
    }
  }
}

}  // namespace idabus::engine
