// Round trip (issue 9 item 7): a tenant in the real cosmos-emulator (4 partitions) → a full backup
// through the engine's Backup API → updates and inserts through the engine's write surface → an
// incremental backup → more changes (updates, inserts, deletes) → another incremental. Then, for T at each backup's completed
// time: `importTool --generateRestoreFiles` and `-exportRaw` of every collection into an empty
// database, and two checks that the restored collections equal the source as it was at T:
//   1. `importTool --compare` of the restore files with each restored collection (exit 0);
//   2. the test's own check: every document of the snapshot taken right after the backup
//      completed, byte for byte without the system properties the server adds (_rid, _self,
//      _etag, _attachments, _ts), against the restored collection read back, and nothing more.
// The engine's own state documents change after completedtime by design (the backup's own event
// is completed, the lease released, the modes put back), so those three are left out of check 2.
// importTool runs as a child process (build/bin/importTool), like an operator runs it.

#include "support/child_process.hpp"
#include "support/co_assert.hpp"
#include "support/run_coro.hpp"
#include "tools/idabus-engine/backup_check.hpp"
#include "tools/idabus-engine/lease.hpp"
#include "tools/idabus-engine/modes.hpp"
#include "io/files/manifest.hpp"
#include "io/json/write.hpp"

#include <gtest/gtest.h>
#include <simdjson.h>
#include <sys/wait.h>

#include <array>
#include <map>
#include <set>

namespace idabus::engine {
namespace {

using namespace idabus::engine::testing;
using idabus::test::run_coro;
namespace fs = std::filesystem;

struct collection_spec {
  std::string name, partition_key_path;
};
const std::array<collection_spec, 3> collections{{{"Resources", "/objecttype"}, {"Events", "/id"},
                                                  {"WorkflowExecutions", "/id"}}};

using documents = std::map<std::string, std::string>;  // id -> raw bytes as the server returns them
using snapshot = std::map<std::string, documents>;     // collection -> documents

struct tool_run {
  int code = -1;
  std::string out;
};

tool_run import_tool(std::vector<std::string> args) {
  args.insert(args.begin(), idabus::test::program_path("importTool"));
  test::child_process process(args);
  tool_run r;
  while (auto line = process.read_line(std::chrono::minutes(3))) r.out += *line + "\n";
  const int status = process.wait();
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

// The test's own reader: the document's top-level members in their order, as raw bytes, without
// the server's system properties. Independent of importTool's canonical form on purpose.
std::string without_system_properties(const std::string& raw) {
  static const std::set<std::string_view> system{"_rid", "_self", "_etag", "_attachments", "_ts"};
  simdjson::ondemand::parser parser;
  simdjson::padded_string padded(raw);
  auto doc = parser.iterate(padded);
  simdjson::ondemand::object object = doc.get_object().value();
  std::string out = "{";
  for (auto member : object) {
    simdjson::ondemand::field field;
    if (std::move(member).get(field)) throw std::runtime_error("malformed document");
    const std::string key(field.unescaped_key().value());
    if (system.contains(key)) continue;
    simdjson::ondemand::value value = field.value();
    std::string_view text;
    switch (value.type().value()) {
      case simdjson::ondemand::json_type::object: {
        simdjson::ondemand::object inner = value.get_object().value();
        text = inner.raw_json().value();
        break;
      }
      case simdjson::ondemand::json_type::array: {
        simdjson::ondemand::array inner = value.get_array().value();
        text = inner.raw_json().value();
        break;
      }
      default:
        text = value.raw_json_token();
        while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
    }
    if (out.size() > 1) out += ',';
    out += io::json::json_quote(key);
    out += ':';
    out += text;
  }
  return out + "}";
}

net::awaitable<snapshot> read_all(io::cosmos::client& client, std::string database) {
  snapshot out;
  for (const auto& c : collections) {
    io::cosmos::query_spec select_all;  // named: GCC 12 and braced temporaries in co_await
    auto got = co_await integration::collect_all(client, database, c.name, c.partition_key_path, select_all);
    EXPECT_EQ(got.duplicates, 0u) << c.name;
    out[c.name] = std::move(got.raw_by_id);
  }
  co_return out;
}

// Upserts through the engine's write surface (PUT /api/v1/Resources/{objecttype}/{id}): each one
// also writes a request event into Events.
net::awaitable<void> put_resources(engine_host& host, std::vector<gen::generated_document> docs, std::string marker) {
  for (auto& d : docs) {
    d.body.insert(d.body.size() - 1, R"(,"roundTrip":")" + marker + "\"");
    auto request = make_request("PUT", "/api/v1/Resources/" + d.partition_key + "/" + d.id, std::move(d.body));
    auto response = co_await host.http_api().handle(std::move(request));
    EXPECT_EQ(response.status / 100, 2u) << response.body;
  }
}

// Deletes through the engine's write surface (DELETE /api/v1/Resources/{objecttype}/{id}); the
// next incremental records them as tombstones.
net::awaitable<void> delete_resources(engine_host& host, std::vector<gen::generated_document> docs) {
  for (auto& d : docs) {
    auto request = make_request("DELETE", "/api/v1/Resources/" + d.partition_key + "/" + d.id);
    auto response = co_await host.http_api().handle(std::move(request));
    EXPECT_EQ(response.status, 204u) << response.body;
  }
}

struct RestoreRoundTrip : ::testing::Test {
  engine_env env{std::vector<std::string>{"--partitions", "4"}};
  const gen::tenant_generator tenant{gen::plan_tenant(2000, 17)};
  const gen::tenant_generator inserts{gen::plan_tenant(300, 18)};  // other seed: new ids
  RestoreRoundTrip() {
    env.settings.backup.chunk_bytes = 256 * 1024;  // several chunks per collection
    env.settings.backup.page_size = 200;
  }
  // The resources [first, first + count) of `g`.
  static std::vector<gen::generated_document> resources(const gen::tenant_generator& g, std::uint64_t first,
                                                        std::uint64_t count) {
    std::vector<gen::generated_document> out;
    for (std::uint64_t i = first; i < first + count && i < g.plan().count(gen::collection_kind::resources); ++i) {
      out.push_back(g.generate(gen::collection_kind::resources, i));
    }
    return out;
  }
};

TEST_F(RestoreRoundTrip, EachBackupRestoresTheCollectionsAsTheyWereAtItsCompletedTime) {
  struct point {
    std::string backup_id;
    fs::path folder;
    snapshot source;
  };
  std::vector<point> points;
  run_coro(
      [&](net::io_context& ctx) -> net::awaitable<void> {
        engine_host host(ctx.get_executor(), env.settings);
        std::function<net::awaitable<void>()> body = [&]() -> net::awaitable<void> {
          integration::session s(ctx, env.emu.connection());
          co_await load_tenant(s.client, tenant);
          const std::string all = R"({"Resources":{"isincluded":true},"Events":{"isincluded":true},)"
                                  R"("WorkflowExecutions":{"isincluded":true}})";
          const std::string incremental =
              R"({"Resources":{"isincluded":true,"isincremental":true},"Events":{"isincluded":true,"isincremental":true},)"
              R"("WorkflowExecutions":{"isincluded":true,"isincremental":true}})";
          for (int step = 0; step < 3; ++step) {
            if (step == 1) {  // updates and inserts
              co_await put_resources(host, resources(tenant, 0, 120), "first");
              co_await put_resources(host, resources(inserts, 0, 80), "first");
            } else if (step == 2) {  // more changes: updated twice or once, more inserts, deletes
              co_await put_resources(host, resources(tenant, 60, 120), "second");
              co_await put_resources(host, resources(inserts, 80, 80), "second");
              co_await delete_resources(host, resources(tenant, 400, 40));  // never changed before
              co_await delete_resources(host, resources(tenant, 100, 10));  // updated in both steps
              co_await delete_resources(host, resources(inserts, 0, 10));   // inserted in step 1
            }
            co_await let_the_margin_pass(env.settings);
            const auto event = co_await back_up(host, step == 0 ? all : incremental, env.roots);
            EXPECT_EQ(event.status, backup_status::completed) << event.error;
            CO_ASSERT_EQ(event.status, backup_status::completed);
            auto source = co_await read_all(s.client, "idabus");
            points.push_back(point{event.id, event.folder, std::move(source)});
          }
        };
        co_await with_host(host, std::move(body));
      },
      std::chrono::seconds(240));
  ASSERT_EQ(points.size(), 3u);

  for (std::size_t k = 0; k < points.size(); ++k) {
    SCOPED_TRACE("restore at the completed time of backup " + std::to_string(k + 1));
    const auto manifest = files::read_manifest(points[k].folder);
    const std::string t = files::format_utc_time(manifest.completed_time);
    const fs::path out = env.dir.path / ("restore-" + std::to_string(k + 1));
    auto generated = import_tool({"--generateRestoreFiles", env.roots.string(), out.string(),
                                  "Resources,Events,WorkflowExecutions", t});
    ASSERT_EQ(generated.code, 0) << generated.out;
    const std::string database = "restored" + std::to_string(k + 1);
    run_coro([&](net::io_context& ctx) -> net::awaitable<void> {
      integration::session s(ctx, env.emu.connection());
      co_await s.client.create_database_if_missing(database);
      for (const auto& c : collections) co_await s.client.create_collection_if_missing(database, c.name, c.partition_key_path);
    });
    for (const auto& c : collections) {
      auto exported = import_tool({"-exportRaw", out.string(), env.emu.connection(), database, c.name, c.partition_key_path});
      ASSERT_EQ(exported.code, 0) << c.name << "\n" << exported.out;
      auto compared = import_tool({"--compare", out.string(), env.emu.connection(), database, c.name, c.partition_key_path});
      EXPECT_EQ(compared.code, 0) << c.name << "\n" << compared.out;
      EXPECT_NE(compared.out.find("result: equal"), std::string::npos) << compared.out;
    }

    // The test's own check against the source at T.
    const auto restored = run_coro([&](net::io_context& ctx) -> net::awaitable<snapshot> {
      integration::session s(ctx, env.emu.connection());
      co_return co_await read_all(s.client, database);
    });
    const std::set<std::string> changed_after_t{points[k].backup_id, std::string(lease_document_id),
                                                std::string(modes_document_id)};
    for (const auto& c : collections) {
      const auto& want = points[k].source.at(c.name);
      const auto& got = restored.at(c.name);
      std::size_t compared = 0, wrong = 0;
      for (const auto& [id, raw] : want) {
        if (changed_after_t.contains(id)) continue;
        auto it = got.find(id);
        if (it == got.end()) {
          if (++wrong <= 3) ADD_FAILURE() << c.name << ": " << id << " was not restored";
          continue;
        }
        ++compared;
        if (without_system_properties(it->second) != without_system_properties(raw)) {
          if (++wrong <= 3) ADD_FAILURE() << c.name << ": " << id << " restored as\n" << it->second << "\nsource\n" << raw;
        }
      }
      for (const auto& [id, raw] : got) {
        if (!want.contains(id) && ++wrong <= 3) ADD_FAILURE() << c.name << ": " << id << " restored but not in the source";
      }
      EXPECT_EQ(wrong, 0u) << c.name;
      EXPECT_GT(compared, 0u) << c.name;
    }
  }
  // The three points differ: the restores really are at different times.
  EXPECT_LT(points[0].source.at("Resources").size(), points[1].source.at("Resources").size());
  const auto deleted = tenant.id_of(gen::collection_kind::resources, 400);
  EXPECT_TRUE(points[1].source.at("Resources").contains(deleted));
  EXPECT_FALSE(points[2].source.at("Resources").contains(deleted));
}

}  // namespace
}  // namespace idabus::engine
