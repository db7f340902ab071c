#pragma once
// request_gate: the hook through which the Cosmos client shares an RU budget with the rest of a
// job (io/ never includes pipeline/; stages/ru_budget_gate adapts pipeline::ru_budget to it).
// For every HTTP attempt the client calls, in order:
//   co_await acquire(estimate)   before sending (may suspend to pace the job; cancellable)
//   settle(estimate, actual)     once the attempt ended, with x-ms-request-charge (0 when absent,
//                                the estimate when the transport failed after sending)
//   throttled(retry_after)       additionally for every 429, with x-ms-retry-after-ms
// Implementations are used from the client's executor only.

#include <boost/asio/awaitable.hpp>

#include <chrono>

namespace idabus::io::cosmos {

class request_gate {
 public:
  virtual ~request_gate() = default;
  virtual boost::asio::awaitable<void> acquire(double estimate) = 0;
  virtual void settle(double estimate, double actual) = 0;
  virtual void throttled(std::chrono::milliseconds retry_after) = 0;
};

}  // namespace idabus::io::cosmos
