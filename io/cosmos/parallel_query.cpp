#include "io/cosmos/parallel_query.hpp"

#include "io/cosmos/errors.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <charconv>
#include <deque>
#include <exception>
#include <stdexcept>

namespace idabus::io::cosmos {

namespace {

struct cursor {
  pk_range range;
  std::optional<std::string> continuation;
  int refreshes = 0;
  bool count_pending = false;  ///< to be counted before its first page
  std::optional<std::uint64_t> documents;  ///< counted documents (work left is reported when set)
  std::uint64_t documents_read = 0;
  std::size_t last_page = 0;  ///< documents of its last page
  double charge = 0;          ///< charge of its pages so far
};

struct shared_state {
  client* cosmos = nullptr;
  page_request request;
  std::optional<query_spec> count_query;
  page_sink sink;
  std::deque<cursor> queue;
  parallel_query_stats stats;
  double page_charge = 0;  ///< charge of the pages read (count queries not included)
};

// The documents of `current`'s range that the count query finds; nullopt when the range is gone
// (a split: its children are read uncounted).
net::awaitable<std::optional<std::uint64_t>> count_range(shared_state* state, const cursor& current) {
  std::uint64_t total = 0;
  std::optional<std::string> continuation;
  do {
    page_request request = state->request;
    request.query = *state->count_query;
    request.range_id = current.range.id;
    request.continuation = std::move(continuation);
    std::optional<query_page> page;
    try {
      page = co_await state->cosmos->query(std::move(request));
    } catch (const cosmos_error& e) {
      if (classify(e.status(), e.substatus()) != failure_class::range_gone) throw;
    }
    if (!page) co_return std::nullopt;
    state->stats.request_charge += page->request_charge;
    for (const auto& d : page->documents) {
      std::uint64_t n = 0;
      const auto [end, ec] = std::from_chars(d.raw.data(), d.raw.data() + d.raw.size(), n);
      if (ec != std::errc() || end != d.raw.data() + d.raw.size()) {
        throw std::runtime_error("count query on range " + current.range.id + ": not a count: " +
                                 std::string(d.raw.substr(0, 40)));
      }
      total += n;
    }
    continuation = std::move(page->continuation);
  } while (continuation);
  state->stats.counted += total;
  co_return total;
}

// Tells the gate the RU `current`'s range still needs (see the header).
void report_work_left(shared_state* state, const cursor& current, bool done) {
  request_gate* gate = state->cosmos->options().gate;
  if (!gate || !current.documents) return;
  double ru = 0;
  if (!done) {
    const double per_document = current.documents_read > 0 ? current.charge / static_cast<double>(current.documents_read)
                                : state->stats.documents > 0
                                    ? state->page_charge / static_cast<double>(state->stats.documents)
                                    : 1.0;
    std::uint64_t left = *current.documents > current.documents_read ? *current.documents - current.documents_read : 0;
    left = std::max<std::uint64_t>(left, current.last_page);
    ru = static_cast<double>(left) * per_document;
  }
  gate->work_left(gate_key{"dbs/" + state->request.database + "/colls/" + state->request.collection, current.range.id},
                  ru);
}

// "FF" (and "") as a maximum mean the end of the key space.
bool before_max(std::string_view value, std::string_view max_exclusive) {
  if (max_exclusive == "FF") return value != "FF";
  return value < max_exclusive;
}

net::awaitable<void> worker(shared_state* state) {
  while (!state->queue.empty()) {
    cursor current = std::move(state->queue.front());
    state->queue.pop_front();
    if (current.count_pending) {
      current.count_pending = false;
      current.documents = co_await count_range(state, current);
      report_work_left(state, current, false);
    }
    page_request request = state->request;
    request.range_id = current.range.id;
    request.continuation = current.continuation;
    std::optional<query_page> page;
    int gone_substatus = 0;
    try {
      page = co_await state->cosmos->query(std::move(request));
    } catch (const cosmos_error& e) {
      if (classify(e.status(), e.substatus()) != failure_class::range_gone ||
          current.refreshes >= state->cosmos->options().retry.max_range_refreshes) {
        throw;
      }
      gone_substatus = e.substatus();
    }
    if (!page) {
      // The range split (or is completing a split): continue on whatever covers it now.
      ++state->stats.range_refreshes;
      if (state->cosmos->options().log) {
        state->cosmos->options().log("query on range " + current.range.id + ": HTTP 410/" +
                                     std::to_string(gone_substatus) + "; re-reading partition key ranges");
      }
      if (gone_substatus != 1002) {
        net::steady_timer pause(co_await net::this_coro::executor, std::chrono::milliseconds(50 * (current.refreshes + 1)));
        co_await pause.async_wait(net::use_awaitable);
      }
      auto fresh = co_await state->cosmos->read_partition_key_ranges(state->request.database, state->request.collection);
      auto children = overlapping_ranges(fresh, current.range.min_inclusive, current.range.max_exclusive);
      if (children.empty()) {
        throw std::runtime_error("query on range " + current.range.id + ": after HTTP 410 no partition key range covers [" +
                                 current.range.min_inclusive + ", " + current.range.max_exclusive + ")");
      }
      for (auto& child : children) {
        cursor next;
        next.range = std::move(child);
        next.continuation = current.continuation;  // children resume from the parent's position
        next.refreshes = current.refreshes + 1;
        state->queue.push_front(std::move(next));
      }
      continue;
    }
    ++state->stats.pages;
    state->stats.documents += page->documents.size();
    state->stats.request_charge += page->request_charge;
    state->page_charge += page->request_charge;
    const bool more = page->continuation.has_value();
    current.continuation = page->continuation;
    current.refreshes = 0;
    current.documents_read += page->documents.size();
    current.last_page = page->documents.size();
    current.charge += page->request_charge;
    report_work_left(state, current, !more);
    // Re-queued only after the sink took the page: one request per range at a time keeps its
    // pages in order.
    co_await state->sink(std::move(*page));
    if (more) state->queue.push_back(std::move(current));
  }
}

}  // namespace

std::vector<pk_range> overlapping_ranges(const std::vector<pk_range>& fresh, std::string_view min_inclusive,
                                         std::string_view max_exclusive) {
  std::vector<pk_range> out;
  for (const auto& r : fresh) {
    // r overlaps [min, max) when r.min < max and min < r.max.
    if (before_max(r.min_inclusive, max_exclusive) && before_max(min_inclusive, r.max_exclusive)) out.push_back(r);
  }
  return out;
}

net::awaitable<parallel_query_stats> query_all_ranges(client& cosmos, page_request request,
                                                      parallel_query_options options, page_sink sink) {
  if (options.max_concurrency == 0) throw std::invalid_argument("parallel query: max_concurrency must be at least 1");
  shared_state state;
  state.cosmos = &cosmos;
  state.sink = std::move(sink);
  state.request = std::move(request);
  state.request.range_id.reset();
  state.request.continuation.reset();
  state.count_query = std::move(options.count_query);
  auto ranges = co_await cosmos.read_partition_key_ranges(state.request.database, state.request.collection);
  state.stats.ranges = ranges.size();
  for (auto& r : ranges) {
    cursor c;
    c.range = std::move(r);
    c.count_pending = state.count_query.has_value();
    state.queue.push_back(std::move(c));
  }
  const std::size_t workers = std::min(options.max_concurrency, state.queue.size());
  if (workers == 0) co_return state.stats;

  auto executor = co_await net::this_coro::executor;
  using op_type = decltype(net::co_spawn(executor, worker(&state), net::deferred));
  std::vector<op_type> ops;
  ops.reserve(workers);
  for (std::size_t i = 0; i < workers; ++i) ops.push_back(net::co_spawn(executor, worker(&state), net::deferred));
  auto group = net::experimental::make_parallel_group(std::move(ops));
  auto result = co_await group.async_wait(net::experimental::wait_for_one_error(), net::use_awaitable);
  auto& [order, errors] = result;
  for (std::size_t index : order) {
    if (errors[index]) std::rethrow_exception(errors[index]);
  }
  co_return state.stats;
}

}  // namespace idabus::io::cosmos
