#include "stages/cosmos_session.hpp"

namespace idabus::stages {

namespace {

io::http::client_options http_options(const io::cosmos::connection_string& cs, std::size_t max_connections) {
  io::http::client_options base;
  base.max_connections = max_connections;
  return io::cosmos::http_options_for(cs, base);
}

pipeline::keyed_ru_budget_options budget_options(double cap) {
  pipeline::keyed_ru_budget_options o;
  o.cap_ru_per_second = cap;
  return o;
}

io::cosmos::client_options with_gate(io::cosmos::client_options o, io::cosmos::request_gate* gate) {
  o.gate = gate;
  return o;
}

}  // namespace

cosmos_session::cosmos_session(boost::asio::any_io_executor executor, const io::cosmos::connection_string& cs,
                               cosmos_session_options options)
    : http_(std::move(executor), io::cosmos::endpoint_of(cs), http_options(cs, options.max_connections)),
      budget_(budget_options(options.ru_cap)),
      gate_(budget_),
      client_(http_, cs, with_gate(std::move(options.client), &gate_)) {}

}  // namespace idabus::stages
