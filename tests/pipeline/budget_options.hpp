#pragma once
// Options and a clock origin shared by the RU budget and ledger tests (one definition each, so the
// test files can also be compiled together in one unity batch).

#include "pipeline/keyed_ru_ledger.hpp"
#include "pipeline/ru_ledger.hpp"

#include <chrono>

namespace idabus::test {

/// Every key at `ru_per_second`, under a job-wide cap (0 = none).
inline pipeline::keyed_ru_budget_options per_key(double ru_per_second, double cap = 0) {
  pipeline::keyed_ru_budget_options o;
  o.per_key.ru_per_second = ru_per_second;
  o.cap_ru_per_second = cap;
  return o;
}

/// One bucket at `ru_per_second`.
inline pipeline::ru_budget_options budget(double ru_per_second) {
  pipeline::ru_budget_options o;
  o.ru_per_second = ru_per_second;
  return o;
}

/// A manual clock's origin, far from the epoch so that "time before t0" is representable.
inline const pipeline::ru_ledger::time_point t0 = pipeline::ru_ledger::time_point{} + std::chrono::hours(1000);

}  // namespace idabus::test
