#pragma once
// cosmos_session: the objects a job that talks to one Cosmos account owns for its whole run, built
// in the order they depend on each other (DESIGN §9):
//   io::http::client (pooled connections to the endpoint, TLS per the connection string)
//   pipeline::keyed_ru_budget (one budget per partition key range, under the job-wide cap)
//   ru_budget_gate (how the client spends that budget; told the offers by plan_collection_writes)
//   io::cosmos::client (every request through the gate)
// Construct it in the program's top coroutine frame, so that it outlives every stage (a second
// signal destroys the suspended stages before that frame). Not movable: its parts borrow each other.
// Runs on the given executor (single-threaded, like the HTTP client). Throws std::invalid_argument
// for a bad endpoint or option.

#include "io/cosmos/client.hpp"
#include "io/cosmos/connection_string.hpp"
#include "io/http/client.hpp"
#include "pipeline/keyed_ru_budget.hpp"
#include "stages/ru_budget_gate.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <cstddef>

namespace idabus::stages {

struct cosmos_session_options {
  double ru_cap = 0;                 ///< job-wide cap in RU/s (--ru-budget); 0 = none
  std::size_t max_connections = 64;  ///< HTTP connections at most (one per request in flight)
  io::cosmos::client_options client; ///< its gate is set to the session's
};

class cosmos_session {
 public:
  cosmos_session(boost::asio::any_io_executor executor, const io::cosmos::connection_string& cs,
                 cosmos_session_options options);
  cosmos_session(const cosmos_session&) = delete;
  cosmos_session& operator=(const cosmos_session&) = delete;

  io::cosmos::client& client() noexcept { return client_; }
  ru_budget_gate& gate() noexcept { return gate_; }
  pipeline::keyed_ru_budget& budget() noexcept { return budget_; }

 private:
  io::http::client http_;
  pipeline::keyed_ru_budget budget_;
  ru_budget_gate gate_;
  io::cosmos::client client_;
};

}  // namespace idabus::stages
