// bench_generate: importTool --generateRestoreFiles end to end (issue 9 item 8, second half): MB/s
// of raw JSON (the chain's uncompressed chunk bytes, each chunk counted once) next to
// `zstd -d -T0` of the same chunk files in the same run. A driver, not a Google Benchmark: one
// generate run is one measurement.
//
//   bench_generate [--documents 200000] [--updates 20000] [--deletes 2000] [--document-bytes 1000]
//                  [--chunk-bytes 8388608] [--parallelism 0] [--runs 3] [--dir PATH] [--keep]
//
// It writes a full backup set of --documents Resources documents (tenant-like objects of about
// --document-bytes, deterministic) and one incremental with --updates changed documents and
// --deletes tombstones, with io/files (chunk encoder level 3, manifest) into a scratch folder (or
// --dir), then alternates `zstd -d -T0 -c <chunks> > /dev/null` and generateRestoreFiles
// (in-process, import_tool_main) --runs times and prints the best of each and their ratio, plus this
// process's peak RSS (VmHWM). Files are served from the page cache in both.

#include "io/files/atomic_file.hpp"
#include "io/files/chunk.hpp"
#include "io/files/manifest.hpp"
#include "io/files/tombstones.hpp"
#include "tools/importTool/commands.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;
namespace files = idabus::io::files;
using clock_type = std::chrono::steady_clock;

struct bench_options {
  std::uint64_t documents = 200000;
  std::uint64_t updates = 20000;
  std::uint64_t deletes = 2000;
  std::size_t document_bytes = 1000;
  std::size_t chunk_bytes = 8u << 20;
  std::size_t parallelism = 0;
  int runs = 3;
  fs::path dir;
  bool keep = false;
};

bench_options parse(int argc, char** argv) {
  bench_options o;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::invalid_argument(arg + " needs a value");
      return argv[++i];
    };
    if (arg == "--documents") o.documents = std::stoull(value());
    else if (arg == "--updates") o.updates = std::stoull(value());
    else if (arg == "--deletes") o.deletes = std::stoull(value());
    else if (arg == "--document-bytes") o.document_bytes = std::stoull(value());
    else if (arg == "--chunk-bytes") o.chunk_bytes = std::stoull(value());
    else if (arg == "--parallelism") o.parallelism = std::stoull(value());
    else if (arg == "--runs") o.runs = std::stoi(value());
    else if (arg == "--dir") o.dir = value();
    else if (arg == "--keep") o.keep = true;
    else throw std::invalid_argument("unknown option " + arg);
  }
  if (o.updates > o.documents || o.deletes > o.documents) throw std::invalid_argument("more updates/deletes than documents");
  return o;
}

// xorshift: deterministic filler text.
struct random_text {
  std::uint64_t state = 0x9e3779b97f4a7c15ull;
  char next() {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return "abcdefghijklmnopqrstuvwxyz      ABCDEFGHIJ0123456789"[state % 52];
  }
};

const char* const types[] = {"Person", "Person", "Person", "Person", "Group", "Set", "WorkflowDefinition"};

std::string id_of(std::uint64_t i) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "00000000-0000-4000-8000-%012llu", static_cast<unsigned long long>(i));
  return buf;
}

std::string document(std::uint64_t i, std::int64_t ts, int version, std::size_t size, random_text& rng) {
  const auto id = id_of(i);
  std::string d = R"({"id":")" + id + R"(","objecttype":")" + types[i % 7] + R"(","displayName":"User )" +
                  std::to_string(i) + R"(","version":)" + std::to_string(version) +
                  R"(,"accountName":"u)" + std::to_string(i) + R"(","mail":"u)" + std::to_string(i) +
                  R"(@example.org","attributes":{"department":"D)" + std::to_string(i % 40) +
                  R"(","manager":null,"active":true},"description":")";
  const auto tail = R"(","_rid":"abc==","_self":"dbs/x/colls/y/docs/abc==/","_etag":"\"0000\"","_attachments":"attachments/","_ts":)" +
                    std::to_string(ts) + "}";
  while (d.size() + tail.size() < size) d.push_back(rng.next());
  return d + tail;
}

struct set_writer {
  fs::path dir;
  files::collection_manifest collection;
  files::chunk_encoder encoder{3};
  std::string pending;
  std::uint64_t pending_docs = 0;
  std::size_t chunk_bytes;
  std::vector<fs::path> chunk_files;

  void add(const std::string& doc) {
    pending += doc;
    pending += '\n';
    ++pending_docs;
    if (pending.size() >= chunk_bytes) flush();
  }
  void flush() {
    if (pending_docs == 0) return;
    const auto encoded = encoder.encode(pending);
    const auto file = "Resources/" + files::chunk_file_name(static_cast<std::uint32_t>(collection.chunks.size() + 1));
    files::write_file_atomically(dir / file, encoded.bytes);
    collection.chunks.push_back({file, files::chunk_phase::basis, pending_docs, pending.size(), encoded.bytes.size(),
                                 encoded.sha256, std::nullopt, std::nullopt});
    collection.documents += pending_docs;
    collection.raw_bytes += pending.size();
    collection.bytes += encoded.bytes.size();
    chunk_files.push_back(dir / file);
    pending.clear();
    pending_docs = 0;
  }
};

files::utc_time utc(const char* text) { return *files::parse_utc_time(text); }

// Writes one set; returns its chunk files.
// Writes one set of the documents `next` returns until it returns an empty string (streamed:
// the bench's own memory stays one chunk); returns its chunk files.
template <class Next>
std::vector<fs::path> write_set(const fs::path& folder, const std::string& name, files::manifest m,
                                files::collection_manifest c, const bench_options& o, Next next,
                                const std::vector<files::tombstone>& deleted) {
  set_writer w{folder / name, std::move(c), files::chunk_encoder(3), {}, 0, o.chunk_bytes, {}};
  fs::create_directories(w.dir / "Resources");
  for (auto d = next(); !d.empty(); d = next()) w.add(d);
  w.flush();
  w.collection.tombstones = files::write_tombstones(w.dir, "Resources", deleted, w.encoder);
  m.collections.push_back(w.collection);
  m.source.collections.push_back({"Resources", "/objecttype"});
  files::write_manifest(w.dir, m);
  return w.chunk_files;
}

std::string peak_rss() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmHWM:", 0) == 0) return line.substr(6);
  }
  return "?";
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const auto o = parse(argc, argv);
    const fs::path root = o.dir.empty() ? fs::temp_directory_path() / ("bench-generate-" + std::to_string(::getpid())) : o.dir;
    const auto backups = root / "backups";
    fs::create_directories(backups);

    const std::int64_t t0 = 1796000400;  // 2026-11-30T01:00:00Z
    random_text rng;
    std::uint64_t next_full = 0;
    auto full_documents = [&]() -> std::string {
      if (next_full == o.documents) return {};
      const auto i = next_full++;
      return document(i, t0 - 1000 + static_cast<std::int64_t>(i % 900), 1, o.document_bytes, rng);
    };
    files::manifest m;
    m.backup_id = "full";
    m.tool_version = "bench";
    m.source.database = "bench";
    m.basis_started = utc("2026-11-30T01:00:00Z");
    m.completed_time = utc("2026-11-30T01:10:00Z");
    files::collection_manifest c;
    c.name = "Resources";
    c.delta_since = utc("2026-11-30T00:59:58Z");
    auto chunks = write_set(backups, "backup-20261130T010000Z-full", m, c, o, full_documents, {});

    // The incremental: every (documents / updates)-th document changed, other ones deleted.
    std::vector<files::tombstone> deleted;
    const auto step = std::max<std::uint64_t>(1, o.documents / std::max<std::uint64_t>(1, o.updates));
    std::uint64_t next_update = 0, updates = 0;
    auto changed_documents = [&]() -> std::string {
      if (updates == o.updates || next_update >= o.documents) return {};
      const auto i = next_update;
      next_update += step;
      ++updates;
      return document(i, t0 + 3000, 2, o.document_bytes, rng);
    };
    for (std::uint64_t n = 0; n < o.deletes; ++n) {
      const auto i = (n * step + step / 2) % o.documents;
      deleted.push_back({id_of(i), idabus::io::json::scalar(std::string(types[i % 7])), utc("2026-11-30T01:30:00Z"), "ev"});
    }
    m.backup_id = "incr";
    m.basis_started = utc("2026-11-30T02:00:00Z");
    m.completed_time = utc("2026-11-30T02:05:00Z");
    c.type = files::backup_type::incremental;
    c.since = utc("2026-11-30T01:10:00Z");
    c.delta_since = utc("2026-11-30T01:59:58Z");
    const auto incremental = write_set(backups, "backup-20261130T020000Z-incr", m, c, o, changed_documents, deleted);
    chunks.insert(chunks.end(), incremental.begin(), incremental.end());

    std::uint64_t raw_bytes = 0, file_bytes = 0;
    for (const auto& p : chunks) file_bytes += fs::file_size(p);
    for (const auto& name : {"backup-20261130T010000Z-full", "backup-20261130T020000Z-incr"}) {
      raw_bytes += files::read_manifest(backups / name).collections.at(0).raw_bytes;
    }
    std::cout << "chain: " << o.documents << " documents + " << updates << " updates + " << deleted.size()
              << " deletes, " << chunks.size() << " chunks, " << raw_bytes << " raw JSON bytes, " << file_bytes
              << " file bytes\n";

    std::string zstd_command = "zstd -q -d -T0 -c";
    for (const auto& p : chunks) zstd_command += " '" + p.string() + "'";
    zstd_command += " > /dev/null";
    double best_zstd = 1e300, best_generate = 1e300;
    for (int run = 0; run < o.runs; ++run) {
      auto start = clock_type::now();
      if (std::system(zstd_command.c_str()) != 0) throw std::runtime_error("zstd -d failed");
      const double zstd_seconds = std::chrono::duration<double>(clock_type::now() - start).count();
      const auto out = root / ("out-" + std::to_string(run));
      std::vector<std::string> args{"--generateRestoreFiles", backups.string(), out.string(), "Resources",
                                    "2026-11-30T03:00:00Z"};
      if (o.parallelism) {
        args.push_back("--parallelism");
        args.push_back(std::to_string(o.parallelism));
      }
      std::vector<std::string_view> views(args.begin(), args.end());
      start = clock_type::now();
      const int code = idabus::import_tool::import_tool_main(views);
      const double generate_seconds = std::chrono::duration<double>(clock_type::now() - start).count();
      if (code != 0) throw std::runtime_error("generateRestoreFiles exited with " + std::to_string(code));
      if (run + 1 < o.runs || !o.keep) fs::remove_all(out);
      const double mb = static_cast<double>(raw_bytes) / 1e6;
      std::printf("run %d: zstd -d -T0 %.3f s (%.1f MB/s), generateRestoreFiles %.3f s (%.1f MB/s)\n", run + 1,
                  zstd_seconds, mb / zstd_seconds, generate_seconds, mb / generate_seconds);
      best_zstd = std::min(best_zstd, zstd_seconds);
      best_generate = std::min(best_generate, generate_seconds);
    }
    const double mb = static_cast<double>(raw_bytes) / 1e6;
    std::printf("best: zstd -d -T0 %.1f MB/s, generateRestoreFiles %.1f MB/s of raw JSON, ratio %.2f\n",
                mb / best_zstd, mb / best_generate, best_zstd / best_generate);
    std::cout << "peak RSS:" << peak_rss() << '\n';
    if (!o.keep) fs::remove_all(root);
    else std::cout << "kept " << root.string() << '\n';
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "bench_generate: " << e.what() << '\n';
    return 1;
  }
}
