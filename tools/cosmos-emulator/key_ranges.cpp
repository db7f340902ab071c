#include "tools/cosmos-emulator/key_ranges.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <type_traits>
#include <variant>

namespace idabus::emulator {

namespace {

std::uint64_t boundary_step(std::uint32_t partitions) { return (std::uint64_t{1} << 62) / partitions; }

}  // namespace

std::string range_boundary(std::uint32_t index, std::uint32_t partitions) {
  if (index == 0) return "";
  if (index >= partitions) return "FF";
  char buf[24];
  std::snprintf(buf, sizeof buf, "%016llX", static_cast<unsigned long long>(boundary_step(partitions) * index));
  return buf;
}

std::uint32_t range_of(std::string_view epk, std::uint32_t partitions) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < 16; ++i) {
    v <<= 4;
    if (i < epk.size()) {
      const char c = epk[i];
      v |= static_cast<std::uint64_t>(c >= 'A' ? c - 'A' + 10 : (c >= 'a' ? c - 'a' + 10 : c - '0')) & 0xF;
    }
  }
  const std::uint64_t p = v / boundary_step(partitions);
  return static_cast<std::uint32_t>(std::min<std::uint64_t>(p, partitions - 1));
}

std::string encode_partition_key(const std::vector<io::cosmos::pk_component>& key) {
  std::string out;
  for (const auto& c : key) {
    std::visit(
        [&](const auto& x) {
          using T = std::decay_t<decltype(x)>;
          if constexpr (std::is_same_v<T, std::monostate>) {
            out += 'u';
          } else if constexpr (std::is_same_v<T, std::nullptr_t>) {
            out += 'z';
          } else if constexpr (std::is_same_v<T, bool>) {
            out += x ? 't' : 'f';
          } else if constexpr (std::is_same_v<T, double>) {
            double d = x == 0 ? 0.0 : x;  // -0 == 0
            char b[8];
            std::memcpy(b, &d, 8);
            out += 'n';
            out.append(b, 8);
          } else {
            out += 's';
            const auto n = static_cast<std::uint32_t>(x.size());
            out.append(reinterpret_cast<const char*>(&n), 4);
            out += x;
          }
        },
        c);
  }
  return out;
}

}  // namespace idabus::emulator
