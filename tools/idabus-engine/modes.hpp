#pragma once
// modes: the system modes (maintenance, read-only), shared by every engine process on one
// database through a document in Events with the fixed id "idabus-system-modes" (DESIGN §6).
// - current() trusts its copy for `cache_ttl` and then re-reads the document; a missing document
//   means both modes off.
// - set() updates the local copy at once (before the write completes, so that this process's
//   writers see the new modes without delay) and then upserts the document. While a set() is in
//   flight current() answers from the local copy.
// - Other processes see a change after at most cache_ttl; the backup waits that long after
//   turning read-only on before it drains writes.
// Runs on one executor (not thread-safe). Cancellation: as store's.

#include "tools/idabus-engine/store.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace idabus::engine {

inline constexpr std::string_view modes_document_id = "idabus-system-modes";

struct system_modes {
  bool maintenance = false;
  bool readonly = false;
  bool operator==(const system_modes&) const = default;
};

/// {"maintenance":false,"readonly":false}
std::string to_json(system_modes modes);

/// Reads {"maintenance":bool,"readonly":bool} (keys case-insensitive, both required). Throws
/// bad_request (backup_spec.hpp) naming the problem.
system_modes parse_modes(std::string_view json);

class modes_registry {
 public:
  modes_registry(store& documents, std::chrono::milliseconds cache_ttl);

  net::awaitable<system_modes> current();
  net::awaitable<void> set(system_modes modes);
  std::chrono::milliseconds cache_ttl() const noexcept { return cache_ttl_; }

 private:
  store& store_;
  std::chrono::milliseconds cache_ttl_;
  std::optional<system_modes> cached_;
  std::chrono::steady_clock::time_point cached_at_{};
  int writes_in_flight_ = 0;
};

}  // namespace idabus::engine
