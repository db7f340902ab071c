#include "tools/idabus-engine/auth.hpp"

#include "io/http/message.hpp"

#include <openssl/crypto.h>
#include <openssl/sha.h>

namespace idabus::engine {

namespace {

std::string sha256(std::string_view text) {
  std::string out(SHA256_DIGEST_LENGTH, '\0');
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), reinterpret_cast<unsigned char*>(out.data()));
  return out;
}

}  // namespace

api_keys::api_keys(const std::vector<std::string>& keys) {
  for (const auto& key : keys) digests_.push_back(sha256(key));
}

bool api_keys::authorizes(std::string_view authorization) const {
  constexpr std::string_view scheme = "Bearer ";
  if (authorization.size() <= scheme.size() || !io::http::iequals(authorization.substr(0, scheme.size()), scheme)) {
    return false;
  }
  const auto presented = sha256(authorization.substr(scheme.size()));
  int matches = 0;
  for (const auto& digest : digests_) {
    matches |= CRYPTO_memcmp(digest.data(), presented.data(), presented.size()) == 0 ? 1 : 0;
  }
  return matches != 0;
}

}  // namespace idabus::engine
