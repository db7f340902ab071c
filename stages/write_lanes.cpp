#include "stages/write_lanes.hpp"

#include "io/cosmos/bulk.hpp"
#include "io/cosmos/cost_model.hpp"
#include "io/cosmos/epk.hpp"
#include "io/cosmos/errors.hpp"
#include "pipeline/run_stages.hpp"

#include <chrono>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <stdexcept>
#include <unordered_set>
#include <utility>

namespace idabus::stages {

namespace {

namespace cosmos = io::cosmos;

using lane_channel = pipeline::channel<write_document>;
using clock = std::chrono::steady_clock;

double seconds_since(clock::time_point start) { return std::chrono::duration<double>(clock::now() - start).count(); }

std::string collection_link(const write_lanes_options& o) { return "dbs/" + o.database + "/colls/" + o.collection; }

/// Identity of a document for the "one version per batch" rule.
std::string document_key(const cosmos::bulk_operation& op) {
  return cosmos::partition_key_header(op.partition_key) + '\n' + op.id;
}

cosmos::bulk_operation operation_of(write_document d) {
  cosmos::bulk_operation op;
  op.type = d.type;
  op.partition_key = std::move(d.partition_key);
  op.id = std::move(d.id);
  op.body = std::move(d.body);
  return op;
}

// Consumes `in`; sends each document to the sub-lane of its range; finishes every lane (as one of
// its producers) at the end.
net::awaitable<void> run_route(std::vector<cosmos::pk_range> ranges, std::size_t lanes_per_range,
                               pipeline::channel<write_document>& in, std::vector<std::unique_ptr<lane_channel>>& lanes,
                               write_lanes_counters& counters) {
  for (;;) {
    auto next = co_await in.receive();
    if (!next) break;
    write_document document = std::move(*next);
    const std::string epk = cosmos::effective_partition_key_v2(document.partition_key);
    std::size_t range = ranges.size();
    for (std::size_t i = 0; i < ranges.size(); ++i) {
      if (cosmos::epk_in_range(epk, ranges[i].min_inclusive, ranges[i].max_exclusive)) {
        range = i;
        break;
      }
    }
    if (range == ranges.size()) throw std::out_of_range("no partition key range holds effective partition key " + epk);
    const std::size_t sub = std::hash<std::string>{}(epk + '\n' + document.id) % lanes_per_range;
    auto& lane = *lanes[range * lanes_per_range + sub];
    if (!lane.try_send(document)) {
      const auto blocked = clock::now();
      co_await lane.send(std::move(document));
      counters.ranges[ranges[range].id].router_blocked_seconds += seconds_since(blocked);
    }
  }
  for (auto& lane : lanes) lane->finish();
}

// Consumes one sub-lane: cuts batches, sends each to the range, counts the results.
net::awaitable<void> run_lane(cosmos::client& client, write_lanes_options options, std::string range_id,
                              lane_channel& lane, write_lanes_counters& counters) {
  const std::string link = collection_link(options);
  cosmos::bulk_limits limits;
  limits.max_operations = options.max_batch_operations;
  limits.max_body_bytes = options.max_batch_bytes;
  if (options.range_ru_per_second > 0) limits.max_ru = options.range_ru_per_second * options.batch_seconds;
  const bool point = options.mode == write_mode::point;
  const auto kind = point ? cosmos::operation_kind::point_write : cosmos::operation_kind::bulk_write;
  if (point) limits.max_body_bytes = std::numeric_limits<std::size_t>::max();  // each document is its own request
  std::optional<cosmos::bulk_operation> carried;  // the operation that did not fit the previous batch
  std::uint64_t carried_ticket = 0;
  std::vector<std::uint64_t> tickets;  // of `operations`, in the same order
  for (;;) {
    if (!carried) {
      const auto waiting = clock::now();
      auto next = co_await lane.receive();
      counters.ranges[range_id].idle_seconds += seconds_since(waiting);
      if (!next) break;
      carried_ticket = next->ticket;
      carried = operation_of(std::move(*next));
    }
    cosmos::bulk_batch_builder batch(limits);
    std::vector<cosmos::bulk_operation> operations;
    std::unordered_set<std::string> documents;
    while (carried) {
      std::string key = document_key(*carried);
      const std::string entry = point ? std::string() : cosmos::bulk_entry(*carried);
      const double ru = client.costs().estimate(link, kind, carried->body.size());
      if (!batch.empty() && (documents.count(key) > 0 || !batch.fits(entry.size(), ru))) break;
      batch.add(entry, ru);
      documents.insert(std::move(key));
      operations.push_back(std::move(*carried));
      tickets.push_back(carried_ticket);
      carried.reset();
      std::optional<write_document> more;
      if (lane.try_receive(more) && more) {
        carried_ticket = more->ticket;
        carried = operation_of(std::move(*more));
      }
    }
    const std::size_t sent = operations.size();
    std::vector<std::string> ids;
    std::vector<std::string> keys;
    ids.reserve(sent);
    keys.reserve(sent);
    for (const auto& op : operations) {
      ids.push_back(op.id);
      keys.push_back(cosmos::partition_key_header(op.partition_key));
    }
    std::vector<std::uint64_t> batch_tickets = std::move(tickets);
    tickets.clear();
    cosmos::bulk_outcome outcome;
    const auto requested = clock::now();
    try {
      if (point) {
        outcome = co_await client.upsert_each(options.database, options.collection, range_id, std::move(operations));
      } else {
        outcome = co_await client.bulk_range(options.database, options.collection, range_id, std::move(operations));
      }
    } catch (const cosmos::cosmos_error& e) {
      // A document larger than the service takes makes its request (it is alone in its batch:
      // batches are cut at max_batch_bytes) too large as a whole: the service refused that
      // document, not the import.
      if (e.status() != 413 || sent != 1) throw;
      cosmos::bulk_result refused;
      refused.status = e.status();
      refused.substatus = e.substatus();
      refused.message = e.details().server_message.empty() ? "request too large" : e.details().server_message;
      outcome.results.push_back(std::move(refused));
      outcome.requests = 1;
    }
    write_counters batch_counters;
    batch_counters.add(outcome, sent);
    batch_counters.request_seconds = seconds_since(requested);
    std::vector<std::optional<write_rejection>> rejected(outcome.results.size());
    for (std::size_t i = 0; i < outcome.results.size(); ++i) {
      const auto& r = outcome.results[i];
      if (r.status >= 200 && r.status < 300) continue;
      rejected[i] = write_rejection{ids[i], keys[i], r.status, r.substatus, r.message};
      if (counters.rejections.size() < options.max_rejections_kept) counters.rejections.push_back(*rejected[i]);
    }
    auto add = [&](write_counters& c) {
      c.written += batch_counters.written;
      c.rejected += batch_counters.rejected;
      c.operations += batch_counters.operations;
      c.throttled_operations += batch_counters.throttled_operations;
      c.retried_operations += batch_counters.retried_operations;
      c.requests += batch_counters.requests;
      c.ru += batch_counters.ru;
      c.request_seconds += batch_counters.request_seconds;
    };
    add(counters.total);
    add(counters.ranges[range_id]);
    if (options.on_result) {
      for (std::size_t i = 0; i < rejected.size() && i < batch_tickets.size(); ++i) {
        options.on_result(batch_tickets[i], rejected[i] ? &*rejected[i] : nullptr);
      }
    }
  }
}

}  // namespace

void validate(const write_lanes_options& o) {
  if (o.lanes_per_range == 0) throw std::invalid_argument("write_lanes: lanes_per_range must be at least 1");
  if (o.lane_capacity == 0) throw std::invalid_argument("write_lanes: lane_capacity must be at least 1");
  if (!(o.batch_seconds > 0 && o.batch_seconds <= 1)) throw std::invalid_argument("write_lanes: batch_seconds must be in (0, 1]");
  if (!(o.range_ru_per_second >= 0)) throw std::invalid_argument("write_lanes: range_ru_per_second must not be negative");
  if (o.max_batch_operations == 0 || o.max_batch_operations > 100) {
    throw std::invalid_argument("write_lanes: max_batch_operations must be in 1..100");
  }
  if (o.max_batch_bytes == 0) throw std::invalid_argument("write_lanes: max_batch_bytes must be at least 1");
}

void write_counters::add(const cosmos::bulk_outcome& outcome, std::size_t sent) noexcept {
  for (const auto& r : outcome.results) {
    if (r.status >= 200 && r.status < 300) {
      ++written;
    } else {
      ++rejected;
    }
  }
  operations += sent + outcome.retried_operations;
  throttled_operations += outcome.throttled_operations;
  retried_operations += outcome.retried_operations;
  requests += outcome.requests;
  ru += outcome.request_charge;
}

net::awaitable<void> run_write_lanes(cosmos::client& client, write_lanes_options options,
                                     pipeline::channel<write_document>& in, write_lanes_counters& counters) {
  std::vector<pipeline::channel<write_document>*> inputs{&in};
  co_await run_write_lanes(client, std::move(options), std::move(inputs), counters);
}

net::awaitable<void> run_write_lanes(cosmos::client& client, write_lanes_options options,
                                     std::vector<pipeline::channel<write_document>*> inputs,
                                     write_lanes_counters& counters) {
  validate(options);
  if (inputs.empty()) throw std::invalid_argument("write_lanes: at least one input");
  auto ranges = co_await client.ranges(options.database, options.collection);
  std::vector<std::unique_ptr<lane_channel>> lanes;  // each router finishes each lane once
  for (std::size_t i = 0; i < ranges.size() * options.lanes_per_range; ++i) {
    lanes.push_back(std::make_unique<lane_channel>(options.lane_capacity, inputs.size()));
  }
  std::vector<pipeline::named_stage> stages;
  for (std::size_t r = 0; r < ranges.size(); ++r) {
    for (std::size_t k = 0; k < options.lanes_per_range; ++k) {
      stages.push_back({"write lane " + ranges[r].id + "/" + std::to_string(k),
                        run_lane(client, options, ranges[r].id, *lanes[r * options.lanes_per_range + k], counters)});
    }
  }
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    stages.push_back({inputs.size() == 1 ? std::string("write router") : "write router " + std::to_string(i),
                      run_route(ranges, options.lanes_per_range, *inputs[i], lanes, counters)});
  }
  co_await pipeline::run_stages(std::move(stages));
}

}  // namespace idabus::stages
