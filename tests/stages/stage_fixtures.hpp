#pragma once
// Helpers for the backup stage tests: pages built from raw documents the way the Cosmos client
// builds them (io/json page_reader over a page body), and small producer/consumer stages.

#include "io/cosmos/client.hpp"
#include "io/json/page.hpp"
#include "pipeline/channel.hpp"
#include "pipeline/run_stages.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace idabus::test::stages {

namespace net = boost::asio;

/// A query page holding `documents` (raw JSON objects), as the client returns it.
inline io::cosmos::query_page make_page(const std::vector<std::string>& documents, std::string range_id = "0") {
  std::string body = "{\"_rid\":\"r\",\"Documents\":[";
  for (std::size_t i = 0; i < documents.size(); ++i) {
    if (i > 0) body += ",";
    body += documents[i];
  }
  body += "],\"_count\":" + std::to_string(documents.size()) + "}";
  io::cosmos::query_page page;
  auto owned = std::make_shared<const io::http::body_buffer>(io::http::body_buffer::copy_of(body));
  io::json::page_reader reader("/id");
  page.documents = reader.split(owned->view()).documents;
  page.body = std::move(owned);
  page.range_id = std::move(range_id);
  return page;
}

/// `{"id":"<id>","_ts":<ts>,"pad":"xxx..."}` of about `size` bytes.
inline std::string make_document(const std::string& id, std::int64_t ts, std::size_t size = 0) {
  std::string doc = "{\"id\":\"" + id + "\",\"_ts\":" + std::to_string(ts) + ",\"pad\":\"";
  if (size > doc.size() + 2) doc.append(size - doc.size() - 2, 'x');
  return doc + "\"}";
}

/// A vector of move-only values (an initializer list would copy them).
template <class T, class... More>
std::vector<T> vector_of(T first, More... more) {
  std::vector<T> v;
  v.reserve(1 + sizeof...(more));
  v.push_back(std::move(first));
  (v.push_back(std::move(more)), ...);
  return v;
}

/// Sends every item, then finishes, or throws "upstream broke" instead of finishing.
template <class T>
net::awaitable<void> run_send_all(pipeline::channel<T>& out, std::vector<T> items, bool fail_at_end = false) {
  for (auto& item : items) co_await out.send(std::move(item));
  if (fail_at_end) throw std::runtime_error("upstream broke");
  out.finish();
}

/// Receives everything into `into` until end of stream.
template <class T>
net::awaitable<void> run_collect(pipeline::channel<T>& in, std::vector<T>& into) {
  while (auto item = co_await in.receive()) into.push_back(std::move(*item));
}

/// Waits (polling every millisecond) until `ready()` holds, then throws "downstream broke".
inline net::awaitable<void> run_fail_when(std::function<bool()> ready) {
  net::steady_timer timer(co_await net::this_coro::executor);
  while (!ready()) {
    timer.expires_after(std::chrono::milliseconds(1));
    co_await timer.async_wait(net::use_awaitable);
  }
  throw std::runtime_error("downstream broke");
}

/// Runs `stages`; when they fail, sets `finished` to whether `out` had been finished by then
/// (a failed stream must not look complete), and rethrows.
template <class T>
net::awaitable<void> run_noting_finished(std::vector<pipeline::named_stage> stages, pipeline::channel<T>& out,
                                         bool& finished) {
  try {
    co_await pipeline::run_stages(std::move(stages));
  } catch (...) {
    finished = out.finished();
    throw;
  }
}

/// How a run of stages failed.
struct stage_failure {
  std::string stage;    ///< pipeline::stage_error::stage()
  std::string message;  ///< what()
};

/// Calls `run` and returns the pipeline::stage_error it throws; a test failure (and an empty
/// stage) when it returns without one.
inline stage_failure failure_of(const std::function<void()>& run) {
  try {
    run();
  } catch (const pipeline::stage_error& e) {
    return {e.stage(), e.what()};
  }
  ADD_FAILURE() << "expected a stage_error";
  return {};
}

}  // namespace idabus::test::stages
