#include "pipeline/keyed_ru_budget.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>

#include <algorithm>
#include <optional>
#include <utility>

namespace idabus::pipeline {

namespace {

// The longest a waiting reserve sleeps before it asks the ledger again (see the header).
constexpr std::chrono::milliseconds recheck{50};

keyed_ru_budget::clock_function default_clock(keyed_ru_budget::clock_function clock) {
  if (clock) return clock;
  return [] { return std::chrono::steady_clock::now(); };
}

}  // namespace

keyed_ru_budget::keyed_ru_budget(keyed_ru_budget_options options, clock_function clock)
    : options_(options), clock_(default_clock(std::move(clock))), ledger_(options, clock_()) {}

void keyed_ru_budget::set_rate(std::string key, double ru_per_second) {
  std::lock_guard lock(mutex_);
  ledger_.set_rate(std::move(key), ru_per_second, now());
}

void keyed_ru_budget::remove_key(std::string key) {
  std::lock_guard lock(mutex_);
  ledger_.remove_key(key);
}

net::awaitable<keyed_ru_budget::reservation> keyed_ru_budget::reserve(std::string key, double estimate) {
  keyed_ru_ledger::ticket ticket;
  {
    std::lock_guard lock(mutex_);
    ticket = ledger_.enqueue(std::move(key), estimate, now());
  }
  // Returns the places in the queues if the wait ends without a grant (cancellation, exception,
  // or the coroutine frame being destroyed while suspended).
  struct withdraw_guard {
    keyed_ru_budget* self;
    const keyed_ru_ledger::ticket* ticket;
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
    // retry_at assumes today's rates; a rate raised by set_rate meanwhile counts within recheck.
    timer->expires_after(std::min<std::chrono::steady_clock::duration>(decision.retry_at - at, recheck));
    auto waited = co_await timer->async_wait(net::as_tuple(net::use_awaitable));
    auto& [ec] = waited;
    if (ec) throw boost::system::system_error(ec, "keyed_ru_budget: reserve cancelled");
  }
  guard.granted = true;
  reservation granted{std::move(ticket.key), ticket.on_key.estimate};
  co_return granted;
}

void keyed_ru_budget::settle(reservation granted, double actual_charge) {
  std::lock_guard lock(mutex_);
  ledger_.settle(granted.key, granted.estimate, actual_charge, now());
}

void keyed_ru_budget::on_throttled(std::string key, std::chrono::milliseconds retry_after) {
  std::lock_guard lock(mutex_);
  ledger_.throttled(key, retry_after, now());
}

ru_counters keyed_ru_budget::counters(std::string_view key) const {
  std::lock_guard lock(mutex_);
  return ledger_.counters(key, now());
}

ru_counters keyed_ru_budget::total_counters() const {
  std::lock_guard lock(mutex_);
  return ledger_.total_counters(now());
}

}  // namespace idabus::pipeline
