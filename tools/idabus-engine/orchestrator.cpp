#include "tools/idabus-engine/orchestrator.hpp"

#include "io/cosmos/client.hpp"
#include "tools/idabus-engine/documents.hpp"
#include "tools/idabus-engine/time_format.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/channel.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <stdexcept>

namespace idabus::engine {

namespace {

using event_lock = net::experimental::channel<void(boost::system::error_code)>;

/// "backup-20230105T155406Z-<id>"
std::string set_folder_name(std::int64_t ms, const std::string& id) {
  auto iso = format_iso8601_ms(ms);  // 2023-01-05T15:54:06.479Z
  std::string compact;
  for (char c : iso.substr(0, 19)) {
    if (c != '-' && c != ':') compact += c;
  }
  return "backup-" + compact + "Z-" + id;
}

/// Runs `a` and `b` at once; the first to finish, with a value or an exception, cancels the other.
/// Returns which finished first (0 or 1) or rethrows its exception. (The `||` of Asio's
/// awaitable_operators waits for the first *success*, so a failing `a` would not stop `b`.)
net::awaitable<std::size_t> race(net::awaitable<void> a, net::awaitable<void> b) {
  auto ex = co_await net::this_coro::executor;
  auto result = co_await net::experimental::make_parallel_group(net::co_spawn(ex, std::move(a), net::deferred),
                                                                net::co_spawn(ex, std::move(b), net::deferred))
                    .async_wait(net::experimental::wait_for_one(), net::use_awaitable);
  auto& [order, error_a, error_b] = result;
  const std::size_t first = order[0];
  if (auto error = first == 0 ? error_a : error_b) std::rethrow_exception(error);
  co_return first;
}

net::awaitable<void> wait_for(std::chrono::steady_clock::duration duration) {
  net::steady_timer timer(co_await net::this_coro::executor, duration);
  co_await timer.async_wait(net::use_awaitable);
}

}  // namespace

struct orchestrator::running {
  explicit running(net::any_io_executor ex) : lock(ex, 1) {}
  backup_event event;
  std::int64_t basis_start_ms = 0;
  pass_progress progress;
  bool cancel_requested = false;
  bool cleaning_up = false;  ///< cancellation no longer applies
  bool lease_lost = false;
  std::chrono::steady_clock::time_point phase_started = std::chrono::steady_clock::now();
  std::filesystem::path set_folder;
  event_lock lock;  ///< serialises event writes (progress vs phase changes)
  pass_result totals{};
};

orchestrator::orchestrator(net::any_io_executor executor, store& documents, modes_registry& modes,
                           backup_lease& lease, activity_counter& writes, activity_counter& steps, metrics& counters,
                           backup_settings settings, backup_pass pass, backup_finalizer finalize)
    : executor_(executor),
      store_(documents),
      modes_(modes),
      lease_(lease),
      writes_(writes),
      steps_(steps),
      metrics_(counters),
      settings_(std::move(settings)),
      pass_(std::move(pass)),
      finalize_(std::move(finalize)),
      idle_(executor) {}

orchestrator::~orchestrator() = default;

collection_job orchestrator::job_for(collection_kind kind, std::optional<std::int64_t> min_ts) const {
  const auto& names = store_.names();
  collection_job job;
  job.kind = kind;
  job.container = kind == collection_kind::resources ? names.resources
                  : kind == collection_kind::events  ? names.events
                                                     : names.workflow_executions;
  job.partition_key_path = kind == collection_kind::resources ? "/objecttype" : "/id";
  job.min_ts = min_ts;
  return job;
}

net::awaitable<start_result> orchestrator::start(backup_spec spec, std::string spec_json, std::filesystem::path folder,
                                                 std::string comment) {
  if (current_ || starting_) co_return start_result{start_outcome::busy, {}};
  starting_ = true;
  std::unique_ptr<running> r;
  bool leased = false;
  std::exception_ptr failure;
  try {
    co_await recover_abandoned();
    const auto id = new_id();
    leased = co_await lease_.acquire(id);
    if (leased) {
      r = std::make_unique<running>(executor_);
      auto& e = r->event;
      e.id = id;
      e.comment = std::move(comment);
      e.created_ms = now_ms();
      e.owner = lease_.owner();
      e.specification = std::move(spec_json);
      e.modes_before = co_await modes_.current();
      r->set_folder = folder / set_folder_name(e.created_ms, id);
      e.folder = r->set_folder.string();
      for (auto kind : all_collections) {
        e[kind].included = spec[kind].included;
        e[kind].incremental = spec[kind].included && spec[kind].incremental;
      }
      co_await resolve_since(*r, spec);
      r->basis_start_ms = now_ms();
      e.timings.basis_started = r->basis_start_ms;
      co_await store_.upsert_event(id, to_json(e));
    }
  } catch (...) {
    failure = std::current_exception();
  }
  if (failure || !leased) {
    if (failure && leased) {
      try {
        co_await lease_.release();
      } catch (const std::exception&) {
        // It expires on its own.
      }
    }
    starting_ = false;
    if (failure) std::rethrow_exception(failure);
    co_return start_result{start_outcome::busy, {}};
  }
  starting_ = false;
  current_ = std::move(r);
  auto& running_backup = *current_;
  // current_ goes away in the completion handler, after the coroutine frame let go of cancel_'s slot.
  net::co_spawn(executor_, run(running_backup), net::bind_cancellation_slot(cancel_.slot(), [this](std::exception_ptr) {
                  current_.reset();
                  idle_.cancel();
                }));
  co_return start_result{start_outcome::started, running_backup.event.id};
}

net::awaitable<void> orchestrator::resolve_since(running& r, const backup_spec& spec) {
  bool need_history = false;
  for (auto kind : all_collections) {
    auto& c = r.event[kind];
    if (!c.incremental) continue;
    if (spec[kind].previous_completed_ms) {
      c.since_ms = spec[kind].previous_completed_ms;
      c.since_from = since_source::given;
    } else {
      need_history = true;
    }
  }
  if (!need_history) co_return;
  io::cosmos::query_spec q;
  q.text = "SELECT * FROM c WHERE c.eventType = @type AND c.status = @status";
  q.parameters = {{"@type", "\"BackupRequest\""}, {"@status", "\"Completed\""}};
  auto docs = co_await store_.query_events(std::move(q));
  std::array<std::optional<std::int64_t>, 3> latest;
  for (const auto& raw : docs) {
    backup_event earlier;
    try {
      earlier = parse_backup_event(raw);
    } catch (const std::exception&) {
      continue;  // not ours to judge; an unreadable event is never a basis
    }
    for (auto kind : all_collections) {
      const auto& c = earlier[kind];
      auto& best = latest[static_cast<int>(kind)];
      if (c.included && c.completed_ms && (!best || *c.completed_ms > *best)) best = c.completed_ms;
    }
  }
  for (auto kind : all_collections) {
    auto& c = r.event[kind];
    if (!c.incremental || c.since_from == since_source::given) continue;
    if (const auto& best = latest[static_cast<int>(kind)]) {
      c.since_ms = best;
      c.since_from = since_source::computed;
    } else {
      c.incremental = false;
      c.since_from = since_source::no_previous_backup;
    }
  }
}

net::awaitable<void> orchestrator::save_event(running& r) {
  co_await r.lock.async_send(boost::system::error_code{}, net::use_awaitable);
  std::exception_ptr failure;
  try {
    co_await store_.upsert_event(r.event.id, to_json(r.event));
  } catch (...) {
    failure = std::current_exception();
  }
  r.lock.try_receive([](boost::system::error_code) {});
  if (failure) std::rethrow_exception(failure);
}

net::awaitable<void> orchestrator::enter_phase(running& r, backup_phase phase) {
  const auto now = std::chrono::steady_clock::now();
  metrics_.add_phase_duration(static_cast<int>(r.event.phase), std::chrono::duration<double>(now - r.phase_started).count());
  r.phase_started = now;
  r.event.phase = phase;
  const auto ms = now_ms();
  if (phase == backup_phase::maintenance) r.event.timings.maintenance_started = ms;
  if (phase == backup_phase::readonly) r.event.timings.readonly_started = ms;
  co_return;
}

net::awaitable<void> orchestrator::run_pass(running& r, pass_kind kind) {
  pass_request request;
  request.kind = kind;
  request.set_folder = r.set_folder;
  request.backup_id = r.event.id;
  const std::int64_t margin = settings_.margin_seconds;
  for (auto k : all_collections) {
    const auto& c = r.event[k];
    if (!c.included) continue;
    std::optional<std::int64_t> since;
    if (c.incremental && c.since_ms) since = *c.since_ms / 1000 - margin;
    const std::int64_t delta_since = r.basis_start_ms / 1000 - margin;
    auto job = job_for(k, kind == pass_kind::delta ? std::optional<std::int64_t>(delta_since) : since);
    // A full backup's basis may hold documents deleted while it ran: it records those deletes too.
    if (kind == pass_kind::delta) job.deletes_since = since.value_or(delta_since);
    request.collections.push_back(std::move(job));
  }
  auto result = co_await pass_(std::move(request), &r.progress);
  for (auto k : all_collections) {
    const auto& t = result[static_cast<int>(k)];
    auto& c = r.event[k];
    c.documents += t.documents;
    c.raw_bytes += t.raw_bytes;
    c.compressed_bytes += t.compressed_bytes;
    c.chunks += t.chunks;
    c.request_charge += t.request_charge;
    auto& sum = r.totals[static_cast<int>(k)];
    sum.throttled += t.throttled;
  }
}

net::awaitable<void> orchestrator::readonly_phase(running& r) {
  // Other processes trust their copy of the modes for up to the cache ttl.
  net::steady_timer timer(executor_, modes_.cache_ttl());
  co_await timer.async_wait(net::use_awaitable);
  co_await writes_.drain(std::chrono::steady_clock::time_point::max());
  co_await run_pass(r, pass_kind::delta);
  const auto completed = now_ms();
  for (auto kind : all_collections) {
    if (r.event[kind].included) r.event[kind].completed_ms = completed;
  }
  r.event.timings.readonly_ended = completed;
}

net::awaitable<void> orchestrator::phases(running& r) {
  std::filesystem::create_directories(r.set_folder);
  co_await run_pass(r, pass_kind::basis);

  co_await enter_phase(r, backup_phase::maintenance);
  co_await modes_.set({true, r.event.modes_before.readonly});
  co_await save_event(r);
  const auto wait = std::chrono::seconds(settings_.maintenance_wait_seconds);
  if (!co_await steps_.drain(std::chrono::steady_clock::now() + wait)) {
    throw std::runtime_error("workflow steps still running after Backup.MaintenanceWaitSeconds (" +
                             std::to_string(settings_.maintenance_wait_seconds) + " s)");
  }

  co_await enter_phase(r, backup_phase::readonly);
  co_await modes_.set({true, true});
  co_await save_event(r);
  const auto first = co_await race(readonly_phase(r), wait_for(std::chrono::seconds(settings_.max_read_only_seconds)));
  if (first == 1) {
    throw std::runtime_error("the read-only window exceeded Backup.MaxReadOnlySeconds (" +
                             std::to_string(settings_.max_read_only_seconds) + " s)");
  }
  co_await enter_phase(r, backup_phase::finalizing);
  if (finalize_) co_await finalize_(r.event);
  r.cleaning_up = true;  // the set is complete: a cancel from now on would contradict its manifest
  co_await save_event(r);
}

net::awaitable<void> orchestrator::keep_alive(running& r) {
  net::steady_timer timer(executor_);
  const auto renew_every = std::chrono::duration_cast<std::chrono::milliseconds>(lease_.ttl()) / 3;
  const auto progress_every = std::chrono::seconds(settings_.progress_seconds);
  auto last_renewal = std::chrono::steady_clock::now();
  auto last_progress = last_renewal;
  std::uint64_t last_documents = 0;
  std::uint64_t last_charge = 0;
  for (;;) {
    timer.expires_after(std::min<std::chrono::milliseconds>(renew_every, std::chrono::milliseconds(500)));
    co_await timer.async_wait(net::use_awaitable);
    const auto now = std::chrono::steady_clock::now();
    if (now - last_renewal >= renew_every) {
      if (!co_await lease_.renew()) {
        r.lease_lost = true;
        co_return;
      }
      last_renewal = now;
    }
    const auto documents = r.progress.documents.load();
    if (now - last_progress >= progress_every && documents != last_documents) {
      const auto charge = r.progress.request_charge_milli.load();
      const double seconds = std::chrono::duration<double>(now - last_progress).count();
      r.event.progress_documents = documents;
      r.event.progress_ru_per_second = static_cast<double>(charge - last_charge) / 1000 / seconds;
      last_documents = documents;
      last_charge = charge;
      last_progress = now;
      co_await save_event(r);
    }
  }
}

net::awaitable<void> orchestrator::run(running& r) {
  backup_status status = backup_status::completed;
  std::string error;
  try {
    if (co_await race(phases(r), keep_alive(r)) == 1) {
      status = backup_status::failed;
      error = "the backup lease was lost (another engine took it over)";
    }
  } catch (const std::exception& e) {
    status = r.cancel_requested ? backup_status::canceled : backup_status::failed;
    if (!r.cancel_requested) error = e.what();
  }
  // The scope guard of DESIGN §6: whatever happened, the modes go back to what they were.
  r.cleaning_up = true;
  co_await net::this_coro::reset_cancellation_state();
  for (int attempt = 1;; ++attempt) {
    try {
      co_await modes_.set(r.event.modes_before);
      break;
    } catch (const std::exception& e) {
      if (attempt == 5) {
        status = backup_status::failed;
        error += std::string(error.empty() ? "" : "; ") + "restoring the system modes failed: " + e.what();
        break;
      }
    }
    net::steady_timer pause(executor_, std::chrono::seconds(1));
    co_await pause.async_wait(net::as_tuple(net::use_awaitable));
  }
  metrics_.add_phase_duration(static_cast<int>(r.event.phase),
                              std::chrono::duration<double>(std::chrono::steady_clock::now() - r.phase_started).count());
  r.event.status = status;
  r.event.error = error;
  r.event.timings.finished = now_ms();
  r.event.progress_documents = r.progress.documents.load();
  try {
    co_await save_event(r);
  } catch (const std::exception&) {
    // The lease holder's event stays Running; the next recovery marks it Failed.
  }
  for (auto kind : all_collections) {
    const auto& c = r.event[kind];
    metrics_.add_backup_totals(c.documents, c.raw_bytes, c.compressed_bytes, c.request_charge,
                               r.totals[static_cast<int>(kind)].throttled);
  }
  metrics_.count_backup(status == backup_status::completed  ? backup_outcome::completed
                        : status == backup_status::canceled ? backup_outcome::canceled
                                                            : backup_outcome::failed);
  try {
    co_await lease_.release();
  } catch (const std::exception&) {
    // It expires on its own; the next start recovers it.
  }
}

bool orchestrator::cancel() {
  if (!current_) return false;
  if (current_->cancel_requested || current_->cleaning_up) return true;
  current_->cancel_requested = true;
  cancel_.emit(net::cancellation_type::terminal);
  return true;
}

std::optional<backup_phase> orchestrator::local_phase() const {
  if (!current_) return std::nullopt;
  return current_->event.phase;
}

net::awaitable<std::optional<backup_phase>> orchestrator::phase_anywhere() {
  if (current_) co_return current_->event.phase;
  auto lease = co_await lease_.read();
  if (!lease || !lease->held() || now_ms() >= lease->expires_ms) co_return std::nullopt;
  auto doc = co_await store_.read_event(lease->event_id);
  if (!doc) co_return std::nullopt;
  auto e = parse_backup_event(doc->body);
  if (e.status != backup_status::running) co_return std::nullopt;
  co_return e.phase;
}

net::awaitable<void> orchestrator::wait_idle() {
  while (current_) {
    idle_.expires_after(std::chrono::hours(1));
    co_await idle_.async_wait(net::as_tuple(net::use_awaitable));
  }
}

net::awaitable<bool> orchestrator::recover_abandoned() {
  if (current_) co_return false;
  auto lease = co_await lease_.read();
  if (!lease || !lease->held() || lease->owner == lease_.owner() || !owner_is_dead(*lease, now_ms(), host_name())) {
    co_return false;
  }
  if (auto doc = co_await store_.read_event(lease->event_id)) {
    auto e = parse_backup_event(doc->body);
    if (e.status == backup_status::running) {
      co_await modes_.set(e.modes_before);
      e.status = backup_status::failed;
      e.error = "the engine process running this backup (" + lease->owner + ", host " + lease->host + ", pid " +
                std::to_string(lease->pid) + ") stopped before it finished";
      e.timings.finished = now_ms();
      co_await store_.upsert_event(e.id, to_json(e));
      metrics_.count_backup(backup_outcome::failed);
    }
  }
  co_return co_await lease_.release_abandoned(*lease);
}

net::awaitable<void> orchestrator::run_watchdog() {
  net::steady_timer timer(executor_);
  for (;;) {
    timer.expires_after(std::chrono::duration_cast<std::chrono::milliseconds>(lease_.ttl()) / 3);
    co_await timer.async_wait(net::use_awaitable);
    if (current_ || starting_) continue;
    try {
      co_await recover_abandoned();
    } catch (const std::exception&) {
      // Cosmos unreachable now: try again at the next tick.
    }
  }
}

}  // namespace idabus::engine
