#include "io/cosmos/epk.hpp"

#include <simdjson.h>

#include <charconv>
#include <cstdint>
#include <cstring>

namespace idabus::io::cosmos {

namespace {

std::uint64_t rotl(std::uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

std::uint64_t fmix(std::uint64_t k) {
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdULL;
  k ^= k >> 33;
  k *= 0xc4ceb9fe1a85ec53ULL;
  k ^= k >> 33;
  return k;
}

std::uint64_t load_le64(const unsigned char* p) {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

void append_utf8_as_json(std::string& out, std::string_view s) {
  static constexpr char hex[] = "0123456789abcdef";
  auto escape_unit = [&](unsigned unit) {
    out += "\\u";
    out.push_back(hex[(unit >> 12) & 15]);
    out.push_back(hex[(unit >> 8) & 15]);
    out.push_back(hex[(unit >> 4) & 15]);
    out.push_back(hex[unit & 15]);
  };
  out.push_back('"');
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if (c == '"') out += "\\\"";
      else if (c == '\\') out += "\\\\";
      else if (c < 0x20) escape_unit(c);
      else out.push_back(static_cast<char>(c));
      ++i;
      continue;
    }
    // Decode one UTF-8 sequence; invalid bytes become U+FFFD.
    unsigned cp = 0xFFFD;
    std::size_t len = 1;
    auto cont = [&](std::size_t k) { return i + k < s.size() && (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80; };
    if ((c & 0xE0) == 0xC0 && cont(1)) {
      cp = ((c & 0x1Fu) << 6) | (static_cast<unsigned char>(s[i + 1]) & 0x3Fu);
      len = 2;
    } else if ((c & 0xF0) == 0xE0 && cont(1) && cont(2)) {
      cp = ((c & 0x0Fu) << 12) | ((static_cast<unsigned char>(s[i + 1]) & 0x3Fu) << 6) |
           (static_cast<unsigned char>(s[i + 2]) & 0x3Fu);
      len = 3;
    } else if ((c & 0xF8) == 0xF0 && cont(1) && cont(2) && cont(3)) {
      cp = ((c & 0x07u) << 18) | ((static_cast<unsigned char>(s[i + 1]) & 0x3Fu) << 12) |
           ((static_cast<unsigned char>(s[i + 2]) & 0x3Fu) << 6) | (static_cast<unsigned char>(s[i + 3]) & 0x3Fu);
      len = 4;
    }
    if (cp >= 0x10000) {
      cp -= 0x10000;
      escape_unit(0xD800 + (cp >> 10));
      escape_unit(0xDC00 + (cp & 0x3FF));
    } else {
      escape_unit(cp);
    }
    i += len;
  }
  out.push_back('"');
}

}  // namespace

murmur128 murmur3_x64_128(std::string_view data, unsigned long long seed) {
  constexpr std::uint64_t c1 = 0x87c37b91114253d5ULL;
  constexpr std::uint64_t c2 = 0x4cf5ad432745937fULL;
  const auto* bytes = reinterpret_cast<const unsigned char*>(data.data());
  const std::size_t len = data.size();
  const std::size_t blocks = len / 16;
  std::uint64_t h1 = seed;
  std::uint64_t h2 = seed;
  for (std::size_t i = 0; i < blocks; ++i) {
    std::uint64_t k1 = load_le64(bytes + i * 16);
    std::uint64_t k2 = load_le64(bytes + i * 16 + 8);
    k1 *= c1; k1 = rotl(k1, 31); k1 *= c2; h1 ^= k1;
    h1 = rotl(h1, 27); h1 += h2; h1 = h1 * 5 + 0x52dce729;
    k2 *= c2; k2 = rotl(k2, 33); k2 *= c1; h2 ^= k2;
    h2 = rotl(h2, 31); h2 += h1; h2 = h2 * 5 + 0x38495ab5;
  }
  const unsigned char* tail = bytes + blocks * 16;
  const std::size_t rest = len & 15;
  std::uint64_t k1 = 0;
  std::uint64_t k2 = 0;
  for (std::size_t i = rest; i > 8; --i) k2 ^= std::uint64_t(tail[i - 1]) << ((i - 9) * 8);
  if (rest > 8) {
    k2 *= c2; k2 = rotl(k2, 33); k2 *= c1; h2 ^= k2;
  }
  for (std::size_t i = rest < 8 ? rest : 8; i > 0; --i) k1 ^= std::uint64_t(tail[i - 1]) << ((i - 1) * 8);
  if (rest > 0) {
    k1 *= c1; k1 = rotl(k1, 31); k1 *= c2; h1 ^= k1;
  }
  h1 ^= len;
  h2 ^= len;
  h1 += h2;
  h2 += h1;
  h1 = fmix(h1);
  h2 = fmix(h2);
  h1 += h2;
  h2 += h1;
  return {h1, h2};
}

std::string effective_partition_key_v2(std::span<const pk_component> key) {
  if (key.empty()) return {};
  std::string encoded;
  for (const auto& component : key) {
    if (std::holds_alternative<std::monostate>(component)) {
      encoded.push_back('\x00');
    } else if (std::holds_alternative<std::nullptr_t>(component)) {
      encoded.push_back('\x01');
    } else if (const bool* b = std::get_if<bool>(&component)) {
      encoded.push_back(*b ? '\x03' : '\x02');
    } else if (const double* d = std::get_if<double>(&component)) {
      encoded.push_back('\x05');
      std::uint64_t bits = 0;
      std::memcpy(&bits, d, sizeof bits);
      for (int i = 0; i < 8; ++i) encoded.push_back(static_cast<char>((bits >> (8 * i)) & 0xFF));
    } else {
      encoded.push_back('\x08');
      encoded += std::get<std::string>(component);
      encoded.push_back('\xFF');
    }
  }
  const murmur128 h = murmur3_x64_128(encoded);
  unsigned char out[16];
  for (int i = 0; i < 8; ++i) {
    out[i] = static_cast<unsigned char>((h.h2 >> (56 - 8 * i)) & 0xFF);
    out[8 + i] = static_cast<unsigned char>((h.h1 >> (56 - 8 * i)) & 0xFF);
  }
  out[0] &= 0x3F;
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string epk;
  epk.reserve(32);
  for (unsigned char b : out) {
    epk.push_back(hex[b >> 4]);
    epk.push_back(hex[b & 15]);
  }
  return epk;
}

std::optional<std::vector<pk_component>> parse_partition_key_header(std::string_view json_array) {
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(json_array.data(), json_array.size(), true).get(root) != simdjson::SUCCESS) return std::nullopt;
  simdjson::dom::array array;
  if (root.get_array().get(array) != simdjson::SUCCESS) return std::nullopt;
  std::vector<pk_component> out;
  for (simdjson::dom::element item : array) {
    switch (item.type()) {
      case simdjson::dom::element_type::STRING: {
        std::string_view s;
        if (item.get_string().get(s) != simdjson::SUCCESS) return std::nullopt;
        out.emplace_back(std::string(s));
        break;
      }
      case simdjson::dom::element_type::INT64:
      case simdjson::dom::element_type::UINT64:
      case simdjson::dom::element_type::DOUBLE: {
        double d = 0;
        if (item.get_double().get(d) != simdjson::SUCCESS) return std::nullopt;
        out.emplace_back(d);
        break;
      }
      case simdjson::dom::element_type::BOOL:
        out.emplace_back(bool(item.get_bool().value_unsafe()));
        break;
      case simdjson::dom::element_type::NULL_VALUE:
        out.emplace_back(nullptr);
        break;
      case simdjson::dom::element_type::OBJECT: {
        simdjson::dom::object obj = item.get_object().value_unsafe();
        if (obj.size() != 0) return std::nullopt;
        out.emplace_back(std::monostate{});
        break;
      }
      default:
        return std::nullopt;
    }
  }
  return out;
}

std::string partition_key_header(std::span<const pk_component> key) {
  std::string out = "[";
  bool first = true;
  for (const auto& component : key) {
    if (!first) out.push_back(',');
    first = false;
    if (std::holds_alternative<std::monostate>(component)) {
      out += "{}";
    } else if (std::holds_alternative<std::nullptr_t>(component)) {
      out += "null";
    } else if (const bool* b = std::get_if<bool>(&component)) {
      out += *b ? "true" : "false";
    } else if (const double* d = std::get_if<double>(&component)) {
      char buf[64];
      const auto r = std::to_chars(buf, buf + sizeof buf, *d);
      out.append(buf, r.ptr);
    } else {
      append_utf8_as_json(out, std::get<std::string>(component));
    }
  }
  out.push_back(']');
  return out;
}

bool epk_in_range(std::string_view epk, std::string_view min_inclusive, std::string_view max_exclusive) {
  if (epk < min_inclusive) return false;
  if (max_exclusive == "FF") return true;
  return epk < max_exclusive;
}

}  // namespace idabus::io::cosmos
