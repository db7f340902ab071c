#pragma once
// plan_collection_writes: what a job that writes into one collection must know before its first
// write (DESIGN §9), read from the service: the collection's provisioned RU/s (its offer) and its
// partition key ranges (/pkranges). It tells the gate the offer (set_provisioned), so each range
// is paced at offer ÷ ranges under the gate's job-wide cap, and returns the range share for
// write_lanes_options::range_ru_per_second (the size of a batch).
// No offer (shared or serverless throughput, or a server without /offers): provisioned is empty,
// the share 0, and the ranges run at the budget's default rate (the server's 429s pace them).
// Runs on the client's executor. Cancellation: as the client's requests. Throws what the client
// throws (cosmos_error 404 when the collection does not exist).

#include "io/cosmos/client.hpp"
#include "io/cosmos/pk_ranges.hpp"
#include "stages/ru_budget_gate.hpp"

#include <boost/asio/awaitable.hpp>

#include <optional>
#include <string>
#include <vector>

namespace idabus::stages {

namespace net = boost::asio;

struct collection_write_plan {
  std::optional<int> provisioned;           ///< the offer's RU/s
  std::vector<io::cosmos::pk_range> ranges;  ///< sorted by min_inclusive
  double range_share = 0;                   ///< provisioned ÷ ranges; 0 when unknown
};

/// See the file comment. `gate` may be null (nothing to tell).
net::awaitable<collection_write_plan> plan_collection_writes(io::cosmos::client& client, ru_budget_gate* gate,
                                                            std::string database, std::string collection);

}  // namespace idabus::stages
