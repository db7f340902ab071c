#include "tools/idabus-engine/lease.hpp"

#include "io/cosmos/errors.hpp"
#include "io/cosmos/retry.hpp"
#include "io/http/transport_error.hpp"
#include "io/json/write.hpp"
#include "tools/idabus-engine/time_format.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <simdjson.h>

#include <cerrno>
#include <csignal>
#include <exception>
#include <stdexcept>
#include <unistd.h>

namespace idabus::engine {

namespace dom = simdjson::dom;

std::string to_json(const lease_state& lease) {
  std::string out = "{\"id\":";
  io::json::append_json_string(out, lease_document_id);
  out += ",\"documentType\":\"BackupLease\",\"owner\":";
  io::json::append_json_string(out, lease.owner);
  out += ",\"host\":";
  io::json::append_json_string(out, lease.host);
  out += ",\"pid\":" + std::to_string(lease.pid) + ",\"eventId\":";
  io::json::append_json_string(out, lease.event_id);
  out += ",\"expiresAt\":" + std::to_string(lease.expires_ms) + "}";
  return out;
}

lease_state parse_lease(std::string_view json, std::string etag) {
  dom::parser parser;
  const simdjson::padded_string padded(json);
  dom::object o;
  if (parser.parse(padded).get(o)) throw std::runtime_error("backup lease document: not a JSON object");
  lease_state l;
  std::string_view s;
  if (!o["owner"].get_string().get(s)) l.owner = s;
  if (!o["host"].get_string().get(s)) l.host = s;
  if (!o["eventId"].get_string().get(s)) l.event_id = s;
  std::int64_t n;
  if (!o["pid"].get_int64().get(n)) l.pid = n;
  if (!o["expiresAt"].get_int64().get(n)) l.expires_ms = n;
  l.etag = std::move(etag);
  return l;
}

namespace {

/// Whether a failed write may have run: a timeout or a server error, not a refusal.
bool outcome_unknown(const io::cosmos::cosmos_error& e) {
  return e.status() >= 500 || io::cosmos::classify(e.status(), e.substatus()) == io::cosmos::failure_class::transient;
}

bool same_claim(const lease_state& a, const lease_state& b) {
  return a.owner == b.owner && a.host == b.host && a.pid == b.pid && a.event_id == b.event_id &&
         a.expires_ms == b.expires_ms;
}

}  // namespace

write_outcome judge_write(const std::optional<lease_state>& now, const lease_state& written,
                          std::string_view previous_etag) {
  if (!now) return previous_etag.empty() ? write_outcome::not_landed : write_outcome::lost;
  if (same_claim(*now, written)) return write_outcome::landed;
  return now->etag == previous_etag ? write_outcome::not_landed : write_outcome::lost;
}

bool owner_is_dead(const lease_state& lease, std::int64_t now_ms, std::string_view this_host) {
  if (!lease.held()) return false;
  if (now_ms >= lease.expires_ms) return true;
  if (lease.host != this_host || lease.pid <= 0) return false;
  return ::kill(static_cast<pid_t>(lease.pid), 0) != 0 && errno == ESRCH;
}

std::string host_name() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "unknown-host";
  return buf;
}

backup_lease::backup_lease(store& documents, std::string owner, std::chrono::seconds ttl)
    : store_(documents), owner_(std::move(owner)), host_(host_name()), ttl_(ttl) {}

lease_state backup_lease::mine(std::string event_id) const {
  lease_state l;
  l.owner = owner_;
  l.host = host_;
  l.pid = ::getpid();
  l.event_id = std::move(event_id);
  l.expires_ms = now_ms() + std::chrono::duration_cast<std::chrono::milliseconds>(ttl_).count();
  return l;
}

net::awaitable<std::optional<lease_state>> backup_lease::read() {
  auto doc = co_await store_.read_event(std::string(lease_document_id));
  if (!doc) co_return std::nullopt;
  co_return parse_lease(doc->body, doc->etag);
}

net::awaitable<bool> backup_lease::acquire(std::string event_id) {
  auto current = co_await read();
  // An expired holder is taken over here; its event is marked Failed by the recovery, which
  // runs before every create (orchestrator::start).
  if (current && current->held() && now_ms() < current->expires_ms) co_return false;
  auto wanted = mine(std::move(event_id));
  std::string previous_etag = current ? current->etag : std::string();
  auto written = co_await write(std::move(wanted), std::move(previous_etag));
  if (!written) co_return false;
  held_ = std::move(written);
  co_return true;
}

net::awaitable<bool> backup_lease::renew() {
  if (!held_) co_return false;
  auto next = mine(held_->event_id);
  auto written = co_await write(std::move(next), held_->etag);
  held_ = std::move(written);
  co_return held_.has_value();
}

net::awaitable<void> backup_lease::release() {
  if (!held_) co_return;
  const auto etag = held_->etag;
  held_.reset();
  lease_state free;
  co_await write(std::move(free), etag);
}

net::awaitable<bool> backup_lease::release_abandoned(lease_state dead) {
  lease_state free;
  auto written = co_await write(std::move(free), std::move(dead.etag));
  co_return written.has_value();
}

net::awaitable<std::optional<lease_state>> backup_lease::write(lease_state wanted, std::string previous_etag) {
  const std::string id(lease_document_id);
  const auto give_up_at =
      std::chrono::steady_clock::now() + std::chrono::duration_cast<std::chrono::milliseconds>(ttl_) / 2;
  auto pause = first_pause;
  for (int attempt = 1;; ++attempt) {
    std::optional<stored_document> written;
    std::exception_ptr unknown;  // the write failed in a way that does not say whether it ran
    try {
      if (previous_etag.empty()) {
        written = co_await store_.create_event(id, to_json(wanted));
      } else {
        written = co_await store_.replace_event(id, to_json(wanted), previous_etag);
      }
    } catch (const io::http::transport_error& e) {
      if (e.kind() == io::http::transport_error_kind::cancelled) throw;
      unknown = std::current_exception();
    } catch (const io::cosmos::cosmos_error& e) {
      if (!outcome_unknown(e)) throw;
      unknown = std::current_exception();
    }
    if (written) {
      wanted.etag = std::move(written->etag);
      co_return wanted;
    }
    auto now = co_await read();
    switch (judge_write(now, wanted, previous_etag)) {
      case write_outcome::landed:
        wanted.etag = now->etag;
        co_return wanted;
      case write_outcome::lost:
        co_return std::nullopt;
      case write_outcome::not_landed:
        break;
    }
    if (attempt == max_write_attempts || std::chrono::steady_clock::now() + pause > give_up_at) {
      if (unknown) std::rethrow_exception(unknown);
      co_return std::nullopt;
    }
    net::steady_timer timer(co_await net::this_coro::executor, pause);
    co_await timer.async_wait(net::use_awaitable);
    pause *= 2;
  }
}

}  // namespace idabus::engine
