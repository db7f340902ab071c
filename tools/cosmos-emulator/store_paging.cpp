// The paging part of the store: query and read-feed pages over one range, one logical partition
// or every range in order, with self-checking continuations (continuation.hpp).
#include "tools/cosmos-emulator/store_impl.hpp"

#include "tools/cosmos-emulator/continuation.hpp"
#include "tools/cosmos-emulator/ru_model.hpp"
#include "tools/cosmos-emulator/system_properties.hpp"

#include <charconv>
#include <limits>

namespace idabus::emulator {

namespace {

constexpr std::size_t max_page_bytes = 4u << 20;
constexpr std::size_t max_scanned_per_page = 10000;
constexpr std::int32_t default_page_items = 100;

query_page throttled_page(std::chrono::milliseconds wait, std::uint32_t p) {
  query_page t = page_error(result_status::throttled, throttled_message(p));
  t.retry_after = wait;
  return t;
}

}  // namespace

query_page store::query(std::string_view db, std::string_view coll, const parsed_query& q, const query_options& o) {
  std::shared_lock lock(impl_->mu);
  database* d = impl_->find_db(db);
  collection* c = d ? impl::find_coll(*d, coll) : nullptr;
  if (!c) return page_error(result_status::not_found, missing_collection(db, coll));

  // Scope: one range, one logical partition, or every range in order.
  std::uint32_t first = 0, last = c->partition_count - 1;
  std::optional<std::string> pk_filter;
  if (o.range_id) {
    std::uint32_t r = 0;
    auto [p, ec] = std::from_chars(o.range_id->data(), o.range_id->data() + o.range_id->size(), r);
    if (ec != std::errc() || p != o.range_id->data() + o.range_id->size() || r >= c->partition_count ||
        std::to_string(r) != *o.range_id) {
      return page_error(result_status::gone, "partition key range " + json_quote(*o.range_id) +
                                                 " does not exist (ranges are \"0\"..\"" +
                                                 std::to_string(c->partition_count - 1) + "\")");
    }
    first = last = r;
  }
  if (o.partition_key) {
    std::string message;
    auto route = impl::route_key(*c, o.partition_key, message);
    if (!route) return page_error(result_status::bad_request, message);
    if (o.range_id && route->partition != first) {
      query_page empty;
      empty.collection_rid = c->rid;
      empty.range_id = std::to_string(first);
      empty.request_charge = query_page_base_charge();
      return empty;
    }
    first = last = route->partition;
    pk_filter = route->pk_key;
  }
  const std::uint64_t scope =
      continuation_scope(q.fingerprint, c->rid, o.range_id.value_or("*"), pk_filter.value_or(""));
  const auto now = impl_->steady_now();
  auto& eval = evaluator();

  auto matches = [&](const stored_document& doc) {
    if (pk_filter && doc.pk_key != *pk_filter) return false;
    return eval.matches(q.residual, doc.bytes);
  };

  if (q.select == select_kind::count) {
    if (o.continuation) return page_error(result_status::bad_continuation, "invalid continuation token: COUNT queries answer in one page");
    query_page page;
    page.collection_rid = c->rid;
    std::uint64_t count = 0;
    for (std::uint32_t pi = first; pi <= last; ++pi) {
      partition& part = *c->partitions[pi];
      std::lock_guard plock(part.mutex);
      if (pi == first) {
        if (auto wait = part.bucket.admit(now)) return throttled_page(*wait, pi);
      }
      if (!q.satisfiable) continue;
      const bool unbounded = q.ts_min == std::numeric_limits<std::int64_t>::min() && q.ts_max == std::numeric_limits<std::int64_t>::max();
      if (unbounded && q.residual.empty() && !pk_filter) {
        count += part.size();
        continue;
      }
      const auto& idx = part.by_ts();
      for (auto it = idx.lower_bound({q.ts_min, 0}); it != idx.end() && it->first.first <= q.ts_max; ++it) {
        if (matches(*it->second)) ++count;
      }
    }
    page.request_charge = count_charge(count);
    {
      partition& part = *c->partitions[first];
      std::lock_guard plock(part.mutex);
      part.bucket.consume(page.request_charge, now);
    }
    page.documents.push_back(std::make_shared<const std::string>(std::to_string(count)));
    if (first == last) page.range_id = std::to_string(first);
    return page;
  }

  cursor start{first, false, q.ts_min, 0};
  if (o.continuation) {
    auto cur = decode_continuation(*o.continuation, scope);
    if (!cur || cur->partition < first || cur->partition > last) {
      return page_error(result_status::bad_continuation,
                        "invalid continuation token " + json_quote(o.continuation->substr(0, 64)) +
                            ": malformed, modified, or issued for a different query, collection or range");
    }
    start = *cur;
  }
  const std::size_t max_items = o.max_item_count > 0 ? static_cast<std::size_t>(o.max_item_count)
                                : o.max_item_count == -1 ? std::numeric_limits<std::size_t>::max()
                                                         : static_cast<std::size_t>(default_page_items);
  query_page page;
  page.collection_rid = c->rid;
  std::size_t bytes = 0;
  std::size_t scanned = 0;
  bool full = false;
  for (std::uint32_t pi = start.partition; pi <= last && !full; ++pi) {
    partition& part = *c->partitions[pi];
    std::lock_guard plock(part.mutex);
    if (pi == start.partition) {
      if (auto wait = part.bucket.admit(now)) {
        query_page t = throttled_page(*wait, pi);
        t.range_id = std::to_string(pi);
        return t;
      }
    }
    page.range_id = std::to_string(pi);
    double charge = pi == start.partition ? query_page_base_charge() : 0.0;
    const auto& idx = part.by_ts();
    auto it = (pi == start.partition && start.after) ? idx.upper_bound({start.ts, start.seq})
                                                     : idx.lower_bound({q.ts_min, 0});
    cursor resume{pi, false, q.ts_min, 0};
    for (; q.satisfiable && it != idx.end() && it->first.first <= q.ts_max; ++it) {
      if (page.documents.size() >= max_items || scanned >= max_scanned_per_page) {
        full = true;
        break;
      }
      const document_ptr& doc = it->second;
      ++scanned;
      if (!matches(*doc)) {
        charge += query_scanned_charge();
        resume = {pi, true, it->first.first, it->first.second};
        continue;
      }
      std::shared_ptr<const std::string> item;
      if (q.select == select_kind::projection) {
        item = std::make_shared<const std::string>(eval.project(q.projection, doc->bytes));
      } else {
        item = std::shared_ptr<const std::string>(doc, &doc->bytes);
      }
      if (!page.documents.empty() && bytes + item->size() + 1 > max_page_bytes) {
        full = true;
        break;
      }
      bytes += item->size() + 1;
      charge += read_charge(item->size());
      page.documents.push_back(std::move(item));
      resume = {pi, true, it->first.first, it->first.second};
    }
    part.bucket.consume(charge, now);
    page.request_charge += charge;
    if (full) {
      // More may follow in this partition (or later ones) unless this was the very end.
      const bool partition_done = it == idx.end() || it->first.first > q.ts_max;
      if (partition_done && pi == last) {
        full = false;
        break;
      }
      const cursor next = partition_done ? cursor{pi + 1, false, q.ts_min, 0} : resume;
      page.continuation = encode_continuation(next, scope);
    }
  }
  return page;
}

}  // namespace idabus::emulator
