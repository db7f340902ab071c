#include "tools/cosmos-emulator/continuation.hpp"

#include "tools/cosmos-emulator/persistence.hpp"

#include <charconv>
#include <cstdio>

namespace idabus::emulator {

namespace {

std::uint64_t mix(std::uint64_t h, std::string_view s) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

}  // namespace

std::uint64_t continuation_scope(std::uint64_t query_fingerprint, std::string_view collection_rid,
                                 std::string_view range_id, std::string_view partition_key) {
  return mix(mix(mix(query_fingerprint, collection_rid), range_id), partition_key);
}

std::string encode_continuation(const cursor& c, std::uint64_t scope) {
  char buf[160];
  std::snprintf(buf, sizeof buf, "c1.%x.%c.%llx.%llx.%llx", c.partition, c.after ? 'a' : 's',
                static_cast<unsigned long long>(c.ts), static_cast<unsigned long long>(c.seq),
                static_cast<unsigned long long>(scope));
  std::string s = buf;
  char crc[16];
  std::snprintf(crc, sizeof crc, ".%08x", crc32(s));
  return s + crc;
}

std::optional<cursor> decode_continuation(std::string_view token, std::uint64_t scope) {
  const auto dot = token.rfind('.');
  if (token.size() > 150 || dot == std::string_view::npos || token.substr(0, 3) != "c1.") return std::nullopt;
  const std::string_view body = token.substr(0, dot);
  std::uint32_t crc = 0;
  const auto crc_text = token.substr(dot + 1);
  auto [p, ec] = std::from_chars(crc_text.data(), crc_text.data() + crc_text.size(), crc, 16);
  if (ec != std::errc() || p != crc_text.data() + crc_text.size() || crc32(body) != crc) return std::nullopt;
  cursor c;
  unsigned long long ts = 0, seq = 0, sc = 0;
  char mode = 0;
  unsigned part = 0;
  if (std::sscanf(std::string(body).c_str(), "c1.%x.%c.%llx.%llx.%llx", &part, &mode, &ts, &seq, &sc) != 5) return std::nullopt;
  if ((mode != 'a' && mode != 's') || sc != scope) return std::nullopt;
  c.partition = part;
  c.after = mode == 'a';
  c.ts = static_cast<std::int64_t>(ts);
  c.seq = seq;
  return c;
}

}  // namespace idabus::emulator
