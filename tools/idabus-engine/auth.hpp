#pragma once
// auth: bearer API keys (DESIGN §5). The presented key is compared with every configured key in
// constant time: both sides are hashed (SHA-256) and the digests compared with CRYPTO_memcmp, and
// every key is tried, so neither the position of a mismatch nor which key matched nor the keys'
// lengths show in the timing. Pure functions, no I/O.

#include <string>
#include <string_view>
#include <vector>

namespace idabus::engine {

class api_keys {
 public:
  explicit api_keys(const std::vector<std::string>& keys);

  /// True when `authorization` is "Bearer <key>" (scheme case-insensitive) with a configured key.
  bool authorizes(std::string_view authorization) const;

 private:
  std::vector<std::string> digests_;  ///< SHA-256 of each key
};

}  // namespace idabus::engine
