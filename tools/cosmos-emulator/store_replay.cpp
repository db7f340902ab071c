// The store's side of persistence (persistence.hpp frames the log): which record each change
// writes, how records replay into the catalog and partitions, compaction into a snapshot of the
// live state, and when flush() compacts.
#include "tools/cosmos-emulator/store_impl.hpp"

#include "tools/cosmos-emulator/key_ranges.hpp"
#include "tools/cosmos-emulator/system_properties.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

namespace idabus::emulator {

namespace {

std::string num(std::uint64_t v) { return std::to_string(v); }
std::string num(std::int64_t v) { return std::to_string(v); }
std::string num_double(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

template <class T>
T parse_int(std::string_view s) {
  T v{};
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

double parse_double(std::string_view s) { return std::strtod(std::string(s).c_str(), nullptr); }

// The fields of each record type, shared by the live log and compaction's snapshot.
void emit_database(const durable_log::emit_fn& emit, const database& d) {
  emit(rec_database_put, {d.id, num(std::uint64_t{d.number}), num(d.ts), d.etag});
}

void emit_collection(const durable_log::emit_fn& emit, const database& d, const collection& c) {
  emit(rec_collection_put, {d.id, c.id, num(std::uint64_t{c.number}), num(c.ts), c.etag, c.body, c.pk_path,
                            num(std::uint64_t{c.partition_count}), num_double(c.throughput),
                            num(std::uint64_t{c.offer_number}), num(c.offer_ts), c.offer_etag});
}

void emit_document(const durable_log::emit_fn& emit, const database& d, const collection& c,
                   const stored_document& doc) {
  emit(rec_document_put, {d.id, c.id, doc.pk_key, doc.epk, doc.id, num(doc.rid_number), doc.etag, num(doc.ts),
                          doc.bytes, num(doc.seq)});
}

}  // namespace

void store::impl::record(std::uint8_t type, durable_log::fields fs) {
  if (log && !replaying) log->append(type, fs);
}

void store::impl::log_database(const database& d) {
  emit_database([this](std::uint8_t type, durable_log::fields fs) { record(type, fs); }, d);
}

void store::impl::log_collection(const database& d, const collection& c) {
  emit_collection([this](std::uint8_t type, durable_log::fields fs) { record(type, fs); }, d, c);
}

void store::impl::log_offer(const database& d, const collection& c) {
  record(rec_offer, {d.id, c.id, num_double(c.throughput), num(c.offer_ts), c.offer_etag});
}

void store::impl::log_counters() {
  record(rec_counters, {num(std::uint64_t{next_db_number}), num(std::uint64_t{next_coll_number}),
                        num(std::uint64_t{next_offer_number})});
}

void store::impl::log_document(const database& d, const collection& c, const stored_document& doc) {
  emit_document([this](std::uint8_t type, durable_log::fields fs) { record(type, fs); }, d, c, doc);
}

void store::impl::open_log() {
  log = std::make_unique<durable_log>(opt.data_dir);
  replaying = true;
  const auto loaded = log->load([&](std::uint8_t type, std::span<const std::string_view> f) { replay(type, f); });
  replaying = false;
  if (loaded.records > 0 || loaded.dropped_bytes > 0) {
    std::unique_lock lock(mu);
    compact();
  }
}

void store::impl::replay(std::uint8_t type, std::span<const std::string_view> f) {
  auto need = [&](std::size_t n) {
    if (f.size() < n) throw std::runtime_error("cosmos-emulator data dir: log record of type " + std::to_string(type) + " has too few fields");
  };
  switch (type) {
    case rec_database_put: {
      need(4);
      auto d = std::make_unique<database>();
      d->id = std::string(f[0]);
      d->number = parse_int<std::uint32_t>(f[1]);
      d->rid = database_rid(d->number);
      d->ts = parse_int<std::int64_t>(f[2]);
      d->etag = std::string(f[3]);
      next_db_number = std::max(next_db_number, d->number);
      if (!find_db(d->id)) databases.push_back(std::move(d));
      break;
    }
    case rec_database_delete: {
      need(1);
      std::erase_if(databases, [&](const auto& d) { return d->id == f[0]; });
      break;
    }
    case rec_collection_put: {
      need(12);
      database* d = find_db(f[0]);
      if (!d) break;
      std::erase_if(d->collections, [&](const auto& c) { return c->id == f[1]; });
      d->collections.push_back(make_collection(*d, std::string(f[1]), parse_int<std::uint32_t>(f[2]),
                                               parse_int<std::int64_t>(f[3]), std::string(f[4]), std::string(f[5]),
                                               std::string(f[6]), parse_int<std::uint32_t>(f[7]), parse_double(f[8]),
                                               parse_int<std::uint32_t>(f[9]), parse_int<std::int64_t>(f[10]),
                                               std::string(f[11])));
      break;
    }
    case rec_collection_delete: {
      need(2);
      if (database* d = find_db(f[0])) std::erase_if(d->collections, [&](const auto& c) { return c->id == f[1]; });
      break;
    }
    case rec_offer: {
      need(5);
      collection* c = find_coll(f[0], f[1]);
      if (!c) break;
      c->throughput = parse_double(f[2]);
      c->offer_ts = parse_int<std::int64_t>(f[3]);
      c->offer_etag = std::string(f[4]);
      for (auto& p : c->partitions) p->bucket.set_rate(partition_share(c->throughput, c->partition_count), steady_now());
      break;
    }
    case rec_document_put: {
      need(10);
      collection* c = find_coll(f[0], f[1]);
      if (!c) break;
      auto doc = std::make_shared<stored_document>();
      doc->pk_key = std::string(f[2]);
      doc->epk = std::string(f[3]);
      doc->id = std::string(f[4]);
      doc->key = document_key(doc->pk_key, doc->id);
      doc->rid_number = parse_int<std::uint64_t>(f[5]);
      doc->etag = std::string(f[6]);
      doc->ts = parse_int<std::int64_t>(f[7]);
      doc->bytes.reserve(f[8].size() + simdjson::SIMDJSON_PADDING);
      doc->bytes.append(f[8]);
      c->last_ts = std::max(c->last_ts, doc->ts);
      // The write sequence survives restarts, so continuation tokens issued before stay valid.
      doc->seq = parse_int<std::uint64_t>(f[9]);
      c->seq = std::max(c->seq, doc->seq);
      if (doc->rid_number > c->next_doc_number) c->next_doc_number = doc->rid_number;
      c->partitions[range_of(doc->epk, c->partition_count)]->put(std::move(doc));
      break;
    }
    case rec_document_delete: {
      need(3);
      collection* c = find_coll(f[0], f[1]);
      if (!c) break;
      for (auto& p : c->partitions) p->remove(f[2]);
      break;
    }
    case rec_counters: {
      need(3);
      next_db_number = std::max(next_db_number, parse_int<std::uint32_t>(f[0]));
      next_coll_number = std::max(next_coll_number, parse_int<std::uint32_t>(f[1]));
      next_offer_number = std::max(next_offer_number, parse_int<std::uint32_t>(f[2]));
      break;
    }
    default:
      throw std::runtime_error("cosmos-emulator data dir: unknown log record type " + std::to_string(type));
  }
}

void store::impl::compact() {
  log->rewrite([&](const durable_log::emit_fn& emit) {
    emit(rec_counters, {num(std::uint64_t{next_db_number}), num(std::uint64_t{next_coll_number}),
                        num(std::uint64_t{next_offer_number})});
    for (const auto& d : databases) {
      emit_database(emit, *d);
      for (const auto& c : d->collections) {
        emit_collection(emit, *d, *c);
        for (const auto& p : c->partitions) {
          for (const auto& [k, doc] : p->by_ts()) emit_document(emit, *d, *c, *doc);
        }
      }
    }
  });
}

std::uint64_t store::impl::live_bytes() const {
  std::uint64_t total = 0;
  for (const auto& d : databases) {
    for (const auto& c : d->collections) {
      total += c->body.size();
      for (const auto& p : c->partitions) {
        std::lock_guard lock(p->mutex);
        total += p->bytes() + p->size() * 96;  // record framing and metadata per document
      }
    }
  }
  return total;
}

void store::flush() {
  if (!impl_->log) return;
  impl_->log->flush();
  std::uint64_t live = 0;
  {
    std::shared_lock lock(impl_->mu);
    live = impl_->live_bytes();
  }
  if (impl_->log->size_bytes() > std::max<std::uint64_t>(impl_->opt.compaction_min_bytes, 2 * live)) {
    std::unique_lock lock(impl_->mu);
    impl_->log->flush();
    impl_->compact();
  }
}

}  // namespace idabus::emulator
