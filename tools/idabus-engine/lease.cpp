#include "tools/idabus-engine/lease.hpp"

#include "io/json/write.hpp"
#include "tools/idabus-engine/time_format.hpp"

#include <simdjson.h>

#include <cerrno>
#include <csignal>
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
  auto wanted = mine(std::move(event_id));
  auto current = co_await read();
  std::optional<stored_document> written;
  if (!current) {
    written = co_await store_.create_event(std::string(lease_document_id), to_json(wanted));
  } else if (!current->held() || now_ms() >= current->expires_ms) {
    // An expired holder is taken over here; its event is marked Failed by the recovery, which
    // runs before every create (orchestrator::start).
    written = co_await store_.replace_event(std::string(lease_document_id), to_json(wanted), current->etag);
  }
  if (!written) co_return false;
  wanted.etag = written->etag;
  held_ = std::move(wanted);
  co_return true;
}

net::awaitable<bool> backup_lease::renew() {
  if (!held_) co_return false;
  auto next = mine(held_->event_id);
  auto written = co_await store_.replace_event(std::string(lease_document_id), to_json(next), held_->etag);
  if (!written) {
    held_.reset();
    co_return false;
  }
  next.etag = written->etag;
  held_ = std::move(next);
  co_return true;
}

net::awaitable<void> backup_lease::release() {
  if (!held_) co_return;
  lease_state free;
  const auto etag = held_->etag;
  held_.reset();
  co_await store_.replace_event(std::string(lease_document_id), to_json(free), etag);
}

net::awaitable<bool> backup_lease::release_abandoned(lease_state dead) {
  lease_state free;
  auto written = co_await store_.replace_event(std::string(lease_document_id), to_json(free), dead.etag);
  co_return written.has_value();
}

}  // namespace idabus::engine
