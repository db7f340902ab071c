#pragma once
// cost_model: the request-unit (RU) estimate of a Cosmos request, learned from the charges the
// server reports (DESIGN §9). One linear model `RU = a + b·KB` per (collection, operation kind),
// fitted online by exponentially weighted least squares over (KB, charge) observations:
// - it starts from a prior (per kind, cost_model_options::priors) that counts as
//   `prior_weight` observations spread over 1 KB and 10 KB, so a fresh model answers the prior
//   and a handful of charges cannot swing it far;
// - every observation first multiplies the history by `decay`, so the prior and old charges fade
//   and the model follows the server (≈ 1 / (1 − decay) observations of memory);
// - one charge counts at most `outlier_factor` times the current estimate for its size (with the
//   upper bound taken of at least 1 RU) and at least that estimate ÷ outlier_factor: an outlier
//   (a charge far above any other) moves a fresh estimate by a few RU, not by charge ÷ 5, while
//   a real change of level is still reached within a few charges (each moves the estimate up to
//   outlier_factor times closer);
// - KB = bytes / 1024, counted as at least 1 KB (the service's floor); a and b never go negative.
// What "bytes" means is the caller's choice, and must be the same for estimate and observe:
// the client uses the request body (a document or one bulk operation) for writes and 0 for
// reads, queries and metadata (their cost is learned as a mean).
// Pure computation, no I/O, no clock; not thread-safe (the client uses it from its executor).

#include <array>
#include <cstddef>
#include <map>
#include <string>
#include <string_view>

namespace idabus::io::cosmos {

enum class operation_kind {
  point_write,  ///< create, upsert, replace or delete of one document
  bulk_write,   ///< one operation inside a bulk request (charged per operation)
  read,         ///< point read
  query_page,   ///< one page of a query
  metadata,     ///< databases, collections, offers, pkranges, account
};
inline constexpr std::size_t operation_kind_count = 5;

/// RU = a + b·KB.
struct linear_cost {
  double a = 0;
  double b = 0;
  double at(double kb) const noexcept { return a + b * kb; }
};

struct cost_model_options {
  /// Priors per operation_kind (reference/cosmos-rest.md §7.5: a 1 KB write ~5 RU, 100 KB ~50 RU;
  /// a 1 KB read 1 RU; a query page of a few KB ~10 RU; metadata 1 RU).
  std::array<linear_cost, operation_kind_count> priors{
      linear_cost{4.5, 0.5}, linear_cost{4.5, 0.5}, linear_cost{0.9, 0.1}, linear_cost{10, 0},
      linear_cost{1, 0}};
  double prior_weight = 4;  ///< how many observations the prior is worth (> 0)
  double decay = 0.995;     ///< history factor per observation, in (0, 1]
  double outlier_factor = 4;  ///< a charge counts within [estimate ÷ f, max(estimate, 1) × f]; > 1
};

class cost_model {
 public:
  /// Throws std::invalid_argument for out-of-range options.
  explicit cost_model(cost_model_options options = {});

  /// The predicted charge of one operation of `bytes` on `collection` ("dbs/<db>/colls/<coll>").
  double estimate(std::string_view collection, operation_kind kind, std::size_t bytes) const;
  /// Learns from one observed charge (x-ms-request-charge, or a bulk operation's requestCharge),
  /// bounded by outlier_factor (see above). Negative or non-finite charges are ignored.
  void observe(std::string_view collection, operation_kind kind, std::size_t bytes, double charge);
  /// The fitted line (the prior when nothing was observed).
  linear_cost fitted(std::string_view collection, operation_kind kind) const;

 private:
  /// Weighted sums of 1, x, y, x², x·y.
  struct sums {
    double w = 0, x = 0, y = 0, xx = 0, xy = 0;
    void add(double weight, double kb, double charge) noexcept;
    void scale(double factor) noexcept;
  };
  const sums* find(std::string_view collection, operation_kind kind) const;
  sums with_prior(operation_kind kind) const;
  linear_cost solve(const sums& s, operation_kind kind) const;

  cost_model_options options_;
  struct collection_fits {
    std::array<sums, operation_kind_count> kinds;
    std::array<bool, operation_kind_count> seen{};
  };
  std::map<std::string, collection_fits, std::less<>> fits_;
};

/// KB as the model counts it: bytes / 1024, at least 1.
double kilobytes(std::size_t bytes) noexcept;

}  // namespace idabus::io::cosmos
