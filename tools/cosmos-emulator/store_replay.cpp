// The store's side of persistence (persistence.hpp frames, syncs and compacts the log): which
// record each change writes, how records replay into the catalog and partitions, the snapshot of
// the live state that compaction writes, and when compaction is due.
#include "tools/cosmos-emulator/store_impl.hpp"

#include "tools/cosmos-emulator/key_ranges.hpp"
#include "tools/cosmos-emulator/system_properties.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
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

void emit_document(const durable_log::emit_fn& emit, std::string_view db_id, std::string_view coll_id,
                   const stored_document& doc) {
  emit(rec_document_put, {db_id, coll_id, doc.pk_key, doc.epk, doc.id, num(doc.rid_number), doc.etag, num(doc.ts),
                          doc.bytes, num(doc.seq)});
}

// A record copied out of the live state (its fields owned).
struct owned_record {
  std::uint8_t type = 0;
  std::vector<std::string> fields;

  void emit_to(const durable_log::emit_fn& emit) const {
    std::vector<std::string_view> views(fields.begin(), fields.end());
    emit(type, std::span<const std::string_view>(views));
  }
};

durable_log::emit_fn copy_into(std::vector<owned_record>& out) {
  return [&out](std::uint8_t type, durable_log::fields fs) {
    out.push_back(owned_record{type, std::vector<std::string>(fs.begin(), fs.end())});
  };
}

// The live state at one log position: catalog records copied, documents shared (they are immutable).
struct captured_collection {
  std::string db_id;
  std::string coll_id;
  std::vector<document_ptr> documents;  // per partition, in (_ts, seq) order
};

struct captured_state {
  std::vector<owned_record> catalog;  // counters, then each database before its collections
  std::vector<captured_collection> collections;

  void produce(const durable_log::emit_fn& emit) const {
    for (const auto& r : catalog) r.emit_to(emit);
    for (const auto& c : collections) {
      for (const auto& doc : c.documents) emit_document(emit, c.db_id, c.coll_id, *doc);
    }
  }
};

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
  emit_document([this](std::uint8_t type, durable_log::fields fs) { record(type, fs); }, d.id, c.id, doc);
}

void store::impl::open_log() {
  log = std::make_unique<durable_log>(opt.data_dir);
  replaying = true;
  const auto loaded = log->load([&](std::uint8_t type, std::span<const std::string_view> f) { replay(type, f); });
  replaying = false;
  if (loaded.torn_tail_bytes > 0) {
    std::cerr << "cosmos-emulator: " << log->path().string() << ": the last record was incomplete (a torn write): "
              << "dropped 1 record, " << loaded.torn_tail_bytes << " bytes at byte offset " << loaded.torn_tail_offset
              << "; " << loaded.records << " records loaded" << std::endl;
  }
  if (loaded.records > 0 || loaded.torn_tail_bytes > 0) log->compact(take_snapshot());
  durable_log::background_hooks hooks;
  hooks.compaction_due = [this](std::uint64_t log_bytes) { return compaction_due(log_bytes); };
  hooks.take_snapshot = [this] { return take_snapshot(); };
  log->start(std::move(hooks));
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

durable_log::snapshot store::impl::take_snapshot() {
  auto state = std::make_shared<captured_state>();
  std::unique_lock lock(mu);  // no change is applied (and logged) meanwhile
  const std::uint64_t mark = log->mark();
  copy_into(state->catalog)(rec_counters, {num(std::uint64_t{next_db_number}), num(std::uint64_t{next_coll_number}),
                                           num(std::uint64_t{next_offer_number})});
  const auto catalog = copy_into(state->catalog);
  for (const auto& d : databases) {
    emit_database(catalog, *d);
    for (const auto& c : d->collections) {
      emit_collection(catalog, *d, *c);
      captured_collection& cc = state->collections.emplace_back(captured_collection{d->id, c->id, {}});
      for (const auto& p : c->partitions) {
        std::lock_guard plock(p->mutex);
        for (const auto& [k, doc] : p->by_ts()) cc.documents.push_back(doc);
      }
    }
  }
  return durable_log::snapshot{mark, [state](const durable_log::emit_fn& emit) { state->produce(emit); }};
}

bool store::impl::compaction_due(std::uint64_t log_bytes) const {
  if (log_bytes <= opt.compaction_min_bytes) return false;
  std::shared_lock lock(mu);
  return log_bytes > 2 * live_bytes();
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
  if (impl_->log) impl_->log->flush();
}

void store::when_durable(std::function<void(std::exception_ptr)> done) {
  if (impl_->log) {
    impl_->log->when_durable(std::move(done));
  } else {
    done(nullptr);
  }
}

}  // namespace idabus::emulator
