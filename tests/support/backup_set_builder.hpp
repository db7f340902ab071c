#pragma once
// backup_set_builder: writes backup sets for restore tests with io/files directly (chunk_encoder,
// write_tombstones, write_manifest), deterministic for the same spec: the layout the engine writes
// (DESIGN §7), without a Cosmos endpoint.

#include "io/files/atomic_file.hpp"
#include "io/files/chunk.hpp"
#include "io/files/manifest.hpp"
#include "io/files/tombstones.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace idabus::test {

struct chunk_spec {
  io::files::chunk_phase phase = io::files::chunk_phase::basis;
  std::vector<std::string> documents;  ///< raw JSON objects, one per line
};

struct collection_spec {
  std::string name = "Resources";
  std::string partition_key_path = "/objecttype";
  io::files::backup_type type = io::files::backup_type::full;
  std::optional<io::files::utc_time> since;        ///< incrementals
  std::optional<io::files::utc_time> delta_since;  ///< deltaSince
  std::vector<chunk_spec> chunks;
  std::optional<std::vector<io::files::tombstone>> tombstones;  ///< incrementals (issue 10)
};

struct set_spec {
  std::string id = "b1";
  std::string basis_started = "2026-11-30T01:00:00Z";
  std::string completed = "2026-11-30T01:10:00Z";
  std::vector<collection_spec> collections;
  bool with_manifest = true;  ///< false: a set whose backup never completed
};

inline io::files::utc_time utc(const std::string& text) {
  auto t = io::files::parse_utc_time(text);
  if (!t) throw std::invalid_argument("bad test time " + text);
  return *t;
}

/// A Resources document: {"id":..,"objecttype":..,"_rid":..,"_self":..,"_etag":..,"_attachments":..,"v":..,"_ts":..}.
inline std::string resource(const std::string& id, std::int64_t ts, const std::string& version = "1",
                            const std::string& objecttype = "Person") {
  return R"({"id":")" + id + R"(","objecttype":")" + objecttype + R"(","_rid":"r)" + id + R"(==","_self":"dbs/x/colls/y/docs/)" +
         id + R"(/","v":")" + version + R"(","_etag":"\"e)" + std::to_string(ts) + R"(\"","_attachments":"attachments/","_ts":)" +
         std::to_string(ts) + "}";
}

/// The same document as a restore file holds it (system properties stripped).
inline std::string restored(const std::string& id, std::int64_t ts, const std::string& version = "1",
                            const std::string& objecttype = "Person") {
  return R"({"id":")" + id + R"(","objecttype":")" + objecttype + R"(","v":")" + version + R"(","_ts":)" +
         std::to_string(ts) + "}";
}

inline io::files::tombstone deleted(const std::string& id, const std::string& when_utc,
                                    const std::string& objecttype = "Person") {
  return io::files::tombstone{id, io::json::scalar(objecttype), utc(when_utc), "ev-" + id};
}

/// "backup-20261130T010000Z-<id>".
inline std::string set_folder_name(const set_spec& spec) {
  std::string stamp;
  for (char c : spec.basis_started.substr(0, 19)) {
    if (c != '-' && c != ':') stamp.push_back(c);
  }
  return "backup-" + stamp + "Z-" + spec.id;
}

/// Writes the set into <folder>/<set_folder_name(spec)>/ and returns that directory.
inline std::filesystem::path write_backup_set(const std::filesystem::path& folder, const set_spec& spec) {
  namespace files = io::files;
  const auto dir = folder / set_folder_name(spec);
  std::filesystem::create_directories(dir);
  files::chunk_encoder encoder(3);
  files::manifest m;
  m.backup_id = spec.id;
  m.comment = "test";
  m.basis_started = utc(spec.basis_started);
  m.completed_time = utc(spec.completed);
  m.tool_version = "test";
  m.source.endpoint_host = "127.0.0.1";
  m.source.database = "idabus";
  for (const auto& c : spec.collections) {
    m.source.collections.push_back({c.name, c.partition_key_path});
    files::collection_manifest cm;
    cm.name = c.name;
    cm.type = c.type;
    cm.since = c.since;
    cm.delta_since = c.delta_since;
    std::filesystem::create_directories(dir / c.name);
    for (const auto& chunk : c.chunks) {
      std::string raw;
      for (const auto& d : chunk.documents) raw += d + "\n";
      const auto encoded = encoder.encode(raw);
      const auto file = c.name + "/" + files::chunk_file_name(static_cast<std::uint32_t>(cm.chunks.size() + 1));
      files::write_file_atomically(dir / file, encoded.bytes);
      cm.chunks.push_back({file, chunk.phase, chunk.documents.size(), raw.size(), encoded.bytes.size(), encoded.sha256,
                           std::nullopt, std::nullopt});
      cm.documents += chunk.documents.size();
      cm.raw_bytes += raw.size();
      cm.bytes += encoded.bytes.size();
    }
    if (c.tombstones) cm.tombstones = files::write_tombstones(dir, c.name, *c.tombstones, encoder);
    m.collections.push_back(std::move(cm));
  }
  if (spec.with_manifest) files::write_manifest(dir, m);
  return dir;
}

/// Flips one byte in the middle of a file (a corrupt chunk).
inline void flip_byte(const std::filesystem::path& file) {
  auto bytes = io::files::read_file(file);
  bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 0x5a);
  io::files::write_file_atomically(file, bytes);
}

}  // namespace idabus::test
