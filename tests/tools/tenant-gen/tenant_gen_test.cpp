#include "tools/tenant-gen/tenant_gen.hpp"

#include "integration/emulator_fixture.hpp"
#include "support/child_process.hpp"
#include "support/run_coro.hpp"

#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>

#include <boost/asio/io_context.hpp>

#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace tg = idabus::tenant_gen;
namespace cosmos = idabus::io::cosmos;
namespace net = boost::asio;
using idabus::test::child_process;

namespace {

using idabus::test::emulator_key;
using idabus::test::integration::emulator;
using idabus::test::integration::session;

struct run_output {
  int code = -1;
  std::string out;
  std::string err;
};

run_output run_main(std::vector<std::string> args) {
  std::vector<std::string_view> views(args.begin(), args.end());
  std::ostringstream out, err;
  run_output r;
  r.code = tg::tenant_gen_main(views, out, err);
  r.out = out.str();
  r.err = err.str();
  return r;
}

// Every id in one collection, read range by range with the project's Cosmos client.
std::multiset<std::string> ids_in(const std::string& connection, const std::string& database,
                                  tg::collection_kind kind) {
  return idabus::test::run_coro([&](net::io_context& ctx) -> net::awaitable<std::multiset<std::string>> {
    session s(ctx, connection);
    const std::string collection(tg::collection_name(kind));
    auto ranges = co_await s.client.read_partition_key_ranges(database, collection);
    std::multiset<std::string> ids;
    for (const auto& range : ranges) {
      std::optional<std::string> continuation;
      do {
        cosmos::page_request req;
        req.database = database;
        req.collection = collection;
        req.query.text = "SELECT * FROM c";
        req.partition_key_path = std::string(tg::partition_key_path(kind));
        req.range_id = range.id;
        req.continuation = continuation;
        auto page = co_await s.client.query(std::move(req));
        for (const auto& d : page.documents) ids.insert(d.fields.id.value_or("<no id>"));
        continuation = page.continuation;
      } while (continuation);
    }
    co_return ids;
  });
}

void expect_complete_tenant(const std::string& connection, const std::string& database, std::uint64_t documents,
                            std::uint64_t seed) {
  tg::tenant_generator gen(tg::plan_tenant(documents, seed));
  for (auto kind : tg::all_collections) {
    std::multiset<std::string> expected;
    for (std::uint64_t i = 0; i < gen.plan().count(kind); ++i) expected.insert(gen.id_of(kind, i));
    EXPECT_EQ(ids_in(connection, database, kind), expected) << tg::collection_name(kind);
  }
}

std::uint64_t throttles_in(const std::string& summary) {
  std::smatch m;
  if (!std::regex_search(summary, m, std::regex("([0-9]+) of [0-9]+ operations throttled \\(429\\)"))) return 0;
  return std::stoull(m[1].str());
}

}  // namespace

TEST(TenantGenEndToEnd, WritesEveryDocumentAndARerunChangesNothing) {
  emulator emu;
  auto first = run_main({emu.connection(), "tenant", "--documents", "2000", "--seed", "5"});
  ASSERT_EQ(first.code, 0) << first.err;
  EXPECT_NE(first.out.find("Resources=1400 Events=400 WorkflowExecutions=200 (2000 documents)"), std::string::npos)
      << first.out;
  EXPECT_NE(first.out.find(" RU, "), std::string::npos) << first.out;
  EXPECT_NE(first.out.find("docs/s"), std::string::npos) << first.out;
  expect_complete_tenant(emu.connection(), "tenant", 2000, 5);

  // Upserts: the same seed again leaves exactly the same set of documents.
  auto second = run_main({emu.connection(), "tenant", "--documents", "2000", "--seed", "5", "--writers", "3"});
  ASSERT_EQ(second.code, 0) << second.err;
  expect_complete_tenant(emu.connection(), "tenant", 2000, 5);
  EXPECT_EQ(first.err.find(emulator_key), std::string::npos);
}

TEST(TenantGenEndToEnd, ServerThrottlingLosesNothing) {
  // The client paces each range at its share of the offer, so the server's own throttling is rare:
  // injected 429s make sure some requests are refused.
  emulator emu({"--ru-per-second", "1000", "--fault-429", "0.05"});
  auto r = run_main({emu.connection(), "slow", "--documents", "500", "--seed", "9", "--batch", "25"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_GT(throttles_in(r.out), 0u) << r.out;
  EXPECT_NE(r.out.find("(500 documents)"), std::string::npos) << r.out;
  // A run of several seconds reports progress on stderr (at most once a second).
  EXPECT_NE(r.err.find("/500 documents, "), std::string::npos) << r.err;
  expect_complete_tenant(emu.connection(), "slow", 500, 9);
}

TEST(TenantGenEndToEnd, ClientRuBudgetPacesTheWritesAtTheBudgetNotBelowIt) {
  // Unlimited server: the job-wide cap --ru-budget is the only limit, so the run must use it,
  // neither more (pacing) nor much less (utilization).
  emulator emu;
  const double budget = 2000;
  auto r = run_main({emu.connection(), "paced", "--documents", "1200", "--ru-budget", "2000"});
  ASSERT_EQ(r.code, 0) << r.err;
  std::smatch m;
  const std::string out = r.out;
  ASSERT_TRUE(std::regex_search(out, m, std::regex("([0-9.]+) RU, .* ([0-9.]+) s, "))) << out;
  const double ru = std::stod(m[1].str());
  const double seconds = std::stod(m[2].str());
  ASSERT_GT(ru, 3 * budget) << out;  // several seconds of budget, so start and end matter little
  const double rate = ru / seconds;
  // The buckets start empty; a charge above its estimate can overspend by one request's error.
  EXPECT_LE(rate, budget * 1.1) << out;
  EXPECT_GE(rate, budget * 0.75) << out;
  expect_complete_tenant(emu.connection(), "paced", 1200, 1);
}

TEST(TenantGenEndToEnd, ThroughputAppliesToTheCollectionsItCreates) {
  emulator emu;
  auto r = run_main({emu.connection(), "offers", "--documents", "10", "--throughput", "1200"});
  ASSERT_EQ(r.code, 0) << r.err;
  for (auto kind : tg::all_collections) {
    auto throughput = idabus::test::run_coro([&](net::io_context& ctx) -> net::awaitable<std::optional<int>> {
      session s(ctx, emu.connection());
      co_return co_await s.client.read_throughput("offers", std::string(tg::collection_name(kind)));
    });
    EXPECT_EQ(throughput, 1200) << tg::collection_name(kind);
  }
  expect_complete_tenant(emu.connection(), "offers", 10, 1);
}

TEST(TenantGenEndToEnd, RejectedDocumentsAreCountedAndTheFirstIsNamed) {
  emulator emu;
  // A Resources collection that already exists with another partition key path: the server
  // rejects every Resource (the key sent does not match the document's /id value).
  idabus::test::run_coro([&](net::io_context& ctx) -> net::awaitable<void> {
    session s(ctx, emu.connection());
    co_await s.client.create_database_if_missing("wrongkey");
    co_await s.client.create_collection_if_missing("wrongkey", "Resources", "/id");
  });
  auto r = run_main({emu.connection(), "wrongkey", "--documents", "100"});
  EXPECT_EQ(r.code, 4) << r.err;
  EXPECT_NE(r.out.find("Resources=0 Events=20 WorkflowExecutions=10 (30 documents, 70 failed)"), std::string::npos)
      << r.out;
  EXPECT_NE(r.err.find("tenant-gen: 70 document(s) failed to write; first: Resources "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("HTTP 400"), std::string::npos) << r.err;
}

TEST(TenantGenEndToEnd, WrongKeyIsACosmosFailureWithoutTheKey) {
  emulator emu;
  const std::string wrong = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
  auto r = run_main({emu.connection(wrong), "tenant", "--documents", "10"});
  EXPECT_EQ(r.code, 3);
  EXPECT_EQ(r.err.rfind("tenant-gen: ", 0), 0u) << r.err;
  EXPECT_NE(r.err.find("401"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find(wrong), std::string::npos);
  EXPECT_TRUE(r.out.empty());
}

TEST(TenantGenEndToEnd, UnreachableEndpointIsACosmosFailure) {
  // A port that was just free: nothing listens there.
  std::string url;
  {
    emulator emu;
    url = emu.url;
  }
  auto r = run_main({idabus::test::connection_string_for(url), "tenant", "--documents", "10"});
  EXPECT_EQ(r.code, 3);
  EXPECT_EQ(r.err.rfind("tenant-gen: ", 0), 0u) << r.err;
}

TEST(TenantGenProcess, ASecondSignalStopsAtOnceWhileWritesAreSuspended) {
  emulator emu;
  // A budget far below what 20,000 documents need: the writers sit suspended in the RU gate.
  child_process gen({idabus::test::program_path("tenant-gen"), emu.connection(), "signals", "--documents", "20000",
                     "--ru-budget", "100"});
  // The last collection it creates exists: the run is writing (or about to).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  for (;;) {
    try {
      idabus::test::run_coro([&](net::io_context& ctx) -> net::awaitable<void> {
        session s(ctx, emu.connection());
        co_await s.client.read_partition_key_ranges("signals", "WorkflowExecutions");
      });
      break;
    } catch (const std::exception&) {
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "tenant-gen never created its collections";
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  // Two signals that both arrive before the program handles either (a stopped process keeps
  // them pending; two different signals are not merged): the first cancels the run, the second
  // stops the event loop with coroutines still suspended, which are then destroyed with it.
  ASSERT_EQ(::kill(gen.pid(), SIGSTOP), 0);
  ASSERT_EQ(::kill(gen.pid(), SIGINT), 0);
  ASSERT_EQ(::kill(gen.pid(), SIGTERM), 0);
  const int status = gen.terminate(SIGCONT, std::chrono::seconds(20));
  // Under AddressSanitizer a use of the freed client, budget or gate ends the process with 1.
  ASSERT_TRUE(WIFEXITED(status)) << "status " << status;
  EXPECT_EQ(WEXITSTATUS(status), 130);
}

TEST(TenantGenMain, BadCommandLineExitsWithTwoAndNamesTheOption) {
  auto r = run_main({idabus::test::connection_string_for("http://127.0.0.1:1"), "tenant", "--documents", "many"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err.rfind("tenant-gen: --documents: expected", 0), 0u) << r.err;
}

TEST(TenantGenMain, HelpPrintsUsageAndSucceeds) {
  auto r = run_main({"--help"});
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("usage: tenant-gen"), std::string::npos);
}

TEST(SummaryLine, NamesEveryCollectionTheTotalsAndTheRate) {
  tg::run_summary s;
  s.written = {7, 2, 1};
  s.total_ru = 123.45;
  s.throttled_operations = 3;
  s.operations = 13;
  s.seconds = 2;
  EXPECT_EQ(tg::summary_line(s),
            "tenant-gen: wrote Resources=7 Events=2 WorkflowExecutions=1 (10 documents), 123.5 RU, "
            "3 of 13 operations throttled (429), 2.00 s, 5 docs/s");
  s.failed = 2;
  EXPECT_NE(tg::summary_line(s).find("2 failed"), std::string::npos);
}
