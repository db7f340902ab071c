#include "tools/idabus-engine/descriptors.hpp"

#include <sys/resource.h>

#include <algorithm>

namespace idabus::engine {

descriptor_plan plan_descriptors(std::size_t wanted, std::uint64_t soft, std::uint64_t hard, std::uint64_t kept) {
  descriptor_plan plan;
  const std::uint64_t needed = static_cast<std::uint64_t>(wanted) + kept;
  plan.soft_limit = std::max(soft, std::min(needed, hard));
  const std::uint64_t for_connections = plan.soft_limit > kept ? plan.soft_limit - kept : 0;
  plan.max_connections = static_cast<std::size_t>(std::max<std::uint64_t>(1, std::min<std::uint64_t>(wanted, for_connections)));
  plan.connections_lowered = plan.max_connections < wanted;
  return plan;
}

std::size_t fit_connections_to_descriptors(std::size_t wanted, std::string& note) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return wanted;
  auto plan = plan_descriptors(wanted, limit.rlim_cur, limit.rlim_max);
  if (plan.soft_limit != limit.rlim_cur) {
    rlimit raised = limit;
    raised.rlim_cur = static_cast<rlim_t>(plan.soft_limit);
    // Refused: fit the connections under the current limit.
    if (::setrlimit(RLIMIT_NOFILE, &raised) != 0) plan = plan_descriptors(wanted, limit.rlim_cur, limit.rlim_cur);
  }
  if (plan.connections_lowered) {
    note = "Api.MaxConnections lowered from " + std::to_string(wanted) + " to " + std::to_string(plan.max_connections) +
           ": the descriptor limit (RLIMIT_NOFILE) is " + std::to_string(plan.soft_limit) + " and " +
           std::to_string(descriptors_kept_for_the_engine) + " are kept for the backup and the engine";
  }
  return plan.max_connections;
}

}  // namespace idabus::engine
