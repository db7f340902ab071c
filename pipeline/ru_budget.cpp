#include "pipeline/ru_budget.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>

#include <optional>
#include <utility>

namespace idabus::pipeline {

namespace {

ru_budget::clock_function default_clock(ru_budget::clock_function clock) {
  if (clock) return clock;
  return [] { return std::chrono::steady_clock::now(); };
}

}  // namespace

ru_budget::ru_budget(ru_budget_options options, clock_function clock)
    : options_(options), clock_(default_clock(std::move(clock))), ledger_(options, clock_()) {}

net::awaitable<ru_budget::reservation> ru_budget::reserve(double estimate) {
  ru_ledger::ticket ticket;
  {
    std::lock_guard lock(mutex_);
    ticket = ledger_.enqueue(estimate, now());
  }
  // Returns the place in the queue if the wait ends without a grant (cancellation, exception,
  // or the coroutine frame being destroyed while suspended).
  struct withdraw_guard {
    ru_budget* self;
    const ru_ledger::ticket* ticket;
    bool granted = false;
    ~withdraw_guard() {
      if (granted) return;
      std::lock_guard lock(self->mutex_);
      self->ledger_.withdraw(*ticket, self->now());
    }
  };
  withdraw_guard guard{this, &ticket};

  std::optional<net::steady_timer> timer;
  for (;;) {
    time_point at;
    ru_ledger::decision decision;
    {
      std::lock_guard lock(mutex_);
      at = now();
      decision = ledger_.try_grant(ticket, at);
    }
    if (decision.granted) break;
    if (!timer) timer.emplace(co_await net::this_coro::executor);
    timer->expires_after(decision.retry_at - at);
    auto waited = co_await timer->async_wait(net::as_tuple(net::use_awaitable));
    auto& [ec] = waited;
    if (ec) throw boost::system::system_error(ec, "ru_budget: reserve cancelled");
  }
  guard.granted = true;
  reservation granted{ticket.estimate};
  co_return granted;
}

void ru_budget::settle(reservation granted, double actual_charge) {
  std::lock_guard lock(mutex_);
  ledger_.settle(granted.estimate, actual_charge, now());
}

void ru_budget::on_throttled(std::chrono::milliseconds retry_after) {
  std::lock_guard lock(mutex_);
  ledger_.throttled(retry_after, now());
}

ru_counters ru_budget::counters() const {
  std::lock_guard lock(mutex_);
  return ledger_.counters(now());
}

}  // namespace idabus::pipeline
