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
// Unknown outcomes: the client does not resend a create or an If-Match replace after a timeout
// or reset (the server may have run it), and it resends one after 408/503 (whose resend then
// meets our own first write as 409/412). So after such an error, and after a 409/412, every
// lease write reads the lease back and judges (judge_write): what we wrote -> adopt it (its
// etag); unchanged -> it did not land: write again, at most max_write_attempts times with a
// doubling pause, within ttl/2 of the first try (then the error is rethrown); anything else ->
// someone else's write won. Nothing is written again without that read.
// Runs on one executor. Cancellation: as store's (a pause between attempts throws as well).

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

/// How a lease write turned out, judged from the lease as read back afterwards.
enum class write_outcome {
  landed,      ///< the document is what was written
  not_landed,  ///< the document is as the write found it (its etag; still absent for a create)
  lost,        ///< someone else changed it meanwhile
};

/// `now`: the lease read back (std::nullopt: absent); `written`: the state the write sent;
/// `previous_etag`: the etag it was conditional on ("" for a create-only).
write_outcome judge_write(const std::optional<lease_state>& now, const lease_state& written,
                          std::string_view previous_etag);

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
  static constexpr int max_write_attempts = 4;
  static constexpr std::chrono::milliseconds first_pause{50};

  lease_state mine(std::string event_id) const;
  /// Writes `wanted` conditional on `previous_etag` ("" = create-only), resolving unknown
  /// outcomes as the file comment says. `wanted` with its new etag, or std::nullopt when
  /// someone else's write won.
  net::awaitable<std::optional<lease_state>> write(lease_state wanted, std::string previous_etag);

  store& store_;
  std::string owner_;
  std::string host_;
  std::chrono::seconds ttl_;
  std::optional<lease_state> held_;  ///< ours, with its current etag
};

}  // namespace idabus::engine
