// The project's Cosmos client against cosmos-emulator under adverse conditions: throttling under a
// shared RU budget, injected faults, TLS and a restart with persisted data.
#include "integration/emulator_fixture.hpp"

#include "io/cosmos/errors.hpp"
#include "io/http/transport_error.hpp"
#include "pipeline/ru_budget.hpp"
#include "stages/ru_budget_gate.hpp"
#include "support/run_coro.hpp"
#include "support/scripted_server.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>

#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <stdexcept>
#include <optional>
#include <string>
#include <vector>

namespace {

namespace net = boost::asio;
namespace cosmos = idabus::io::cosmos;
namespace http = idabus::io::http;
using idabus::test::run_coro;
using namespace idabus::test::integration;

using namespace idabus::test::integration::itest;

std::string body_of(std::size_t i, const std::string& prefix) {
  return "{\"id\":\"" + prefix + std::to_string(i) + "\",\"objecttype\":\"type-" + std::to_string(i % 31) +
         "\",\"n\":" + std::to_string(i) + ",\"s\":\"\\u00e9\\n\"}";
}

std::vector<cosmos::bulk_operation> upserts(std::size_t from, std::size_t to, const std::string& prefix) {
  std::vector<cosmos::bulk_operation> ops;
  for (std::size_t i = from; i < to; ++i) {
    cosmos::bulk_operation op;
    op.type = cosmos::bulk_operation_type::upsert;
    op.partition_key = {cosmos::pk_component("type-" + std::to_string(i % 31))};
    op.id = prefix + std::to_string(i);
    op.body = body_of(i, prefix);
    ops.push_back(std::move(op));
  }
  return ops;
}

// Bulk-upserts documents [from, to) in requests of `batch` operations; throws unless all are 2xx.
net::awaitable<void> write_range(cosmos::client& client, std::size_t from, std::size_t to, std::size_t batch,
                                 std::string prefix) {
  for (std::size_t i = from; i < to; i += batch) {
    auto ops = upserts(i, std::min(to, i + batch), prefix);
    auto results = co_await client.bulk(db, coll, std::move(ops));
    for (const auto& r : results)
      if (r.status / 100 != 2)
        throw std::runtime_error("bulk upsert answered " + std::to_string(r.status) + ": " + r.message);
  }
}

void expect_exactly(const collected& got, std::size_t count, const std::string& prefix) {
  EXPECT_EQ(got.duplicates, 0u);
  EXPECT_EQ(got.raw_by_id.size(), count);
  for (std::size_t i = 0; i < count; ++i) {
    auto it = got.raw_by_id.find(prefix + std::to_string(i));
    if (it == got.raw_by_id.end()) {
      ADD_FAILURE() << "missing " << prefix << i;
      continue;
    }
    const auto body = body_of(i, prefix);
    EXPECT_EQ(it->second.compare(0, body.size() - 1, body, 0, body.size() - 1), 0) << it->second;
  }
}

cosmos::retry_options fast_retries() {
  cosmos::retry_options r;
  r.initial_backoff = std::chrono::milliseconds(5);
  r.max_backoff = std::chrono::milliseconds(100);
  r.max_transient_attempts = 10;
  return r;
}

}  // namespace

TEST(ClientUnderThrottling, EightWritersSharingOneBudgetLandEveryDocumentAndTheGateSeesThrottles) {
  emulator emu({"--partitions", "4", "--ru-per-second", "2000"});
  idabus::pipeline::ru_budget_options budget_options;
  budget_options.ru_per_second = 4000;  // twice what the server grants: it must throttle
  idabus::pipeline::ru_budget budget(budget_options);
  idabus::stages::ru_budget_gate gate(budget);
  constexpr std::size_t writers = 8;
  constexpr std::size_t per_writer = 200;
  const auto started = std::chrono::steady_clock::now();

  run_coro(
      [&](net::io_context& ctx) -> net::awaitable<void> {
        cosmos::client_options options;
        options.gate = &gate;
        session s(ctx, emu.connection(), options);
        co_await setup_collection(s.client);

        using op_type = decltype(net::co_spawn(ctx, write_range(s.client, 0, 0, 1, ""), net::deferred));
        std::vector<op_type> ops;
        const std::string prefix = "t-";
        for (std::size_t w = 0; w < writers; ++w)
          ops.push_back(net::co_spawn(ctx, write_range(s.client, w * per_writer, (w + 1) * per_writer, 50, prefix),
                                      net::deferred));
        auto done = co_await net::experimental::make_parallel_group(std::move(ops))
                        .async_wait(net::experimental::wait_for_one_error(), net::use_awaitable);
        auto& [order, errors] = done;
        for (auto i : order)
          if (errors[i]) std::rethrow_exception(errors[i]);

        // Count without the budget gate so the check itself is not paced.
        session reader(ctx, emu.connection());
        auto all = co_await collect_all(reader.client, db, coll, pk_path, select_all);
        expect_exactly(all, writers * per_writer, "t-");
      },
      std::chrono::seconds(40));

  const auto counters = budget.counters();
  const auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  EXPECT_GT(counters.throttles, 0u) << "a budget above the server's RU/s must meet 429s";
  EXPECT_GT(counters.consumed_ru, writers * per_writer * 4.0);
  EXPECT_LT(seconds, 15.0);
  std::printf("throttling: %zu documents, %.0f RU, %llu throttles, %.1f s\n", writers * per_writer,
              counters.consumed_ru, static_cast<unsigned long long>(counters.throttles), seconds);
}

TEST(ClientUnderFaults, RetriesHideInjected503sAndResetsAndEveryDocumentIsReadExactlyOnce) {
  emulator emu({"--partitions", "4", "--fault-503", "0.1", "--fault-reset", "0.05", "--seed", "7"});
  run_coro(
      [&](net::io_context& ctx) -> net::awaitable<void> {
        std::size_t retries_logged = 0;
        cosmos::client_options options;
        options.retry = fast_retries();
        options.log = [&retries_logged](std::string_view) { ++retries_logged; };
        session s(ctx, emu.connection(), options);
        co_await setup_collection(s.client);
        const std::string prefix = "f-";
        co_await write_range(s.client, 0, 1500, 100, prefix);
        auto all = co_await collect_all(s.client, db, coll, pk_path, select_all);
        expect_exactly(all, 1500, "f-");
        EXPECT_GT(retries_logged, 0u) << "with 15% faults some requests must have been retried";
      },
      std::chrono::seconds(40));
}

TEST(EmulatorAgainstHostileClients, AnUnsignedWriteIsRefusedFromItsHeadBeforeTheBodyIsSent) {
  emulator emu;
  auto port = static_cast<unsigned short>(std::stoi(emu.url.substr(emu.url.rfind(':') + 1)));
  net::io_context ctx;
  net::ip::tcp::socket socket(ctx);
  socket.connect({net::ip::make_address("127.0.0.1"), port});
  timeval five_seconds{5, 0};
  ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &five_seconds, sizeof five_seconds);
  // Announce a 4 MB document and send none of it: the answer must come from the head alone.
  const std::string head =
      "POST /dbs/" + db + "/colls/" + coll + "/docs HTTP/1.1\r\nHost: 127.0.0.1\r\n"
      "x-ms-date: Thu, 27 Apr 2017 00:51:12 GMT\r\nContent-Length: 4000000\r\n\r\n";
  net::write(socket, net::buffer(head));
  std::string answer;
  char chunk[4096];
  while (answer.find("\r\n\r\n") == std::string::npos) {
    auto n = ::recv(socket.native_handle(), chunk, sizeof chunk, 0);
    if (n <= 0) break;
    answer.append(chunk, static_cast<std::size_t>(n));
  }
  EXPECT_EQ(answer.rfind("HTTP/1.1 401", 0), 0u) << "got: " << answer.substr(0, 200);
}

TEST(ClientOverTls, WorksWithValidationDisabledAndFailsTheHandshakeOtherwise) {
  temp_dir dir;
  auto cert = idabus::test::make_self_signed_certificate();
  const auto cert_file = (dir.path / "cert.pem").string();
  const auto key_file = (dir.path / "key.pem").string();
  std::ofstream(cert_file) << cert.certificate_pem;
  std::ofstream(key_file) << cert.private_key_pem;
  emulator emu({"--tls-cert", cert_file, "--tls-key", key_file});
  ASSERT_EQ(emu.url.rfind("https://", 0), 0u) << emu.url;

  run_coro([&](net::io_context& ctx) -> net::awaitable<void> {
    session s(ctx, emu.connection(emulator_key, "DisableServerCertificateValidation=True;"));
    co_await setup_collection(s.client);
    std::vector<cosmos::pk_component> key;
    key.emplace_back(std::string("Person"));
    const std::string id = "tls";
    const std::string body = R"({"id":"tls","objecttype":"Person"})";
    co_await s.client.upsert_document(db, coll, body, key);
    auto read = co_await s.client.read_document(db, coll, id, key);
    EXPECT_TRUE(read.has_value());
  });

  std::optional<http::transport_error_kind> kind;
  std::string message;
  run_coro([&](net::io_context& ctx) -> net::awaitable<void> {
    cosmos::client_options options;
    options.retry.max_transient_attempts = 1;
    session s(ctx, emu.connection(), options);
    try {
      co_await s.client.read_account();
    } catch (const http::transport_error& e) {
      kind = e.kind();
      message = e.what();
    }
  });
  ASSERT_TRUE(kind.has_value()) << "an unverifiable certificate must fail the connection";
  EXPECT_EQ(*kind, http::transport_error_kind::tls_failed) << message;
}

TEST(ClientWithPersistence, DocumentsSurviveATerminatedAndRestartedEmulator) {
  temp_dir dir;
  std::optional<emulator> emu;
  emu.emplace(std::vector<std::string>{"--partitions", "4", "--data-dir", dir.path.string()});
  run_coro([&](net::io_context& ctx) -> net::awaitable<void> {
    session s(ctx, emu->connection());
    co_await setup_collection(s.client);
    const std::string prefix = "p-";
    co_await write_range(s.client, 0, 600, 100, prefix);
  });
  const int status = emu->process.terminate();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
  emu.reset();

  emu.emplace(std::vector<std::string>{"--partitions", "4", "--data-dir", dir.path.string()});
  run_coro([&](net::io_context& ctx) -> net::awaitable<void> {
    session s(ctx, emu->connection());
    auto all = co_await collect_all(s.client, db, coll, pk_path, select_all);
    expect_exactly(all, 600, "p-");
  });
}
