// importTool -exportRaw end to end: against cosmos-emulator processes started here (ephemeral
// ports), in-process through import_tool_main or as a child process for the signal tests, and
// against a scripted account for an import that fails as a whole.

#include "tools/importTool/commands.hpp"

#include "integration/emulator_fixture.hpp"
#include "io/cosmos/errors.hpp"
#include "io/files/import_checkpoint.hpp"
#include "io/files/restore_plan.hpp"
#include "support/run_coro.hpp"
#include "support/scripted_server.hpp"
#include "support/temp_dir.hpp"
#include "tests/tools/importTool/run_tool.hpp"

#include <boost/asio/io_context.hpp>

#include <gtest/gtest.h>
#include <simdjson.h>

#include <signal.h>
#include <sys/wait.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <mutex>
#include <regex>
#include <thread>

namespace idabus::import_tool {
namespace {

namespace fs = std::filesystem;
namespace net = boost::asio;
namespace it = idabus::test::integration;
using idabus::test::run_coro;
using test::run_in_process;
using test::slurp;
using test::tool_result;
using test::array_of;
using idabus::test::write_file;

const std::string restore_db = "restoredb";
const std::vector<std::string> types{"Person", "Group", "Set", "ManagementPolicyRule", "Person", "Person"};

// A Resource-like document; `version` changes with each restore file it appears in.
std::string resource(int i, int version = 1) {
  return R"({"id":"r)" + std::to_string(i) + R"(","objecttype":")" + types[static_cast<std::size_t>(i) % types.size()] +
         R"(","displayName":"Résource )" + std::to_string(i) + R"(","version":)" + std::to_string(version) +
         R"(,"attributes":{"department":"d)" + std::to_string(i % 7) + R"(","padding":")" + std::string(300, 'x') +
         R"("}})";
}



/// Restore files <collection>.000001.json.. in `folder`, `per_file` documents each.
void write_resources(const fs::path& folder, int files, int per_file, const std::string& collection = "Resources") {
  for (int f = 0; f < files; ++f) {
    std::vector<std::string> docs;
    for (int i = 0; i < per_file; ++i) docs.push_back(resource(f * per_file + i));
    write_file(folder / (collection + "." + std::string(6 - std::to_string(f + 1).size(), '0') + std::to_string(f + 1) + ".json"),
               array_of(docs));
  }
}

std::vector<std::string> export_args(const fs::path& restore, const std::string& connection, const std::string& collection,
                                     const std::string& key, std::vector<std::string> extra = {}) {
  std::vector<std::string> args{"-exportRaw", restore.string(), connection, restore_db, collection, key};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

// Every document of a collection by id (raw), read range by range.
std::map<std::string, std::string> documents_in(const it::emulator& emu, const std::string& collection,
                                                const std::string& key_path = "/objecttype") {
  return run_coro(
      [&](net::io_context& ctx) -> net::awaitable<std::map<std::string, std::string>> {
        it::session s(ctx, emu.connection());
        io::cosmos::query_spec every;  // named: GCC 12 corrupts a braced temporary in a co_await operand
        auto all = co_await it::collect_all(s.client, restore_db, collection, key_path, std::move(every));
        co_return all.raw_by_id;
      },
      std::chrono::seconds(60));
}

std::optional<int> offer_of(const it::emulator& emu, const std::string& collection) {
  return run_coro([&](net::io_context& ctx) -> net::awaitable<std::optional<int>> {
    it::session s(ctx, emu.connection());
    co_return co_await s.client.read_throughput(restore_db, collection);
  });
}

void create_collection(const it::emulator& emu, const std::string& collection, int throughput) {
  run_coro([&](net::io_context& ctx) -> net::awaitable<void> {
    it::session s(ctx, emu.connection());
    co_await s.client.create_database_if_missing(restore_db);
    co_await s.client.create_collection_if_missing(restore_db, collection, "/objecttype", throughput);
  });
}

bool collection_exists(const it::emulator& emu, const std::string& collection) {
  try {
    run_coro([&](net::io_context& ctx) -> net::awaitable<void> {
      it::session s(ctx, emu.connection());
      co_await s.client.read_partition_key_ranges(restore_db, collection);
    });
    return true;
  } catch (const io::cosmos::cosmos_error& e) {
    if (e.status() == 404) return false;
    throw;
  }
}

int version_of(const std::string& raw) {
  simdjson::dom::parser parser;
  std::int64_t v = -1;
  if (parser.parse(raw)["version"].get_int64().get(v) != simdjson::SUCCESS) return -1;
  return static_cast<int>(v);
}

std::uint64_t number_before(const std::string& text, const std::string& suffix) {
  std::smatch m;
  if (!std::regex_search(text, m, std::regex("([0-9]+)" + suffix))) return 0;
  return std::stoull(m[1].str());
}

// Polls `condition` every `every` until it holds or `limit` passes; true when it held.
template <class F>
bool eventually(F condition, std::chrono::milliseconds every = std::chrono::milliseconds(100),
                std::chrono::seconds limit = std::chrono::seconds(90)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(every);
  }
  return false;
}

}  // namespace

// ---- ordering, throttling and faults ----

// The specifications every --mode meets: bulk requests, or one upsert request per document.
class ExportRawModes : public ::testing::TestWithParam<std::string> {
 protected:
  std::vector<std::string> mode() const { return {"--mode", GetParam()}; }
  // "<n> bulk requests" or "<n> point requests" from the summary line.
  std::uint64_t requests(const std::string& out) const { return number_before(out, " " + GetParam() + " requests"); }
};
INSTANTIATE_TEST_SUITE_P(BulkAndPoint, ExportRawModes, ::testing::Values("bulk", "point"));

TEST_P(ExportRawModes, KeepsTheNewestVersionOfEachDocumentWithParallelism64) {
  // Injected 429s make the client re-send requests: a version re-sent after a later one was
  // written would win, unless each document's versions share one sub-lane and never travel
  // together (in one bulk request, or as point requests in flight at once).
  it::emulator emu({"--partitions", "4", "--ru-per-second", "10000", "--fault-429", "0.1", "--seed", "3"});
  idabus::test::temp_dir dir;
  const int per_file = 200;
  for (int f = 1; f <= 5; ++f) {
    std::vector<std::string> docs;
    for (int i = 0; i < per_file; ++i) docs.push_back(resource(i, f));
    write_file(dir.path / ("Resources.00000" + std::to_string(f) + ".json"), array_of(docs));
  }
  auto extra = mode();
  extra.insert(extra.end(), {"--parallelism", "64", "--create-collection"});
  auto r = run_in_process(export_args(dir.path, emu.connection(), "Resources", "objecttype", extra));
  ASSERT_EQ(r.code, exit_success) << r.err;
  EXPECT_GT(number_before(r.out, " of [0-9]+ operations throttled"), 0u) << r.out;
  if (GetParam() == "point") {
    EXPECT_GT(requests(r.out), static_cast<std::uint64_t>(5 * per_file)) << r.out;
  }
  const auto docs = documents_in(emu, "Resources");
  ASSERT_EQ(docs.size(), static_cast<std::size_t>(per_file));
  int stale = 0;
  for (const auto& [id, raw] : docs) stale += version_of(raw) != 5;
  EXPECT_EQ(stale, 0) << "documents left at an older version";
}

TEST_P(ExportRawModes, ARoundTripComparesEqual) {
  it::emulator emu({"--partitions", "4", "--ru-per-second", "10000"});
  idabus::test::temp_dir dir;
  write_resources(dir.path, 3, 300);
  // A later file rewrites some documents: --compare expects the newest version.
  std::vector<std::string> newer;
  for (int i = 0; i < 900; i += 7) newer.push_back(resource(i, 2));
  write_file(dir.path / "Resources.000004.json", array_of(newer));
  auto extra = mode();
  extra.push_back("--create-collection");
  auto r = run_in_process(export_args(dir.path, emu.connection(), "Resources", "objecttype", extra));
  ASSERT_EQ(r.code, exit_success) << r.err;
  const std::uint64_t sent = 900 + newer.size();
  EXPECT_NE(r.out.find("imported " + std::to_string(sent) + " of " + std::to_string(sent) + " documents"),
            std::string::npos) << r.out;
  if (GetParam() == "point") {
    EXPECT_GE(requests(r.out), sent) << r.out;
  } else {
    // Bulk batches documents: far fewer requests than documents (point mode sends one each).
    // The batch sizes follow the lanes' timing (104 requests under ASan at load 3, 9.9 per
    // request), so the bound is a quarter of the documents, not a tenth.
    EXPECT_LT(requests(r.out), sent / 4) << r.out;
  }
  auto compared = run_in_process({"--compare", dir.path.string(), emu.connection(), restore_db, "Resources", "objecttype"});
  EXPECT_EQ(compared.code, exit_success) << compared.out << compared.err;
  EXPECT_NE(compared.out.find("result: equal"), std::string::npos) << compared.out;
}

TEST_P(ExportRawModes, ADocumentTheServiceRefusesGoesToTheRejectFileWithItsReasonAndExitsThree) {
  it::emulator emu({"--partitions", "4", "--ru-per-second", "10000"});
  idabus::test::temp_dir dir;
  std::vector<std::string> docs;
  for (int i = 0; i < 40; ++i) docs.push_back(resource(i));
  docs[17] = R"({"id":"bad/id","objecttype":"Person"})";  // Cosmos refuses '/' in an id: 400
  write_file(dir.path / "Resources.000001.json", array_of(docs));
  auto extra = mode();
  extra.push_back("--create-collection");
  auto r = run_in_process(export_args(dir.path, emu.connection(), "Resources", "objecttype", extra));
  EXPECT_EQ(r.code, exit_partial) << r.err;
  const auto rejects = io::files::import_rejects_path(dir.path, restore_db, "Resources");
  EXPECT_NE(r.err.find("1 document(s) rejected, listed with the reason in " + rejects.string()), std::string::npos)
      << r.err;
  const std::string listed = slurp(rejects);
  EXPECT_EQ(listed.rfind(R"({"file":"Resources.000001.json","index":17,"id":"bad/id","partitionKey":"[\"Person\"]",)"
                         R"("status":400,)", 0), 0u) << listed;
  EXPECT_NE(listed.find("must not contain '/'"), std::string::npos) << listed;
  EXPECT_EQ(documents_in(emu, "Resources").size(), 39u);
}

TEST(ExportRawEndToEnd, ModePointInTheConfigFileWritesOneRequestPerDocument) {
  it::emulator emu({"--partitions", "4", "--ru-per-second", "10000"});
  idabus::test::temp_dir dir;
  write_resources(dir.path, 1, 50);
  write_file(dir.path / "appsettings.json", R"({"ImportTool":{"Mode":"point"}})");
  auto r = run_in_process(export_args(dir.path, emu.connection(), "Resources", "objecttype",
                                      {"--create-collection", "--config", (dir.path / "appsettings.json").string()}));
  ASSERT_EQ(r.code, exit_success) << r.err;
  EXPECT_EQ(number_before(r.out, " point requests"), 50u) << r.out;
  EXPECT_EQ(documents_in(emu, "Resources").size(), 50u);
}

TEST(ExportRawEndToEnd, ThrottlingAndFaultsSlowItDownButEveryDocumentArrives) {
  it::emulator emu({"--partitions", "4", "--ru-per-second", "2000", "--fault-503", "0.02", "--fault-reset", "0.01",
                    "--seed", "11"});
  idabus::test::temp_dir dir;
  write_resources(dir.path, 3, 500);
  auto r = run_in_process(export_args(dir.path, emu.connection(), "Resources", "/objecttype",
                                {"--ru-budget", "10000", "--create-collection"}));
  ASSERT_EQ(r.code, exit_success) << r.err;
  EXPECT_NE(r.out.find("imported 1500 of 1500 documents into restoredb/Resources"), std::string::npos) << r.out;
  const auto docs = documents_in(emu, "Resources");
  EXPECT_EQ(docs.size(), 1500u);
  for (int i = 0; i < 1500; i += 101) EXPECT_EQ(docs.count("r" + std::to_string(i)), 1u) << i;
}

// ---- --scale-throughput ----

TEST(ExportRawEndToEnd, ScaleThroughputRaisesTheOfferForTheImportAndPutsItBack) {
  it::emulator emu({"--partitions", "4"});
  create_collection(emu, "Scaled", 400);
  idabus::test::temp_dir dir;
  write_resources(dir.path, 2, 400);
  // Watches the offer while the import runs.
  std::atomic<bool> done{false};
  std::atomic<int> highest{0};
  std::thread watcher([&] {
    while (!done) {
      if (auto offer = offer_of(emu, "Scaled")) highest = std::max(highest.load(), *offer);
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
  auto r = run_in_process(export_args(dir.path / "Resources.000001.json", emu.connection(), "Scaled", "objecttype",
                                {"--scale-throughput", "4000"}));
  done = true;
  watcher.join();
  ASSERT_EQ(r.code, exit_success) << r.err;
  EXPECT_EQ(highest.load(), 4000);
  EXPECT_EQ(offer_of(emu, "Scaled"), 400);
  EXPECT_NE(r.err.find("throughput of restoredb/Scaled raised from 400 to 4000 RU/s"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("throughput of restoredb/Scaled put back to 400 RU/s"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("budget 4000 RU/s: offer 4000 RU/s over 4 ranges (1000 each)"), std::string::npos) << r.err;
  EXPECT_EQ(documents_in(emu, "Scaled").size(), 400u);
}

TEST(ExportRawProcess, ScaleThroughputIsPutBackAfterCtrlC) {
  it::emulator emu({"--partitions", "4"});
  create_collection(emu, "Interrupted", 400);
  idabus::test::temp_dir dir;
  write_resources(dir.path, 1, 3000);
  const auto err_file = dir.path / "stderr.txt";
  // --ru-budget 300: far too slow to finish before the signal.
  auto tool = test::tool_process(export_args(dir.path, emu.connection(), "Interrupted", "objecttype",
                                             {"--scale-throughput", "1000", "--ru-budget", "300"}),
                                 err_file);
  ASSERT_TRUE(eventually([&] { return offer_of(emu, "Interrupted") == 1000; })) << slurp(err_file);
  ASSERT_TRUE(eventually([&] { return slurp(err_file).find("budget ") != std::string::npos; }));
  ASSERT_EQ(::kill(tool.pid(), SIGINT), 0);
  const int status = tool.wait();
  const std::string err = slurp(err_file);
  ASSERT_TRUE(WIFEXITED(status)) << err;
  EXPECT_EQ(WEXITSTATUS(status), exit_interrupted) << err;
  EXPECT_EQ(offer_of(emu, "Interrupted"), 400) << err;
  EXPECT_NE(err.find("put back to 400 RU/s"), std::string::npos) << err;
  EXPECT_NE(err.find("rerun with --resume"), std::string::npos) << err;
}

TEST(ExportRawScripted, ScaleThroughputIsPutBackAfterAFailedImport) {
  // An account whose bulk requests fail as a whole (HTTP 500, not retried): the import fails
  // after the offer was raised, and the offer must be put back.
  std::mutex mutex;
  std::vector<std::string> events;  // "offer <n>", "bulk"
  int offer = 400;
  net::io_context server_ctx;
  idabus::test::scripted_server server(server_ctx.get_executor(), [&](const idabus::test::recorded_request& req) {
    using idabus::test::reply;
    std::lock_guard lock(mutex);
    if (req.target.ends_with("/pkranges")) {
      return reply::ok(R"({"PartitionKeyRanges":[{"id":"0","minInclusive":"","maxExclusive":"FF"}]})");
    }
    if (req.method == "GET" && req.target == "/offers") {
      const int current = offer;
      return reply::ok(R"({"Offers":[{"id":"o1","_rid":"o1","resource":"dbs/d/colls/c/","offerResourceId":"c1",)"
                       R"("content":{"offerThroughput":)" +
                       std::to_string(current) + "}}]}");
    }
    if (req.method == "PUT" && req.target.starts_with("/offers/")) {
      const auto at = req.body.find("\"offerThroughput\":") + 18;
      offer = std::stoi(req.body.substr(at, req.body.find('}', at) - at));
      events.push_back("offer " + std::to_string(offer));
      return reply::ok(req.body);
    }
    if (req.method == "POST" && req.target.ends_with("/docs")) {
      events.push_back("bulk");
      return reply::with_status(500, R"({"code":"InternalServerError","message":"disk on fire"})");
    }
    return reply::ok(R"({"id":"Resources","_rid":"c1","_self":"dbs/d/colls/c/"})");
  });
  std::thread server_thread([&] { server_ctx.run(); });
  idabus::test::temp_dir dir;
  write_resources(dir.path, 1, 20);
  auto r = run_in_process(export_args(dir.path, "AccountEndpoint=" + server.url() + "/;AccountKey=" + it::emulator_key + ";",
                                "Resources", "objecttype", {"--scale-throughput", "5000"}));
  server_ctx.stop();
  server_thread.join();
  EXPECT_EQ(r.code, exit_failed) << r.err;
  EXPECT_NE(r.err.find("disk on fire"), std::string::npos) << r.err;
  ASSERT_GE(events.size(), 3u) << r.err;
  EXPECT_EQ(events.front(), "offer 5000");
  EXPECT_EQ(events[1], "bulk");
  EXPECT_EQ(events.back(), "offer 400");
  EXPECT_NE(r.err.find("put back to 400 RU/s"), std::string::npos) << r.err;
}

// ---- --resume ----

TEST(ExportRawProcess, AKilledImportResumesWithoutResendingItsCompletedPrefix) {
  it::emulator emu({"--partitions", "4", "--ru-per-second", "10000"});
  create_collection(emu, "Resumed", 10000);
  idabus::test::temp_dir dir;
  const int total = 6000;
  write_resources(dir.path, 4, total / 4);
  const auto err_file = dir.path / "stderr.txt";
  {
    // About 2,500 RU/s against ~5.5 RU per document: over ten seconds to go.
    auto tool = test::tool_process(export_args(dir.path, emu.connection(), "Resumed", "objecttype",
                                               {"--ru-budget", "2500", "--parallelism", "2"}),
                                   err_file);
    ASSERT_TRUE(eventually([&] { return documents_in(emu, "Resumed").size() >= total / 2; },
                           std::chrono::milliseconds(500)))
        << slurp(err_file);
    ::kill(tool.pid(), SIGKILL);
    tool.wait();
  }
  ASSERT_LT(documents_in(emu, "Resumed").size(), static_cast<std::size_t>(total)) << "finished before the kill";
  auto r = run_in_process(export_args(dir.path, emu.connection(), "Resumed", "objecttype", {"--resume"}));
  ASSERT_EQ(r.code, exit_success) << r.err;
  // Operations sent by the rerun, re-sends after a 429 included.
  const auto sent = number_before(r.out, " operations throttled");
  EXPECT_GT(sent, 0u) << r.out;
  EXPECT_LT(sent, static_cast<std::uint64_t>(total) * 6 / 10) << r.out;
  EXPECT_NE(r.out.find("done before, resumed"), std::string::npos) << r.out;
  const auto docs = documents_in(emu, "Resumed");
  EXPECT_EQ(docs.size(), static_cast<std::size_t>(total));
  for (int i = 0; i < total; i += 97) EXPECT_EQ(docs.count("r" + std::to_string(i)), 1u) << i;
}

// ---- bad input: one line naming the problem, the documented exit code, nothing half-written ----

class ExportRawBadInput : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { emu_ = new it::emulator({"--partitions", "4", "--ru-per-second", "10000"}); }
  static void TearDownTestSuite() {
    delete emu_;
    emu_ = nullptr;
  }
  static std::size_t lines(const std::string& text) { return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')); }

  idabus::test::temp_dir dir;
  static it::emulator* emu_;
};
it::emulator* ExportRawBadInput::emu_ = nullptr;

TEST_F(ExportRawBadInput, ARestoreFileThatIsNotAJsonArrayNamesTheFileAndWritesNothing) {
  write_resources(dir.path, 1, 10, "NotArray");
  write_file(dir.path / "NotArray.000002.json", R"({"id":"a","objecttype":"Person"})");
  auto r = run_in_process(export_args(dir.path, emu_->connection(), "NotArray", "objecttype", {"--create-collection"}));
  EXPECT_EQ(r.code, exit_failed);
  EXPECT_EQ(lines(r.err), 1u) << r.err;
  EXPECT_EQ(r.err.rfind("importTool: ", 0), 0u) << r.err;
  EXPECT_NE(r.err.find("NotArray.000002.json"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("not a JSON array"), std::string::npos) << r.err;
  EXPECT_FALSE(collection_exists(*emu_, "NotArray"));
  EXPECT_FALSE(fs::exists(io::files::import_checkpoint_path(dir.path, restore_db, "NotArray")));
}

TEST_F(ExportRawBadInput, ADocumentWithoutThePartitionKeyIsRejectedWithItsReasonAndExitsThree) {
  std::vector<std::string> docs{resource(1), R"({"id":"orphan","displayName":"no type"})", resource(2)};
  write_file(dir.path / "Rejects.000001.json", array_of(docs));
  auto r = run_in_process(export_args(dir.path, emu_->connection(), "Rejects", "objecttype", {"--create-collection"}));
  EXPECT_EQ(r.code, exit_partial) << r.err;
  const auto rejects = io::files::import_rejects_path(dir.path, restore_db, "Rejects");
  EXPECT_NE(r.err.find("1 document(s) rejected, listed with the reason in " + rejects.string()), std::string::npos)
      << r.err;
  EXPECT_EQ(slurp(rejects),
            R"({"file":"Rejects.000001.json","index":1,"id":"orphan","partitionKey":"","status":0,"substatus":0,)"
            R"("reason":"the document has no value at the partition key path /objecttype"})" "\n");
  EXPECT_EQ(documents_in(*emu_, "Rejects").size(), 2u);
  // A rerun with --resume has nothing left to do and still reports the rejection.
  auto again = run_in_process(export_args(dir.path, emu_->connection(), "Rejects", "objecttype", {"--resume"}));
  EXPECT_EQ(again.code, exit_partial) << again.err;
  EXPECT_EQ(lines(slurp(rejects)), 1u);
}

TEST_F(ExportRawBadInput, AWrongConnectionStringIsAUsageError) {
  write_resources(dir.path, 1, 5);
  auto r = run_in_process(export_args(dir.path, "AccountEndpoint=" + emu_->url + "/;AcountKey=abc;", "C", "objecttype"));
  EXPECT_EQ(r.code, exit_usage);
  EXPECT_EQ(r.err, "importTool: <connectionString>: connection string: AccountKey is missing\n" +
                       std::string(usage_line(command::export_raw)) + "\n");
}

TEST_F(ExportRawBadInput, AWrongKeyIsAnAuthenticationFailureThatNeverShowsTheKey) {
  write_resources(dir.path, 1, 5, "WrongKey");
  const std::string wrong = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
  auto r = run_in_process(export_args(dir.path, emu_->connection(wrong), "WrongKey", "objecttype", {"--create-collection"}));
  EXPECT_EQ(r.code, exit_failed);
  EXPECT_EQ(lines(r.err), 1u) << r.err;
  EXPECT_NE(r.err.find("authentication failed (HTTP 401)"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find(wrong), std::string::npos);
  EXPECT_FALSE(collection_exists(*emu_, "WrongKey"));
}

TEST_F(ExportRawBadInput, AMissingCollectionIsNamedAndNotCreatedWithoutCreateCollection) {
  write_resources(dir.path, 1, 5, "Missing");
  auto r = run_in_process(export_args(dir.path, emu_->connection(), "Missing", "objecttype"));
  EXPECT_EQ(r.code, exit_failed);
  EXPECT_EQ(r.err, "importTool: collection restoredb/Missing does not exist (nor perhaps its database); create it or "
                   "pass --create-collection\n");
  EXPECT_FALSE(collection_exists(*emu_, "Missing"));
  EXPECT_FALSE(fs::exists(io::files::import_checkpoint_path(dir.path, restore_db, "Missing")));
}

TEST_F(ExportRawBadInput, ACollectionItsRestorePlanListsWithoutDocumentsImportsNothing) {
  // generate's output: Resources with documents, Empty listed without files (no documents).
  write_resources(dir.path, 1, 5);
  io::files::restore_plan plan;
  io::files::plan_collection resources, empty;
  resources.name = "Resources";
  const auto file = dir.path / "Resources.000001.json";
  resources.files = {{file.filename().string(), 5, fs::file_size(file), std::string(64, 'a')}};
  empty.name = "Empty";
  plan.collections = {resources, empty};
  io::files::write_restore_plan(dir.path, plan);
  auto r = run_in_process(export_args(dir.path, emu_->connection(), "Empty", "objecttype", {"--create-collection"}));
  EXPECT_EQ(r.code, exit_success) << r.out << r.err;
  EXPECT_EQ(r.err.find("importing those of Resources"), std::string::npos) << r.err;
  EXPECT_TRUE(documents_in(*emu_, "Empty").empty());
}

TEST_F(ExportRawBadInput, AnUnreachableAccountIsNamed) {
  std::string url;
  {
    it::emulator gone;
    url = gone.url;
  }
  write_resources(dir.path, 1, 5, "C");
  auto r = run_in_process(export_args(dir.path, "AccountEndpoint=" + url + "/;AccountKey=" + it::emulator_key + ";", "C",
                                "objecttype"));
  EXPECT_EQ(r.code, exit_failed);
  EXPECT_EQ(lines(r.err), 1u) << r.err;
  EXPECT_NE(r.err.find("cannot connect to " + url), std::string::npos) << r.err;
}

TEST_F(ExportRawBadInput, NestedPartitionKeyPathsWorkWithAndWithoutALeadingSlash) {
  for (const std::string path : {"/meta/type", "meta/type"}) {
    const std::string collection = path.starts_with('/') ? "NestedSlash" : "Nested";
    std::vector<std::string> docs;
    for (int i = 0; i < 30; ++i) {
      docs.push_back(R"({"id":"n)" + std::to_string(i) + R"(","meta":{"type":"T)" + std::to_string(i % 3) + R"("}})");
    }
    write_file(dir.path / (collection + ".000001.json"), array_of(docs));
    auto r = run_in_process(export_args(dir.path, emu_->connection(), collection, path, {"--create-collection"}));
    EXPECT_EQ(r.code, exit_success) << path << ": " << r.err;
    EXPECT_EQ(documents_in(*emu_, collection, "/meta/type").size(), 30u) << path;
  }
}

TEST_F(ExportRawBadInput, ADryRunInPointModeCountsOneUpsertRequestPerDocument) {
  create_collection(*emu_, "DryPoint", 10000);
  std::vector<std::string> docs;
  for (int i = 0; i < 30; ++i) docs.push_back(resource(i));
  docs.push_back(R"({"id":"nokey"})");
  write_file(dir.path / "DryPoint.000001.json", array_of(docs));
  auto r = run_in_process(export_args(dir.path, emu_->connection(), "DryPoint", "objecttype", {"--dry-run", "--mode", "point"}));
  EXPECT_EQ(r.code, exit_success) << r.err;
  EXPECT_NE(r.out.find("in 30 point requests (one upsert per document)"), std::string::npos) << r.out;
  EXPECT_TRUE(documents_in(*emu_, "DryPoint").empty());
}

TEST_F(ExportRawBadInput, ADryRunReportsTheEstimateAndTheBoundAndWritesNothing) {
  create_collection(*emu_, "Dry", 10000);
  write_resources(dir.path, 2, 300, "Dry");
  auto r = run_in_process(export_args(dir.path, emu_->connection(), "Dry", "objecttype", {"--dry-run"}));
  EXPECT_EQ(r.code, exit_success) << r.err;
  EXPECT_NE(r.out.find("dry run, nothing written: 600 documents"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("in 2 files"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("estimated "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("budget 10000 RU/s: offer 10000 RU/s over 4 ranges (2500 each)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("bound: "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("(set by range "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("estimated time "), std::string::npos) << r.out;
  EXPECT_TRUE(documents_in(*emu_, "Dry").empty());
  EXPECT_FALSE(fs::exists(io::files::import_checkpoint_path(dir.path, restore_db, "Dry")));
}

}  // namespace idabus::import_tool
