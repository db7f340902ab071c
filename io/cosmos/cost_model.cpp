#include "io/cosmos/cost_model.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace idabus::io::cosmos {

double kilobytes(std::size_t bytes) noexcept { return std::max(1.0, static_cast<double>(bytes) / 1024.0); }

void cost_model::sums::add(double weight, double kb, double charge) noexcept {
  w += weight;
  x += weight * kb;
  y += weight * charge;
  xx += weight * kb * kb;
  xy += weight * kb * charge;
}

void cost_model::sums::scale(double factor) noexcept {
  w *= factor;
  x *= factor;
  y *= factor;
  xx *= factor;
  xy *= factor;
}

cost_model::cost_model(cost_model_options options) : options_(options) {
  if (!(options_.prior_weight > 0)) throw std::invalid_argument("cost_model: prior_weight must be > 0");
  if (!(options_.decay > 0 && options_.decay <= 1)) throw std::invalid_argument("cost_model: decay must be in (0, 1]");
  if (!(options_.outlier_factor > 1 && std::isfinite(options_.outlier_factor))) {
    throw std::invalid_argument("cost_model: outlier_factor must be a number > 1");
  }
  for (const auto& p : options_.priors) {
    if (!(p.a >= 0 && p.b >= 0)) throw std::invalid_argument("cost_model: priors must not be negative");
  }
}

cost_model::sums cost_model::with_prior(operation_kind kind) const {
  const linear_cost prior = options_.priors[static_cast<std::size_t>(kind)];
  sums s;
  s.add(options_.prior_weight / 2, 1.0, prior.at(1.0));
  s.add(options_.prior_weight / 2, 10.0, prior.at(10.0));
  return s;
}

const cost_model::sums* cost_model::find(std::string_view collection, operation_kind kind) const {
  const auto it = fits_.find(collection);
  const auto k = static_cast<std::size_t>(kind);
  if (it == fits_.end() || !it->second.seen[k]) return nullptr;
  return &it->second.kinds[k];
}

linear_cost cost_model::solve(const sums& s, operation_kind kind) const {
  linear_cost fit;
  const double det = s.w * s.xx - s.x * s.x;
  // The prior's two points keep det > 0 in exact arithmetic; guard the case where decay has left
  // only observations of one size (the slope then stays the prior's).
  if (det > 1e-9 * s.w * s.w) {
    fit.b = (s.w * s.xy - s.x * s.y) / det;
  } else {
    fit.b = options_.priors[static_cast<std::size_t>(kind)].b;
  }
  fit.a = (s.y - fit.b * s.x) / s.w;
  if (fit.b < 0) {
    fit.b = 0;
    fit.a = s.y / s.w;
  }
  if (fit.a < 0) {
    fit.a = 0;
    fit.b = s.xx > 0 ? std::max(0.0, s.xy / s.xx) : 0;
  }
  return fit;
}

linear_cost cost_model::fitted(std::string_view collection, operation_kind kind) const {
  if (const sums* s = find(collection, kind)) return solve(*s, kind);
  return options_.priors[static_cast<std::size_t>(kind)];
}

double cost_model::estimate(std::string_view collection, operation_kind kind, std::size_t bytes) const {
  return fitted(collection, kind).at(kilobytes(bytes));
}

void cost_model::observe(std::string_view collection, operation_kind kind, std::size_t bytes, double charge) {
  if (!std::isfinite(charge) || charge < 0) return;
  auto it = fits_.find(collection);
  if (it == fits_.end()) it = fits_.emplace(std::string(collection), collection_fits{}).first;
  const auto k = static_cast<std::size_t>(kind);
  sums& s = it->second.kinds[k];
  if (!it->second.seen[k]) {
    s = with_prior(kind);
    it->second.seen[k] = true;
  }
  const double kb = kilobytes(bytes);
  const double predicted = solve(s, kind).at(kb);
  const double bounded =
      std::clamp(charge, predicted / options_.outlier_factor, std::max(predicted, 1.0) * options_.outlier_factor);
  s.scale(options_.decay);
  s.add(1.0, kb, bounded);
}

}  // namespace idabus::io::cosmos
