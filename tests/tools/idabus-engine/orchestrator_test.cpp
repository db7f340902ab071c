#include "tools/idabus-engine/orchestrator.hpp"

#include "engine_fixture.hpp"
#include "support/co_assert.hpp"
#include "support/run_coro.hpp"
#include "tools/idabus-engine/time_format.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include <gtest/gtest.h>

#include <set>

#include <sys/wait.h>

namespace idabus::engine {
namespace {

using namespace idabus::engine::testing;
using idabus::test::run_coro;


struct Orchestrator : ::testing::Test {
  engine_env env;

  void run(scripted_pass& pass, std::function<net::awaitable<void>(engine_host&)> body) {
    run_coro([&](net::io_context& ctx) -> net::awaitable<void> {
      engine_host host(ctx.get_executor(), env.settings, pass.as_pass());
      pass.host = &host;
      std::function<net::awaitable<void>()> inner = [&]() { return body(host); };
      co_await with_host(host, std::move(inner));
    }, std::chrono::seconds(60));
  }
};

net::awaitable<backup_event> event_of(engine_host& host, std::string id) {
  auto doc = co_await host.documents().read_event(std::move(id));
  if (!doc) throw std::runtime_error("event missing");
  co_return parse_backup_event(doc->body);
}

net::awaitable<start_result> start_backup(engine_host& host, std::string spec_json, std::filesystem::path folder) {
  auto spec = parse_backup_spec(spec_json);
  co_return co_await host.backups().start(std::move(spec), std::move(spec_json), std::move(folder), "t");
}

TEST_F(Orchestrator, RunsThePhasesInOrderAndRestoresTheModesItFound) {
  scripted_pass pass;
  pass.totals[static_cast<int>(collection_kind::events)].documents = 7;
  run(pass, [&](engine_host& host) -> net::awaitable<void> {
    const system_modes before{true, false};
    co_await host.modes().set(before);
    auto started = co_await start_backup(host, R"({"Events":{"isincluded":true},"Resources":{"isincluded":true}})", env.roots);
    CO_ASSERT_EQ(started.outcome, start_outcome::started);
    co_await host.backups().wait_idle();
    auto e = co_await event_of(host, started.event_id);
    EXPECT_EQ(e.status, backup_status::completed) << e.error;
    EXPECT_EQ(e.phase, backup_phase::finalizing);
    EXPECT_EQ(e.modes_before, before);
    EXPECT_EQ(co_await host.modes().current(), before);
    CO_ASSERT_EQ(pass.calls.size(), 2u);
    EXPECT_EQ(pass.calls[0].request.kind, pass_kind::basis);
    EXPECT_EQ(pass.calls[0].modes, before);
    EXPECT_EQ(pass.calls[1].request.kind, pass_kind::delta);
    EXPECT_EQ(pass.calls[1].modes, (system_modes{true, true}));
    EXPECT_EQ(pass.calls[1].writes_in_flight, 0u);
    // Full basis pass; the delta pass re-reads from the basis start minus the 2 s margin.
    for (const auto& job : pass.calls[0].request.collections) EXPECT_FALSE(job.min_ts);
    CO_ASSERT_TRUE(e.timings.basis_started && e.timings.maintenance_started && e.timings.readonly_started &&
                   e.timings.readonly_ended && e.timings.finished);
    for (const auto& job : pass.calls[1].request.collections) EXPECT_EQ(job.min_ts, *e.timings.basis_started / 1000 - 2);
    // A full backup records the deletes made while its basis ran, in the delta pass only.
    for (const auto& job : pass.calls[0].request.collections) EXPECT_FALSE(job.deletes_since);
    for (const auto& job : pass.calls[1].request.collections) EXPECT_EQ(job.deletes_since, job.min_ts);
    EXPECT_LE(*e.timings.basis_started, *e.timings.maintenance_started);
    EXPECT_LE(*e.timings.maintenance_started, *e.timings.readonly_started);
    EXPECT_LE(*e.timings.readonly_started, *e.timings.readonly_ended);
    EXPECT_EQ(e[collection_kind::events].completed_ms, e.timings.readonly_ended);
    EXPECT_EQ(e[collection_kind::events].documents, 14u);  // basis + delta
    EXPECT_TRUE(std::filesystem::is_directory(e.folder));
    EXPECT_EQ(std::filesystem::path(e.folder).parent_path(), env.roots);
    // The lease is free again: the next backup starts.
    auto next = co_await start_backup(host, R"({"Events":{"isincluded":true}})", env.roots);
    EXPECT_EQ(next.outcome, start_outcome::started);
    co_await host.backups().wait_idle();
  });
}

net::awaitable<void> until_basis_pass_runs(scripted_pass& pass) {
  net::steady_timer t(co_await net::this_coro::executor);
  while (pass.calls.empty()) {
    t.expires_after(std::chrono::milliseconds(5));
    co_await t.async_wait(net::use_awaitable);
  }
}

TEST_F(Orchestrator, CancelInBasisRestoresModesAndMarksTheEventCanceled) {
  scripted_pass pass;
  pass.hold_basis = true;
  run(pass, [&](engine_host& host) -> net::awaitable<void> {
    const system_modes before{false, false};
    auto started = co_await start_backup(host, R"({"Events":{"isincluded":true}})", env.roots);
    CO_ASSERT_EQ(started.outcome, start_outcome::started);
    co_await until_basis_pass_runs(pass);
    EXPECT_EQ(host.backups().local_phase(), backup_phase::basis);
    EXPECT_TRUE(host.backups().cancel());
    co_await host.backups().wait_idle();
    auto e = co_await event_of(host, started.event_id);
    EXPECT_EQ(e.status, backup_status::canceled);
    EXPECT_EQ(e.phase, backup_phase::basis);
    EXPECT_TRUE(e.timings.finished);
    EXPECT_EQ(co_await host.modes().current(), before);
    EXPECT_EQ(pass.calls.size(), 1u);
    EXPECT_FALSE(host.backups().cancel());
  });
}

TEST_F(Orchestrator, CancelInTheDeltaPassRestoresModesAndMarksCanceled) {
  scripted_pass pass;
  pass.hold_delta = true;
  pass.on_delta = [&pass] { pass.host->backups().cancel(); };
  run(pass, [&](engine_host& host) -> net::awaitable<void> {
    auto started = co_await start_backup(host, R"({"Events":{"isincluded":true}})", env.roots);
    co_await host.backups().wait_idle();
    auto e = co_await event_of(host, started.event_id);
    EXPECT_EQ(e.status, backup_status::canceled);
    EXPECT_EQ(e.phase, backup_phase::readonly);
    EXPECT_EQ(co_await host.modes().current(), (system_modes{false, false}));
  });
}

TEST_F(Orchestrator, AFailingPassMarksFailedWithTheCauseAndRestoresModes) {
  scripted_pass pass;
  run(pass, [&](engine_host& host) -> net::awaitable<void> {
    backup_pass failing = [](pass_request r, pass_progress*) -> net::awaitable<pass_result> {
      if (r.kind == pass_kind::delta) throw std::runtime_error("disk full");
      co_return pass_result{};
    };
    backup_lease lease(host.documents(), "failing-owner", std::chrono::seconds(3));
    metrics counters;
    orchestrator o(co_await net::this_coro::executor, host.documents(), host.modes(), lease, host.writes(),
                   host.writes(), counters, host.settings().backup, failing);
    auto spec = parse_backup_spec(R"({"Events":{"isincluded":true}})");
    auto started = co_await o.start(std::move(spec), "{}", env.roots, "t");
    co_await o.wait_idle();
    auto e = co_await event_of(host, started.event_id);
    EXPECT_EQ(e.status, backup_status::failed);
    EXPECT_EQ(e.error, "disk full");
    EXPECT_EQ(co_await host.modes().current(), (system_modes{false, false}));
  });
}

TEST_F(Orchestrator, ExceedingMaxReadOnlySecondsFailsAndRestoresModes) {
  env.settings.backup.max_read_only_seconds = 1;
  scripted_pass pass;
  pass.hold_delta = true;
  run(pass, [&](engine_host& host) -> net::awaitable<void> {
    auto started = co_await start_backup(host, R"({"Events":{"isincluded":true}})", env.roots);
    co_await host.backups().wait_idle();
    auto e = co_await event_of(host, started.event_id);
    EXPECT_EQ(e.status, backup_status::failed);
    EXPECT_NE(e.error.find("Backup.MaxReadOnlySeconds"), std::string::npos) << e.error;
    EXPECT_EQ(co_await host.modes().current(), (system_modes{false, false}));
  });
}

TEST_F(Orchestrator, IncrementalUsesTheGivenTimeElseTheLatestCompletedBackupElseFull) {
  scripted_pass pass;
  run(pass, [&](engine_host& host) -> net::awaitable<void> {
    auto first = co_await start_backup(host, R"({"Events":{"isincluded":true,"isincremental":true}})", env.roots);
    co_await host.backups().wait_idle();
    auto e1 = co_await event_of(host, first.event_id);
    EXPECT_FALSE(e1[collection_kind::events].incremental);
    EXPECT_EQ(e1[collection_kind::events].since_from, since_source::no_previous_backup);
    EXPECT_FALSE(pass.calls[0].request.collections[0].min_ts);

    auto second = co_await start_backup(host, R"({"Events":{"isincluded":true,"isincremental":true}})", env.roots);
    co_await host.backups().wait_idle();
    auto e2 = co_await event_of(host, second.event_id);
    EXPECT_TRUE(e2[collection_kind::events].incremental);
    EXPECT_EQ(e2[collection_kind::events].since_from, since_source::computed);
    EXPECT_EQ(e2[collection_kind::events].since_ms, e1[collection_kind::events].completed_ms);
    EXPECT_EQ(pass.calls[2].request.collections[0].min_ts, *e1[collection_kind::events].completed_ms / 1000 - 2);
    // The delta pass of an incremental records the deletes since the basis pass's bound (only there).
    EXPECT_FALSE(pass.calls[2].request.collections[0].deletes_since);
    EXPECT_EQ(pass.calls[3].request.kind, pass_kind::delta);
    EXPECT_EQ(pass.calls[3].request.collections[0].deletes_since, pass.calls[2].request.collections[0].min_ts);

    auto third = co_await start_backup(
        host, R"({"Events":{"isincluded":true,"isincremental":true,"previouscompletedtime":"2023-01-05T15:54:06.479Z"}})",
        env.roots);
    co_await host.backups().wait_idle();
    auto e3 = co_await event_of(host, third.event_id);
    EXPECT_EQ(e3[collection_kind::events].since_from, since_source::given);
    EXPECT_EQ(pass.calls[4].request.collections[0].min_ts, 1672934046 - 2);
    EXPECT_EQ(pass.calls[5].request.collections[0].deletes_since, 1672934046 - 2);
  });
}

net::awaitable<void> release_after_basis(scripted_pass* pass, std::optional<activity_counter::guard>* write) {
  // Waits until the backup is read-only, then keeps the "write" in flight a while longer (a
  // backup that did not drain would start its delta pass meanwhile), then finishes it.
  net::steady_timer t(co_await net::this_coro::executor);
  while (pass->host->backups().local_phase() != backup_phase::readonly) {
    t.expires_after(std::chrono::milliseconds(5));
    co_await t.async_wait(net::use_awaitable);
  }
  t.expires_after(std::chrono::milliseconds(300));
  co_await t.async_wait(net::use_awaitable);
  write->reset();
}

TEST(OrchestratorLease, ABackupCompletesWhenEveryLeaseRenewalLandsButLosesItsResponse) {
  // Every lease replace (each renewal, the release) runs and then has its response cut; the
  // client does not resend an If-Match replace, so the lease reads itself back (lease.hpp).
  engine_env env{std::vector<std::string>{"--fault-reset", "1", "--fault-only",
                                          "PUT /dbs/idabus/colls/Events/docs/idabus-backup-lease"}};
  scripted_pass pass;
  pass.hold_basis = true;
  run_coro([&](net::io_context& ctx) -> net::awaitable<void> {
    engine_host host(ctx.get_executor(), env.settings, pass.as_pass());
    pass.host = &host;
    std::function<net::awaitable<void>()> body = [&]() -> net::awaitable<void> {
      auto started = co_await start_backup(host, R"({"Events":{"isincluded":true}})", env.roots);
      CO_ASSERT_EQ(started.outcome, start_outcome::started);
      // Basis is held until two renewals landed (the create and two renewals: three etags), or
      // until the backup ended without them.
      std::set<std::string> etags;
      net::steady_timer poll(co_await net::this_coro::executor);
      while (etags.size() < 3 && host.backups().local_phase()) {
        if (auto lease = co_await host.documents().read_event(std::string(lease_document_id))) etags.insert(lease->etag);
        poll.expires_after(std::chrono::milliseconds(50));
        co_await poll.async_wait(net::use_awaitable);
      }
      pass.release();
      co_await host.backups().wait_idle();
      auto e = co_await event_of(host, started.event_id);
      EXPECT_EQ(e.status, backup_status::completed) << e.error;
      EXPECT_GE(etags.size(), 3u);
      auto lease = co_await host.documents().read_event(std::string(lease_document_id));
      CO_ASSERT_TRUE(lease.has_value());
      EXPECT_FALSE(parse_lease(lease->body, lease->etag).held()) << "the release landed too";
    };
    co_await with_host(host, std::move(body));
  }, std::chrono::seconds(60));
}

TEST_F(Orchestrator, TheDeltaPassStartsOnlyAfterWritesInFlightFinished) {
  scripted_pass pass;
  run(pass, [&](engine_host& host) -> net::awaitable<void> {
    std::optional<activity_counter::guard> write(host.writes().enter());
    net::co_spawn(co_await net::this_coro::executor, release_after_basis(&pass, &write), net::detached);
    auto started = co_await start_backup(host, R"({"Events":{"isincluded":true}})", env.roots);
    co_await host.backups().wait_idle();
    auto e = co_await event_of(host, started.event_id);
    EXPECT_EQ(e.status, backup_status::completed);
    CO_ASSERT_EQ(pass.calls.size(), 2u);
    EXPECT_EQ(pass.calls[0].writes_in_flight, 1u);
    EXPECT_EQ(pass.calls[1].writes_in_flight, 0u);
  });
}

TEST_F(Orchestrator, TwoEnginesOnOneDatabaseRunOneBackupAtATime) {
  scripted_pass pass_a, pass_b;
  pass_a.hold_basis = true;
  run_coro([&](net::io_context& ctx) -> net::awaitable<void> {
    engine_host a(ctx.get_executor(), env.settings, pass_a.as_pass());
    engine_host b(ctx.get_executor(), env.settings, pass_b.as_pass());
    pass_a.host = &a;
    pass_b.host = &b;
    std::function<net::awaitable<void>()> inner_b = [&]() -> net::awaitable<void> {
      const std::string target = "/api/v1/Backup/create?folderPathForBackup=" + env.roots.string();
      auto first = co_await a.http_api().handle(make_request("PUT", target, R"({"Events":{"isincluded":true}})"));
      EXPECT_EQ(first.status, 202u);
      auto second = co_await b.http_api().handle(make_request("PUT", target, R"({"Events":{"isincluded":true}})"));
      EXPECT_EQ(second.status, 409u);
      EXPECT_EQ(problem_type(second), "https://idabus.net/problems/backup-running");
      auto status_b = co_await b.http_api().handle(make_request("GET", "/api/v1/Backup/status"));
      EXPECT_EQ(status_b.body, "Basis");
      auto cancel_b = co_await b.http_api().handle(make_request("POST", "/api/v1/Backup/cancel"));
      EXPECT_EQ(cancel_b.status, 409u);
      a.backups().cancel();
      co_await a.backups().wait_idle();
      auto third = co_await b.http_api().handle(make_request("PUT", target, R"({"Events":{"isincluded":true}})"));
      EXPECT_EQ(third.status, 202u);
      co_await b.backups().wait_idle();
    };
    std::function<net::awaitable<void>()> inner_a = [&]() { return with_host(b, inner_b); };
    co_await with_host(a, std::move(inner_a));
  }, std::chrono::seconds(60));
  EXPECT_TRUE(pass_b.calls.size() == 2u);
}

TEST_F(Orchestrator, ARestartRecoversABackupWhoseEngineDied) {
  // A dead process id on this host: a child that has exited and been reaped.
  const pid_t dead = ::fork();
  if (dead == 0) ::_exit(0);
  ::waitpid(dead, nullptr, 0);
  scripted_pass pass;
  run_coro([&](net::io_context& ctx) -> net::awaitable<void> {
    // What a SIGKILLed engine leaves behind: modes changed, event Running, lease held.
    {
      engine_host crashed(ctx.get_executor(), env.settings, pass.as_pass());
      co_await crashed.documents().ensure_collections();
      backup_event e;
      e.id = "crashed-backup";
      e.status = backup_status::running;
      e.phase = backup_phase::readonly;
      e.modes_before = {true, false};
      e[collection_kind::events].included = true;
      co_await crashed.documents().upsert_event(e.id, to_json(e));
      co_await crashed.modes().set({true, true});
      lease_state l;
      l.owner = "dead-owner";
      l.host = host_name();
      l.pid = dead;
      l.event_id = e.id;
      l.expires_ms = now_ms() + 3'600'000;  // not expired: recovery must come from the dead pid
      co_await crashed.documents().upsert_event(std::string(lease_document_id), to_json(l));
    }
    engine_host restarted(ctx.get_executor(), env.settings, pass.as_pass());
    pass.host = &restarted;
    std::function<net::awaitable<void>()> inner = [&]() -> net::awaitable<void> {
      auto e = co_await event_of(restarted, "crashed-backup");
      EXPECT_EQ(e.status, backup_status::failed);
      EXPECT_NE(e.error.find("dead-owner"), std::string::npos);
      EXPECT_EQ(co_await restarted.modes().current(), (system_modes{true, false}));
      auto status = co_await restarted.http_api().handle(make_request("GET", "/api/v1/Backup/status"));
      EXPECT_EQ(status.status, 204u);
      auto started = co_await start_backup(restarted, R"({"Events":{"isincluded":true}})", env.roots);
      EXPECT_EQ(started.outcome, start_outcome::started);
      co_await restarted.backups().wait_idle();
    };
    co_await with_host(restarted, std::move(inner));
  }, std::chrono::seconds(60));
}

}  // namespace
}  // namespace idabus::engine
