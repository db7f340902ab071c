#include "pipeline/keyed_ru_ledger.hpp"

#include <cmath>
#include <stdexcept>
#include <utility>

namespace idabus::pipeline {

namespace {

ru_budget_options cap_options(const keyed_ru_budget_options& o) {
  ru_budget_options cap = o.per_key;
  cap.ru_per_second = o.cap_ru_per_second;
  return cap;
}

}  // namespace

void validate(const keyed_ru_budget_options& o) {
  validate(o.per_key);
  if (!std::isfinite(o.cap_ru_per_second) || o.cap_ru_per_second < 0) {
    throw std::invalid_argument("keyed_ru_budget option 'cap_ru_per_second': expected a number >= 0 (0 = no cap), got " +
                                std::to_string(o.cap_ru_per_second));
  }
}

keyed_ru_ledger::keyed_ru_ledger(keyed_ru_budget_options options, time_point now)
    : options_((validate(options), options)), cap_(cap_options(options_), now) {}

keyed_ru_ledger::entry* keyed_ru_ledger::find(std::string_view key) {
  auto it = keys_.find(key);
  return it == keys_.end() ? nullptr : it->second.get();
}

keyed_ru_ledger::entry& keyed_ru_ledger::entry_for(std::string_view key, time_point now) {
  if (entry* e = find(key)) return *e;
  auto created = std::make_unique<entry>(options_.per_key, now);
  entry& e = *created;
  keys_.emplace(std::string(key), std::move(created));
  return e;
}

void keyed_ru_ledger::release(entry& e, std::string_view key) {
  --e.waiting;
  if (e.removed && e.waiting == 0) keys_.erase(keys_.find(key));
}

void keyed_ru_ledger::set_rate(std::string key, double ru_per_second, time_point now) {
  entry& e = entry_for(key, now);
  e.ledger.set_budget(ru_per_second, now);
  e.removed = false;
}

void keyed_ru_ledger::remove_key(std::string_view key) {
  auto it = keys_.find(key);
  if (it == keys_.end()) return;
  if (it->second->waiting == 0) {
    keys_.erase(it);
  } else {
    it->second->removed = true;
  }
}

keyed_ru_ledger::ticket keyed_ru_ledger::enqueue(std::string key, double estimate, time_point now) {
  entry& e = entry_for(key, now);
  ticket t;
  t.on_key = e.ledger.enqueue(estimate, now);  // validates the estimate
  ++e.waiting;
  t.key = std::move(key);
  t.enqueued = now;
  return t;
}

ru_ledger::decision keyed_ru_ledger::try_grant(ticket& t, time_point now) {
  entry* e = find(t.key);
  if (!t.on_cap) {
    auto on_key = e->ledger.try_grant(t.on_key, now);
    if (!on_key.granted) return on_key;
    t.on_cap = cap_.enqueue(t.on_key.estimate, now);
  }
  auto on_cap = cap_.try_grant(*t.on_cap, now);
  if (on_cap.granted) {
    waited_ += now - t.enqueued;
    release(*e, t.key);
  }
  return on_cap;
}

void keyed_ru_ledger::withdraw(const ticket& t, time_point now) {
  entry* e = find(t.key);
  if (t.on_cap) {
    cap_.withdraw(*t.on_cap, now);
    e->ledger.revoke(t.on_key, now);
  } else {
    e->ledger.withdraw(t.on_key, now);
  }
  release(*e, t.key);
}

void keyed_ru_ledger::settle(std::string_view key, double estimate, double actual_charge, time_point now) {
  cap_.settle(estimate, actual_charge, now);  // validates the charge first
  if (entry* e = find(key)) e->ledger.settle(estimate, actual_charge, now);
}

void keyed_ru_ledger::throttled(std::string_view key, std::chrono::milliseconds retry_after, time_point now) {
  ++throttles_;
  if (entry* e = find(key)) e->ledger.throttled(retry_after, now);
}

ru_counters keyed_ru_ledger::counters(std::string_view key, time_point now) {
  if (entry* e = find(key)) return e->ledger.counters(now);
  ru_counters c;
  c.current_rate = options_.per_key.ru_per_second;
  return c;
}

ru_counters keyed_ru_ledger::total_counters(time_point now) {
  ru_counters c = cap_.counters(now);
  c.throttles = throttles_;
  c.waited = waited_;
  return c;
}

}  // namespace idabus::pipeline
