#include "stages/collection_writes.hpp"

namespace idabus::stages {

net::awaitable<collection_write_plan> plan_collection_writes(io::cosmos::client& client, ru_budget_gate* gate,
                                                            std::string database, std::string collection) {
  collection_write_plan plan;
  plan.ranges = co_await client.ranges(database, collection);
  plan.provisioned = co_await client.read_throughput(database, collection);
  if (plan.provisioned && gate) gate->set_provisioned("dbs/" + database + "/colls/" + collection, *plan.provisioned);
  if (plan.provisioned && !plan.ranges.empty()) {
    plan.range_share = static_cast<double>(*plan.provisioned) / static_cast<double>(plan.ranges.size());
  }
  co_return plan;
}

}  // namespace idabus::stages
