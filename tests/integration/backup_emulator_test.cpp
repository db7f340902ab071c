// The backup pipeline (stages/run_backup) against the real cosmos-emulator with 4 partitions and
// a tenant from tenant-gen's generator. The chunks are checked independently of the writer's
// code: plain ZSTD_decompress, OpenSSL's one-shot SHA256 and simdjson for id and _ts.
#include "integration/emulator_fixture.hpp"
#include "integration/upsert_documents.hpp"

#include "io/files/backup_set.hpp"
#include "io/files/manifest.hpp"
#include "pipeline/cpu_pool.hpp"
#include "pipeline/stage_stats.hpp"
#include "stages/backup.hpp"
#include "support/run_coro.hpp"
#include "tools/tenant-gen/generator.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <gtest/gtest.h>
#include <openssl/sha.h>
#include <simdjson.h>
#include <zstd.h>

#include <ctime>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace {

namespace net = boost::asio;
namespace cosmos = idabus::io::cosmos;
namespace files = idabus::io::files;
namespace gen = idabus::tenant_gen;
namespace stages = idabus::stages;
using idabus::test::run_coro;
using namespace idabus::test::integration;

const std::string backup_db = "backup";

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::string sha256_of(const std::string& bytes) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), digest);
  std::string hex;
  char buf[3];
  for (auto b : digest) {
    std::snprintf(buf, sizeof buf, "%02x", b);
    hex += buf;
  }
  return hex;
}

struct backed_up_document {
  std::string raw;
  std::int64_t ts = 0;
};

// Every line of every chunk of one collection, checked against its manifest entry: id -> line.
// `duplicates` counts ids seen twice.
struct chunk_contents {
  std::map<std::string, backed_up_document> by_id;
  std::size_t duplicates = 0;
  std::size_t lines = 0;
};

chunk_contents read_chunks(const std::filesystem::path& set_dir, const stages::collection_result& result) {
  chunk_contents out;
  simdjson::ondemand::parser parser;
  for (const auto& entry : result.chunks) {
    const auto bytes = slurp(set_dir / entry.file);
    EXPECT_EQ(bytes.size(), entry.bytes) << entry.file;
    EXPECT_EQ(sha256_of(bytes), entry.sha256) << entry.file;
    const auto content_size = ZSTD_getFrameContentSize(bytes.data(), bytes.size());
    EXPECT_EQ(content_size, entry.raw_bytes) << entry.file;
    std::string text(entry.raw_bytes, '\0');
    const auto n = ZSTD_decompress(text.data(), text.size(), bytes.data(), bytes.size());
    EXPECT_FALSE(ZSTD_isError(n)) << entry.file;
    EXPECT_EQ(n, entry.raw_bytes) << entry.file;
    std::size_t docs = 0, pos = 0;
    std::int64_t min_ts = INT64_MAX, max_ts = INT64_MIN;
    while (pos < text.size()) {
      const auto end = text.find('\n', pos);
      const auto line = text.substr(pos, end - pos);
      pos = end + 1;
      ++docs;
      simdjson::padded_string padded(line);
      auto doc = parser.iterate(padded);
      const std::string id(std::string_view(doc["id"].get_string().value()));
      const std::int64_t ts = doc["_ts"].get_int64().value();
      min_ts = std::min(min_ts, ts);
      max_ts = std::max(max_ts, ts);
      if (!out.by_id.emplace(id, backed_up_document{line, ts}).second) ++out.duplicates;
    }
    out.lines += docs;
    EXPECT_EQ(docs, entry.documents) << entry.file;
    EXPECT_EQ(entry.min_ts, min_ts) << entry.file;
    EXPECT_EQ(entry.max_ts, max_ts) << entry.file;
  }
  return out;
}

std::vector<stages::backup_collection> tenant_collections() {
  std::vector<stages::backup_collection> out;
  for (auto kind : gen::all_collections) {
    stages::backup_collection c;
    c.name = std::string(gen::collection_name(kind));
    c.partition_key_path = std::string(gen::partition_key_path(kind));
    out.push_back(c);
  }
  return out;
}

stages::backup_options small_chunks() {
  stages::backup_options o;
  o.chunk_bytes = 256 * 1024;  // many chunks, so order and roll-over are exercised
  o.page_size = 100;
  o.range_concurrency = 4;
  o.compressors = 2;
  o.page_capacity = 2;
  return o;
}

// The manifest the engine would write for one pass, to check the verifier accepts the set.
files::manifest manifest_of(const stages::backup_result& result, std::optional<std::int64_t> since) {
  files::manifest m;
  m.backup_id = "itest";
  m.tool_version = "test";
  m.source.database = backup_db;
  for (const auto& c : result.collections) {
    files::collection_manifest cm;
    cm.name = c.name;
    cm.type = since ? files::backup_type::incremental : files::backup_type::full;
    if (since) cm.since = files::utc_time(std::chrono::seconds(*since));
    cm.documents = c.documents;
    cm.raw_bytes = c.raw_bytes;
    cm.bytes = c.bytes;
    cm.request_charge = c.request_charge;
    cm.chunks = c.chunks;
    m.collections.push_back(cm);
  }
  return m;
}

}  // namespace

TEST(BackupAgainstEmulator, FullBackupHoldsEveryDocumentOnceByteForByteAndIncrementalOnlyNewerOnes) {
  emulator emu({"--partitions", "4"});
  temp_dir dir;
  const auto full_dir = dir.path / "full";
  const auto incr_dir = dir.path / "incremental";
  idabus::pipeline::cpu_pool cpu(idabus::pipeline::cpu_pool_options{2, "cpu"});
  idabus::pipeline::cpu_pool file_thread(idabus::pipeline::cpu_pool_options{1, "files"});
  const gen::tenant_generator tenant(gen::plan_tenant(3000, 11));

  run_coro(
      [&](net::io_context& ctx) -> net::awaitable<void> {
        session s(ctx, emu.connection());
        co_await s.client.create_database_if_missing(backup_db);
        for (auto kind : gen::all_collections) {
          const std::string name(gen::collection_name(kind));
          const std::string path(gen::partition_key_path(kind));
          co_await s.client.create_collection_if_missing(backup_db, name, path);
          std::vector<gen::generated_document> docs;
          for (std::uint64_t i = 0; i < tenant.plan().count(kind); ++i) docs.push_back(tenant.generate(kind, i));
          co_await upsert_all(s.client, backup_db, name, std::move(docs));
        }

        // ---- full backup ----
        stages::backup_pass pass;
        pass.database = backup_db;
        pass.collections = tenant_collections();
        idabus::pipeline::stage_stats stats;
        const auto options = small_chunks();
        auto full = co_await stages::run_backup(s.client, cpu, file_thread, full_dir, pass, options, stats);
        EXPECT_EQ(full.collections.size(), 3u);
        std::int64_t newest_ts = 0;
        for (std::size_t k = 0; k < full.collections.size(); ++k) {
          const auto kind = gen::all_collections[k];
          const auto& result = full.collections[k];
          EXPECT_EQ(result.name, gen::collection_name(kind));
          EXPECT_EQ(result.ranges, 4u);
          EXPECT_GT(result.request_charge, 0);
          EXPECT_GT(result.chunks.size(), 1u) << result.name;
          const auto contents = read_chunks(full_dir, result);
          EXPECT_EQ(contents.duplicates, 0u);
          EXPECT_EQ(contents.lines, tenant.plan().count(kind));
          EXPECT_EQ(result.documents, tenant.plan().count(kind));
          // Byte for byte what the server returns for each document, and each generated id present.
          const std::string pk_path(gen::partition_key_path(kind));
          cosmos::query_spec select_all;  // named: GCC 12 and braced temporaries in co_await
          auto server = co_await collect_all(s.client, backup_db, result.name, pk_path, select_all);
          EXPECT_EQ(server.raw_by_id.size(), contents.by_id.size());
          for (const auto& [id, raw] : server.raw_by_id) {
            auto it = contents.by_id.find(id);
            if (it == contents.by_id.end()) {
              ADD_FAILURE() << result.name << " " << id << " is not in the backup";
              continue;
            }
            EXPECT_EQ(it->second.raw, raw) << id;
            newest_ts = std::max(newest_ts, it->second.ts);
          }
          for (std::uint64_t i = 0; i < tenant.plan().count(kind); i += 97) {
            EXPECT_TRUE(contents.by_id.count(tenant.id_of(kind, i))) << tenant.id_of(kind, i);
          }
          for (std::size_t i = 0; i < result.chunks.size(); ++i) {
            EXPECT_EQ(result.chunks[i].file, result.name + "/" + files::chunk_file_name(static_cast<std::uint32_t>(i + 1)));
            EXPECT_EQ(result.chunks[i].phase, files::chunk_phase::basis);
            EXPECT_LE(result.chunks[i].raw_bytes, small_chunks().chunk_bytes);
          }
        }
        files::write_manifest(full_dir, manifest_of(full, std::nullopt));
        files::verify_options deep;
        deep.decompress = true;
        EXPECT_EQ(files::verify_backup_set(full_dir, deep).status, files::set_status::complete);

        // ---- incremental: change some, add some, after the clock passed the full's newest _ts ----
        while (std::time(nullptr) <= newest_ts) {
          net::steady_timer timer(ctx, std::chrono::milliseconds(100));
          co_await timer.async_wait(net::use_awaitable);
        }
        std::set<std::string> changed_events;
        std::vector<gen::generated_document> events;
        for (std::uint64_t i = 0; i < 30; ++i) {
          auto d = tenant.generate(gen::collection_kind::events, i * 7);
          d.body.insert(d.body.size() - 1, ",\"changed\":true");
          changed_events.insert(d.id);
          events.push_back(std::move(d));
        }
        for (int i = 0; i < 20; ++i) {
          gen::generated_document d;
          d.id = "new-event-" + std::to_string(i);
          d.partition_key = d.id;
          d.body = "{\"id\":\"" + d.id + "\",\"eventType\":\"Request\"}";
          changed_events.insert(d.id);
          events.push_back(std::move(d));
        }
        const std::string events_collection = "Events";
        co_await upsert_all(s.client, backup_db, events_collection, std::move(events));

        stages::backup_pass incremental = pass;
        incremental.since_ts = newest_ts + 1;
        idabus::pipeline::stage_stats incr_stats;
        auto incr = co_await stages::run_backup(s.client, cpu, file_thread, incr_dir, incremental, options, incr_stats);
        EXPECT_EQ(incr.collections.size(), 3u);
        if (incr.collections.size() != 3u) co_return;
        EXPECT_EQ(incr.collections[0].documents, 0u);  // Resources unchanged
        EXPECT_TRUE(incr.collections[0].chunks.empty());
        EXPECT_EQ(incr.collections[2].documents, 0u);  // WorkflowExecutions unchanged
        const auto contents = read_chunks(incr_dir, incr.collections[1]);
        std::set<std::string> got;
        for (const auto& [id, doc] : contents.by_id) {
          got.insert(id);
          EXPECT_GE(doc.ts, newest_ts + 1) << id;
        }
        EXPECT_EQ(got, changed_events);
        EXPECT_EQ(contents.duplicates, 0u);
        cosmos::query_spec select_all;
        const std::string events_name = "Events", id_path = "/id";
        auto server = co_await collect_all(s.client, backup_db, events_name, id_path, select_all);
        for (const auto& [id, doc] : contents.by_id) EXPECT_EQ(doc.raw, server.raw_by_id[id]) << id;
        EXPECT_NE(contents.by_id.begin()->second.raw.find("\"changed\":true"), std::string::npos);
      },
      std::chrono::seconds(120));
}
