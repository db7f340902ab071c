#pragma once
// descriptors: how many connections the API server may hold so that clients can never take the
// file descriptors a running backup needs (issue 8: hostile clients). Every API connection costs
// a descriptor; so do the backup's Cosmos connections and chunk files and the engine's own
// Cosmos client. When Api.MaxConnections plus what the engine keeps for itself exceeds the soft
// RLIMIT_NOFILE, the engine first raises the soft limit (up to the hard one), then lowers the
// connection cap to what is left; connections over the cap are answered 503 and closed, so the
// process does not run out of descriptors however many clients hold connections.

#include <cstddef>
#include <cstdint>
#include <string>

namespace idabus::engine {

/// Descriptors the engine keeps for everything but API connections: the backup's and the
/// engine's Cosmos connection pools (16 each), chunk files and folders being written, the
/// listener, the event loop's own descriptors and stdio, with room to spare (a backup of four
/// ranges per collection held 24 in all).
inline constexpr std::uint64_t descriptors_kept_for_the_engine = 64;

struct descriptor_plan {
  std::uint64_t soft_limit = 0;        ///< the soft RLIMIT_NOFILE to set (may be the current one)
  std::size_t max_connections = 0;     ///< the API server's connection cap
  bool connections_lowered = false;    ///< below what Api.MaxConnections asked for
};

/// Pure: the plan for `wanted` connections under the current `soft` and `hard` limits.
/// The cap is at least 1 (the engine must stay reachable), even under a tiny limit.
descriptor_plan plan_descriptors(std::size_t wanted, std::uint64_t soft, std::uint64_t hard,
                                 std::uint64_t kept = descriptors_kept_for_the_engine);

/// Applies the plan to this process (setrlimit when the soft limit rises) and returns the
/// connection cap; when it is lowered, `note` says so (for stderr).
std::size_t fit_connections_to_descriptors(std::size_t wanted, std::string& note);

}  // namespace idabus::engine
