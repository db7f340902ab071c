#pragma once
// lease: "one backup at a time across engine processes on one database" (DESIGN §6), as a
// document in Events with the fixed id "idabus-backup-lease".
// - The document, once created, stays; it is free when its owner is "".
// - acquire(): creates it create-only when absent, else replaces a free or abandoned one with
//   If-Match on the etag just read; a concurrent winner makes the create 409 or the replace 412,
//   and acquire() answers false.
// - renew(): If-Match replace with our etag, pushing expiresAt by the ttl; false = the lease was
//   taken from us (the backup must stop).
// - release(): If-Match replace with a free lease.
// - An owner is dead when its lease expired, or when it ran on this host with a pid that no
//   longer exists (so a restart after SIGKILL need not wait for the expiry).
// Runs on one executor. Cancellation: as store's.

#include "tools/idabus-engine/store.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace idabus::engine {

inline constexpr std::string_view lease_document_id = "idabus-backup-lease";

struct lease_state {
  std::string owner;     ///< "" = free
  std::string host;
  std::int64_t pid = 0;
  std::string event_id;  ///< the backup request event of the holder
  std::int64_t expires_ms = 0;
  std::string etag;
  bool held() const noexcept { return !owner.empty(); }
};

std::string to_json(const lease_state& lease);
/// Throws std::runtime_error for a document that is not a lease.
lease_state parse_lease(std::string_view json, std::string etag);

/// True when a held lease's owner can no longer renew it (see the file comment).
bool owner_is_dead(const lease_state& lease, std::int64_t now_ms, std::string_view this_host);

/// This machine's host name.
std::string host_name();

class backup_lease {
 public:
  /// `owner`: unique per engine process.
  backup_lease(store& documents, std::string owner, std::chrono::seconds ttl);

  net::awaitable<std::optional<lease_state>> read();
  net::awaitable<bool> acquire(std::string event_id);
  net::awaitable<bool> renew();
  net::awaitable<void> release();
  /// Frees a dead owner's lease (If-Match on its etag); false when it changed meanwhile.
  net::awaitable<bool> release_abandoned(lease_state dead);

  const std::string& owner() const noexcept { return owner_; }
  std::chrono::seconds ttl() const noexcept { return ttl_; }

 private:
  lease_state mine(std::string event_id) const;

  store& store_;
  std::string owner_;
  std::string host_;
  std::chrono::seconds ttl_;
  std::optional<lease_state> held_;  ///< ours, with its current etag
};

}  // namespace idabus::engine
